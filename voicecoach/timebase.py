"""Media time: every decision in voicecoach is made on time counted from audio samples.

Nothing in the logic reads the wall clock, so a session replayed from a file gives the
same events as it did live, only faster.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Hz. All internal audio is 16 kHz mono float32 in [-1, 1]."""

FRAME_MS = 30
"""Milliseconds per analysis frame (one of webrtcvad's allowed sizes)."""

FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
"""Samples per analysis frame (480)."""


def seconds(samples: int) -> float:
    """Media time in seconds for a sample count."""
    return samples / SAMPLE_RATE


def samples(seconds_: float) -> int:
    """Sample count for a media time in seconds (rounded to the nearest sample)."""
    return int(round(seconds_ * SAMPLE_RATE))


FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
"""Seconds per analysis frame (0.03)."""


def frame_count(seconds_: float) -> int:
    """Whole frames nearest to a duration in seconds: settings are written in seconds,
    and this is the one place they become frame counts."""
    return int(round(seconds_ / FRAME_S))


def frames_covering(samples_: int) -> int:
    """Frames needed to cover ``samples_`` samples (rounded up)."""
    return -(-samples_ // FRAME_SAMPLES)
