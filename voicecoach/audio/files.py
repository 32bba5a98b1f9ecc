"""Audio files as sources and sinks: WAV/FLAC in, WAV out, on exact media time."""

from __future__ import annotations

import logging
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from voicecoach.errors import UserError
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype(np.int16)


def quantize(audio: np.ndarray) -> np.ndarray:
    """Round float audio to the 16-bit grid a microphone or a WAV file would give.

    The demo feeds its simulated microphone through this, so replaying the WAV it wrote
    gives the pipeline bit-identical samples, hence identical events.
    """
    return to_int16(audio).astype(np.float32) / 32767.0


def read_audio(path: str | Path) -> np.ndarray:
    """Read any WAV/FLAC/MP3/... file as 16 kHz mono float32.

    16-bit mono 16 kHz WAV is read directly (exact samples); anything else is decoded
    and resampled with PyAV (a faster-whisper dependency).
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Audio file not found: {path}")
    try:
        with wave.open(str(path), "rb") as w:
            if w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2:
                raw = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
                return raw.astype(np.float32) / 32767.0
    except (wave.Error, EOFError):
        pass  # not a plain PCM WAV: let PyAV decode it
    try:
        from faster_whisper.audio import decode_audio

        return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)
    except Exception as exc:  # PyAV raises many types for undecodable input
        raise UserError(
            f"Cannot read audio file {path}: {exc}. Use a WAV or FLAC recording."
        ) from exc


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(to_int16(audio).tobytes())


class FileSource:
    """A recording played into the pipeline as fast as the machine allows."""

    def __init__(self, path: str | Path, *, chunk_samples: int = 4096) -> None:
        self.name = str(path)
        self.audio = read_audio(path)
        self.chunk_samples = chunk_samples

    def chunks(self) -> Iterator[np.ndarray]:
        for i in range(0, len(self.audio), self.chunk_samples):
            yield self.audio[i : i + self.chunk_samples]

    def close(self) -> None:
        pass


class ArraySource(FileSource):
    """An in-memory signal as a source (tests, `analyze` on arrays)."""

    def __init__(
        self, audio: np.ndarray, *, chunk_samples: int = 4096, name: str = "array"
    ) -> None:
        self.name = name
        self.audio = np.asarray(audio, dtype=np.float32)
        self.chunk_samples = chunk_samples


class TrackSink:
    """Collects the coach's voice on the session timeline (media time), in memory.

    `stop(t)` cuts the voice at ``t``: what would have played after is dropped, as
    a speaker would.
    """

    def __init__(self, name: str = "track") -> None:
        self.name = name
        self._track = np.zeros(0, dtype=np.float32)

    def play(self, t: float, audio: np.ndarray) -> None:
        start = int(round(t * SAMPLE_RATE))
        end = start + len(audio)
        if end > len(self._track):
            self._track = np.concatenate(
                [self._track, np.zeros(end - len(self._track), np.float32)]
            )
        self._track[start:end] += audio

    def stop(self, t: float) -> None:
        self._track = self._track[: int(round(t * SAMPLE_RATE))]

    def audio(self) -> np.ndarray:
        return self._track

    def close(self) -> None:
        pass


class WavSink(TrackSink):
    """The coach's voice written to a WAV file at its exact media-time position."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(name=str(path))
        self.path = Path(path)

    def close(self) -> None:
        write_wav(self.path, self._track)
        log.info("wrote %s (%.1f s)", self.path, len(self._track) / SAMPLE_RATE)


def mix(*tracks: np.ndarray) -> np.ndarray:
    """Sum tracks of different lengths on one timeline, limited to [-1, 1]."""
    n = max((len(t) for t in tracks), default=0)
    out = np.zeros(n, dtype=np.float32)
    for track in tracks:
        out[: len(track)] += track
    peak = float(np.max(np.abs(out))) if n else 0.0
    # Scale rather than clip: a clipped overlap sounds like a fault, not a conversation.
    return out / peak * 0.98 if peak > 0.98 else out
