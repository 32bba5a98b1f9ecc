"""Unenrolled analysis and real recordings: the `voicecoach eval` section for issue #13
(items 4 and 6).

1. **Voices told apart without enrolment** on the validation dialogues of
   `voicecoach.lab.validation` (LibriSpeech readers and speechocean762 voices of the
   validation part, FF/MM/FM pairs, alternating turns with half the changes cut-ins,
   and the same pairs with quick handovers only), drawn with the same seed so they are
   the very dialogues the enrolled validation reports, and each voice alone. Scored
   after the best mapping of speaker1, speaker2, ... to the true voices: attribution of
   single-speaker time, interruption recall / precision, false interruptions per
   minute of quick handovers, and whether the number of voices was right. `tune`
   chose `diarize`'s split settings on the tuning part of the speechocean762 voices
   (the corpus's train speakers: single voices, pairs and trios), at the level of the
   d-vector windows.
2. **Real phone dialogues** (``conversations/``: SpokenWOZ, 8 kHz stereo, caller left,
   agent right, word timings): the two channels mixed to one track, as one microphone
   hears them. (a) attribution with each speaker enrolled on their own first solo
   speech of the same recording (up to `ENROL_S`), scored on the rest of it, which is
   analysed on its own; (b) the whole recording analysed without enrolment, attribution
   after the best label mapping; (c) interruptions of both against the word timings:
   a speaker's run of words (gaps < `RUN_GAP_S`) starting while the other's run began
   at least 0.2 s before and goes on at least 0.2 s after. A run shorter than
   `BACKCHANNEL_S` ("yeah", "okay") is a back-channel: a detection there counts
   neither way (reported apart).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.lab import evaluate as ev
from voicecoach.lab import validation
from voicecoach.lab.evaluate import HIT_EARLY, HIT_LATE, _Dialogue, _lay_out, _Timer
from voicecoach.lab.turntaking import TUNING_DIALOGUES
from voicecoach.perception.analyze import load_audio
from voicecoach.perception.diarize import DiarizeConfig, WindowFeatures, embed_windows, voices
from voicecoach.perception.embedder import Embedder
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

ENROL_S = 8.0  # solo speech each phone speaker is enrolled on ...
ENROL_PART = 0.4  # ... found within this first part of the recording
RUN_GAP_S = 0.5  # words closer than this are one run of speech
BACKCHANNEL_S = 1.0  # a run shorter than this, amid the other's, is a back-channel
SEED = 13


# ---------------------------------------------------------------- speechocean762 voices


@functools.lru_cache(maxsize=1)
def _voices(root: Path) -> dict[str, tuple[str, str, list[np.ndarray]]]:
    """speaker id -> (sex, corpus part, its utterances)."""
    manifest = json.loads((root / "manifest.json").read_text())
    return {
        sid: (s["sex"], s["part"], [load_audio(root / f["audio"]) for f in s["files"]])
        for sid, s in sorted(manifest["speakers"].items())
    }


def split(root: Path) -> dict[str, dict[str, list[str]]]:
    """part ("tuning" / "validation") -> sex -> speaker ids: the corpus's own parts,
    train for tuning and test for validation (as `voicecoach.lab.validation` splits them)."""
    out: dict[str, dict[str, list[str]]] = {"tuning": {}, "validation": {}}
    for part, corpus_part in (("tuning", "train"), ("validation", "test")):
        for sex in ("F", "M"):
            out[part][sex] = [
                sid for sid, (s, p, _) in _voices(root).items() if s == sex and p == corpus_part
            ]
    return out


def pairs(part: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(kind, a, b): each voice in two same-sex pairs and two mixed pairs."""
    f, m = part["F"], part["M"]
    out = []
    for kind, ids in (("FF", f), ("MM", m)):
        for i in range(len(ids)):
            out.append((kind, ids[i], ids[(i + 1) % len(ids)]))
    for i in range(min(len(f), len(m))):
        out.append(("FM", f[i], m[i]))
        out.append(("FM", f[i], m[(i + 1) % len(m)]))
    return out


