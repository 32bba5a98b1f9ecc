"""Short-encode vs. faster-whisper's 30 s padding: speed and transcripts on real speech.

Reads the 24 LibriSpeech dev utterances in ../shared/dev-audio (not used by tests), cuts
1 s, 3 s and 6 s pieces from each, and transcribes everything with tiny.en and base, once
on the standard padded window and once per short-encode variant. Prints the median time
per clip length and the word error rate of each variant against the padded transcript
(same model) and against base-padded-beam5 on the whole utterance region (a pseudo
reference: LibriSpeech's own transcripts are not in shared/).

    /work/venv-probe/bin/python benchmarks/stt_short_encode.py [--quick]

Superseded by benchmarks/stt_window.py, which cuts utterances the way the app does (VAD,
at silences) and scores against real text. The numbers this script produced before commit
"fix silent truncation" were also skewed by a token cap that cut short-window transcripts.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from voicecoach.speech.wer import wer
from voicecoach.speech.whisper import EncoderWindow, WhisperTranscriber

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "dev-audio" / "librispeech"
LENGTHS = (1.0, 3.0, 6.0, None)  # None: the whole utterance (10-16 s)


def clips(quick: bool) -> dict[float | None, list[np.ndarray]]:
    from faster_whisper import decode_audio

    files = sorted(DATA.glob("*.flac"))[: 8 if quick else None]
    if not files:
        sys.exit(f"no .flac files in {DATA}")
    audio = [decode_audio(str(f)) for f in files]
    return {n: [a if n is None else a[: int(n * 16000)] for a in audio] for n in LENGTHS}


VARIANTS: dict[str, tuple[float | None, float, bool]] = {
    # name: (window_s, pad_s, pad_audio); window_s None is faster-whisper's 30 s path
    "padded": (None, 0.0, False),
    "short+1s": (0.0, 1.0, False),
    "short+1s-audio": (0.0, 1.0, True),
    "short+2s-audio": (0.0, 2.0, True),
}


def run(model: str, data: dict, beam: int, variants: list[str]) -> dict:
    t0 = time.perf_counter()
    w = WhisperTranscriber(model, beam_size=beam, window=EncoderWindow())
    print(f"\n== {model} beam={beam}: load {1000 * (time.perf_counter() - t0):.0f} ms", flush=True)
    w.transcribe(data[3.0][0])  # warm-up
    out: dict = {}
    for name in variants:
        min_s, pad_s, pad_audio = VARIANTS[name]
        w.window = None if min_s is None else EncoderWindow(min_s, pad_s, pad_audio)
        w.fallbacks = 0
        for n, group in data.items():
            texts, times = [], []
            for a in group:
                t = time.perf_counter()
                texts.append(w.transcribe(a))
                times.append(1000 * (time.perf_counter() - t))
            out[name, n] = (texts, times)
        print(f"{name:16s} fallbacks to padded: {w.fallbacks}", flush=True)
    return out


def report(model: str, res: dict, ref: dict, variants: list[str]) -> None:
    label = {1.0: "1 s", 3.0: "3 s", 6.0: "6 s", None: "whole"}
    print(f"{'variant':16s} " + " ".join(f"{label[n]:>22s}" for n in LENGTHS))
    print(f"{'':16s} " + " ".join(f"{'ms  WERvsPad WERvsRef':>22s}" for n in LENGTHS))
    for name in variants:
        cells = []
        for n in LENGTHS:
            texts, times = res[name, n]
            cells.append(
                f"{statistics.median(times):5.0f} {wer(texts, res['padded', n][0]):8.1f}"
                f" {wer(texts, ref[n]):8.1f}"
            )
        print(f"{name:16s} " + " ".join(f"{c:>22s}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="8 utterances instead of 24")
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--beams", default="1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = clips(args.quick)
    variants = args.variants.split(",")
    if "padded" not in variants:
        variants.insert(0, "padded")
    ref_w = run("base", data, 5, ["padded"])
    ref = {n: ref_w["padded", n][0] for n in LENGTHS}
    for model in args.models.split(","):
        for beam in (int(b) for b in args.beams.split(",")):
            res = run(model, data, beam, variants)
            report(f"{model} beam={beam}", res, ref, variants)
    print("\npseudo reference (base, padded, beam 5), whole utterances, first 3:")
    for text in ref[None][:3]:
        print("  ", text)


if __name__ == "__main__":
    main()
