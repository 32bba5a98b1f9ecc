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


READ_CHUNK_SAMPLES = 16_000
"""Samples per chunk when streaming a file (1 s): memory stays flat with its length."""

SUPPORTED = "a WAV, FLAC, MP3, OGG or other common audio file"


def _wav_direct(path: Path) -> wave.Wave_read | None:
    """``path`` opened with ``wave`` if it is 16 kHz mono 16-bit PCM (read exactly, as
    the demo wrote it); None for anything else (decoded by PyAV)."""
    try:
        w = wave.open(str(path), "rb")
    except (wave.Error, EOFError, OSError):
        return None
    if w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2:
        return w
    w.close()
    return None


def _wav_chunks(w: wave.Wave_read, chunk_samples: int) -> Iterator[np.ndarray]:
    with w:
        carry = b""
        while True:
            raw = w.readframes(chunk_samples)
            if not raw:
                return
            raw = carry + raw
            # A truncated file can end mid-sample: the odd byte is dropped, not a crash.
            usable = len(raw) - len(raw) % 2
            carry = raw[usable:]
            if usable:
                yield np.frombuffer(raw[:usable], dtype=np.int16).astype(np.float32) / 32767.0


def _av_chunks(path: Path, chunk_samples: int) -> Iterator[np.ndarray]:
    """Decode and resample to 16 kHz mono with PyAV (a faster-whisper dependency), frame by
    frame; the samples are faster-whisper's ``decode_audio``'s, without holding them all."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except Exception as exc:  # PyAV raises many types for undecodable input
        raise _not_audio(path, exc) from exc
    with container:
        if not container.streams.audio:
            raise _not_audio(path, "no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        held = 0
        produced = 0
        try:
            for frame in container.decode(stream):
                frame.pts = None  # resample by sample count: damaged timestamps don't matter
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1))
                    held += pending[-1].size
                if held >= chunk_samples:
                    chunk = np.concatenate(pending).astype(np.float32) / 32768.0
                    pending, held = [], 0
                    produced += chunk.size
                    yield chunk
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if not produced and not pending:
                raise _not_audio(path, exc) from exc
            # A damaged tail: keep everything before it, say where it stopped.
            log.warning("%s: unreadable after %.1f s (%s)", path, produced / SAMPLE_RATE, exc)
        if pending:
            yield np.concatenate(pending).astype(np.float32) / 32768.0


def _not_audio(path: Path, why: object) -> UserError:
    return UserError(f"Could not read the audio file {path} ({why}): give {SUPPORTED}.")


class AudioFile:
    """A recording on disk as a stream of 16 kHz mono float32 chunks: the one reader of
    `run --input`, `analyze` and enrolment files.

    Opening checks the file at once (missing, not audio, no samples at all) so a mistake
    is a UserError before anything runs; ``chunks()`` then streams it, so a two-hour file
    costs no more memory than a minute. 16-bit mono 16 kHz WAV is read exactly; anything
    else (8/24/32-bit and float WAV, other rates, stereo, FLAC, MP3, OGG...) is decoded
    and resampled by PyAV. A file cut off mid-sample or mid-frame gives what it holds.
    """

    def __init__(self, path: str | Path, *, chunk_samples: int = READ_CHUNK_SAMPLES) -> None:
        self.path = Path(path)
        self.chunk_samples = chunk_samples
        if not self.path.exists() or self.path.is_dir():  # a named pipe is fine: streamed
            what = "is a directory, not" if self.path.is_dir() else "does not exist: give"
            raise UserError(f"The audio file {self.path} {what} a recording.")
        it = self._open()
        first = next(it, None)
        if first is None:
            raise UserError(f"The audio file {self.path} contains no audio (no samples).")
        self._first: np.ndarray | None = first
        self._rest: Iterator[np.ndarray] | None = it

    def _open(self) -> Iterator[np.ndarray]:
        w = _wav_direct(self.path)
        if w is not None:
            return _wav_chunks(w, self.chunk_samples)
        return _av_chunks(self.path, self.chunk_samples)

    def chunks(self) -> Iterator[np.ndarray]:
        """The samples, once (a second call reads the file again)."""
        first, rest = self._first, self._rest
        self._first = self._rest = None
        if first is None or rest is None:
            first, rest = None, self._open()
        if first is not None:
            yield first
        yield from rest

    def read(self) -> np.ndarray:
        """The whole file in memory (short files: enrolment, tests)."""
        pieces = list(self.chunks())
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def read_audio(path: str | Path) -> np.ndarray:
    """Read any WAV/FLAC/MP3/... file whole as 16 kHz mono float32 (see AudioFile)."""
    return AudioFile(path).read()


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(to_int16(audio).tobytes())


class FileSource:
    """A recording played into the pipeline as fast as the machine allows, streamed."""

    def __init__(self, path: str | Path, *, chunk_samples: int = 4096) -> None:
        self.name = str(path)
        self._file = AudioFile(path, chunk_samples=chunk_samples)

    def chunks(self) -> Iterator[np.ndarray]:
        yield from self._file.chunks()

    def interrupt(self) -> None:
        pass  # never waits: it ends with its input

    def close(self) -> None:
        pass


class ArraySource:
    """An in-memory signal as a source (tests, `analyze` on arrays)."""

    def __init__(
        self, audio: np.ndarray, *, chunk_samples: int = 4096, name: str = "array"
    ) -> None:
        self.name = name
        self.audio = np.asarray(audio, dtype=np.float32)
        self.chunk_samples = chunk_samples

    def chunks(self) -> Iterator[np.ndarray]:
        for i in range(0, len(self.audio), self.chunk_samples):
            yield self.audio[i : i + self.chunk_samples]

    def interrupt(self) -> None:
        pass  # never waits: it ends with its input

    def close(self) -> None:
        pass


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

    def drain(self) -> None:
        pass  # written at once: nothing is left to be heard

    def interrupt(self) -> None:
        pass  # never waits

    def close(self) -> None:
        pass


class WavSink:
    """The coach's voice written to a WAV file at its exact media-time position, streamed.

    The file is created when the sink is made (an unwritable path is a UserError before
    the session starts) and grows as the session goes: audio before the latest ``play`` or
    ``stop`` time can no longer change, so it goes to disk and only the prompt still
    playing is held in memory. The header is kept up to date with every write, so even a
    session killed outright leaves a readable WAV; ``close`` finalises it.
    """

    def __init__(self, path: str | Path) -> None:
        self.name = str(path)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav: wave.Wave_write | None = wave.open(str(self.path), "wb")
        except OSError as exc:
            raise UserError(
                f"Cannot write the output file {self.path} ({exc.strerror or exc}): "
                "give a writable path ending in .wav."
            ) from exc
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._written = 0  # samples on disk
        self._tail = np.zeros(0, np.float32)  # samples from _written on, still changeable

    def _commit(self, upto: int) -> None:
        """Write everything before sample ``upto`` (silence where nothing was played)."""
        if self._wav is None or upto <= self._written:
            return
        n = upto - self._written
        out = np.zeros(n, np.float32)
        k = min(n, len(self._tail))
        out[:k] = self._tail[:k]
        self._tail = self._tail[k:]
        self._wav.writeframes(to_int16(out).tobytes())
        self._written = upto

    def play(self, t: float, audio: np.ndarray) -> None:
        start = int(round(t * SAMPLE_RATE))
        self._commit(start)
        offset = max(start - self._written, 0)
        end = offset + len(audio)
        if end > len(self._tail):
            self._tail = np.concatenate([self._tail, np.zeros(end - len(self._tail), np.float32)])
        self._tail[offset:end] += np.asarray(audio, dtype=np.float32)[: end - offset]

    def stop(self, t: float) -> None:
        cut = int(round(t * SAMPLE_RATE))
        self._commit(cut)
        self._tail = self._tail[: max(cut - self._written, 0)]

    @property
    def samples(self) -> int:
        """Length of the coach's track so far (written and pending)."""
        return self._written + len(self._tail)

    def drain(self) -> None:
        pass  # written at once: nothing is left to be heard

    def interrupt(self) -> None:
        pass  # never waits

    def close(self) -> None:
        if self._wav is None:
            return
        self._commit(self.samples)
        self._wav.close()
        self._wav = None
        log.info("wrote %s (%.1f s)", self.path, self._written / SAMPLE_RATE)


def mix(*tracks: np.ndarray) -> np.ndarray:
    """Sum tracks of different lengths on one timeline, limited to [-1, 1]."""
    n = max((len(t) for t in tracks), default=0)
    out = np.zeros(n, dtype=np.float32)
    for track in tracks:
        out[: len(track)] += track
    peak = float(np.max(np.abs(out))) if n else 0.0
    # Scale rather than clip: a clipped overlap sounds like a fault, not a conversation.
    return out / peak * 0.98 if peak > 0.98 else out
