"""`voicecoach eval --data DIR`: measure the listening pipeline on a development corpus.

DIR is laid out like ``shared/dev-audio``: ``ravdess/manifest.json`` (acted emotional
clips and calm->angry conversations with a calm calibration per actor) and
``librispeech/*.flac`` + ``SPEAKERS.TXT`` (read speech, one file per reader).

Every number comes from `analyze`, i.e. the live Listener run over the audio:
- raised voice on the conversations (flagged %, onset error), on calm-only ones (no
  alarm %), again on level-normalised copies (each file scaled to the same active level,
  as an AGC microphone would), and on single clips per label;
- two-speaker dialogues composed from LibriSpeech readers (alternating turns, and turns
  that start 0.5-1.0 s before the other ends): interruption recall/precision and
  attribution between the two enrolled partners, for same-sex and mixed-sex pairs
  (scored on what is speech by energy AND by an independent neural VAD, `_spoken`; the
  energy-only figure of earlier reports is printed beside it);
- the same dialogues in a simulated living room (`acoustics`: reverberation, the partners a
  metre or two from the microphone, background noise), enrolled in that room: a proxy
  for real rooms, which the corpus does not have;
- strangers: a third reader (neither partner) speaking two turns amid each pair's
  dialogue: % of their speech time named as a partner (issue #3: a voice nobody enrolled
  is `unknown`, never forced), with the couple's own attribution in those dialogues;
- speed, as seconds of audio analysed per second of CPU wall time.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import UserError
from voicecoach.lab import raisedfit
from voicecoach.lab.acoustics import Room, impulse_response, pink_noise, reverberate
from voicecoach.lab.testaudio import active_level_db, set_level
from voicecoach.perception.analyze import analyze, load_audio
from voicecoach.perception.listener import ListenerConfig
from voicecoach.perception.raised import RaisedConfig
from voicecoach.perception.stages.enrol import EnrolmentCache
from voicecoach.perception.stages.heat import HeatSettings
from voicecoach.progress import Progress
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

NORM_LEVEL_DB = -26.0  # the common active level of the level-normalised copies
HIT_EARLY, HIT_LATE = -0.3, 1.0  # interruption hit window around the true onset (s)


class _Timer:
    def __init__(self, progress: Progress | None = None) -> None:
        self.audio_s = 0.0
        self.wall_s = 0.0
        self.stage = ""  # what is being measured now, for the progress line
        self.progress = progress
        # One calibration per actor serves dozens of files: learnt once.
        self.enrolments = EnrolmentCache()

    def run(self, audio: np.ndarray, **kw: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        res = analyze(audio, enrolments=self.enrolments, **kw)
        self.wall_s += time.perf_counter() - t0
        self.audio_s += len(audio) / SAMPLE_RATE
        if self.progress is not None:
            self.progress.update(self.audio_s, self.stage)
        return res


def _pct(k: int, n: int) -> float | None:
    return round(100.0 * k / n, 1) if n else None


def _raised(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in res["events"] if e["type"] == "raised_voice"]


# ---------------------------------------------------------------- RAVDESS


def _eval_ravdess(
    root: Path,
    timer: _Timer,
    normalise: bool,
    room: Room | None = None,
    configs: dict[str, RaisedConfig] | None = None,
) -> dict[str, Any]:
    """Raised voice on the actors' conversations and clips; with ``room``, each actor
    speaks (and calibrates) from the room's farthest place, its noise `Room.snr_db` below
    the actor's calm calibration. ``configs``: per actor, the raised-voice setting to
    judge them with (leave one actor out: chosen on the others, `raisedfit.folds`)."""

    def run(audio: np.ndarray, speaker: str) -> dict[str, Any]:
        kw: dict[str, Any] = {"enroll": {speaker: cal[speaker]}}
        if configs is not None:
            kw["config"] = ListenerConfig(heat=HeatSettings(raised=configs[speaker]))
        return timer.run(audio, **kw)

    manifest = json.loads((root / "manifest.json").read_text())
    cache: dict[str, np.ndarray] = {}
    irs: dict[str, np.ndarray] = {}
    noise_db: dict[str, float] = {}

    def raw(rel: str) -> np.ndarray:
        if rel not in cache:
            cache[rel] = load_audio(root.parent / rel)
        return cache[rel]

    def load(rel: str, speaker: str) -> np.ndarray:
        a = raw(rel)
        if room is not None:
            # Seeded by name: the same actor stands in the same place and the same file
            # hears the same noise every time.
            if speaker not in irs:
                irs[speaker] = impulse_response(
                    room, room.distances_m[-1], np.random.default_rng(zlib.crc32(speaker.encode()))
                )
                calm = raw(manifest["speakers"][speaker]["calibration"]["audio"])
                noise_db[speaker] = active_level_db(calm) - room.snr_db
            a = _noisy(
                reverberate(a, irs[speaker]),
                noise_db[speaker],
                np.random.default_rng(zlib.crc32(rel.encode())),
            )
        return set_level(a, NORM_LEVEL_DB) if normalise else a

    cal = {sid: load(s["calibration"]["audio"], sid) for sid, s in manifest["speakers"].items()}
    heated_hits, heated_n, onset_err, latency = 0, 0, [], []
    calm_ok, calm_n, mild_hits, mild_n, false_in_heated = 0, 0, 0, 0, 0
    per_conv = []
    actors: dict[str, dict[str, int]] = {}  # per actor: the counts of `_actor_summary`
    for conv in manifest["conversations"]:
        mine = actors.setdefault(conv["speaker"], {})
        res = run(load(conv["audio"], conv["speaker"]), conv["speaker"])
        alarms = _raised(res)
        spans = conv["heated_spans"]
        onset = conv["heated_onsets"][0] if conv["heated_onsets"] else None
        in_span = [a for a in alarms if any(s - 0.5 <= a["end"] <= e + 1.0 for s, e in spans)]
        false = [a for a in alarms if a not in in_span]
        per_conv.append(
            {"id": conv["id"], "alarms": [(a["start"], a["end"]) for a in alarms], "onset": onset}
        )
        if conv["variant"] == "calm_only":
            calm_n += 1
            calm_ok += not alarms
            _add(mine, {"calm_only_n": 1, "calm_only_ok": int(not alarms)})
        elif conv["variant"] == "calm_then_normal":
            mild_n += 1
            mild_hits += bool(in_span)
        else:
            heated_n += 1
            false_in_heated += bool(false)
            _add(mine, {"heated_n": 1, "heated_hits": int(bool(in_span and onset is not None))})
            if in_span and onset is not None:
                heated_hits += 1
                onset_err.append(in_span[0]["start"] - onset)
                latency.append(in_span[0]["end"] - onset)
    clip_flags: dict[str, list[int]] = {}
    for clip in manifest["clips"]:
        res = run(load(clip["audio"], clip["speaker"]), clip["speaker"])
        flag = int(bool(_raised(res)))
        clip_flags.setdefault(clip["label"], []).append(flag)
        _add(actors.setdefault(clip["speaker"], {}), {f"{clip['label']}_n": 1, clip["label"]: flag})
    per_actor = {a: _actor_summary(c) for a, c in sorted(actors.items())}
    return {
        "heated_flagged_pct": _pct(heated_hits, heated_n),
        "heated_n": heated_n,
        "heated_false_alarm_before_onset": false_in_heated,
        "median_onset_error_s": round(float(np.median(np.abs(onset_err))), 2)
        if onset_err
        else None,
        "median_decision_latency_s": round(float(np.median(latency)), 2) if latency else None,
        "calm_only_no_alarm_pct": _pct(calm_ok, calm_n),
        "calm_only_n": calm_n,
        "mild_conversations_flagged_pct": _pct(mild_hits, mild_n),
        "clips_flagged_pct": {k: _pct(sum(v), len(v)) for k, v in sorted(clip_flags.items())},
        "clips_n": {k: len(v) for k, v in sorted(clip_flags.items())},
        "conversations": per_conv,
        "per_actor": per_actor,
        "worst_actor": _worst_actor(per_actor),
    }


ACTOR_MEASURES = (  # (key, higher is better) of `_actor_summary`
    ("heated_flagged_pct", True),
    ("calm_only_no_alarm_pct", True),
    ("strong_clips_flagged_pct", True),
    ("other_clips_flagged_pct", False),
    ("calm_clips_flagged_pct", False),
)


def _actor_summary(c: dict[str, int]) -> dict[str, float | None]:
    """One actor's share of heated conversations flagged, calm-only ones without an alarm
    and clips flagged per label (strong anger, the other emotions, calm)."""
    return {
        "heated_flagged_pct": _pct(c.get("heated_hits", 0), c.get("heated_n", 0)),
        "calm_only_no_alarm_pct": _pct(c.get("calm_only_ok", 0), c.get("calm_only_n", 0)),
        "strong_clips_flagged_pct": _pct(c.get("heated_strong", 0), c.get("heated_strong_n", 0)),
        "mild_clips_flagged_pct": _pct(c.get("heated_normal", 0), c.get("heated_normal_n", 0)),
        "other_clips_flagged_pct": _pct(c.get("other", 0), c.get("other_n", 0)),
        "calm_clips_flagged_pct": _pct(c.get("calm", 0), c.get("calm_n", 0)),
    }


def _worst_actor(per_actor: dict[str, dict[str, float | None]]) -> dict[str, list[Any]]:
    """Per measure, the actor who does worst on it and their figure."""
    out: dict[str, list[Any]] = {}
    for key, higher in ACTOR_MEASURES:
        vals: dict[str, float] = {
            a: v for a, s in per_actor.items() if (v := s.get(key)) is not None
        }
        if vals:
            a = (min if higher else max)(vals, key=vals.__getitem__)
            out[key] = [a, vals[a]]
    return out


# ---------------------------------------------------------------- LibriSpeech dialogues


def _readers(root: Path) -> dict[str, str]:
    """reader id -> sex, from SPEAKERS.TXT."""
    sexes: dict[str, str] = {}
    txt = root / "SPEAKERS.TXT"
    if txt.is_file():
        for line in txt.read_text(errors="replace").splitlines():
            if line.startswith(";") or "|" not in line:
                continue
            parts = [p.strip() for p in line.split("|")]
            sexes[parts[0]] = parts[1]
    return sexes


def _active(x: np.ndarray) -> np.ndarray:
    """Per-10 ms activity of one clean track (within 30 dB of its loud part)."""
    n = len(x) // 160
    e = 10 * np.log10(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1) + 1e-12)
    if n == 0:
        return np.zeros(0, bool)
    return _bridged(e > np.percentile(e, 95) - 30)


def _bridged(act: np.ndarray) -> np.ndarray:
    """Gaps shorter than 0.3 s bridged: words, not turns."""
    out = act.copy()
    last = -100
    for i in np.flatnonzero(act):
        if 0 < i - last <= 30:
            out[last:i] = True
        last = int(i)
    return out


def _spoken(x: np.ndarray) -> np.ndarray:
    """Per-10 ms truth of who speaks, for scoring attribution: `_active` blocks that a
    neural VAD (Silero, shipped inside faster-whisper, independent of the webrtcvad the
    pipeline uses) also hears as speech, with gaps < 0.3 s bridged as in `_active`.

    Energy alone counts a reader's recording noise as speech: three LibriSpeech readers
    have hum or hiss within 30 dB of their loud part (r150 ~9 dB below it), so their
    pauses and lead-ins "belong" to them, and no single-microphone system can attribute
    a hum that in a real room belongs to nobody."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    act = _active(x)
    heard = np.zeros(len(act), bool)
    opts = VadOptions(min_speech_duration_ms=100, min_silence_duration_ms=300, speech_pad_ms=0)
    for ts in get_speech_timestamps(np.asarray(x, np.float32), opts):
        heard[ts["start"] // 160 : -(-ts["end"] // 160)] = True
    return act & _bridged(heard)


def _cut_turns(x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Turns of 2.5-4 s of a reader's speech, cut at quiet 10 ms blocks."""
    n = len(x) // 160
    e = np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1)
    turns, pos = [], 0
    while pos < len(x) - 2.0 * SAMPLE_RATE:
        want = pos + int(rng.uniform(2.5, 4.0) * SAMPLE_RATE)
        lo, hi = (want - 8000) // 160, min(n - 1, (want + 8000) // 160)
        if lo >= hi:
            break
        cut = (lo + int(np.argmin(e[lo:hi]))) * 160
        turns.append(x[pos:cut])
        pos = cut
    return turns


@dataclass
class _Dialogue:
    audio: np.ndarray
    owner: np.ndarray  # per 10 ms: 0 nobody, 1 = A only, 2 = B only, 3 both (`_spoken`);
    # bit 4: a stranger (`_eval_strangers`)
    owner_energy: np.ndarray  # the same from energy alone (`_active`; earlier reports)
    onsets: list[tuple[float, str]]  # true interruption onsets (s) and who cut in
    names: tuple[str, ...]  # the partners A, B (and a stranger, bit 4, if any)


Hear = Callable[[int, np.ndarray], np.ndarray]
"""What the microphone hears of voice ``who`` saying ``x`` (a room; truth stays dry)."""


def _compose(
    a_turns: list[np.ndarray],
    b_turns: list[np.ndarray],
    names: tuple[str, str],
    rng: np.random.Generator,
    hear: Hear | None = None,
) -> _Dialogue:
    """Alternate A and B; about half the changes of turn overlap by 0.5-1.0 s (either
    partner cutting in), the others leave a 0.3-1.2 s gap. Once one reader has run out
    of turns the other goes on alone, always after a gap: nobody cuts in on themselves."""
    seq = []
    for i in range(max(len(a_turns), len(b_turns))):
        if i < len(a_turns):
            seq.append((0, a_turns[i]))
        if i < len(b_turns):
            seq.append((1, b_turns[i]))
    return _lay_out(seq, names, rng, hear)


Change = Callable[[np.random.Generator, bool], tuple[float, bool]]
"""How the next turn starts, given whether the same voice goes on: (seconds after the
previous turn's last active block, negative = over it; whether it is a true cut-in)."""


def cut_in_or_gap(rng: np.random.Generator, same: bool) -> tuple[float, bool]:
    """`_compose`'s changes: half cut in 0.5-1.0 s before the other ends (the other still
    holds the floor), the others leave a 0.3-1.2 s gap; a voice going on always pauses."""
    if rng.random() < 0.5 or same:  # (same draws either way)
        return rng.uniform(0.3, 1.2), False
    return -rng.uniform(0.5, 1.0), True


def _lay_out(
    seq: list[tuple[int, np.ndarray]],
    names: tuple[str, ...],
    rng: np.random.Generator,
    hear: Hear | None = None,
    change: Change = cut_in_or_gap,
    bounds: Callable[[np.ndarray], np.ndarray] | None = None,
) -> _Dialogue:
    """Turns (who, audio) in order on one track, as `_compose` describes (or as
    ``change`` times them); ``who`` indexes ``names`` and sets bit ``1 << who`` of the
    truth where that voice speaks. With ``hear``, the track holds what it makes of each
    turn; timing and truth stay those of the dry turns (the room's echo of a word is not
    a word). ``bounds``: per 10 ms block of a turn, where it counts as started and
    ended for the timing (`_active` by default: energy, so a breath or a hum before the
    words counts; `_spoken` times the words themselves)."""
    timing = bounds or _active
    parts: list[tuple[int, int, np.ndarray]] = []  # (start sample, who, audio)
    t = int(0.5 * SAMPLE_RATE)
    onsets: list[tuple[float, str]] = []
    prev_end_active = None
    prev_who = None
    for who, x in seq:
        # Loudness varies between partners and turns by a few dB.
        x = set_level(x, NORM_LEVEL_DB + rng.uniform(-3, 3))
        act = timing(x)
        first = int(np.argmax(act)) * 160 if act.any() else 0
        last = (len(act) - int(np.argmax(act[::-1]))) * 160 if act.any() else len(x)
        if prev_end_active is None:
            start = t
        else:
            after_s, cut = change(rng, who == prev_who)
            start = max(0, prev_end_active + int(after_s * SAMPLE_RATE) - first)
            if cut:
                onsets.append(((start + first) / SAMPLE_RATE, names[who]))
        parts.append((start, who, x))
        prev_end_active = start + last
        prev_who = who
    total = max(s + len(x) for s, _, x in parts) + SAMPLE_RATE
    audio = np.zeros(total)
    owner = np.zeros(total // 160, dtype=int)
    owner_energy = np.zeros(total // 160, dtype=int)
    for s, who, x in parts:
        wet = x if hear is None else hear(who, x)[: total - s]
        audio[s : s + len(wet)] += wet
        i0 = s // 160
        for who_map, act in ((owner, _spoken(x)), (owner_energy, _active(x))):
            seg = who_map[i0 : i0 + len(act)]
            seg[act[: len(seg)]] |= 1 << who
    return _Dialogue(np.clip(audio, -1, 1).astype(np.float32), owner, owner_energy, onsets, names)


def _labels(n: int, res: dict[str, Any]) -> np.ndarray:
    """Per 10 ms block, the speaker `analyze` named there ("" where no segment)."""
    label = np.full(n, "", dtype=object)
    for s in res["segments"]:
        label[int(s["start"] * 100) : int(s["end"] * 100)] = s["speaker"]
    return label


def _partner_alone(owner: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The blocks where exactly one partner speaks (bit 1 or 2 alone), and per block
    that partner's name."""
    return (owner == 1) | (owner == 2), np.where(owner == 1, names[0], names[1])


def _score_dialogue(d: _Dialogue, res: dict[str, Any]) -> dict[str, Any]:
    inter = [e for e in res["events"] if e["type"] == "interruption"]
    matched = set()
    tp = 0
    for e in inter:
        ok = [
            i
            for i, (t, who) in enumerate(d.onsets)
            if HIT_EARLY <= e["time"] - t <= HIT_LATE and i not in matched
        ]
        if ok:
            matched.add(ok[0])
            tp += 1
    # Attribution over single-speaker 10 ms blocks.
    label = _labels(len(d.owner), res)
    single, truth = _partner_alone(d.owner, d.names)
    said = label[single]
    single_e, truth_e = _partner_alone(d.owner_energy, d.names)
    return {
        "true": len(d.onsets),
        "found": len(matched),
        "detected": len(inter),
        "tp": tp,
        "single_blocks": int(single.sum()),
        "correct": int((said == truth[single]).sum()),
        "unknown": int((said == "unknown").sum()),
        "unlabelled": int((said == "").sum()),
        "single_blocks_energy": int(single_e.sum()),
        "correct_energy": int((label[single_e] == truth_e[single_e]).sum()),
    }


@functools.lru_cache(maxsize=1)
def _reader_audio(root: Path) -> tuple[dict[str, list[Path]], dict[Path, np.ndarray]]:
    """The readers usable in a dialogue, by sex, and their audio: loaded once for all
    dialogue sets."""
    sexes = _readers(root)
    by_sex: dict[str, list[Path]] = {"F": [], "M": []}
    audio: dict[Path, np.ndarray] = {}
    for f in sorted(root.glob("*.flac")):
        sex = sexes.get(f.name.split("-")[0])
        x = load_audio(f)
        # 4 s to enrol plus at least two turns of dialogue.
        if sex in by_sex and len(x) >= 10 * SAMPLE_RATE:
            by_sex[sex].append(f)
            audio[f] = x
    return by_sex, audio


DIALOGUE_SETS = ((0, 7), (1, 11), (2, 23), (3, 5))
"""(shift, seed) of each composed dialogue set: the first is the default report; the
others pair the readers differently (the pool rotated by ``shift``) with other random
turns, so a change can be checked on ~4x as many interruptions as it was tuned on."""


ROOM_SEED = 211  # added to a dialogue set's seed for its rooms' impulse responses and noise


def _eval_dialogues(
    root: Path,
    timer: _Timer,
    n_pairs: int = 15,
    shift: int = 0,
    seed: int = 7,
    room: Room | None = None,
) -> dict[str, Any]:
    """The set's dialogues, dry or in ``room``: the same turns either way (the room has
    its own random draws), so the two are compared pair by pair."""
    by_sex, audio = _reader_audio(root)
    rng = np.random.default_rng(seed)
    room_rng = np.random.default_rng(seed + ROOM_SEED)
    stats: dict[str, dict[str, int]] = {}
    details = []
    for kind, fa, fb in _pairs(by_sex, n_pairs, shift):
        xa, xb = audio[fa], audio[fb]
        # Enrol on the first 4 s of each reader; the dialogue uses the rest.
        ea, eb = xa[: 4 * SAMPLE_RATE], xb[: 4 * SAMPLE_RATE]
        names = (_name(fa), _name(fb))
        hear = None if room is None else _in_room(room, room_rng)
        d = _compose(
            _cut_turns(xa[4 * SAMPLE_RATE :], rng),
            _cut_turns(xb[4 * SAMPLE_RATE :], rng),
            names,
            rng,
            hear,
        )
        if room is not None and hear is not None:
            # Each partner enrols where they sit, at a speaking level like the turns'.
            noise_db = NORM_LEVEL_DB - room.snr_db
            ea, eb = (
                _noisy(hear(k, set_level(e, NORM_LEVEL_DB)), noise_db, room_rng)
                for k, e in enumerate((ea, eb))
            )
            d.audio = _noisy(d.audio, noise_db, room_rng)
        res = timer.run(d.audio, enroll={names[0]: ea, names[1]: eb})
        sc = _score_dialogue(d, res)
        details.append({"pair": kind, "names": names, **sc})
        _add(stats.setdefault(kind, {}), sc)
    return {**_summaries(stats), "counts": stats, "pairs": details}


def _in_room(room: Room, rng: np.random.Generator) -> Hear:
    """Each voice of a dialogue at its own place in ``room`` (`Room.distances_m`)."""
    irs = [impulse_response(room, dist, rng) for dist in room.distances_m]
    return lambda who, x: reverberate(x, irs[who])


def _noisy(x: np.ndarray, noise_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` with a room's background noise at ``noise_db`` dBFS."""
    noise = pink_noise(len(x), noise_db, rng)
    return np.clip(x + noise, -1, 1).astype(np.float32)


STRANGER_SEED = 101  # added to a dialogue set's seed for its stranger dialogues


def _eval_strangers(
    root: Path, timer: _Timer, n_pairs: int = 15, shift: int = 0, seed: int = 7
) -> dict[str, Any]:
    """A reader who is neither partner (TV, a visitor, a child) speaks two turns amid each
    enrolled pair's own dialogue (A B A S B A S B, laid out as `_compose` does): how much
    of the stranger's speech is named as a partner (should be none: UNKNOWN), and the
    couple's own attribution in the same dialogue. Strangers alternate female and male
    from pair to pair, so most share the sex of at least one partner (all for a mixed
    pair). Own random draws: the plain dialogues of the set are unchanged."""
    by_sex, audio = _reader_audio(root)
    rng = np.random.default_rng(seed + STRANGER_SEED)
    counts: dict[str, dict[str, int]] = {}
    details = []
    for i, (kind, fa, fb) in enumerate(_pairs(by_sex, n_pairs, shift)):
        pool = [f for f in by_sex["FM"[i % 2]] if f not in (fa, fb)]
        fs = pool[int(rng.integers(len(pool)))]
        xa, xb, xs = audio[fa], audio[fb], audio[fs]
        names = (_name(fa), _name(fb), _name(fs))
        a = _cut_turns(xa[4 * SAMPLE_RATE :], rng)
        b = _cut_turns(xb[4 * SAMPLE_RATE :], rng)
        st = _cut_turns(xs, rng)
        seq = [
            (0, a[0]),
            (1, b[0]),
            (0, a[1 % len(a)]),
            (2, st[0]),
            (1, b[1 % len(b)]),
            (0, a[2 % len(a)]),
            (2, st[-1]),
            (1, b[2 % len(b)]),
        ]
        d = _lay_out(seq, names, rng)
        res = timer.run(
            d.audio, enroll={names[0]: xa[: 4 * SAMPLE_RATE], names[1]: xb[: 4 * SAMPLE_RATE]}
        )
        sc = _score_stranger(d, res)
        details.append({"pair": kind, "names": names, **sc})
        _add(counts.setdefault(kind, {}), sc)
    return {**_stranger_summaries(counts), "counts": counts, "pairs": details}


def _score_stranger(d: _Dialogue, res: dict[str, Any]) -> dict[str, int]:
    """10 ms blocks where only the stranger (bit 4) speaks, and how they were labelled;
    the couple's single-speaker blocks and how many of those were named right."""
    label = _labels(len(d.owner), res)
    alone = d.owner == 4
    said = label[alone]
    single, truth = _partner_alone(d.owner, d.names)
    return {
        "stranger_blocks": int(alone.sum()),
        "stranger_named": int(np.isin(said, list(d.names[:2])).sum()),
        "stranger_unknown": int((said == "unknown").sum()),
        "couple_blocks": int(single.sum()),
        "couple_correct": int((label[single] == truth[single]).sum()),
    }


def _stranger_summaries(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Percentages per pair kind and over all, from summed counts."""

    def summary(a: dict[str, int]) -> dict[str, Any]:
        return {
            "stranger_named_pct": _pct(a.get("stranger_named", 0), a.get("stranger_blocks", 0)),
            "stranger_unknown_pct": _pct(a.get("stranger_unknown", 0), a.get("stranger_blocks", 0)),
            "couple_attribution_pct": _pct(a.get("couple_correct", 0), a.get("couple_blocks", 0)),
            "stranger_s": round(a.get("stranger_blocks", 0) / 100, 1),
        }

    return _per_kind(counts, summary)


def _per_kind(
    counts: dict[str, dict[str, int]], summary: Callable[[dict[str, int]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``summary`` of the counts summed over all pair kinds ("all") and of each kind."""
    total: dict[str, int] = {}
    for agg in counts.values():
        _add(total, agg)
    return {"all": summary(total), **{k: summary(v) for k, v in counts.items()}}


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    """Sum ``counts`` into ``into``, key by key."""
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def _name(f: Path) -> str:
    return f"r{f.name.split('-')[0]}"


def _pairs(by_sex: dict[str, list[Path]], n_pairs: int, shift: int) -> list[tuple[str, Path, Path]]:
    """The partner pairs of a dialogue set: a third same-sex female, a third male, a
    third mixed; ``shift`` rotates the pool to pair the readers differently."""
    pairs: list[tuple[str, Path, Path]] = []
    for kind, pool_a, pool_b in (("FF", "F", "F"), ("MM", "M", "M"), ("FM", "F", "M")):
        a_list = by_sex[pool_a][shift:] + by_sex[pool_a][:shift]
        b_list = list(by_sex[pool_b])
        for i in range(n_pairs // 3):
            if pool_a == pool_b:
                if 2 * i + 1 >= len(a_list):
                    break
                pairs.append((kind, a_list[2 * i], a_list[2 * i + 1]))
            else:
                if i >= min(len(a_list), len(b_list)):
                    break
                pairs.append((kind, a_list[-1 - i], b_list[-1 - i]))
    return pairs


def _summaries(stats: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Percentages per pair kind and over all of them, from summed counts."""

    def summary(a: dict[str, int]) -> dict[str, Any]:
        return {
            "interruption_recall_pct": _pct(a.get("found", 0), a.get("true", 0)),
            "interruption_precision_pct": _pct(a.get("tp", 0), a.get("detected", 0)),
            "attribution_pct": _pct(a.get("correct", 0), a.get("single_blocks", 0)),
            "attribution_energy_truth_pct": _pct(
                a.get("correct_energy", 0), a.get("single_blocks_energy", 0)
            ),
            "unknown_pct": _pct(a.get("unknown", 0), a.get("single_blocks", 0)),
            "interruptions": a.get("true", 0),
        }

    return _per_kind(stats, summary)


def _over_sets(
    run: Callable[..., dict[str, Any]], root: Path, timer: _Timer, n_sets: int
) -> dict[str, dict[str, int]]:
    """``run`` (`_eval_dialogues` or `_eval_strangers`) on the first ``n_sets`` of
    `DIALOGUE_SETS`, its counts summed per pair kind."""
    counts: dict[str, dict[str, int]] = {}
    for shift, seed in DIALOGUE_SETS[:n_sets]:
        for kind, agg in run(root, timer, shift=shift, seed=seed)["counts"].items():
            _add(counts.setdefault(kind, {}), agg)
    return counts


def _eval_dialogue_sets(root: Path, timer: _Timer, n_sets: int) -> dict[str, Any]:
    """The first ``n_sets`` of `DIALOGUE_SETS`, counts summed per pair kind."""
    return {**_summaries(_over_sets(_eval_dialogues, root, timer, n_sets)), "sets": n_sets}


def _eval_stranger_sets(root: Path, timer: _Timer, n_sets: int) -> dict[str, Any]:
    """The stranger dialogues of the first ``n_sets`` of `DIALOGUE_SETS`, summed."""
    return {**_stranger_summaries(_over_sets(_eval_strangers, root, timer, n_sets)), "sets": n_sets}


# ---------------------------------------------------------------- entry points

ROOM = Room()  # the simulated living room of the report (`acoustics.Room`'s defaults)


def evaluate(data_dir: Path, dialogue_sets: int = 1, part: str = "validation") -> dict[str, Any]:
    """Run every measurement available in ``data_dir``; see the module docstring.
    ``dialogue_sets`` > 1 adds the dialogues of that many `DIALOGUE_SETS` in aggregate
    and pairs each validation voice with that many others. ``part``: the speakers the
    composed two-partner dialogues of `validation` use ("tuning" while choosing a
    setting, "validation" to report it)."""
    from voicecoach.lab import validation

    data_dir = Path(data_dir)
    rav = data_dir / "ravdess"
    libri = data_dir / "librispeech"
    if not (rav / "manifest.json").is_file() and not libri.is_dir():
        raise UserError(
            f"{str(data_dir)!r} has neither ravdess/manifest.json nor librispeech/: "
            "give the dev-audio directory (e.g. --data ../shared/dev-audio)."
        )
    timer = _Timer(Progress("Evaluating", unit="s of audio analysed"))
    out: dict[str, Any] = {"data": str(data_dir)}
    if (rav / "manifest.json").is_file():
        timer.stage = "raised voices (RAVDESS)"
        out["raised"] = _eval_ravdess(rav, timer, normalise=False)
        out["raised_levelnorm"] = _eval_ravdess(rav, timer, normalise=True)
        timer.stage = "raised voices in a room"
        out["raised_room"] = {
            "room": ROOM.describe(),
            **_eval_ravdess(rav, timer, normalise=False, room=ROOM),
        }
        timer.stage = "raised voices, leave one actor out"
        folds = raisedfit.folds(rav)
        described = {a: raisedfit.describe(c) for a, c in folds.items()}
        for key, norm in (("raised_validation", False), ("raised_levelnorm_validation", True)):
            out[key] = {
                "folds": described,
                **_eval_ravdess(rav, timer, normalise=norm, configs=folds),
            }
    if libri.is_dir():
        timer.stage = "dialogues"
        out["dialogues"] = _eval_dialogues(libri, timer)
        timer.stage = "dialogues in a room"
        out["room"] = {"room": ROOM.describe(), **_eval_dialogues(libri, timer, room=ROOM)}
        timer.stage = "a third voice"
        out["strangers"] = _eval_strangers(libri, timer)
        if dialogue_sets > 1:
            timer.stage = f"{dialogue_sets} dialogue sets"
            out["dialogue_sets"] = _eval_dialogue_sets(libri, timer, dialogue_sets)
            out["stranger_sets"] = _eval_stranger_sets(libri, timer, dialogue_sets)
    if libri.is_dir() or (data_dir / "speakers" / "manifest.json").is_file():
        timer.stage = f"{part} dialogues"
        out["validation"] = validation.evaluate_part(data_dir, timer, part, dialogue_sets)
    from voicecoach.lab.eval_realrec import evaluate_realrec  # (it imports this module)

    out["realrec"] = evaluate_realrec(data_dir, timer)
    out["speed_x_realtime"] = round(timer.audio_s / max(timer.wall_s, 1e-9), 1)
    out["audio_s"] = round(timer.audio_s, 1)
    if timer.progress is not None:
        timer.progress.close()
    return out


def _fmt(v: Any, unit: str = "") -> str:
    return "n/a" if v is None else f"{v}{unit}"


def format_eval(d: dict[str, Any]) -> str:
    lines = [f"Evaluation on {d.get('data', '?')}"]
    for key, title in (
        ("raised", "Raised voice (as recorded)"),
        ("raised_levelnorm", "Raised voice (level-normalised copies)"),
        (
            "raised_room",
            f"Raised voice in a simulated living room ({d.get('raised_room', {}).get('room')})",
        ),
        (
            "raised_validation",
            "Raised voice, VALIDATION: each actor judged with the weights chosen on the other"
            " three (leave one actor out), as recorded",
        ),
        ("raised_levelnorm_validation", "... the same, level-normalised copies"),
    ):
        r = d.get(key)
        if not r:
            continue
        c = r["clips_flagged_pct"]
        lines += [
            title,
            f"  heated conversations flagged   {_fmt(r['heated_flagged_pct'], ' %')}"
            f"  (n={r['heated_n']}, target >= 95 %)",
            f"  median onset error             {_fmt(r['median_onset_error_s'], ' s')}"
            f"  (decision latency {_fmt(r['median_decision_latency_s'], ' s')}, target <= 1.0)",
            f"  calm-only with no alarm        {_fmt(r['calm_only_no_alarm_pct'], ' %')}"
            f"  (n={r['calm_only_n']}, target >= 98 %)",
            f"  mildly angry conversations     {_fmt(r['mild_conversations_flagged_pct'], ' %')}",
            f"  clips flagged: strong {_fmt(c.get('heated_strong'), ' %')}, "
            f"mild {_fmt(c.get('heated_normal'), ' %')} (target >= 60), "
            f"calm {_fmt(c.get('calm'), ' %')}, other {_fmt(c.get('other'), ' %')} "
            "(target <= 20)",
        ]
        w = r.get("worst_actor", {})
        if w:
            lines.append(
                "  worst actor: "
                + ", ".join(f"{k.replace('_pct', '')} {a} {v} %" for k, (a, v) in w.items())
            )
    for key, title in (
        ("dialogues", "Two-speaker dialogues (LibriSpeech, enrolled partners)"),
        (
            "room",
            f"... the same dialogues in a simulated living room ({d.get('room', {}).get('room')})",
        ),
        (
            "dialogue_sets",
            f"... over {d.get('dialogue_sets', {}).get('sets')} "
            "sets of pairings and turns (--dialogue-sets)",
        ),
    ):
        dl = d.get(key)
        if not dl:
            continue
        lines.append(title)
        for k in ("all", "FF", "MM", "FM"):
            if k not in dl:
                continue
            s = dl[k]
            lines.append(
                f"  {k:3s} interruptions recall {_fmt(s['interruption_recall_pct'], ' %')}"
                f" precision {_fmt(s['interruption_precision_pct'], ' %')}"
                f" (n={s['interruptions']}, target >= 85)  attribution"
                f" {_fmt(s['attribution_pct'], ' %')} (unknown {_fmt(s['unknown_pct'], ' %')},"
                f" energy-only truth {_fmt(s['attribution_energy_truth_pct'], ' %')},"
                " target >= 98)"
            )
    if d.get("validation"):
        from voicecoach.lab.validation import format_part

        lines += format_part(d["validation"])
    for key, where in (("strangers", ""), ("stranger_sets", " (all sets)")):
        st = d.get(key, {}).get("all")
        if st:
            lines.append(
                f"Strangers amid the couple{where}: named as a partner "
                f"{_fmt(st['stranger_named_pct'], ' %')} of {st['stranger_s']} s "
                f"(unknown {_fmt(st['stranger_unknown_pct'], ' %')}, target 0), couple "
                f"attribution {_fmt(st['couple_attribution_pct'], ' %')}"
            )
    from voicecoach.lab.eval_realrec import format_realrec

    lines += format_realrec(d.get("realrec", {}))
    lines.append(
        f"Speed: {d.get('speed_x_realtime')}x real time over {d.get('audio_s')} s "
        "(target >= 20x on 2 cores)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.WARNING)
    result = evaluate(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/dev-audio"))
    print(format_eval(result))
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(json.dumps(result, indent=1))
