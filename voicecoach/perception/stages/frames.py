"""What flows between the listening stages: one analysed 30 ms frame, and the d-vector
window grid laid over a run of frames.

A `Frame` is made once by the segment stage and never changed; every later stage reads
it. Its ``idx`` is its place on the media timeline (frame k covers samples k*480 ..
(k+1)*480, see `voicecoach.timebase`); ``start_s`` gives that in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicecoach.perception.embedder import WINDOW_SAMPLES
from voicecoach.perception.features import FrameBlock, frame_time
from voicecoach.timebase import FRAME_S, frames_covering

WINDOW_FRAMES = frames_covering(WINDOW_SAMPLES)
"""Frames one d-vector window covers (28: 0.84 s)."""


@dataclass(frozen=True)
class Frame:
    """One analysed frame (see `features.FrameBlock` for how each value is measured)."""

    idx: int  # frame index on the media timeline
    pcm: np.ndarray  # (480,) float32 samples
    level_db: float  # RMS level, dBFS
    f0_hz: float  # YIN pitch, 0 = unvoiced
    aper: float  # YIN aperiodicity (0..1, low = one clear periodic voice)
    tilt_db: float  # energy 1-5 kHz over 50 Hz-1 kHz
    mfcc: np.ndarray  # (N_MFCC,) cepstrum without c0
    vad: bool  # webrtcvad calls it speech
    h1h2_db: float  # first minus second harmonic

    @property
    def start_s(self) -> float:
        return frame_time(self.idx)


def frames_of(block: FrameBlock, flags: np.ndarray) -> list[Frame]:
    """The frames of a block, with webrtcvad's speech ``flags``."""
    return [
        Frame(
            block.first + i,
            block.pcm[i],
            float(block.level_db[i]),
            float(block.f0[i]),
            float(block.aper[i]),
            float(block.tilt_db[i]),
            block.mfcc[i],
            bool(flags[i]),
            float(block.h1h2_db[i]),
        )
        for i in range(len(block))
    ]


def block_of(frames: list[Frame]) -> FrameBlock:
    """The frames as one FrameBlock (for the profile and baseline code, which is vectorised)."""
    return FrameBlock(
        frames[0].idx,
        np.stack([f.pcm for f in frames]),
        np.array([f.level_db for f in frames]),
        np.array([f.f0_hz for f in frames]),
        np.array([f.aper for f in frames]),
        np.array([f.tilt_db for f in frames]),
        np.stack([f.mfcc for f in frames]),
        np.array([f.h1h2_db for f in frames]),
    )


def grid(frames: list[Frame]) -> list[int]:
    """Positions of the d-vector windows of a run of frames: back to back from its start."""
    return list(range(0, max(1, len(frames) - WINDOW_FRAMES + 1), WINDOW_FRAMES))


def windows_for(frames: list[Frame], cap: int, per_s: float) -> int:
    """Windows to embed for a run of frames: one per started ``per_s`` seconds (rounded),
    at least one, at most ``cap``."""
    return min(cap, max(1, int(len(frames) * FRAME_S / per_s + 0.5)))


def seconds_of(frames: list[Frame]) -> float:
    """Duration of a run of frames (s)."""
    return frame_time(len(frames))
