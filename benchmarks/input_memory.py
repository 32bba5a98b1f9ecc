"""Memory of reading a long recording: `run --input` streams it, so the peak RSS stays
flat with the file's length (the whole-file read it replaced held ~940 MB for 2 h).

Writes 30 min and 2 h recordings (16-bit 16 kHz WAV, read exactly, and 44.1 kHz stereo
FLAC, decoded by PyAV) to a temporary folder, then reads each in a fresh process, the
way `run --input` and `analyze` do (`voicecoach.audio.files.FileSource`), and prints the
peak RSS (MB) of that process, next to a process that only imports the reader and one
that holds the whole 2 h file (what `run --input` did before).

    python benchmarks/input_memory.py [--hours 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

READ = """
import sys, time
from voicecoach.audio.files import AudioFile, FileSource
t0 = time.perf_counter()
n = 0
if sys.argv[1] == "whole":  # the whole file in memory, as `run --input` did before
    n = len(AudioFile(sys.argv[2]).read())
elif sys.argv[1] == "stream":
    for chunk in FileSource(sys.argv[2]).chunks():
        n += len(chunk)
# VmHWM, not ru_maxrss: the latter keeps the forking parent's RSS across exec.
status = open("/proc/self/status").read().split("VmHWM:")[1]
peak = int(status.split()[0]) / 1024
print(n / 16000, peak, time.perf_counter() - t0)
"""


def _noise(seconds: float, sr: int, channels: int, seed: int):
    """A tone with a little noise, in 60 s blocks (never the whole file in memory here
    either; mostly tone, so the FLAC stays a few hundred MB)."""
    rng = np.random.default_rng(seed)
    left = int(seconds * sr)
    t = np.arange(60 * sr) / sr
    tone = 0.1 * np.sin(2 * np.pi * 220 * t)
    while left > 0:
        n = min(left, 60 * sr)
        block = tone[:n, None] + 0.002 * rng.standard_normal((n, channels))
        yield (block.clip(-1, 1) * 32767).astype("<i2")
        left -= n


def write_wav(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        for block in _noise(seconds, 16000, 1, 0):
            w.writeframes(block.tobytes())


def write_flac(path: Path, seconds: float) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=44100, layout="stereo")
        pts = 0
        for block in _noise(seconds, 44100, 2, 1):
            for i in range(0, len(block), 4608):
                part = np.ascontiguousarray(block[i : i + 4608])
                frame = av.AudioFrame.from_ndarray(
                    part.reshape(1, -1), format="s16", layout="stereo"
                )
                frame.sample_rate = 44100
                frame.pts = pts
                pts += len(part)
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def measure(mode: str, path: str = "-") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", READ, mode, path], capture_output=True, text=True, check=True
    )
    seconds, peak, took = (float(x) for x in out.stdout.split())
    return {
        "audio_h": round(seconds / 3600, 3),
        "peak_rss_mb": round(peak),
        "read_s": round(took, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--hours", type=float, default=2.0)
    args = p.parse_args()
    result = {"import only": measure("none")}
    with tempfile.TemporaryDirectory(prefix="vc-mem-") as tmp:
        for hours in (0.5, args.hours):
            for kind, write in (("wav", write_wav), ("flac", write_flac)):
                path = Path(tmp) / f"long-{hours}.{kind}"
                t0 = time.perf_counter()
                write(path, hours * 3600)
                print(f"wrote {path.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
                result[f"{kind} {hours} h, streamed"] = measure("stream", str(path))
                if hours == args.hours:
                    result[f"{kind} {hours} h, whole (before)"] = measure("whole", str(path))
                path.unlink()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
