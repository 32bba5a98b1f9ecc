"""Validation speakers for `voicecoach eval`: judge the detectors on voices that did not
choose their settings (issue #13).

The development speakers are split once, by a fixed rule written here, into a tuning part
(every threshold and weight is chosen on it) and a validation part (reported):

- LibriSpeech readers (``librispeech/``): per sex, in order of reader id, alternately
  tuning (1st, 3rd, ...) and validation (2nd, 4th, ...).
- speechocean762 voices (``speakers/``): the corpus's own parts, ``train`` for tuning
  (12 F, 10 M) and ``test`` for validation (12 F, 14 M).
- RAVDESS actors 1-4 (``ravdess/``): too few to split; each actor is reported on its own
  (the worst actor beside the pooled figure).

Turns are timed on the words (`evaluate._spoken`: energy and a neural VAD agree), not
on the energy alone: a breath or the recording's hum before a reader's words would
otherwise make a "cut-in" whose words start after the other's last ones.

Two-partner dialogues are composed from one part's voices only, within one corpus (a
pair from two corpora would be told apart by the recording alone): each voice of a sex
is paired with the next one of its sex (FF, MM; round ``k`` of ``rounds`` with the
``k``-th next) and with one of the other sex (FM). Each pair gets two dialogues from the
same turns:

- ``overlapped``: `evaluate.cut_in_or_gap`: half the changes of turn are true cut-ins
  (0.5-1.0 s over the other, who goes on), the others leave a 0.3-1.2 s pause;
- ``handovers``: every change a quick handover (`quick_handover`): the next partner
  starts 0.1-0.8 s after the other stopped, or, one change in four, over the last
  0-0.2 s of the other's turn (the last syllable or the breath). None is an interruption:
  every interruption reported there is a false one, counted per minute of dialogue.

Reported per corpus and pair group (FF, MM, FM) with the spread: each pair's
attribution, each voice's, and the worst of them, not only the pooled number.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.lab import evaluate as ev
from voicecoach.perception.analyze import load_audio
from voicecoach.timebase import SAMPLE_RATE

PARTS = ("tuning", "validation")
ENROL_S = 4.0  # seconds of a voice's speech heard at enrolment (as for the readers)
HANDOVER_GAP_S = (0.1, 0.8)  # pause before a quick handover
OVER_LAST_S = (0.0, 0.2)  # ... or start over the other's last syllable or breath
OVER_LAST_SHARE = 0.25  # the share of handovers that start over it
SEED = 13


@dataclass(frozen=True)
class Voice:
    name: str
    sex: str  # "F" / "M"
    enrol: np.ndarray  # calm speech to enrol on
    turns: tuple[np.ndarray, ...]  # the rest, as turns of a dialogue


def quick_handover(rng: np.random.Generator, same: bool) -> tuple[float, bool]:
    """A lively but polite change of turn: never a cut-in."""
    if same or rng.random() >= OVER_LAST_SHARE:
        return rng.uniform(*HANDOVER_GAP_S), False
    return -rng.uniform(*OVER_LAST_S), False


def _alternate(n: int) -> tuple[list[int], list[int]]:
    """Positions 0, 2, 4, ... (tuning) and 1, 3, 5, ... (validation)."""
    return list(range(0, n, 2)), list(range(1, n, 2))


@functools.lru_cache(maxsize=2)
def libri_voices(root: Path, part: str) -> tuple[Voice, ...]:
    """The LibriSpeech readers of ``part``: enrolled on their first 4 s; the rest cut
    into 2.5-4 s turns at quiet blocks (`evaluate._cut_turns`, seeded by reader)."""
    by_sex, audio = ev._reader_audio(root)
    out = []
    for sex in ("F", "M"):
        files = by_sex[sex]
        keep = _alternate(len(files))[PARTS.index(part)]
        for i in keep:
            x = audio[files[i]]
            cut = int(ENROL_S * SAMPLE_RATE)
            rng = np.random.default_rng(SEED + i)
            turns = tuple(ev._cut_turns(x[cut:], rng))
            out.append(Voice(ev._name(files[i]), sex, x[:cut], turns))
    return tuple(out)


@functools.lru_cache(maxsize=2)
def ocean_voices(root: Path, part: str) -> tuple[Voice, ...]:
    """The speechocean762 voices of ``part`` (its train = tuning, test = validation):
    enrolled on their first sentences up to `ENROL_S`; each other sentence a turn."""
    manifest = json.loads((root / "manifest.json").read_text())
    corpus_part = {"tuning": "train", "validation": "test"}[part]
    out = []
    for sid, spk in sorted(manifest["speakers"].items()):
        if spk["part"] != corpus_part:
            continue
        clips = [load_audio(root / f["audio"]) for f in spk["files"]]
        k, total = 0, 0.0
        while k < len(clips) - 2 and total < ENROL_S:
            total += len(clips[k]) / SAMPLE_RATE
            k += 1
        out.append(Voice(sid, spk["sex"], np.concatenate(clips[:k]), tuple(clips[k:])))
    return tuple(out)


def pairs(voices: tuple[Voice, ...], rounds: int = 1) -> Iterator[tuple[str, Voice, Voice]]:
    """FF, MM and FM pairs of ``voices`` (see the module doc)."""
    f = [v for v in voices if v.sex == "F"]
    m = [v for v in voices if v.sex == "M"]
    for k in range(1, rounds + 1):
        for kind, pool in (("FF", f), ("MM", m)):
            n = len(pool)
            if n < 2 or k >= n:
                continue
            # With two voices only one pair exists; otherwise i with its k-th next.
            for i in range(1 if n == 2 else n):
                yield kind, pool[i], pool[(i + k) % n]
        if f and m:
            for i in range(max(len(f), len(m))):
                yield "FM", f[i % len(f)], m[(i + k - 1) % len(m)]


def _sequence(a: Voice, b: Voice) -> list[tuple[int, np.ndarray]]:
    seq = []
    for i in range(max(len(a.turns), len(b.turns))):
        if i < len(a.turns):
            seq.append((0, a.turns[i]))
        if i < len(b.turns):
            seq.append((1, b.turns[i]))
    return seq


def _by_voice(d: ev._Dialogue, res: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per partner: the 10 ms blocks where they alone speak, and how many were named
    right, named as the other partner, left unknown or outside any segment."""
    label = ev._labels(len(d.owner), res)
    out = {}
    for bit, name in ((1, d.names[0]), (2, d.names[1])):
        said = label[d.owner == bit]
        out[name] = {
            "blocks": int(len(said)),
            "correct": int((said == name).sum()),
            "wrong": int(np.isin(said, [n for n in d.names[:2] if n != name]).sum()),
            "unknown": int((said == "unknown").sum()),
            "unlabelled": int((said == "").sum()),
        }
    return out


