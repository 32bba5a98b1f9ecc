"""Side by side: `WhisperTranscriber` against stock faster-whisper, on unseen voices.

Both run the same model files (int8, 2 threads) on the same clips, cut the way the app
cuts them (webrtcvad segmenter, first voiced frame to last). Stock is
``WhisperModel.transcribe(audio, language="en")`` with every other setting its default
(beam 5, temperature fallback, no VAD filter): telling it the language makes it faster,
so the speed ratio here is, if anything, against us.

The development speech has a FIXED split by speaker; thresholds may be tuned on the
tuning part only, and the report is on the validation part:

- RAVDESS actors 1-2 tune, 3-4 validate (manifest transcripts);
- speechocean762 voices: its own ``part`` (``train`` tunes, ``test`` validates;
  manifest texts);
- LibriSpeech readers: files in sorted order, even positions tune, odd validate. No text
  ships with them: their WER is against stock's own output (a pseudo-reference: read it
  as distance from stock, which is 0 for stock by definition) and they are left out of
  the headline WER.

    python -m voicecoach.lab.sttcompare --data ../shared/dev-audio [--part validation]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.speech.wer import edit_distance, words
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

SR = SAMPLE_RATE
TUNING_RAVDESS = {1, 2}  # actors; 3 and 4 validate
PARTS = ("tuning", "validation")


@dataclass
class Clip:
    set: str  # ravdess / speechocean / libri
    id: str
    speaker: str
    part: str  # tuning / validation
    audio: np.ndarray
    ref: str  # "" for LibriSpeech (scored against stock)

    @property
    def seconds(self) -> float:
        return self.audio.size / SR


# ---------------------------------------------------------------- cutting like the app


def load_audio(path: Path) -> np.ndarray:
    from faster_whisper import decode_audio

    return np.asarray(decode_audio(str(path), sampling_rate=SR), dtype=np.float32)


def vad_segments(audio: np.ndarray, hangover_s: float) -> list[tuple[int, int]]:
    """(start, end) samples of the app's VAD segments: first to last voiced frame."""
    import webrtcvad

    from voicecoach.perception.vad import AGGRESSIVENESS, Segmenter, vad_flags

    n = audio.size // FRAME_SAMPLES
    pcm = audio[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)
    level = 20 * np.log10(np.sqrt(np.mean(pcm.astype(np.float64) ** 2, axis=1)) + 1e-12)
    flags = vad_flags(pcm, level, webrtcvad.Vad(AGGRESSIVENESS))
    seg = Segmenter(hangover=round(hangover_s * SR / FRAME_SAMPLES))
    out = []
    for i, v in enumerate(flags):
        out += [(e.start, e.end) for e in seg.step(i, bool(v)) if e.kind == "end"]
    last = seg.close(n)
    if last is not None:
        out.append((last.start, last.end))
    return [(s * FRAME_SAMPLES, e * FRAME_SAMPLES) for s, e in out]


def vad_cut(audio: np.ndarray) -> np.ndarray:
    """``audio`` as the app hands it to Whisper: from the first voiced frame to the last
    (the 0.6 s hangover merges within-sentence pauses); silence padded around it first."""
    gap = np.zeros(SR // 2, dtype=np.float32)
    audio = np.concatenate([gap, audio, gap])
    segs = vad_segments(audio, 0.6)
    if not segs:
        return audio
    return audio[segs[0][0] : segs[-1][1]]


# ---------------------------------------------------------------- the development speech


def ravdess_clips(data: Path, per_actor: int) -> list[Clip]:
    manifest = json.loads((data / "ravdess" / "manifest.json").read_text())
    by_actor: dict[int, list[dict[str, Any]]] = {}
    for c in manifest["clips"]:
        by_actor.setdefault(int(c["actor"]), []).append(c)
    out = []
    for actor, clips in sorted(by_actor.items()):
        clips.sort(key=lambda c: c["id"])
        step = max(len(clips) / per_actor, 1.0)  # an even spread of emotions and sentences
        for k in range(min(per_actor, len(clips))):
            c = clips[int(k * step)]
            part = "tuning" if actor in TUNING_RAVDESS else "validation"
            audio = vad_cut(load_audio(data / c["audio"]))
            out.append(Clip("ravdess", c["id"], c["speaker"], part, audio, c["transcript"]))
    return out


def speechocean_clips(data: Path, per_speaker: int, every: int = 1) -> list[Clip]:
    """``per_speaker`` sentences of every ``every``-th voice (in name order)."""
    manifest = json.loads((data / "speakers" / "manifest.json").read_text())
    out = []
    for name, spk in sorted(manifest["speakers"].items())[::every]:
        part = "tuning" if spk.get("part") == "train" else "validation"
        for f in spk["files"][:per_speaker]:
            audio = vad_cut(load_audio(data / "speakers" / f["audio"]))
            out.append(Clip("speechocean", f["audio"], name, part, audio, f["text"]))
    return out


def libri_clips(data: Path, files: int | None, max_s: float = 8.0) -> list[Clip]:
    """Pieces of each reader's file cut at the app's pauses (VAD, 0.3 s), 1-8 s long."""
    out = []
    for k, f in enumerate(sorted((data / "librispeech").glob("*.flac"))[:files]):
        audio = load_audio(f)
        part = "tuning" if k % 2 == 0 else "validation"
        group: list[tuple[int, int]] = []
        for s, e in [*vad_segments(audio, 0.3), (-1, -1)]:
            if group and (s < 0 or e - group[0][0] > max_s * SR):
                a, b = group[0][0], group[-1][1]
                if SR <= b - a <= max_s * SR:
                    out.append(
                        Clip("libri", f"{f.stem}@{a / SR:.2f}", f.stem, part, audio[a:b], "")
                    )
                group = []
            if s >= 0:
                group.append((s, e))
    return out


def dev_clips(data: Path, quick: bool) -> list[Clip]:
    """The fixed selection: every set, both parts (``quick``: fewer clips per speaker)."""
    clips = ravdess_clips(data, 3 if quick else 10)
    clips += speechocean_clips(data, 1 if quick else 3, every=2 if quick else 1)
    clips += libri_clips(data, 4 if quick else None)
    return clips


# ---------------------------------------------------------------- running both


class Stock:
    """faster-whisper as its README uses it, on the same model files."""

    def __init__(self, model: str, cpu_threads: int = 2) -> None:
        from voicecoach.offline import enforce_offline

        enforce_offline()
        from faster_whisper import WhisperModel

        from voicecoach.speech.models import whisper_model_dir

        path = whisper_model_dir(model, progress=False)
        self.model = WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )

    def transcribe(self, audio: np.ndarray) -> str:
        segments, _ = self.model.transcribe(audio, language="en")
        return "".join(s.text for s in segments).strip()


