"""Vocal-effort cues of acted emotional clips against each speaker's calm calibration.

`python -m voicecoach.lab.cuestats DIR [--normalise]` (DIR laid out like
``shared/dev-audio``) measures, per RAVDESS clip, how far each cue the raised-voice
detector could use sits from that actor's calibration baseline, then prints the mean
per label (calm, heated_normal, heated_strong, and each emotion x intensity of
"other") and, per actor, how well each cue ranks mildly angry clips above the other
high-arousal ones (AUC: 0.5 = no better than chance, 1.0 = every mild clip above every
other clip).

It exists to measure before tuning: a cue is only worth a weight in
`raised.RaisedConfig` if it separates anger from excitement for EVERY actor, not on the
pool (four actors can each act anger differently; see the module doc of `raised`).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import webrtcvad

from voicecoach.perception.features import FrameBlock, analyse_audio
from voicecoach.perception.speakers import Baseline, speech_frames
from voicecoach.perception.vad import AGGRESSIVENESS, vad_flags

log = logging.getLogger(__name__)

# Cues, all per voiced speech frame and summarised by the median over a clip (or over a
# calibration): a few robust numbers, the same whatever the clip's length.
CUES = ("level", "pitch", "pitch_range", "tilt", "h1h2", "aper")


def clip_cues(block: FrameBlock, mask: np.ndarray) -> dict[str, float] | None:
    """Medians of the effort cues over the voiced frames of ``mask`` (None: too few)."""
    # The same medians the raised-voice baseline rests on, plus aperiodicity.
    base = Baseline.measure(block, mask)
    if base is None:
        return None
    return {
        "level": base.level_db,  # dB; AGC removes it
        "pitch": base.pitch_st,  # semitones re 100 Hz
        "pitch_range": base.pitch_range_st,  # semitones, 10-90 %
        "tilt": base.tilt_db,  # dB, 1-5 kHz over 50 Hz-1 kHz
        "h1h2": base.h1h2_db,  # dB; low = pressed
        # YIN aperiodicity; high = rough
        "aper": float(np.median(block.aper[mask & (block.f0 > 0)])),
    }


def measure(audio: np.ndarray) -> dict[str, float] | None:
    """`clip_cues` of a whole signal, on the frames the Listener would call speech."""
    block = analyse_audio(np.asarray(audio, dtype=np.float32))
    if len(block) == 0:
        return None
    vad = vad_flags(block.pcm, block.level_db, webrtcvad.Vad(AGGRESSIVENESS))
    return clip_cues(block, speech_frames(block, vad))


def deltas(cues: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """Each cue minus the speaker's calm value, signed so that MORE effort is positive
    (pressed phonation lowers H1-H2, so its sign is turned)."""
    out = {k: cues[k] - base[k] for k in CUES}
    out["h1h2"] = -out["h1h2"]
    return out


def auc(pos: Iterable[float], neg: Iterable[float]) -> float | None:
    """P(a positive scores above a negative), ties half (Mann-Whitney)."""
    p, n = np.asarray(list(pos), float), np.asarray(list(neg), float)
    if not len(p) or not len(n):
        return None
    return float(np.mean((p[:, None] > n[None, :]) + 0.5 * (p[:, None] == n[None, :])))


def group_of(clip: dict) -> str:
    """calm / heated_normal / heated_strong, or ``emotion_intensity`` inside "other"."""
    if clip["label"] == "other":
        return f"{clip['emotion']}_{clip['intensity']}"
    return str(clip["label"])


def collect(root: Path, normalise: bool) -> list[tuple[dict, dict[str, float]]]:
    """(clip, cue deltas vs its actor's calibration) for every clip of the manifest."""
    from voicecoach.lab.evaluate import NORM_LEVEL_DB
    from voicecoach.lab.testaudio import set_level
    from voicecoach.perception.analyze import load_audio

    manifest = json.loads((root / "manifest.json").read_text())

    def load(rel: str) -> np.ndarray:
        a = load_audio(root.parent / rel)
        return set_level(a, NORM_LEVEL_DB) if normalise else a

    base = {
        sid: measure(load(s["calibration"]["audio"])) for sid, s in manifest["speakers"].items()
    }
    rows = []
    for clip in manifest["clips"]:
        cues, ref = measure(load(clip["audio"])), base[clip["speaker"]]
        if cues is not None and ref is not None:
            rows.append((clip, deltas(cues, ref)))
    return rows


def report(rows: list[tuple[dict, dict[str, float]]]) -> str:
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for clip, d in rows:
        groups[group_of(clip)].append(d)
    lines = [
        "cue deltas vs calibration (mean; effort direction positive)",
        f"{'group':20s}" + "".join(f"{k:>12s}" for k in CUES),
    ]
    for g in sorted(groups):
        lines.append(
            f"{g:20s}" + "".join(f"{np.mean([d[k] for d in groups[g]]):12.2f}" for k in CUES)
        )
    actors = sorted({clip["actor"] for clip, _ in rows})
    lines += [
        "",
        "AUC mildly angry vs other (per actor, then pooled)",
        f"{'cue':12s}" + "".join(f"{'actor ' + str(a):>10s}" for a in actors) + f"{'pooled':>10s}",
    ]
    for k in CUES:
        cells = []
        for a in [*actors, None]:
            sel = [(c, d) for c, d in rows if a is None or c["actor"] == a]
            v = auc(
                [d[k] for c, d in sel if c["label"] == "heated_normal"],
                [d[k] for c, d in sel if c["label"] == "other"],
            )
            cells.append("n/a" if v is None else f"{v:.2f}")
        lines.append(f"{k:12s}" + "".join(f"{c:>10s}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="dev-audio directory (holds ravdess/)")
    ap.add_argument("--normalise", action="store_true", help="level-normalised copies")
    args = ap.parse_args(argv)
    print(report(collect(args.data / "ravdess", args.normalise)))


if __name__ == "__main__":
    main()