def compose_pair(root: Path, a: str, b: str, rng: np.random.Generator) -> _Dialogue:
    """A and B alternate their six sentences (about half the changes cut in)."""
    va, vb = _voices(root)[a][2], _voices(root)[b][2]
    seq = [(who, x) for xa, xb in zip(va, vb, strict=False) for who, x in ((0, xa), (1, xb))]
    return _lay_out(seq, (a, b), rng)


def compose_trio(root: Path, ids: tuple[str, str, str], rng: np.random.Generator) -> _Dialogue:
    """Three voices taking turns (for tuning how readily a third voice is split off)."""
    vs = [_voices(root)[i][2] for i in ids]
    seq = [(who, vs[who][k]) for k in range(6) for who in range(3)]
    return _lay_out(seq, ids, rng)


def compose_single(root: Path, a: str, rng: np.random.Generator) -> _Dialogue:
    """One voice's six sentences with pauses: one speaker, no interruption."""
    return _lay_out([(0, x) for x in _voices(root)[a][2]], (a, "nobody"), rng)


def best_mapping(labels: np.ndarray, truth: np.ndarray, names: list[str]) -> dict[str, str]:
    """speakerN -> true name maximising the agreement on ``labels`` vs ``truth`` (both per
    block); labels left over map to themselves (counted wrong)."""
    found = sorted({str(x) for x in labels if str(x).startswith("speaker")})
    best: dict[str, str] = {}
    best_score = -1
    for perm in itertools.permutations(names + [""] * len(found), len(found)):
        score = sum(
            int(((labels == f) & (truth == n)).sum()) for f, n in zip(found, perm, strict=True) if n
        )
        if score > best_score:
            best_score = score
            best = {f: (n or f) for f, n in zip(found, perm, strict=True)}
    return best


