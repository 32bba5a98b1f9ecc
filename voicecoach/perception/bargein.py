"""Barge-in: a partner starting to talk while the coach is speaking.

The coach should stop at once and listen. Fed every frame of the echo-cancelled
microphone signal; its answer matters only while the coach speaks. Speech that was
already going when the coach began (partners trailing off) is not a barge-in: an onset
needs a quiet stretch before it, and a partner who picks up again after a pause, just as
the coach starts, is one.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE, frame_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BargeInConfig:
    window_s: float = 0.12  # look at the last 120 ms (4 frames) ...
    voiced_s: float = 0.09  # ... of which this much voiced: ~90 ms of speech decides (the
    # stop target is 300 ms from onset, and the speaker's buffer and the mic's latency take
    # ~200 ms of it; the strict VAD mode and the level floor keep residual echo out)
    quiet_s: float = 0.18  # 180 ms of quiet must come first (after the coach began)
    min_level_db: float = -50.0  # dBFS: quieter "speech" is residual echo or room noise
    vad_aggressiveness: int = 3  # the strictest: the coach's residual echo must not pass


class BargeInDetector:
    """Feed 30 ms frames while the coach speaks; `push` says when a partner cut in."""

    def __init__(self, config: BargeInConfig | None = None) -> None:
        self.cfg = config or BargeInConfig()
        self._vad = webrtcvad.Vad(self.cfg.vad_aggressiveness)
        self._window = frame_count(self.cfg.window_s)  # frames, like the two below
        self._voiced = frame_count(self.cfg.voiced_s)
        self._quiet = frame_count(self.cfg.quiet_s)
        self._recent: deque[bool] = deque(maxlen=self._window)
        self._quiet_run = 0
        self._armed = False

    def reset(self) -> None:
        """The coach starts a new prompt.

        If the room was already quiet, the next onset is someone cutting in; if someone
        was still talking, only speech after a new quiet stretch is.
        """
        self._recent.clear()
        self._armed = self._quiet_run >= self._quiet

    def push(self, frame: np.ndarray) -> bool:
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"barge-in frames are {FRAME_SAMPLES} samples, got {len(frame)}")
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)) + 1e-12))
        loud = 20 * np.log10(rms) > self.cfg.min_level_db
        pcm = (np.clip(frame, -1, 1) * 32767).astype(np.int16).tobytes()
        voiced = loud and self._vad.is_speech(pcm, SAMPLE_RATE)
        self._quiet_run = 0 if voiced else self._quiet_run + 1
        if self._quiet_run >= self._quiet:
            self._armed = True
            self._recent.clear()
        self._recent.append(voiced)
        return self._armed and sum(self._recent) >= self._voiced