def _dialogues(
    voices: tuple[Voice, ...], timer: ev._Timer, rounds: int, seed: int
) -> dict[str, Any]:
    """Both layouts for every pair; counts per group and per pair."""
    rng = np.random.default_rng(seed)
    groups: dict[str, dict[str, dict[str, int]]] = {"overlapped": {}, "handovers": {}}
    per_pair: list[dict[str, Any]] = []
    per_voice: dict[str, dict[str, int]] = {}
    for kind, a, b in pairs(voices, rounds):
        names = (a.name, b.name)
        row: dict[str, Any] = {"pair": kind, "names": names}
        for layout, change in (("overlapped", ev.cut_in_or_gap), ("handovers", quick_handover)):
            d = ev._lay_out(_sequence(a, b), names, rng, change=change, bounds=ev._spoken)
            res = timer.run(d.audio, enroll={a.name: a.enrol, b.name: b.enrol})
            sc = ev._score_dialogue(d, res)
            voice = _by_voice(d, res)
            sc["wrong"] = sum(v["wrong"] for v in voice.values())
            sc["dialogue_ms"] = int(round(1000 * len(d.audio) / SAMPLE_RATE))
            ev._add(groups[layout].setdefault(kind, {}), sc)
            for name, counts in voice.items():
                ev._add(per_voice.setdefault(name, {}), counts)
            row[layout] = {
                "attribution_pct": ev._pct(sc["correct"], sc["single_blocks"]),
                "interruptions": [sc["true"], sc["found"], sc["detected"]],
            }
        per_pair.append(row)
    return {"groups": groups, "pairs": per_pair, "voices": per_voice}


