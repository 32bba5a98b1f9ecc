"""The coach's WAV is streamed to disk: the same samples as the in-memory track, a header
that is right after every write (a killed session leaves a readable file), and memory
that holds only the prompt still playing."""

from __future__ import annotations

import wave

import numpy as np

from voicecoach.audio.files import AudioFile, TrackSink, WavSink, quantize
from voicecoach.timebase import SAMPLE_RATE


def _tone(seconds: float, f: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_streamed_wav_equals_the_track_and_is_readable_midway(tmp_path):
    path = tmp_path / "coach.wav"
    wav, track = WavSink(path), TrackSink()
    calls = [
        ("play", 0.5, _tone(1.0, 200)),
        ("play", 3.0, _tone(2.0, 300)),
        ("stop", 3.7, None),  # barge-in
        ("play", 10.0, _tone(0.5, 400)),
    ]
    for what, t, audio in calls:
        for sink in (wav, track):
            sink.play(t, audio) if what == "play" else sink.stop(t)
    # Before close: what is final is on disk with a header that says so.
    with wave.open(str(path)) as w:
        assert w.getnframes() == int(10.0 * SAMPLE_RATE)
    assert len(wav._tail) == int(0.5 * SAMPLE_RATE)  # only the last prompt in memory
    wav.close()
    got = AudioFile(path).read()
    assert np.array_equal(got, quantize(track.audio()))