def run(transcribers: dict[str, Any], clips: list[Clip]) -> dict[str, dict[str, list[Any]]]:
    """Texts and wall seconds per clip for each transcriber, taking turns clip by clip
    so that both see the same load on a shared machine (one warm-up call each first)."""
    out: dict[str, dict[str, list[Any]]] = {}
    for name, tr in transcribers.items():
        tr.transcribe(clips[0].audio)
        out[name] = {"texts": [], "wall": []}
    for c in clips:
        for name, tr in transcribers.items():
            t0 = time.perf_counter()
            out[name]["texts"].append(tr.transcribe(c.audio))
            out[name]["wall"].append(time.perf_counter() - t0)
    return out


def _wer(hyps: list[str], refs: list[str]) -> float | None:
    n = sum(len(words(r)) for r in refs)
    if not n:
        return None
    errs = sum(edit_distance(words(h), words(r)) for h, r in zip(hyps, refs, strict=True))
    return round(100.0 * errs / n, 2)


def score(clips: list[Clip], ours: dict[str, list[Any]], stock: dict[str, list[Any]]) -> dict:
    """Per part: WER (real text), distance to stock on LibriSpeech, time, speed-up."""
    out: dict[str, Any] = {}
    for part in PARTS:
        idx = [i for i, c in enumerate(clips) if c.part == part]
        if not idx:
            continue
        texted = [i for i in idx if clips[i].ref]
        libri = [i for i in idx if not clips[i].ref]
        t_ours = sum(ours["wall"][i] for i in idx)
        t_stock = sum(stock["wall"][i] for i in idx)
        row: dict[str, Any] = {
            "clips": len(idx),
            "speech_s": round(sum(clips[i].seconds for i in idx), 1),
            "wer_ours": _wer([ours["texts"][i] for i in texted], [clips[i].ref for i in texted]),
            "wer_stock": _wer([stock["texts"][i] for i in texted], [clips[i].ref for i in texted]),
            "libri_distance_to_stock": _wer(
                [ours["texts"][i] for i in libri], [stock["texts"][i] for i in libri]
            ),
            "median_ms_ours": round(1000 * statistics.median(ours["wall"][i] for i in idx)),
            "median_ms_stock": round(1000 * statistics.median(stock["wall"][i] for i in idx)),
            "speedup": round(t_stock / max(t_ours, 1e-9), 2),
        }
        for name in ("ravdess", "speechocean"):
            sub = [i for i in texted if clips[i].set == name]
            if sub:
                refs = [clips[i].ref for i in sub]
                row[f"wer_{name}"] = {
                    "ours": _wer([ours["texts"][i] for i in sub], refs),
                    "stock": _wer([stock["texts"][i] for i in sub], refs),
                }
        if row["wer_ours"] is not None and row["wer_stock"] is not None:
            row["met"] = row["speedup"] >= 3.0 and row["wer_ours"] <= row["wer_stock"] + 0.5
        out[part] = row
    return out


def compare(data: Path, *, quick: bool, model: str = "base") -> dict[str, Any]:
    """The side-by-side report (both parts; the headline is ``validation``)."""
    from voicecoach.speech.whisper import WhisperTranscriber

    clips = dev_clips(data, quick)
    ours_tr = WhisperTranscriber(model, progress=False)
    both = run({"ours": ours_tr, "stock": Stock(model)}, clips)
    ours, stock = both["ours"], both["stock"]
    diffs = [
        {"id": c.id, "ref": c.ref, "ours": o, "stock": s}
        for c, o, s in zip(clips, ours["texts"], stock["texts"], strict=True)
        if c.part == "validation" and words(o) != words(s)
    ]
    return {
        "model": model,
        "stock": "WhisperModel.transcribe(language='en'), other settings default",
        "target": "validation: >= 3x faster than stock at <= stock WER + 0.5 points",
        "fallbacks_to_30s": ours_tr.fallbacks,
        "loops_cut": ours_tr.loops_cut,
        "clips": len(clips),
        **score(clips, ours, stock),
        "validation_differences": diffs[:12],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.lab.sttcompare")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", default="base")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(compare(args.data, quick=args.quick, model=args.model), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
