"""Segment stage: audio in (any chunk size), analysed frames and speech segments out.

Per 30 ms frame: features (level, YIN pitch, tilt, cepstrum; features.py), webrtcvad
with a quiet tail kept in steady noise, and the segmenter's onset and hangover (vad.py).
While muted (the coach speaks) the audio is analysed, so frame numbers stay media time,
but no frame is heard.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.perception.features import FrameAnalyzer
from voicecoach.perception.stages.frames import Frame, frames_of
from voicecoach.perception.vad import AGGRESSIVENESS, QuietTail, Segmenter, SegmentEvent, vad_flags
from voicecoach.timebase import frame_count

_RECENT = 8  # frames kept before an onset: the segmenter confirms an onset on a ring of
# 5 frames, and the segment starts at the first voiced one of them


def finite_audio(samples: np.ndarray) -> np.ndarray:
    """float32 samples with every non-finite one replaced (a broken decoder or driver): NaN
    is no sound, an infinity the rail it could not exceed. Finite audio is unchanged."""
    x = np.asarray(samples, dtype=np.float32)
    if np.isfinite(x).all():
        return x
    return np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)


@dataclass(frozen=True)
class SegmentSettings:
    vad_aggressiveness: int = AGGRESSIVENESS
    hangover_s: float = 0.6  # silence that ends an utterance (see vad.py)
    max_utterance_s: float = 15.0
    soft_max_fraction: float = 0.8  # past this much of the maximum, cut at the next
    # unvoiced frame


@dataclass(frozen=True)
class Heard:
    """One frame through the segmenter: the segment boundaries it decided, whether a
    segment is open after it, and (when one started) its frames so far."""

    frame: Frame
    boundaries: tuple[SegmentEvent, ...]
    in_segment: bool
    onset: tuple[Frame, ...] = ()  # a "start" boundary: the frames from its start on


class Segmentation:
    def __init__(self, settings: SegmentSettings) -> None:
        self.cfg = settings
        self._analyzer = FrameAnalyzer()
        self._vad = webrtcvad.Vad(settings.vad_aggressiveness)
        self._tail = QuietTail()
        self._seg = Segmenter(
            hangover=frame_count(settings.hangover_s),
            soft_max=frame_count(settings.soft_max_fraction * settings.max_utterance_s),
            hard_max=frame_count(settings.max_utterance_s),
        )
        self._recent: deque[Frame] = deque(maxlen=_RECENT)
        self.muted = False

    @property
    def frames_analysed(self) -> int:
        return self._analyzer.frames

    def open_pause(self) -> tuple[int, int, int] | None:
        """(silent frames, last voiced frame, last kept frame) of the open segment while
        its speaker is silent; None while they talk, or with no segment open."""
        seg = self._seg
        if self.muted or not seg.active or seg.silent == 0:
            return None
        return seg.silent, seg.last_voiced, seg.last_kept

    def set_hangover(self, seconds: float | None) -> None:
        """Silence that ends an utterance from the next frame on; None: the configured one."""
        hangover = self.cfg.hangover_s if seconds is None else seconds
        self._seg.hangover = max(1, frame_count(hangover))

    def push(self, samples: np.ndarray) -> list[Heard]:
        block = self._analyzer.push(finite_audio(samples))
        if block is None:
            return []
        if self.muted:
            self._recent.clear()
            return []
        flags = vad_flags(block.pcm, block.level_db, self._vad)
        # The segment keeps a quiet tail in noise; the frame evidence stays webrtcvad's.
        held = self._tail.extend(block.level_db, flags)
        out: list[Heard] = []
        for fr, keep in zip(frames_of(block, flags), held, strict=True):
            self._recent.append(fr)
            events = tuple(self._seg.step(fr.idx, fr.vad, bool(keep)))
            starts = [ev.start for ev in events if ev.kind == "start"]
            onset = tuple(f for f in self._recent if f.idx >= starts[-1]) if starts else ()
            out.append(Heard(fr, events, self._seg.active, onset))
        return out

    def close(self, now: int) -> SegmentEvent | None:
        """Force the open segment to end (end of input, or mute)."""
        return self._seg.close(now)
