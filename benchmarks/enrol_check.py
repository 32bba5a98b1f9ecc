"""What the enrolment check accepts and refuses, on generated sounds and (optionally) real voices.

Prints, per kind of answer, how many were accepted and the spread of each measurement
(`voicecoach.perception.enrolcheck`), then the same-voice and two-voice numbers. With
``--data`` the real voices are split: speechocean762 "train" speakers are where the
thresholds were chosen, "test" speakers (and LibriSpeech, RAVDESS calibrations) report.

    python benchmarks/enrol_check.py [--data ../shared/dev-audio] [--part train|test|all]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def generated() -> dict[str, list[np.ndarray]]:
    from voicecoach.lab import testaudio as ta

    lines = [
        "Hello, I'm Sam. My day was fine, I worked from home and went for a walk.",
        "My day was long, I had meetings all morning and then I cooked dinner.",
        "I had a long day at work, but it was fine.",
        "My day was quiet. I read a book in the garden.",
    ]
    out: dict[str, list[np.ndarray]] = defaultdict(list)
    for i, text in enumerate(lines):
        for shift in (1.0, 1.25, 1.5):
            out["speech (Piper)"].append(ta.piper_speech(text, shift=shift, level_db=-26 - 4 * i))
        sp = ta.piper_speech(text, shift=1.2)
        for snr in (20, 10):
            fan = ta.fan_noise(len(sp) / 16000, level_db=-26.0 - snr, seed=i)
            out[f"speech in fan noise ({snr} dB SNR)"].append(sp + fan[: len(sp)])
    for hz in (250.0, 440.0, 1000.0, 3000.0):
        out["tone"].append(ta.tone(4.0, hz))
        out["beeps"].append(np.concatenate([ta.tone(0.4, hz), ta.silence(0.3)] * 6))
    for seed in range(4):
        out["fan noise"].append(ta.fan_noise(5.0, seed=seed, level_db=-26.0 - 4 * seed))
        out["music"].append(ta.music(6.0, seed=seed, bpm=80 + 20 * seed))
    return out


def real(data: Path, part: str) -> dict[str, list[np.ndarray]]:
    from voicecoach.perception.analyze import load_audio

    out: dict[str, list[np.ndarray]] = defaultdict(list)
    m = json.loads((data / "speakers" / "manifest.json").read_text())
    for _spk, info in sorted(m["speakers"].items()):
        if part != "all" and info["part"] != part:
            continue
        files = [load_audio(data / "speakers" / f["audio"]) for f in info["files"]]
        out[f"speechocean {part}"].append(np.concatenate(files[:2]))
    if part in ("test", "all"):
        for f in sorted((data / "librispeech").glob("*.flac"))[:12]:
            out["librispeech"].append(load_audio(f)[: 6 * 16000])
        rm = json.loads((data / "ravdess" / "manifest.json").read_text())
        for spk in rm["speakers"].values():
            out["ravdess calibration"].append(load_audio(data / spk["calibration"]["audio"]))
    return out


def voices(data: Path, part: str) -> dict[str, list[np.ndarray]]:
    """Per speaker: two enrolment-sized pieces from different sentences."""
    from voicecoach.perception.analyze import load_audio

    m = json.loads((data / "speakers" / "manifest.json").read_text())
    out = {}
    for spk, info in sorted(m["speakers"].items()):
        if part != "all" and info["part"] != part:
            continue
        files = [load_audio(data / "speakers" / f["audio"]) for f in info["files"]]
        out[f"{spk}/{info['sex']}"] = [np.concatenate(files[:3]), np.concatenate(files[3:])]
    return out


def q(v: list[float]) -> str:
    a = np.array([x for x in v if x is not None], dtype=float)
    if len(a) == 0:
        return "-"
    return f"{np.min(a):6.2f} {np.median(a):6.2f} {np.max(a):6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path)
    ap.add_argument("--part", default="test", choices=["train", "test", "all"])
    args = ap.parse_args()
    from voicecoach.perception.enrolcheck import EnrolmentCheck

    check = EnrolmentCheck()
    sets = generated()
    if args.data:
        sets.update(real(args.data, args.part))
    fields = (
        "speech_s",
        "voiced_s",
        "band_share",
        "level_spread_db",
        "pitch_range_st",
        "tonality",
        "pitch_flat",
        "halves",
    )
    print(f"{'answer':34s} {'accepted':>9s}  " + "  ".join(f"{f:>20s}" for f in fields))
    for kind, clips in sets.items():
        verdicts = [check.judge(c) for c in clips]
        acc = sum(v.ok for v in verdicts)
        reasons = sorted({v.reason for v in verdicts if not v.ok})
        cols = "  ".join(f"{q([getattr(v.heard, f) for v in verdicts]):>20s}" for f in fields)
        print(f"{kind:34s} {acc:3d}/{len(clips):<3d}   {cols}  {','.join(reasons)}")
    if not args.data:
        return
    vs = voices(args.data, args.part)
    embs = {k: [check.judge(p).heard.embedding for p in pair] for k, pair in vs.items()}
    same = [float(a @ b) for a, b in embs.values() if a is not None and b is not None]
    names = sorted(embs)
    diff, diff_sex = [], []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ea, eb = embs[a][0], embs[b][1]
            if ea is None or eb is None:
                continue
            (diff if a[-1] == b[-1] else diff_sex).append(float(ea @ eb))
    for thr in (0.75, 0.8, 0.82, 0.84, 0.86):
        print(
            f"same-voice threshold {thr}: same {sum(s >= thr for s in same)}/{len(same)}, "
            f"different same-sex {sum(s >= thr for s in diff)}/{len(diff)}"
        )
    thr = check.cfg.same_voice
    print(
        f"\nsame voice, two enrolments: cosine min/median/max {q(same)}; "
        f"'same voice' said for {sum(s >= thr for s in same)}/{len(same)}"
    )
    print(
        f"different voices, same sex:  {q(diff)}; 'same voice' said for "
        f"{sum(s >= thr for s in diff)}/{len(diff)} (max {max(diff):.2f})"
    )
    print(f"different voices, other sex: {q(diff_sex)}")
    # Two voices in one answer: half a sentence pair of one speaker, half of another.
    two = []
    for i in range(0, len(names) - 1, 2):
        a, b = vs[names[i]][0], vs[names[i + 1]][0]
        two.append(check.judge(np.concatenate([a[: len(a) // 2], b[: len(b) // 2]])))
    one = [check.judge(p[0]) for p in vs.values()]
    print(
        f"two voices in one answer refused: {sum(v.reason == 'two_voices' for v in two)}/{len(two)}"
        f" (halves {q([v.heard.halves for v in two])}); one voice taken for two: "
        f"{sum(v.reason == 'two_voices' for v in one)}/{len(one)} (halves "
        f"{q([v.heard.halves for v in one])})"
    )


if __name__ == "__main__":
    main()
