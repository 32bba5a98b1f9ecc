"""Which encoder window keeps Whisper's transcripts as good as the 30 s padding, fastest?

faster-whisper pads every clip's log-mel features to Whisper's 30 s window, so a 3 s
utterance costs as much as 30 s. `WhisperTranscriber(window=EncoderWindow(min_s, pad_s, ...))`
instead gives the encoder max(clip + pad_s, min_s) seconds of frames. This script
measures, for tiny.en and base, every policy below against the padded path, on utterances
cut the way the app cuts them (webrtcvad segmenter: first voiced frame to last voiced
frame, see voicecoach/perception/vad.py), with REAL reference text where there is one:

- ravdess: RAVDESS acted sentences (4 speakers, all emotions), manifest transcripts;
- partners: lines partners say to the coach ("Yes.", "No, I don't.", mirroring sentences)
  spoken by the synthetic voices joe (Piper) and mia (Kokoro), calm and (joe) angry;
- libri: LibriSpeech utterances split at natural pauses (webrtcvad, >= 0.3 s) into 1-8 s
  pieces. No transcripts ship with them, so their reference is a PSEUDO-reference: base,
  beam 5, on the padded 30 s window. Read its WER as "distance from the best transcript
  we can make", not as true accuracy.

Time: median wall ms per utterance-length bucket (~1/3/6 s) over all data sets, and CPU
seconds (all threads, process_time) per second of speech.

    /work/venv-probe/bin/python benchmarks/stt_window.py --data /work/shared/dev-audio \
        [--models tiny.en,base] [--policies padded,w5,...] [--quick] [--json out.json]

Results are cached per (model, policy) in --cache, so an interrupted run resumes and a
second run reprints the tables. `--timing 5` instead times one joe line of ~1/3/4 s.

Findings (2026-11-22; the table is in `WhisperTranscriber`'s docstring):
- Short windows alone make the decoder repeat itself (whole utterance, its tail, or a
  phrase 3+ times): tiny.en looped on a third of the clips, base on 40 %.
- tiny.en: continuing the short encoder output with the cached encoding of 30 s of zero
  frames (context_s=30) removes the loops: same WER as padded, 1/4 of the CPU.
- base: the same splice makes it return nothing on short clips; max(clip + 1 s, 5 s)
  with the repeat stripped / loop guard matches padded within 0.2 points on RAVDESS and
  partner lines at 1/3 of the CPU; a 10 s window is worse on short clips than 5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.lab.sttcompare import load_audio, vad_cut, vad_segments
from voicecoach.speech.wer import wer as word_error_rate
from voicecoach.speech.wer import words as plain_words
from voicecoach.speech.whisper import EncoderWindow

log = logging.getLogger(__name__)

SR = 16_000
FRAME = 480  # webrtcvad's 30 ms frame

POLICIES: dict[str, tuple[float | None, float, bool, float | None]] = {
    # name: (window_s, pad_s, pad_audio, context_s). window_s None: faster-whisper's own
    # 30 s path. context_s: the encoder output continued to that length with the encoding
    # of zero frames (cached), so the decoder sees the clip followed by a long silence.
    "padded": (None, 0.0, False, None),
    "clip+0.5z": (0.0, 0.5, False, None),  # zero log-mel frames after the clip
    "clip+1z": (0.0, 1.0, False, None),
    "clip+2z": (0.0, 2.0, False, None),
    "clip+1sil": (0.0, 1.0, True, None),  # waveform padded with silence: real log-mel silence
    "clip+2sil": (0.0, 2.0, True, None),
    "w5": (5.0, 1.0, False, None),  # max(clip + 1 s, W) of frames, zero frames as padded does
    "w8": (8.0, 1.0, False, None),
    "w10": (10.0, 1.0, False, None),
    "w15": (15.0, 1.0, False, None),
    "clip+0.5z/ctx30": (0.0, 0.5, False, 30.0),
    "clip+1z/ctx30": (0.0, 1.0, False, 30.0),
    "clip+2z/ctx30": (0.0, 2.0, False, 30.0),
    "clip+1z/ctx10": (0.0, 1.0, False, 10.0),
    "w5/ctx30": (5.0, 1.0, False, 30.0),
    "w8/ctx30": (8.0, 1.0, False, 30.0),
}

# Lines partners say to the coach (voicecoach/lab/rehearse.py happy_replies and the
# safety/imago answers), 0.5-8 s when spoken.
PARTNER_LINES = (
    "Yes.",
    "No.",
    "No, I don't.",
    "Yes, I feel safe.",
    "I don't feel safe.",
    "Not really.",
    "I think so.",
    "Breathing, please.",
    "No, thank you.",
    "No, that's all.",
    "Yes, now is a good time.",
    "Can we take a break?",
    "You felt lonely.",
    "Is there more?",
    "You missed our evenings together.",
    "I had a long day at work, but it was fine.",
    "I felt lonely when you worked late every night this week.",
    "You never listen to me when I talk about work!",
    "I imagine you might be feeling lonely and sad.",
    "You make sense, and what makes sense is that you missed me.",
    "If I got it, you felt lonely when I worked late every night this week. Did I get it?",
    "Let me see if I got all of that. You felt lonely when I worked late.",
    "When you raise your voice, I shut down, and then we both feel unheard and alone.",
    "I value that you cooked dinner on Sunday, and that you listened to me today.",
)
ANGRY_LINES = PARTNER_LINES[2:24:3]  # a spread of lengths, joe at effort 0.8

BUCKETS = {"1s": (0.5, 1.6), "3s": (2.4, 3.6), "6s": (5.0, 7.0)}


@dataclass
class Clip:
    set: str
    id: str
    audio: np.ndarray
    ref: str

    @property
    def seconds(self) -> float:
        return self.audio.size / SR


# ---------------------------------------------------------------- scoring

_NUM = {"ok": "okay", "1": "one", "2": "two", "3": "three", "mr": "mister", "mrs": "missus"}


def words(text: str) -> list[str]:
    return [_NUM.get(w.strip("'"), w.strip("'")) for w in plain_words(text)]


def wer(hyps: list[str], refs: list[str]) -> float:
    return word_error_rate(hyps, refs, normalise=words)


# ---------------------------------------------------------------- data


# The app's cutting, shared with the lab's side-by-side comparison.
_load = load_audio


def ravdess(data: Path, per_actor: int) -> list[Clip]:
    manifest = json.loads((data / "ravdess" / "manifest.json").read_text())
    by_actor: dict[str, list[dict]] = {}
    for c in manifest["clips"]:
        by_actor.setdefault(c["speaker"], []).append(c)
    out = []
    for _actor, clips in sorted(by_actor.items()):
        clips.sort(key=lambda c: c["id"])
        # An even spread over the actor's emotions/intensities/statements.
        step = max(len(clips) / per_actor, 1.0)
        for k in range(min(per_actor, len(clips))):
            c = clips[int(k * step)]
            out.append(Clip("ravdess", c["id"], vad_cut(_load(data / c["audio"])), c["transcript"]))
    return out


def libri_pieces(data: Path, limit: int | None) -> list[Clip]:
    """1-8 s pieces cut at pauses of >= 0.3 s (webrtcvad), speech frames only; a stretch
    with no such pause for 8 s is cut at its pauses of >= 0.15 s instead."""
    out = []
    for f in sorted((data / "librispeech").glob("*.flac"))[:limit]:
        audio = _load(f)
        for a, b in _pieces(audio, 0, audio.size, 0.3):
            out.append(Clip("libri", f"{f.stem}@{a / SR:.2f}", audio[a:b], ""))
    return out


def _pieces(audio: np.ndarray, lo: int, hi: int, hangover_s: float) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    group: list[tuple[int, int]] = []
    segs = [(lo + s, lo + e) for s, e in vad_segments(audio[lo:hi], hangover_s)]
    for s, e in [*segs, (-1, -1)]:
        if group and (s < 0 or e - group[0][0] > 8 * SR):
            a, b = group[0][0], group[-1][1]
            if b - a > 8 * SR and hangover_s > 0.15:
                out += _pieces(audio, a, b, 0.15)
            elif SR <= b - a <= 8 * SR:
                out.append((a, b))
            group = []
        if s >= 0:
            group.append((s, e))
    return out


def partner_clips(cache: Path) -> list[Clip]:
    from voicecoach.lab.partners import partner_voice

    cache.mkdir(parents=True, exist_ok=True)
    jobs = [("joe", t, 0.0) for t in PARTNER_LINES] + [("mia", t, 0.0) for t in PARTNER_LINES]
    jobs += [("joe", t, 0.8) for t in ANGRY_LINES]
    out = []
    for voice, text, effort in jobs:
        key = hashlib.sha1(f"{voice}|{effort}|{text}".encode()).hexdigest()[:12]
        path = cache / f"render-{key}.npy"
        if not path.exists():
            np.save(path, partner_voice(voice).render(text, effort=effort))
        audio = vad_cut(np.load(path))
        out.append(Clip("partners", f"{voice}{'!' if effort else ''}:{text}", audio, text))
    return out


# ---------------------------------------------------------------- running


def _window(policy: str) -> EncoderWindow | None:
    window_s, pad_s, pad_audio, context_s = POLICIES[policy]
    if window_s is None:
        return None
    return EncoderWindow(min_s=window_s, pad_s=pad_s, pad_audio=pad_audio, context_s=context_s)


def transcribe_all(model: str, policy: str, clips: list[Clip], beam: int) -> dict:
    from voicecoach.speech.whisper import WhisperTranscriber

    w = WhisperTranscriber(model, window=_window(policy), beam_size=beam, progress=False)
    w.transcribe(clips[0].audio)  # warm-up: first call allocates
    texts, wall, cpu, fell_back = [], [], [], []
    for c in clips:
        before = w.fallbacks
        t0, c0 = time.perf_counter(), time.process_time()
        texts.append(w.transcribe(c.audio))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        fell_back.append(w.fallbacks > before)
    return {"texts": texts, "wall": wall, "cpu": cpu, "fallbacks": fell_back}


def cached_run(cache: Path, tag: str, model: str, policy: str, clips: list[Clip], beam: int):
    ids = hashlib.sha1("|".join(c.id for c in clips).encode()).hexdigest()[:10]
    path = cache / f"run-{tag}-{model}-{policy.replace('/', '_')}-b{beam}-{ids}.json"
    if path.exists():
        return json.loads(path.read_text())
    t = time.perf_counter()
    res = transcribe_all(model, policy, clips, beam)
    path.write_text(json.dumps(res))
    print(f"  {model:8s} {policy:10s} b{beam}: {time.perf_counter() - t:6.1f} s", flush=True)
    return res


def summarise(clips: list[Clip], res: dict) -> dict:
    from voicecoach.speech.trust import looks_looped

    row: dict = {}
    for name in ("ravdess", "partners", "libri"):
        idx = [i for i, c in enumerate(clips) if c.set == name]
        if idx:
            row[f"wer_{name}"] = round(
                wer([res["texts"][i] for i in idx], [clips[i].ref for i in idx]), 1
            )
    for b, (lo, hi) in BUCKETS.items():
        t = [res["wall"][i] for i, c in enumerate(clips) if lo <= c.seconds < hi]
        row[f"ms_{b}"] = round(1000 * statistics.median(t)) if t else None
    row["cpu_per_speech_s"] = round(sum(res["cpu"]) / sum(c.seconds for c in clips), 3)
    row["fallbacks"] = int(sum(res["fallbacks"]))
    row["loops_left"] = sum(looks_looped(t) for t in res["texts"])
    return row


def timing(model: str, policies: list[str], clips: list[Clip], runs: int) -> dict:
    """Median wall and CPU ms of one clip near 1, 3 and 6 s (joe's partner lines), ``runs``
    times each, one model loaded per policy: a quieter measurement than the bucket medians
    of the WER pass, whose clips differ in length and text."""
    from voicecoach.speech.whisper import WhisperTranscriber

    joe = [c for c in clips if c.id.startswith("joe:")]
    picks = {
        b: min(joe, key=lambda c, t=t: abs(c.seconds - t))
        for b, t in (("1s", 1.0), ("3s", 3.0), ("6s", 6.0))
    }
    out: dict = {}
    for policy in policies:
        w = WhisperTranscriber(model, window=_window(policy), progress=False)
        w.transcribe(picks["1s"].audio)  # warm-up
        row: dict = {}
        for b, c in picks.items():
            wall, cpu = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                w.transcribe(c.audio)
                wall.append(1000 * (time.perf_counter() - t0))
                cpu.append(1000 * (time.process_time() - c0))
            row[b] = {
                "s": round(c.seconds, 2),
                "wall_ms": round(statistics.median(wall)),
                "cpu_ms": round(statistics.median(cpu)),
            }
        out[f"{model}/{policy}"] = row
        print(
            f"  timing {model}/{policy}: "
            + ", ".join(
                f"{b} ({v['s']} s) {v['wall_ms']} ms wall {v['cpu_ms']} ms CPU"
                for b, v in row.items()
            ),
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="folder with ravdess/ and librispeech/"
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voicecoach-stt-window"))
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--ravdess-per-actor", type=int, default=12)
    parser.add_argument("--libri-files", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="4 RAVDESS/actor, 6 Libri files")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--show-diffs", action="store_true", help="print texts that differ")
    parser.add_argument(
        "--timing",
        type=int,
        default=0,
        metavar="RUNS",
        help="only time a ~1/3/6 s clip RUNS times per model/policy (no WER pass)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.quick:
        args.ravdess_per_actor, args.libri_files = 4, 6
    args.cache.mkdir(parents=True, exist_ok=True)
    if not (args.data / "ravdess").is_dir():
        sys.exit(f"no ravdess/ in {args.data}")

    clips = ravdess(args.data, args.ravdess_per_actor)
    libri = libri_pieces(args.data, args.libri_files)
    clips += partner_clips(args.cache)
    # Pseudo-reference for LibriSpeech pieces: base, beam 5, padded 30 s window.
    ref = cached_run(args.cache, "libriref", "base", "padded", libri, 5)
    for c, text in zip(libri, ref["texts"], strict=True):
        c.ref = text
    clips += libri
    secs = [c.seconds for c in clips]
    print(
        f"{len(clips)} utterances ({sum(c.set == 'ravdess' for c in clips)} ravdess, "
        f"{sum(c.set == 'partners' for c in clips)} partners, {len(libri)} libri), "
        f"{min(secs):.1f}-{max(secs):.1f} s, median {statistics.median(secs):.1f} s; "
        + ", ".join(f"{b}: {sum(lo <= s < hi for s in secs)}" for b, (lo, hi) in BUCKETS.items()),
        flush=True,
    )
    policies = args.policies.split(",")
    if args.timing:
        with open("/proc/loadavg") as f:
            print(f"load average before: {f.read().split()[:3]}")
        times = {}
        for model in args.models.split(","):
            times.update(timing(model, policies, clips, args.timing))
        if args.json:
            args.json.write_text(json.dumps(times, indent=1))
        return
    table: dict = {}
    for model in args.models.split(","):
        for policy in policies:
            res = cached_run(args.cache, "eval", model, policy, clips, args.beam)
            table[f"{model}/{policy}"] = summarise(clips, res)
            if args.show_diffs and policy != "padded":
                pad = cached_run(args.cache, "eval", model, "padded", clips, args.beam)
                for i, c in enumerate(clips):
                    if words(res["texts"][i]) != words(pad["texts"][i]):
                        print(
                            f"    {model}/{policy} {c.id}: ref {c.ref!r}\n"
                            f"      padded {pad['texts'][i]!r}\n"
                            f"      {policy:6s} {res['texts'][i]!r}"
                        )

    cols = [
        "wer_ravdess",
        "wer_partners",
        "wer_libri",
        "ms_1s",
        "ms_3s",
        "ms_6s",
        "cpu_per_speech_s",
        "fallbacks",
        "loops_left",
    ]
    print("\nWER % (libri: vs pseudo-reference), median wall ms, CPU s per s of speech")
    print(f"{'model/policy':20s}" + "".join(f"{c:>17s}" for c in cols))
    for name, row in table.items():
        print(f"{name:20s}" + "".join(f"{row.get(c)!s:>17s}" for c in cols))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
