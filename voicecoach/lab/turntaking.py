"""Cut-offs and latency of voicecoach's turn ends, on real conversation (issue #19).

Real phone dialogues (``conversations/``: SpokenWOZ, 8 kHz stereo, one speaker per channel,
word timings) show every pause *inside* a turn (the same speaker goes on and the other
says nothing in between) and every *real* turn end (the other speaker starts in the
gap). At each such pause longer than 0.3 s, voicecoach's decision is replayed the way
the session makes it: the listener ends an utterance after ``ANSWER_HANGOVER_S`` of
silence (shorter pauses never reach the engine), Whisper (base, the app's window)
transcribes that utterance from the speaker's own channel, and the engine would end the
turn after `turns.end_wait_s` of silence for that text and that kind of step.

- **cut-off rate**: within-turn pauses > 0.3 s at least as long as that wait (the coach
  would have taken the floor);
- **latency** at real turn ends: the wait, or the transcription when it is the later
  (speculative: asked ``SPECULATE_AFTER_S`` into the pause; wall time, so an upper bound
  on a loaded machine).

The same on LibriSpeech readers (dev voices reading, with their natural pauses): each
file is one long turn, its pauses (the app's VAD) are within the turn, its end a turn end.

Split, fixed: dialogues MUL1423, SNG0072, SNG0480 and the even-numbered LibriSpeech files
tune; SNG0696, SNG1263, SNG1640 and the odd ones validate. Word timings come from the
corpus; the listener's VAD sees the same pauses within ~30-60 ms.

    python -m voicecoach.lab.turntaking --data ../shared/dev-audio [--sweep]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.dialogue.settings import Settings
from voicecoach.dialogue.turns import end_wait_s
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

SR = SAMPLE_RATE
MIN_PAUSE_S = 0.3  # pauses counted (issue #19)
HANGOVER_S = 0.35  # session.ANSWER_HANGOVER_S: shorter pauses never end an utterance
SPECULATE_S = 0.18  # session.SPECULATE_AFTER_S
MAX_PIECE_S = 15.0  # the listener's longest utterance
TUNING_DIALOGUES = ("MUL1423", "SNG0072", "SNG0480")
BACKCHANNELS = frozenset(
    "okay ok yeah yes yep mm mhm hmm uh-huh uh huh right sure alright great oh".split()
)  # what a listener says into a pause without taking the turn
CUT_TARGET_PCT = 5.0


@dataclass
class Pause:
    source: str  # dialogue or reader id
    part: str  # tuning / validation
    within: bool  # the same speaker goes on (else a real turn end)
    backchannel: bool  # ... after the other said only "mm", "okay" into the pause
    at: float  # s, the speech before it ends
    gap: float  # s of silence (to the speaker's next word, or to the end of the turn)
    text: str  # the utterance before it, transcribed
    transcribe_s: float  # wall


# ---------------------------------------------------------------- where the pauses are


def dialogue_pauses(
    words: list[dict[str, Any]],
) -> Iterator[tuple[str, bool | None, float, float, float]]:
    """(speaker, within, utterance start, pause start, gap) for each pause > 0.3 s of a
    speaker, from the word timings; the utterance is the speech since the speaker's last
    pause of at least the hangover (what the listener would hand the transcriber).
    ``within``: True when the other says nothing in the gap, None when they only
    backchannel into it (at most two words like "okay", "mm"), False at a turn end."""
    for spk in sorted({w["speaker"] for w in words}):
        mine = sorted((w for w in words if w["speaker"] == spk), key=lambda w: w["start"])
        other = [w for w in words if w["speaker"] != spk]
        piece = mine[0]["start"] if mine else 0.0
        for a, b in zip(mine, mine[1:], strict=False):
            gap = b["start"] - a["end"]
            if gap > MIN_PAUSE_S:
                said = [o["word"].lower() for o in other if a["end"] <= o["start"] < b["start"]]
                within: bool | None = not said
                if said and len(said) <= 2 and all(w in BACKCHANNELS for w in said):
                    within = None
                yield spk, within, max(piece, a["end"] - MAX_PIECE_S), a["end"], gap
            if gap >= HANGOVER_S:
                piece = b["start"]
        if mine:  # the speaker's last words: a turn end
            yield spk, False, max(piece, mine[-1]["end"] - MAX_PIECE_S), mine[-1]["end"], 9.9


def _cut(audio: np.ndarray, start: float, end: float) -> np.ndarray:
    a = max(0, int((start - 0.05) * SR))
    return audio[a : int((end + 0.05) * SR)]


def conversation_pauses(data: Path, transcriber: Any, quick: bool) -> list[Pause]:
    from faster_whisper import decode_audio

    folder = data / "conversations"
    manifest = json.loads((folder / "manifest.json").read_text())
    dialogues = manifest["dialogues"]
    if quick:  # one tuning and one validation dialogue
        dialogues = [dialogues[0], dialogues[-1]]
    out = []
    for d in dialogues:
        left, right = decode_audio(str(folder / d["audio"]), sampling_rate=SR, split_stereo=True)
        channels = {"A": np.asarray(left, np.float32), "B": np.asarray(right, np.float32)}
        words = json.loads((folder / d["words"]).read_text())
        part = "tuning" if d["id"] in TUNING_DIALOGUES else "validation"
        for spk, within, start, at, gap in dialogue_pauses(words):
            t0 = time.perf_counter()
            text = transcriber.transcribe(_cut(channels[spk], start, at))
            wall = time.perf_counter() - t0
            out.append(
                Pause(d["id"], part, within is not False, within is None, at, gap, text, wall)
            )
    return out


def reader_pauses(data: Path, transcriber: Any, quick: bool) -> list[Pause]:
    """LibriSpeech readers: the app's VAD pauses inside each reading, and its end."""
    from voicecoach.lab.sttcompare import load_audio, vad_segments

    out = []
    files = sorted((data / "librispeech").glob("*.flac"))
    for k, f in enumerate(files[:6] if quick else files):
        audio = load_audio(f)
        part = "tuning" if k % 2 == 0 else "validation"
        segs = [(s / SR, e / SR) for s, e in vad_segments(audio, HANGOVER_S)]
        for i, (s, e) in enumerate(segs):
            last = i == len(segs) - 1
            gap = 9.9 if last else segs[i + 1][0] - e
            if not last and gap <= MIN_PAUSE_S:
                continue
            t0 = time.perf_counter()
            text = transcriber.transcribe(_cut(audio, max(s, e - MAX_PIECE_S), e))
            wall = time.perf_counter() - t0
            out.append(Pause(f.stem, part, not last, False, e, gap, text, wall))
    return out


