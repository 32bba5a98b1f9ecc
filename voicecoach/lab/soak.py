"""Hours of listening: a soak run of `voicecoach run --input` on generated audio.

``python -m voicecoach.lab.soak --hours 8`` streams hours of a mixed evening (calm talk,
silence, TV-like noise, arguments) into a real ``python -m voicecoach run --input FIFO``
subprocess through a named pipe: the audio is generated as it is read, never stored. It
prints, as JSON:

- ``rss_slope_mb_per_h``: how the run process's resident memory grows per hour of audio
  (least squares over everything after the first 10 %, once the models are in);
- ``drift_ms_per_h`` and ``offset_ms``: the log's ``heard`` starts against where the lines
  really start (slope over the run, and the median offset): the media clock must not drift;
- ``log``: whether every line reads strictly, the end record's reason and time against the
  audio's length, and the share of calm lines that appear as ``heard`` records;
- ``false_alarms_per_h``: ``detect`` records outside the arguments (and 10 s after them)
  per hour of calm talk, silence and TV; ``arguments_flagged``: share of arguments with one;
- ``speed_x``: audio seconds per wall second.

The session runs a generated script that only monitors, says one line per heat alarm and
monitors again (no dialogue waits for answers nobody gives). Partners are Piper's joe and
joe pitched up; the TV is a third, band-limited voice over music-like tones and noise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voicecoach.audio.files import to_int16
from voicecoach.eventlog import read_events
from voicecoach.lab.partners import partner_voice
from voicecoach.lab.testaudio import set_level
from voicecoach.speech.resample import resample
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

CALM = [
    "I went to the market this morning and they had fresh bread again.",
    "Your mother called, she wants to know if we are coming on Sunday.",
    "I think the garden needs some water, it was very dry today.",
    "Did you see the letter from the bank on the table?",
    "We could try the new place on the corner for dinner on Friday.",
    "The car is making that noise again when it starts in the morning.",
    "I finished the book you gave me, the ending was a surprise.",
    "Let's plan the trip in the spring, when the weather is nicer.",
    "The neighbours got a dog, a small brown one, very friendly.",
    "I have a long meeting tomorrow, so I will be home a bit later.",
]
ARGUE = [
    "You never listen to me, not once, not ever!",
    "That is not true and you know it!",
    "Why do you always have to make everything about you?",
    "I am so tired of this, every single time!",
    "Don't you dare say that to me again!",
    "You promised, you promised me and you forgot!",
]
TV = [
    "And now the weather for the coming week, with rain in the north.",
    "Scientists say the new bridge will open to traffic next summer.",
    "The home team scored twice in the second half to win the match.",
    "Stay with us, after the break we look at the best recipes for autumn.",
]

SOAK_SCRIPT_REPEATS = 400


def soak_script(path: Path, repeats: int = SOAK_SCRIPT_REPEATS) -> Path:
    """A script that monitors, says one calming line at each heat alarm, and monitors
    again, ``repeats`` times (unrolled: a script must always be able to end)."""
    lines = ["description: Soak test - monitor for hours.", "steps:"]
    for i in range(repeats):
        lines += [
            f"  - id: watch_{i}",
            "    kind: monitor",
            f"  - id: calm_{i}",
            "    kind: say",
            '    text: "Let\'s slow down a little."',
        ]
    lines += ["  - id: done", "    kind: end", "    result: done"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Piece:
    kind: str  # "calm" | "silence" | "tv" | "argue"
    start_s: float
    end_s: float
    lines: list[tuple[float, float]] = field(default_factory=list)  # speech (start, end), s


class Evening:
    """The generated audio, block after block: calm talk, silence, TV, an argument, calm.

    Pools of rendered lines are made once; each block draws from them at random (seeded),
    so hours of audio cost a few minutes of synthesis and no disk.
    """

    BLOCK = (("calm", 180.0), ("silence", 180.0), ("tv", 180.0), ("argue", 60.0))

    def __init__(self, hours: float, seed: int = 0) -> None:
        self.total_s = hours * 3600.0
        self.rng = np.random.default_rng(seed)
        self.pieces: list[Piece] = []
        joe = partner_voice("joe")

        def voice_b(text: str, effort: float) -> np.ndarray:
            # Joe pitched up a third: a second, higher voice (a resample, cheap).
            return resample(joe.render(text, effort=effort), round(SAMPLE_RATE * 1.3), SAMPLE_RATE)

        log.info("rendering the line pools")
        self.calm = [set_level(joe.render(t), -26) for t in CALM]
        self.calm += [set_level(voice_b(t, 0.0), -26) for t in CALM]
        self.argue = [set_level(joe.render(t, effort=1.0), -16) for t in ARGUE]
        self.argue += [set_level(voice_b(t, 1.0), -16) for t in ARGUE]
        tv = [resample(joe.render(t), round(SAMPLE_RATE * 0.85), SAMPLE_RATE) for t in TV]
        self.tv = [set_level(_band(x), -40) for x in tv]

    def chunks(self) -> Iterator[np.ndarray]:
        t = 0.0
        while t < self.total_s:
            for kind, length in self.BLOCK:
                length = min(length, self.total_s - t)
                if length <= 0:
                    return
                piece = Piece(kind, t, t + length)
                audio = getattr(self, f"_{kind}")(length, piece)
                self.pieces.append(piece)
                yield audio
                t += length

    def _talk(self, length: float, piece: Piece, pool: list[np.ndarray], gap: tuple) -> np.ndarray:
        out = np.zeros(int(length * SAMPLE_RATE), np.float32)
        i = int(self.rng.uniform(0.5, 1.5) * SAMPLE_RATE)
        while True:
            line = pool[int(self.rng.integers(len(pool)))]
            if i + len(line) > len(out) - SAMPLE_RATE:
                break
            out[i : i + len(line)] += line
            piece.lines.append(
                (piece.start_s + i / SAMPLE_RATE, piece.start_s + (i + len(line)) / SAMPLE_RATE)
            )
            i += len(line) + int(self.rng.uniform(*gap) * SAMPLE_RATE)
        return out

    def _calm(self, length: float, piece: Piece) -> np.ndarray:
        return self._talk(length, piece, self.calm, (1.0, 3.0))

    def _argue(self, length: float, piece: Piece) -> np.ndarray:
        # Heated: short gaps, and some lines start before the other's has ended.
        return np.clip(self._talk(length, piece, self.argue, (-0.6, 0.3)), -1, 1)

    def _silence(self, length: float, piece: Piece) -> np.ndarray:
        n = int(length * SAMPLE_RATE)
        return (self.rng.standard_normal(n) * 10 ** (-70 / 20)).astype(np.float32)  # room hiss

    def _tv(self, length: float, piece: Piece) -> np.ndarray:
        n = int(length * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
        out = (10 ** (-48 / 20) * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(
            np.float32
        )
        out += _pink(n, self.rng, -50.0)
        i = 0
        while i < n:
            line = self.tv[int(self.rng.integers(len(self.tv)))]
            seg = line[: n - i]
            out[i : i + len(seg)] += seg
            i += len(line) + int(0.4 * SAMPLE_RATE)
        return out


def _band(x: np.ndarray) -> np.ndarray:
    """300-3400 Hz: a small TV speaker."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    spec[(f < 300) | (f > 3400)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def _pink(n: int, rng: np.random.Generator, level_db: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spec[1:] /= np.sqrt(f[1:])
    x = np.fft.irfft(spec, n)
    x *= 10 ** (level_db / 20) / (np.sqrt(np.mean(x**2)) + 1e-12)
    return x.astype(np.float32)


