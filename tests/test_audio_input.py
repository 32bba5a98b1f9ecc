"""Audio input that never surprises: `run --input` and `analyze` read every file through
one streaming reader, whatever its format, and refuse non-audio with one sentence."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.files import AudioFile, FileSource, write_wav
from voicecoach.cli import main
from voicecoach.errors import UserError
from voicecoach.perception.analyze import load_audio
from voicecoach.timebase import SAMPLE_RATE


def tone(seconds: float, sr: int, channels: int = 1) -> np.ndarray:
    """A 440 Hz tone with a 3 Hz tremolo (something to compare), shape (n, channels)."""
    t = np.arange(int(seconds * sr)) / sr
    x = 0.4 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32)


def pcm_wav(path: Path, x: np.ndarray, sr: int, width: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(width)
        w.setframerate(sr)
        if width == 1:
            data = (np.clip(x, -1, 1) * 127 + 128).astype(np.uint8).tobytes()
        elif width == 3:
            ints = (np.clip(x, -1, 1) * 8388607).astype("<i4").reshape(-1)
            data = b"".join(struct.pack("<i", v)[:3] for v in ints)
        else:
            data = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        w.writeframes(data)


def float_wav(path: Path, x: np.ndarray, sr: int) -> None:
    data = x.astype("<f4").tobytes()
    ch = x.shape[1]
    fmt = struct.pack("<HHIIHH", 3, ch, sr, sr * ch * 4, ch * 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def encoded(path: Path, x: np.ndarray, sr: int, codec: str) -> None:
    import av

    layout = "stereo" if x.shape[1] == 2 else "mono"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        fmt = stream.codec_context.codec.audio_formats[0].name
        frame_len = stream.codec_context.frame_size or 1024
        for i in range(0, len(x), frame_len):
            block = np.ascontiguousarray(x[i : i + frame_len])
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = sr
            frame.pts = i
            resampled = av.AudioResampler(format=fmt, layout=layout, rate=sr).resample(frame)
            for f in resampled:
                f.pts = None
                out.mux(stream.encode(f))
        out.mux(stream.encode(None))


FORMATS = {
    "wav16-mono-16k": lambda p, x: pcm_wav(p, x, 16000, 2),
    "wav8-mono-16k": lambda p, x: pcm_wav(p, x, 16000, 1),
    "wav24-stereo-48k": lambda p, x: pcm_wav(p, np.repeat(x, 2, 1), 48000, 3),
    "wav16-stereo-44k": lambda p, x: pcm_wav(p, np.repeat(x, 2, 1), 44100, 2),
    "wavfloat-mono-22k": lambda p, x: float_wav(p, x, 22050),
    "flac-mono-16k": lambda p, x: encoded(p, x, 16000, "flac"),
    "mp3-stereo-44k": lambda p, x: encoded(p, np.repeat(x, 2, 1), 44100, "mp3"),
    "ogg-mono-48k": lambda p, x: encoded(p, x, 48000, "libopus"),
}
SUFFIX = {"flac": ".flac", "mp3": ".mp3", "ogg": ".ogg"}


def _sr(name: str) -> int:
    return {"16k": 16000, "22k": 22050, "44k": 44100, "48k": 48000}[name.rsplit("-", 1)[1]]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_reads_as_the_same_16k_mono_signal(fmt, tmp_path):
    sr = _sr(fmt)
    path = tmp_path / f"talk{SUFFIX.get(fmt.split('-')[0], '.wav')}"
    FORMATS[fmt](path, tone(2.0, sr))
    got = AudioFile(path).read()
    # Codecs add delay/padding (MP3 ~50 ms): the signal is there, at 16 kHz, of the length.
    assert abs(len(got) / SAMPLE_RATE - 2.0) < 0.1, len(got)
    ref = tone(2.0, SAMPLE_RATE)[:, 0]
    n = min(len(ref), len(got))
    lag = int(np.argmax(np.correlate(got[:4000], ref[:2000], mode="valid")))
    seg = got[lag : lag + n - 4000]
    corr = np.corrcoef(seg, ref[: len(seg)])[0, 1]
    assert corr > 0.95, (fmt, lag, corr)
    # `run --input` and `analyze` see the very same samples.
    streamed = np.concatenate(list(FileSource(path, chunk_samples=1000).chunks()))
    assert np.array_equal(streamed, load_audio(path))
    assert np.array_equal(streamed, got)


def test_odd_byte_count_wav_reads_like_analyze(tmp_path):
    path = tmp_path / "cut.wav"
    write_wav(path, tone(1.0, SAMPLE_RATE)[:, 0])
    with open(path, "ab") as fh:
        fh.write(b"\x01")  # a copy cut one byte into a sample
    data = path.read_bytes()
    # ...and the header claims more than is there, as after an interrupted recording.
    path.write_bytes(data[:40] + struct.pack("<I", len(data)) + data[44:])
    got = np.concatenate(list(FileSource(path).chunks()))
    assert len(got) == SAMPLE_RATE
    assert np.array_equal(got, load_audio(path))


def test_header_only_wav_is_the_same_clear_error_everywhere(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "empty.wav"
    write_wav(path, np.zeros(0, np.float32))
    assert main(["run", "--input", str(path), "--output", "o.wav"]) == 2
    run_err = capsys.readouterr().err
    assert main(["analyze", str(path)]) == 2
    analyze_err = capsys.readouterr().err
    assert "contains no audio" in run_err and run_err == analyze_err
    assert len(run_err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content", [b"this is not audio at all" * 10, b"RIFF\x00\x00\x00\x00WAVEjunk", b""]
)
def test_not_audio_is_one_sentence(tmp_path, content):
    path = tmp_path / "junk.wav"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        AudioFile(path)
    assert "Could not read the audio file" in str(info.value) or "no audio" in str(info.value)


def test_a_long_file_is_streamed_not_loaded(tmp_path):
    """Chunks come from the file as they are read: the reader never holds the whole file
    (benchmarks/input_memory.py measures the RSS of a 2 h file)."""
    path = tmp_path / "long.wav"
    write_wav(path, np.zeros(60 * SAMPLE_RATE, np.float32))
    source = FileSource(path)
    assert not hasattr(source, "audio")
    sizes = [len(c) for c in source.chunks()]
    assert sum(sizes) == 60 * SAMPLE_RATE and max(sizes) <= 16_000


def test_a_directory_as_input_is_named(tmp_path):
    with pytest.raises(UserError, match="directory"):
        AudioFile(tmp_path)