# ---------------------------------------------------------------- the decisions


def decide(pauses: list[Pause], expects: str, settings: Settings) -> dict[str, Any]:
    """Cut-off rate and turn-end latency per part, for steps that expect ``expects``."""
    complete_s = settings.message_end_s if expects == "message" else settings.turn_end_s
    out: dict[str, Any] = {}
    for part in ("tuning", "validation"):
        mine = [p for p in pauses if p.part == part]
        if not mine:
            continue

        def cut_off(p: Pause) -> bool:
            return p.gap >= end_wait_s(p.text, expects, complete_s, settings)

        within = [p for p in mine if p.within and not p.backchannel]
        cut = [p for p in within if cut_off(p)]
        backed = [p for p in mine if p.backchannel]
        waits, lat = [], []
        for p in mine:
            if p.within:
                continue
            wait = end_wait_s(p.text, expects, complete_s, settings)
            waits.append(wait)
            lat.append(max(wait, SPECULATE_S + p.transcribe_s))
        out[part] = {
            "within_turn_pauses": len(within),
            "cut_off": len(cut),
            "cut_off_pct": round(100.0 * len(cut) / max(len(within), 1), 1),
            # pauses the other only backchannelled into ("mm", "okay"): still the turn
            "backchannel_pauses": len(backed),
            "backchannel_cut_off_pct": round(
                100.0 * sum(map(cut_off, backed)) / max(len(backed), 1), 1
            ),
            "turn_ends": len(waits),
            "wait_p50_s": _pct(waits, 50),
            "wait_p95_s": _pct(waits, 95),
            "latency_p50_s": _pct(lat, 50),
            "latency_p95_s": _pct(lat, 95),
            "cut_examples": [f"{p.text[-50:]!r} then {p.gap:.2f} s" for p in cut[:4]],
        }
    return out


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def measure(
    data: Path, *, quick: bool, sweep: bool = False, dump: Path | None = None
) -> dict[str, Any]:
    """The report: real dialogues and readers, for messages and for answers."""
    from voicecoach.speech.whisper import WhisperTranscriber

    if not (data / "conversations" / "manifest.json").is_file():
        return {"skipped": f"no conversations/ in {data}"}
    tr = WhisperTranscriber("base", progress=False)
    sets = {
        "conversations": conversation_pauses(data, tr, quick),
        "readers": reader_pauses(data, tr, quick) if (data / "librispeech").is_dir() else [],
    }
    if dump is not None:
        dump.write_text(json.dumps({k: [vars(p) for p in v] for k, v in sets.items()}))
    s = Settings()
    out: dict[str, Any] = {
        "settings": {
            "message_end_s": s.message_end_s,
            "answer_end_s": s.turn_end_s,
            "incomplete_s": s.turn_end_incomplete_s,
        },
        "target": f"cut-off <= {CUT_TARGET_PCT:g} % of within-turn pauses > 0.3 s",
    }
    for name, pauses in sets.items():
        out[name] = {kind: decide(pauses, kind, s) for kind in ("message", "free")}
    if sweep:  # tuning only: cut-offs against latency as the message wait changes
        grid = {}
        for m in (0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5):
            alt = Settings(message_end_s=m)
            row = {}
            for name, pauses in sets.items():
                tuned = decide([p for p in pauses if p.part == "tuning"], "message", alt)
                t = tuned.get("tuning", {})
                row[name] = (t.get("cut_off_pct"), t.get("latency_p50_s"), t.get("latency_p95_s"))
            grid[str(m)] = row
        out["sweep_tuning_cut_pct_latency_p50_p95"] = grid
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.lab.turntaking")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="message waits on the tuning part")
    parser.add_argument("--dump", type=Path, help="write every pause with its text here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(
        json.dumps(measure(args.data, quick=args.quick, sweep=args.sweep, dump=args.dump), indent=1)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
