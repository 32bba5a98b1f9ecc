"""`run --input talk.wav --enroll A=a.wav --enroll B=b.wav` on composed two-voice recordings:
does a detection and the spoken pause come within 3 s of the escalation, and do calm
recordings stay quiet? The whole session pipeline (listener, engine, Whisper, Piper), as
`voicecoach run` assembles it, on media time.

A "couple" is two RAVDESS actors: partner B talks calmly first (their calm_only
conversation, first 6 s), then partner A's conversation plays (calm_then_strong or
calm_strong_calm: a calm start, then strong anger; calm_only for the calm recordings).
Each partner is enrolled from their calibration file (two neutral sentences). "agc" scales
every spoken segment to the same active level, as an AGC microphone would.
RAVDESS actors 1-4 are development data (the raised-voice detector was tuned on them):
these numbers show the session wiring, they do not validate the detector.

    python benchmarks/run_enroll_couples.py --data ../shared/dev-audio [--model tiny.en]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SR = 16_000


def segments_levelled(audio: np.ndarray, segments: list[dict], level_db: float) -> np.ndarray:
    from voicecoach.lab.testaudio import set_level

    out = audio.copy()
    for s in segments:
        a, b = int(s["start"] * SR), int(s["end"] * SR)
        if b - a > 480:
            out[a:b] = set_level(out[a:b], level_db)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()
    from voicecoach.app import build_session, shared_models
    from voicecoach.audio.files import ArraySource, TrackSink
    from voicecoach.learnvoice import learn_voice
    from voicecoach.perception.analyze import load_audio

    m = json.loads((args.data / "ravdess" / "manifest.json").read_text())
    convs = {(c["speaker"], c["variant"]): c for c in m["conversations"]}
    actors = sorted(m["speakers"])
    models = shared_models(args.model)
    calib = {a: load_audio(args.data / m["speakers"][a]["calibration"]["audio"]) for a in actors}
    rows = []
    for i, a in enumerate(actors):
        b = actors[(i + 1) % len(actors)]
        voices = {
            "A": learn_voice("A", calib[a], source="file"),
            "B": learn_voice("B", calib[b], source="file"),
        }
        b_conv = convs[(b, "calm_only")]
        b_audio = load_audio(args.data / b_conv["audio"])[: 6 * SR]
        b_segs = [s for s in b_conv["segments"] if s["end"] <= 6.0]
        for variant in ("calm_then_strong", "calm_strong_calm", "calm_only"):
            c = convs[(a, variant)]
            a_audio = load_audio(args.data / c["audio"])
            for agc in (False, True):
                x_b = segments_levelled(b_audio, b_segs, -26.0) if agc else b_audio
                x_a = segments_levelled(a_audio, c["segments"], -26.0) if agc else a_audio
                talk = np.concatenate([x_b, np.zeros(SR // 2, np.float32), x_a])
                offset = (len(x_b) + SR // 2) / SR
                onset = offset + c["heated_onsets"][0] if c["heated_onsets"] else None
                session = build_session(
                    models=models,
                    sink=TrackSink(),
                    partners=("A", "B"),
                    echo=False,
                    voices=voices,
                    mute_while_speaking=False,
                )
                session.run(ArraySource(talk, chunk_samples=4096))
                recs = session.log.dicts()
                det = [r["t"] for r in recs if r["type"] == "detect"]
                pause = [
                    r["start"] for r in recs if r["type"] == "say" and r["id"].startswith("pause.")
                ]
                early = [t for t in det if onset is None or t < onset]
                first = next((t for t in det if onset is not None and t >= onset), None)
                ok_det = first is not None and first - onset <= 3.0
                ok_pause = bool(pause) and onset is not None and pause[0] - onset <= 3.0
                rows.append(
                    (
                        a[-2:],
                        b[-2:],
                        variant,
                        agc,
                        onset,
                        first,
                        pause[0] if pause else None,
                        early,
                        ok_det,
                        ok_pause,
                    )
                )
                p = f"{pause[0]:.2f}" if pause else "-"
                f = f"{first:.2f}" if first is not None else "-"
                o = f"{onset:.2f}" if onset is not None else "-"
                print(
                    f"A={a[-2:]} B={b[-2:]} {variant:17s} {'agc' if agc else 'raw'}: onset {o} "
                    f"first detect {f} pause {p} early alarms {len(early)}",
                    flush=True,
                )
    esc = [r for r in rows if r[4] is not None]
    calm = [r for r in rows if r[4] is None]
    for agc in (False, True):
        e = [r for r in esc if r[3] == agc]
        k = [r for r in calm if r[3] == agc]
        both = sum(1 for r in e if r[8] and r[9] and not r[7])
        quiet = sum(1 for r in k if not r[7] and r[6] is None)
        print(
            f"{'agc' if agc else 'raw'}: detection and pause within 3 s, no early alarm: "
            f"{both}/{len(e)}; calm recordings quiet: {quiet}/{len(k)}"
        )


if __name__ == "__main__":
    main()