def renamed(res: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """``res`` with its speaker labels mapped (segments and events)."""
    segs = [{**s, "speaker": mapping.get(s["speaker"], s["speaker"])} for s in res["segments"]]
    evs = []
    for e in res["events"]:
        e = dict(e)
        for k in ("speaker", "interrupted"):
            if k in e:
                e[k] = mapping.get(e[k], e[k])
        evs.append(e)
    return {**res, "segments": segs, "events": evs}


def _labels(n: int, res: dict[str, Any]) -> np.ndarray:
    label = np.full(n, "", dtype=object)
    for s in res["segments"]:
        label[int(s["start"] * 100) : int(s["end"] * 100)] = s["speaker"]
    return label


def score_unenrolled(d: _Dialogue, res: dict[str, Any], n_true: int) -> dict[str, int]:
    """Counts for one unenrolled analysis of a composed dialogue."""
    label = _labels(len(d.owner), res)
    single = (d.owner == 1) | (d.owner == 2)
    truth = np.where(d.owner == 1, d.names[0], d.names[1])
    mapping = best_mapping(label[single], truth[single], list(d.names[:n_true]))
    said = np.array([mapping.get(x, x) for x in label[single]], dtype=object)
    found = {s["speaker"] for s in res["segments"] if s["speaker"].startswith("speaker")}
    return {
        **_match_onsets(d.onsets, renamed(res, mapping)),
        "single_blocks": int(single.sum()),
        "correct": int((said == truth[single]).sum()),
        "unknown": int((said == "unknown").sum()),
        "dialogues": 1,
        "count_right": int(len(found) == n_true),
        "over": int(len(found) > n_true),
    }


def _match_onsets(onsets: list[tuple[float, str]], res: dict[str, Any]) -> dict[str, int]:
    """Interruptions found (within `HIT_EARLY`..`HIT_LATE` of a true onset, each onset
    matched once) and detected."""
    inter = [e for e in res["events"] if e["type"] == "interruption"]
    matched: set[int] = set()
    tp = 0
    for e in inter:
        ok = [
            i
            for i, (t, _) in enumerate(onsets)
            if HIT_EARLY <= e["time"] - t <= HIT_LATE and i not in matched
        ]
        if ok:
            matched.add(ok[0])
            tp += 1
    return {"true": len(onsets), "found": len(matched), "detected": len(inter), "tp": tp}


def _pct(k: int, n: int) -> float | None:
    return round(100.0 * k / n, 1) if n else None


def _summary(c: dict[str, int]) -> dict[str, Any]:
    return {
        "attribution_pct": _pct(c.get("correct", 0), c.get("single_blocks", 0)),
        "unknown_pct": _pct(c.get("unknown", 0), c.get("single_blocks", 0)),
        "interruption_recall_pct": _pct(c.get("found", 0), c.get("true", 0)),
        "interruption_precision_pct": _pct(c.get("tp", 0), c.get("detected", 0)),
        "interruptions": c.get("true", 0),
        "voice_count_right_pct": _pct(c.get("count_right", 0), c.get("dialogues", 0)),
        "dialogues": c.get("dialogues", 0),
        "false_interruptions_per_min": round((c.get("detected", 0) - c.get("tp", 0)) / minutes, 2)
        if (minutes := c.get("dialogue_ms", 0) / 60000)
        else None,
    }


def _add(into: dict[str, int], c: dict[str, int]) -> None:
    for k, v in c.items():
        into[k] = into.get(k, 0) + v


def _spread(values: list[float | None]) -> dict[str, float] | None:
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {
        "min": round(float(np.min(v)), 1),
        "p10": round(float(np.percentile(v, 10)), 1),
        "median": round(float(np.median(v)), 1),
    }


def _unenrolled_corpus(
    voices: tuple[validation.Voice, ...], timer: _Timer, seed: int
) -> dict[str, Any]:
    """Every pair of ``voices`` in both layouts of `voicecoach.lab.validation` (the same
    dialogues, drawn with the same seed, as the enrolled validation), and each voice
    alone, all analysed without enrolment."""
    rng = np.random.default_rng(seed)
    counts: dict[str, dict[str, dict[str, int]]] = {"overlapped": {}, "handovers": {}}
    per_pair: list[dict[str, Any]] = []
    for kind, a, b in validation.pairs(voices):
        names = (a.name, b.name)
        row: dict[str, Any] = {"pair": kind, "names": names}
        for layout, change in (
            ("overlapped", ev.cut_in_or_gap),
            ("handovers", validation.quick_handover),
        ):
            seq = validation._sequence(a, b)
            d = ev._lay_out(seq, names, rng, change=change, bounds=ev._spoken)
            sc = score_unenrolled(d, timer.run(d.audio), 2)
            sc["dialogue_ms"] = int(round(1000 * len(d.audio) / SAMPLE_RATE))
            _add(counts[layout].setdefault(kind, {}), sc)
            row[layout] = sc
        per_pair.append(row)
    singles: dict[str, int] = {}
    alone_rng = np.random.default_rng(seed + 1)
    for v in voices:
        d = ev._lay_out([(0, t) for t in v.turns], (v.name, "nobody"), alone_rng, bounds=ev._spoken)
        _add(singles, score_unenrolled(d, timer.run(d.audio), 1))
    out: dict[str, Any] = {"voices": len(voices)}
    for layout, by_kind in counts.items():
        total: dict[str, int] = {}
        for c in by_kind.values():
            _add(total, c)
        out[layout] = {"all": _summary(total), **{k: _summary(v) for k, v in by_kind.items()}}
    out["single_voice"] = _summary(singles)
    out["pair_spread"] = {
        "attribution_pct": _spread(
            [_pct(p["overlapped"]["correct"], p["overlapped"]["single_blocks"]) for p in per_pair]
        ),
        "interruption_recall_pct": _spread(
            [_pct(p["overlapped"]["found"], p["overlapped"]["true"]) for p in per_pair]
        ),
    }
    out["pairs"] = per_pair
    return out


def eval_unenrolled(data_dir: Path, timer: _Timer, part: str = "validation") -> dict[str, Any]:
    """The composed dialogues of ``part``'s voices (LibriSpeech readers, speechocean762
    voices, as `voicecoach.lab.validation` splits and composes them), without enrolment."""
    out: dict[str, Any] = {"part": part}
    for corpus, sub, load in (
        ("librispeech", "librispeech", validation.libri_voices),
        ("speechocean", "speakers", validation.ocean_voices),
    ):
        root = data_dir / sub
        if not root.is_dir() or (sub == "speakers" and not (root / "manifest.json").is_file()):
            continue
        out[corpus] = _unenrolled_corpus(load(root, part), timer, validation.SEED + len(corpus))
    return out


SPLIT_GRID = tuple(
    {"test_windows": w, "split_min": a, "split_more": b}
    for w in (4, 5, 6, 8)
    for a in (-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1)
    for b in (0.25, 0.5, 0.75)
)


def tune(root: Path, grid: tuple[dict[str, Any], ...] = SPLIT_GRID) -> list[dict[str, Any]]:
    """Window-level sweep of `DiarizeConfig` settings (``grid``) on the tuning
    speakers only: per setting, the share of recordings (single voices, pairs, trios)
    given the right number of voices and the share of single-voice windows in their
    voice's cluster (after the best mapping). Windows and features are computed once."""
    ids = split(root)["tuning"]
    rng = np.random.default_rng(SEED)
    emb = Embedder()
    cases = [(2, compose_pair(root, a, b, rng)) for _, a, b in pairs(ids)]
    cases += [(1, compose_single(root, sid, rng)) for sid in ids["F"] + ids["M"]]
    f, m = ids["F"], ids["M"]
    for i in range(len(f)):
        a, b = m[i % len(m)], m[(i + 1) % len(m)]
        trio = (f[i], f[(i + 1) % len(f)], a) if i % 2 else (f[i], a, b)
        cases.append((3, compose_trio(root, trio, rng)))
    cfg0 = DiarizeConfig()
    prepared = []
    for n, d in cases:
        w = embed_windows(functools.partial(iter, [d.audio]), cfg0, emb)
        truth = np.array([_window_owner(d.owner, int(s)) for s in w.starts])
        prepared.append((n, w, WindowFeatures(w), truth))
    rows = []
    for setting in grid:
        cfg = dataclasses.replace(cfg0, **setting)
        right: dict[int, int] = {}
        ok_w = tot_w = 0
        for n, w, feats, truth in prepared:
            found = voices(w, feats, cfg)
            right[n] = right.get(n, 0) + (len(found) == n)
            lab = np.full(len(w.starts), -1)
            for k, idx in enumerate(found):
                lab[idx] = k
            labels = list(range(1, n + 1)) + [0] * len(found)
            ok_w += max(
                (
                    sum(int(((lab == k) & (truth == t)).sum()) for k, t in enumerate(perm) if t)
                    for perm in itertools.permutations(labels, len(found))
                ),
                default=0,
            )
            tot_w += int((truth > 0).sum())
        n_of = {n: sum(1 for p in prepared if p[0] == n) for n in right}
        rows.append(
            {
                **setting,
                "count_right_pct": _pct(sum(right.values()), len(prepared)),
                **{f"count_right_{n}_pct": _pct(right[n], n_of[n]) for n in sorted(right)},
                "windows_right_pct": _pct(ok_w, tot_w),
            }
        )
    return rows


def _window_owner(owner: np.ndarray, start_frame: int) -> int:
    """The voice (1, 2, 3, ...) holding at least half of a window while no other voice
    speaks in it; 0 if none does."""
    a = start_frame * 3  # 30 ms frames, 10 ms blocks
    blk = owner[a : a + 84]
    for who in range(1, 4):
        bit = 1 << (who - 1)
        if len(blk) and (blk & bit).mean() >= 0.5 and not (blk & ~bit).any():
            return who
    return 0


# ---------------------------------------------------------------- real phone dialogues


@dataclass
class _Conversation:
    name: str
    mix: np.ndarray  # both channels on one track, 16 kHz
    owner: np.ndarray  # per 10 ms: bit 1 = A speaks, bit 2 = B (words, gaps < 0.3 s bridged)
    cutins: list[tuple[float, str]]  # true interruption onsets and who cut in
    backchannels: list[float]  # onsets of short runs amid the other's speech


def _runs(words: list[dict[str, Any]], who: str, gap_s: float) -> list[tuple[float, float]]:
    """A speaker's runs of words: words closer than ``gap_s`` joined."""
    out: list[list[float]] = []
    for w in sorted((w for w in words if w["speaker"] == who), key=lambda w: w["start"]):
        if out and w["start"] - out[-1][1] < gap_s:
            out[-1][1] = max(out[-1][1], w["end"])
        else:
            out.append([w["start"], w["end"]])
    return [(a, b) for a, b in out]


def load_conversation(path: Path) -> _Conversation:
    """A SpokenWOZ dialogue: the channels mixed, the truth from the word timings."""
    from faster_whisper import decode_audio

    left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
    mix = np.clip(0.5 * (left + right), -1, 1).astype(np.float32)
    words = json.loads(path.with_name(path.name.replace(".flac", ".words.json")).read_text())
    n = len(mix) // 160
    owner = np.zeros(n, dtype=int)
    runs = {who: _runs(words, who, RUN_GAP_S) for who in ("A", "B")}
    for bit, who in ((1, "A"), (2, "B")):
        for a, b in _runs(words, who, 0.3):
            owner[int(a * 100) : int(np.ceil(b * 100))] |= bit
    cutins, backchannels = [], []
    for who, other in (("A", "B"), ("B", "A")):
        for a, b in runs[who]:
            if any(s <= a - 0.2 and e >= a + 0.2 for s, e in runs[other]):
                if b - a < BACKCHANNEL_S:
                    backchannels.append(a)
                else:
                    cutins.append((a, who))
    return _Conversation(path.stem, mix, owner, sorted(cutins), sorted(backchannels))


def _score_conversation(
    c: _Conversation,
    res: dict[str, Any],
    offset_s: float = 0.0,
    names: tuple[str, str] = ("A", "B"),
) -> dict[str, int]:
    """Attribution of single-speaker 10 ms blocks (from ``offset_s`` on, where ``res``
    begins) and interruptions against the cut-ins, back-channel hits counted apart."""
    i0 = int(round(offset_s * 100))
    owner = c.owner[i0:]
    label = _labels(len(owner), res)
    single = (owner == 1) | (owner == 2)
    truth = np.where(owner == 1, names[0], names[1])
    cut = [(t - offset_s, w) for t, w in c.cutins if t >= offset_s + 1.0]
    back = [t - offset_s for t in c.backchannels if t >= offset_s + 1.0]
    inter = [e for e in res["events"] if e["type"] == "interruption"]
    m = _match_onsets(cut, res)
    at_back = sum(
        1
        for e in inter
        if not any(HIT_EARLY <= e["time"] - t <= HIT_LATE for t, _ in cut)
        and any(HIT_EARLY <= e["time"] - t <= HIT_LATE for t in back)
    )
    return {
        **m,
        "detected": m["detected"] - at_back,
        "at_backchannel": at_back,
        "single_blocks": int(single.sum()),
        "correct": int((label[single] == truth[single]).sum()),
        "unknown": int((label[single] == "unknown").sum()),
        "dialogues": 1,
    }


def _enrolment(c: _Conversation) -> tuple[dict[str, np.ndarray], float]:
    """Each speaker's first `ENROL_S` of solo speech (runs of at least 0.5 s where only
    they speak) within the first `ENROL_PART` of the recording, cut from the mixed
    track; and where the later of the two ends (s)."""
    enrol, end = {}, 0.0
    part = c.owner[: int(len(c.owner) * ENROL_PART)]
    for bit, who in ((1, "A"), (2, "B")):
        solo = np.concatenate([[False], part == bit, [False]])
        edges = np.flatnonzero(np.diff(solo.astype(int)))
        pieces, got = [], 0.0
        for a, b in zip(edges[0::2], edges[1::2], strict=True):
            if b - a < 50:
                continue
            take = min(b - a, int((ENROL_S - got) * 100))
            pieces.append(c.mix[a * 160 : (a + take) * 160])
            got += take / 100
            end = max(end, (a + take) / 100)
            if got >= ENROL_S:
                break
        enrol[who] = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return enrol, end


def eval_conversations(root: Path, timer: _Timer) -> dict[str, Any]:
    """The phone dialogues: (a) enrolled on their own earlier solo speech, scored on the
    rest; (b, c) unenrolled over the whole recording, after the best label mapping."""
    enrolled: dict[str, int] = {}
    unenrolled: dict[str, int] = {}
    held_out: dict[str, dict[str, int]] = {"enrolled": {}, "unenrolled": {}}
    per: list[dict[str, Any]] = []
    for path in sorted(root.glob("*.flac")):
        c = load_conversation(path)
        enrol, cut = _enrolment(c)
        start = int(cut * SAMPLE_RATE)
        res = timer.run(c.mix[start:], enroll=enrol)
        a = _score_conversation(c, res, cut)
        res_u = timer.run(c.mix)
        label = _labels(len(c.owner), res_u)
        single = (c.owner == 1) | (c.owner == 2)
        truth = np.where(c.owner == 1, "A", "B")
        mapping = best_mapping(label[single], truth[single], ["A", "B"])
        u = _score_conversation(c, renamed(res_u, mapping))
        found = {s["speaker"] for s in res_u["segments"] if s["speaker"].startswith("speaker")}
        u["count_right"] = int(len(found) == 2)
        _add(enrolled, a)
        _add(unenrolled, u)
        if c.name not in TUNING_DIALOGUES:
            _add(held_out["enrolled"], a)
            _add(held_out["unenrolled"], u)
        per.append(
            {
                "name": c.name,
                "enrolled_from_s": round(cut, 1),
                "enrolled_attribution_pct": _pct(a["correct"], a["single_blocks"]),
                "unenrolled_attribution_pct": _pct(u["correct"], u["single_blocks"]),
                "voices_found": len(found),
                "cutins": len(c.cutins),
                "backchannels": len(c.backchannels),
            }
        )
    return {
        "enrolled": {
            **_summary(enrolled),
            "at_backchannel": enrolled.get("at_backchannel", 0),
        },
        "unenrolled": {
            **_summary(unenrolled),
            "at_backchannel": unenrolled.get("at_backchannel", 0),
        },
        "validation": {k: _summary(v) for k, v in held_out.items()},
        "spread": {
            "enrolled_attribution_pct": _spread([p["enrolled_attribution_pct"] for p in per]),
            "unenrolled_attribution_pct": _spread([p["unenrolled_attribution_pct"] for p in per]),
        },
        "conversations": per,
    }


# ---------------------------------------------------------------- entry points


def evaluate_realrec(data_dir: Path, timer: _Timer) -> dict[str, Any]:
    """Both parts, where ``data_dir`` has their data (``speakers/``, ``conversations/``)."""
    out: dict[str, Any] = {}
    if (data_dir / "speakers").is_dir() or (data_dir / "librispeech").is_dir():
        timer.stage = "dialogues without enrolment"
        out["unenrolled"] = eval_unenrolled(data_dir, timer)
    if (data_dir / "conversations").is_dir():
        timer.stage = "real phone dialogues"
        out["conversations"] = eval_conversations(data_dir / "conversations", timer)
    return out


def _fmt(v: Any, unit: str = " %") -> str:
    return "n/a" if v is None else f"{v}{unit}"


def _line(s: dict[str, Any]) -> str:
    return (
        f"attribution {_fmt(s['attribution_pct'])} (unknown {_fmt(s['unknown_pct'])}), "
        f"interruptions recall {_fmt(s['interruption_recall_pct'])} precision "
        f"{_fmt(s['interruption_precision_pct'])} (n={s['interruptions']})"
    )


def format_realrec(d: dict[str, Any]) -> list[str]:
    """The report lines of `evaluate_realrec`."""
    lines = []
    u = d.get("unenrolled") or {}
    for corpus in ("librispeech", "speechocean"):
        cu = u.get(corpus)
        if not cu:
            continue
        lines.append(
            f"Without enrolment, {corpus} {u['part']} voices (n={cu['voices']}; the enrolled "
            "validation's dialogues; targets: interruptions >= 75 / 75 %)"
        )
        for k in ("all", "FF", "MM", "FM"):
            s = cu["overlapped"].get(k)
            h = cu["handovers"].get(k)
            if s:
                lines.append(
                    f"  {k:3s} {_line(s)}, two voices found in "
                    f"{_fmt(s['voice_count_right_pct'])} of {s['dialogues']}; quick handovers: "
                    f"{_fmt(h and h['false_interruptions_per_min'], '')} false interruptions/min"
                )
        sv = cu["single_voice"]
        sp = cu["pair_spread"]
        lines.append(
            f"  one voice alone: counted as one in {_fmt(sv['voice_count_right_pct'])} of "
            f"{sv['dialogues']}, attribution {_fmt(sv['attribution_pct'])}"
        )
        lines.append(
            "  spread over pairs (min / p10 / median): attribution "
            + " / ".join(_fmt(v, "") for v in (sp["attribution_pct"] or {}).values())
            + " %, interruption recall "
            + " / ".join(_fmt(v, "") for v in (sp["interruption_recall_pct"] or {}).values())
            + " %"
        )
    c = d.get("conversations")
    if c:
        n = c["enrolled"]["dialogues"]
        lines.append(f"Real phone dialogues (SpokenWOZ, n={n}, both channels on one track)")
        lines.append(f"  enrolled on an earlier stretch: {_line(c['enrolled'])} (target >= 90 %)")
        lines.append(
            f"  without enrolment: {_line(c['unenrolled'])}, two voices found in "
            f"{_fmt(c['unenrolled']['voice_count_right_pct'])}"
        )
        va = c["validation"]
        lines.append(
            f"  the {va['enrolled']['dialogues']} dialogues no turn-taking setting was chosen on:"
            f" enrolled attribution {_fmt(va['enrolled']['attribution_pct'])}, unenrolled"
            f" {_fmt(va['unenrolled']['attribution_pct'])}; interruptions enrolled"
            f" {_fmt(va['enrolled']['interruption_recall_pct'])} /"
            f" {_fmt(va['enrolled']['interruption_precision_pct'])}, unenrolled"
            f" {_fmt(va['unenrolled']['interruption_recall_pct'])} /"
            f" {_fmt(va['unenrolled']['interruption_precision_pct'])}"
        )
        sp = c["spread"]
        lines.append(
            "  per dialogue (min / p10 / median): enrolled "
            + " / ".join(_fmt(v, "") for v in (sp["enrolled_attribution_pct"] or {}).values())
            + " %, unenrolled "
            + " / ".join(_fmt(v, "") for v in (sp["unenrolled_attribution_pct"] or {}).values())
            + " %"
        )
    return lines


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.WARNING)
    root = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/dev-audio")
    if sys.argv[1:2] == ["tune"]:
        for row in tune(root / "speakers"):
            print(json.dumps(row))
    else:
        timer = _Timer()
        print("\n".join(format_realrec(evaluate_realrec(root, timer))))