def _group_summary(a: dict[str, int]) -> dict[str, Any]:
    named = a.get("correct", 0) + a.get("wrong", 0)
    minutes = a.get("dialogue_ms", 0) / 60000
    return {
        "attribution_pct": ev._pct(a.get("correct", 0), a.get("single_blocks", 0)),
        "named_accuracy_pct": ev._pct(a.get("correct", 0), named),
        "named_share_pct": ev._pct(named, a.get("single_blocks", 0)),
        "unknown_pct": ev._pct(a.get("unknown", 0), a.get("single_blocks", 0)),
        "unlabelled_pct": ev._pct(a.get("unlabelled", 0), a.get("single_blocks", 0)),
        "interruption_recall_pct": ev._pct(a.get("found", 0), a.get("true", 0)),
        "interruption_precision_pct": ev._pct(a.get("tp", 0), a.get("detected", 0)),
        "interruptions": a.get("true", 0),
        "false_interruptions_per_min": round((a.get("detected", 0) - a.get("tp", 0)) / minutes, 2)
        if minutes
        else None,
        "minutes": round(minutes, 1),
    }


def _spread(rows: dict[str, float | None], worst: int = 3) -> dict[str, Any]:
    """Min, median and the ``worst`` lowest of per-pair or per-voice percentages."""
    vals = {k: v for k, v in rows.items() if v is not None}
    if not vals:
        return {}
    order = sorted(vals, key=vals.__getitem__)
    return {
        "min": vals[order[0]],
        "median": round(float(np.median(list(vals.values()))), 1),
        "worst": [[k, vals[k]] for k in order[:worst]],
        "n": len(vals),
    }


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    """Percentages per layout and group from summed counts, with the spread over pairs
    and voices."""
    out: dict[str, Any] = {}
    for layout, counts in raw["groups"].items():
        out[layout] = ev._per_kind(counts, _group_summary)
        out[layout]["pair_attribution"] = _spread(
            {" & ".join(p["names"]): p[layout]["attribution_pct"] for p in raw["pairs"]}
        )
    out["voice_attribution"] = _spread(
        {k: ev._pct(v["correct"], v["blocks"]) for k, v in raw["voices"].items()}
    )
    out["pairs"] = raw["pairs"]
    return out


def evaluate_part(data_dir: Path, timer: ev._Timer, part: str, rounds: int = 1) -> dict[str, Any]:
    """The composed dialogues of ``part``'s voices, per corpus present in ``data_dir``."""
    out: dict[str, Any] = {"part": part, "rounds": rounds}
    for corpus, sub, load in (
        ("librispeech", "librispeech", libri_voices),
        ("speechocean", "speakers", ocean_voices),
    ):
        root = data_dir / sub
        if not root.is_dir() or (sub == "speakers" and not (root / "manifest.json").is_file()):
            continue
        voices = load(root, part)
        out[corpus] = summarise(_dialogues(voices, timer, rounds, SEED + len(corpus)))
    return out


def format_part(v: dict[str, Any]) -> list[str]:
    lines = [f"Two-speaker dialogues on the {v['part']} voices (enrolled partners)"]
    for corpus in ("librispeech", "speechocean"):
        c = v.get(corpus)
        if not c:
            continue
        for layout, what in (
            ("overlapped", "alternating turns, half of the changes true cut-ins"),
            ("handovers", "quick handovers only (0.1-0.8 s, or over the last syllable)"),
        ):
            lay = c[layout]
            lines.append(f"  {corpus}, {what}:")
            for k in ("all", "FF", "MM", "FM"):
                s = lay.get(k)
                if not s:
                    continue
                cut = (
                    f"interruptions recall {ev._fmt(s['interruption_recall_pct'], ' %')}"
                    f" precision {ev._fmt(s['interruption_precision_pct'], ' %')}"
                    f" (n={s['interruptions']})"
                    if layout == "overlapped"
                    else f"false interruptions {ev._fmt(s['false_interruptions_per_min'])}/min"
                    f" over {s['minutes']} min"
                )
                lines.append(
                    f"    {k:3s} attribution {ev._fmt(s['attribution_pct'], ' %')}"
                    f" (named {ev._fmt(s['named_share_pct'], ' %')}, right where named"
                    f" {ev._fmt(s['named_accuracy_pct'], ' %')})  {cut}"
                )
            sp = lay["pair_attribution"]
            if sp:
                lines.append(
                    f"    per pair: min {sp['min']} %, median {sp['median']} % of {sp['n']};"
                    " worst " + ", ".join(f"{k} {p}" for k, p in sp["worst"])
                )
        sv = c["voice_attribution"]
        if sv:
            lines.append(
                f"  {corpus} per voice: min {sv['min']} %, median {sv['median']} % of"
                f" {sv['n']}; worst " + ", ".join(f"{k} {p}" for k, p in sv["worst"])
            )
    return lines