def _wav_header(n_samples: int) -> bytes:
    data = 2 * n_samples
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data)
    )


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _slope(x: list[float], y: list[float]) -> float:
    if len(x) < 3:
        return float("nan")
    return float(np.polyfit(np.asarray(x), np.asarray(y), 1)[0])


def run(hours: float, model: str, work: Path, seed: int = 0) -> dict:
    evening = Evening(hours, seed)
    fifo = work / "evening.wav"
    os.mkfifo(fifo)
    logs = work / "logs"
    cmd = [sys.executable, "-m", "voicecoach", "run", "--input", str(fifo)]
    cmd += ["--output", str(work / "coach.wav"), "--log-dir", str(logs), "--quiet"]
    cmd += ["--model", model, "--script", str(soak_script(work / "soak.yaml"))]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    written = [0]  # samples handed to the pipe
    samples: list[tuple[float, float]] = []  # (audio hours read, RSS MB)

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(_wav_header(int(evening.total_s * SAMPLE_RATE)))
            for audio in evening.chunks():
                for i in range(0, len(audio), SAMPLE_RATE * 10):
                    pipe.write(to_int16(audio[i : i + SAMPLE_RATE * 10]).tobytes())
                    written[0] += len(audio[i : i + SAMPLE_RATE * 10])

    t0 = time.monotonic()
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    last_print = 0.0
    while proc.poll() is None:
        time.sleep(2.0)
        rss = _rss_mb(proc.pid)
        if rss is not None:
            samples.append((written[0] / SAMPLE_RATE / 3600, rss))
        if time.monotonic() - last_print > 60:
            last_print = time.monotonic()
            print(
                f"  {written[0] / SAMPLE_RATE / 3600:.2f} h of audio in "
                f"{(time.monotonic() - t0) / 60:.1f} min, RSS {rss} MB",
                file=sys.stderr,
                flush=True,
            )
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    writer.join(timeout=5)
    return _score(evening, logs, samples, wall, proc.returncode, err)


