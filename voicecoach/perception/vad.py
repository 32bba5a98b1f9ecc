"""Voice activity: webrtcvad per 30 ms frame, then a segmenter with onset and hangover.

Aggressiveness 2. Mode 3 is tuned for noisy telephony and clips the soft onsets and
trailing syllables of calm, quiet speech (the very baseline we must measure, and words
Whisper needs); modes 0-1 mark fans, rustle and breathing as speech and would start
utterances on room noise. Mode 2 keeps calm speech whole; the hangover below absorbs its
short within-sentence pauses. A level floor rejects digital near-silence.

Segmenter (like py-webrtcvad's example.py, but decided frame by frame on media time):
- onset: 4 of the last 5 frames voiced (confirmed 120-150 ms after the first voiced
  frame: fast enough for the coach to stop talking, slow enough to ignore clicks);
- end: 20 unvoiced frames (0.6 s). Within-turn pauses in conversation are mostly
  shorter than 0.5 s, while a 0.6 s gap keeps turn-taking snappy; 0.7+ s would merge a
  quick back-and-forth into one utterance;
- max length 15 s: past 12 s we cut at the first unvoiced frame, at 15 s we cut anyway.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

AGGRESSIVENESS = 2
LEVEL_FLOOR_DB = -65.0  # dBFS: below this nothing is speech, whatever webrtcvad says


def vad_flags(pcm: np.ndarray, level_db: np.ndarray, vad: webrtcvad.Vad) -> np.ndarray:
    """Speech flag per frame for (n, 480) float frames."""
    ints = (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2")
    out = np.zeros(len(pcm), dtype=bool)
    for i in range(len(pcm)):
        if level_db[i] > LEVEL_FLOOR_DB:
            out[i] = vad.is_speech(ints[i].tobytes(), SAMPLE_RATE)
    return out


@dataclass(frozen=True)
class SegmentEvent:
    """``kind``: "start" (onset confirmed) or "end"; frames are frame indices."""

    kind: str
    frame: int  # the frame at which this was decided (inclusive)
    start: int  # first voiced frame of the segment
    end: int = -1  # "end": one past the last frame of the segment


class Segmenter:
    """Frame-by-frame speech segmentation state machine."""

    def __init__(self, onset_window: int = 5, onset_voiced: int = 4, hangover: int = 20,
                 soft_max: int = 400, hard_max: int = 500) -> None:
        self.onset_window = onset_window
        self.onset_voiced = onset_voiced
        self.hangover = hangover
        self.soft_max = soft_max  # 12 s in frames: cut at the next unvoiced frame
        self.hard_max = hard_max  # 15 s
        self._ring: deque[tuple[int, bool]] = deque(maxlen=onset_window)
        self.active = False
        self.start = 0
        self._last_voiced = 0
        self._silent = 0

    def step(self, frame: int, voiced: bool) -> list[SegmentEvent]:
        out: list[SegmentEvent] = []
        if not self.active:
            self._ring.append((frame, voiced))
            if sum(v for _, v in self._ring) >= self.onset_voiced:
                self.active = True
                self.start = next(f for f, v in self._ring if v)
                self._last_voiced = frame if voiced else self.start
                self._silent = 0 if voiced else frame - self._last_voiced
                self._ring.clear()
                out.append(SegmentEvent("start", frame, self.start))
            return out
        if voiced:
            self._last_voiced = frame
            self._silent = 0
        else:
            self._silent += 1
        length = frame + 1 - self.start
        if self._silent >= self.hangover:
            out.append(self._close(frame, self._last_voiced + 1))
        elif length >= self.hard_max or (length >= self.soft_max and not voiced):
            # Cut the over-long segment here; speech continuing reopens at once.
            out.append(self._close(frame, frame + 1))
            if voiced:
                self.active = True
                self.start = frame + 1
                self._last_voiced = frame
                out.append(SegmentEvent("start", frame, frame + 1))
        return out

    def close(self, frame: int) -> SegmentEvent | None:
        """Force the open segment to end (end of input, or mute)."""
        if not self.active:
            self._ring.clear()
            return None
        return self._close(frame, self._last_voiced + 1)

    def _close(self, frame: int, end: int) -> SegmentEvent:
        ev = SegmentEvent("end", frame, self.start, max(end, self.start + 1))
        self.active = False
        self._silent = 0
        self._ring.clear()
        return ev
