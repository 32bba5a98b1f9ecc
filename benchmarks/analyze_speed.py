"""How much faster than real time `analyze` runs (no transcription), on generated audio.

Builds a ~2 minute two-partner dialogue from Piper speech (one voice shifted to sound
like a second person), with pauses, quick turns and interruptions, enrols both partners,
and times `voicecoach.perception.analyze.analyze` over it. Target: >= 20x on 2 cores.

    python benchmarks/analyze_speed.py [--minutes 2] [--threads 2] [--unenrolled]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def build(minutes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from voicecoach.lab.testaudio import piper_speech, place

    lines_a = [
        "I feel alone when you work late, and I need you to call me when you can.",
        "Yesterday I waited for two hours and nobody told me anything about the plan.",
        "It is not about the phone, it is about feeling that I matter to you.",
    ]
    lines_b = [
        "When you say that, I hear that you are tired and that you miss me a lot.",
        "I was stuck at the office and my phone battery was dead the whole evening.",
        "I do care, and I want us to find a way that works for both of us.",
    ]
    a = [piper_speech(t) for t in lines_a]
    b = [piper_speech(t, shift=1.45) for t in lines_b]
    ea, eb = (
        piper_speech("Hello, this is my calm voice, speaking slowly and clearly."),
        piper_speech("Hi, I am the other partner and this is how I usually sound.", shift=1.45),
    )
    rng = np.random.default_rng(0)
    parts, t, k = [], 0.5, 0
    total = minutes * 60.0
    while t < total - 6.0:
        x = a[k % 3] if k % 2 == 0 else b[k % 3]
        parts.append((t, x))
        dur = len(x) / 16000
        # Mostly polite turns, every fourth an interruption 0.5-1.0 s before the end.
        t += dur - rng.uniform(0.5, 1.0) if k % 4 == 3 else dur + rng.uniform(0.3, 1.5)
        k += 1
    return place(total, parts), ea, eb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--unenrolled", action="store_true", help="no enrolment: the voices are found first"
    )
    args = ap.parse_args()
    # numpy / onnxruntime thread pools sized to the target machine.
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from voicecoach.perception.analyze import analyze

    audio, ea, eb = build(args.minutes)
    enroll = None if args.unenrolled else {"alex": ea, "sam": eb}
    analyze(audio[: 16000 * 5], enroll={"alex": ea, "sam": eb})  # warm-up: model load
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    res = analyze(audio, enroll=enroll)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    dur = len(audio) / 16000
    n_int = sum(e["type"] == "interruption" for e in res["events"])
    print(
        f"analyze: {dur:.0f} s of audio in {wall:.2f} s wall ({cpu:.2f} s CPU): "
        f"{dur / wall:.1f}x real time ({len(res['segments'])} segments, "
        f"{n_int} interruptions, voices {sorted({s['speaker'] for s in res['segments']})})"
    )
    load = os.getloadavg()[0]
    if load > 1.5:
        print(
            f"note: load average {load:.1f} - other processes share the CPU; "
            "the figure is pessimistic"
        )


if __name__ == "__main__":
    main()