def _score(evening: Evening, logs: Path, samples, wall: float, code: int, err: str) -> dict:
    paths = list(logs.glob("*/events.jsonl"))
    strict_ok = True
    try:
        events = read_events(paths[0], strict=True)
    except (ValueError, IndexError):
        strict_ok = False
        events = read_events(paths[0]) if paths else []
    end = events[-1] if events else {}
    hours = evening.total_s / 3600
    # Memory: after the first 10 % (the models are in by then).
    late = [(h, r) for h, r in samples if h >= 0.1 * hours]
    # Clock: each heard start against the true start of the line it begins with.
    starts = np.array(
        [s for p in evening.pieces if p.kind in ("calm", "argue") for s, _ in p.lines]
    )
    offsets: list[tuple[float, float]] = []
    for e in events:
        if e["type"] == "heard" and len(starts):
            k = int(np.argmin(np.abs(starts - e["start"])))
            if abs(starts[k] - e["start"]) < 1.0:
                offsets.append((starts[k] / 3600, 1000 * (e["start"] - starts[k])))
    # Completeness: calm lines that overlap some heard record.
    heard = [(e["start"], e["end"]) for e in events if e["type"] == "heard"]
    calm_lines = [ln for p in evening.pieces if p.kind == "calm" for ln in p.lines]
    covered = sum(any(s < he and hs < en for hs, he in heard) for s, en in calm_lines)
    # Alarms: inside an argument (or within 10 s after it) or false.
    argue = [(p.start_s, p.end_s + 10.0) for p in evening.pieces if p.kind == "argue"]
    detects = [e for e in events if e["type"] == "detect"]
    false = [e for e in detects if not any(a <= e["t"] <= b for a, b in argue)]
    flagged = sum(any(a <= e["t"] <= b for e in detects) for a, b in argue)
    quiet_h = sum(p.end_s - p.start_s for p in evening.pieces if p.kind != "argue") / 3600
    by_kind: dict[str, int] = {}
    for e in false:
        kind = next((p.kind for p in evening.pieces if p.start_s <= e["t"] < p.end_s + 10.0), "?")
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return {
        "audio_hours": round(hours, 3),
        "wall_minutes": round(wall / 60, 1),
        "speed_x": round(evening.total_s / wall, 2),
        "exit_code": code,
        "rss_mb_first_last": [round(samples[0][1]), round(samples[-1][1])] if samples else None,
        "rss_peak_mb": round(max(r for _, r in samples)) if samples else None,
        "rss_slope_mb_per_h": round(_slope([a for a, _ in late], [b for _, b in late]), 2)
        if len(late) > 2
        else None,
        "drift_ms_per_h": round(_slope([a for a, _ in offsets], [b for _, b in offsets]), 2)
        if len(offsets) > 2
        else None,
        "offset_ms_median": round(float(np.median([o for _, o in offsets])), 1)
        if offsets
        else None,
        "log": {
            "reads_strictly": strict_ok,
            "records": len(events),
            "end_reason": end.get("reason"),
            "end_t": end.get("t"),
            "audio_s": evening.total_s,
            "calm_lines_heard": f"{covered}/{len(calm_lines)}",
        },
        "false_alarms": len(false),
        "false_alarms_per_h": round(len(false) / quiet_h, 2) if quiet_h else None,
        "false_alarms_by_part": by_kind,
        "arguments_flagged": f"{flagged}/{len(argue)}",
        "stderr_tail": err.strip().splitlines()[-3:],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m voicecoach.lab.soak", description=__doc__)
    p.add_argument("--hours", type=float, default=8.0, help="audio to stream (default 8)")
    p.add_argument("--model", default="tiny.en", help="Whisper model for the run (tiny.en)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="vc-soak-") as tmp:
        result = run(args.hours, args.model, Path(tmp), args.seed)
    print(json.dumps(result, indent=1))
    return 0 if result["exit_code"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
