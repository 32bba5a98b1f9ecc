"""Turns stage: the interruption/overlap detector, fed the frame model's evidence and
checked against the d-vector of the windows after a suspected change.

Per speech frame each known voice's cepstral log-likelihood goes to `OverlapDetector`
(see overlap.py for the rule). Speech unlike every known voice (a stranger, a
television) has no say in who holds the floor. A suspected change of voice is checked
on the d-vector of the 0.84 s from its onset, and a cut-in that check turned down gets a
second look past the overlap.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from voicecoach.perception.overlap import OverlapConfig, OverlapDetector, TurnChange
from voicecoach.perception.speakers import SpeakerBank
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame
from voicecoach.perception.types import Interruption, Overlap
from voicecoach.timebase import frame_count


@dataclass(frozen=True)
class TurnSettings:
    overlap: OverlapConfig = field(default_factory=OverlapConfig)
    verify_margin: float = 0.0  # d-vector may lean this much to the floor holder and
    # still confirm a suspected change (in an overlap both voices are in the window)
    verify_late_s: float = 0.63  # when the window right after the onset leans to the
    # floor holder, a second window from this far after the onset is judged: a cut-in
    # overlaps 0.5-1 s, and while both talk the floor holder's voice dominates the
    # first window (4 dialogue sets: 24 of 64 true cut-ins rejected by the first window)
    verify_late_min: float = 0.04  # ... which must lean this much to the intruder (in a
    # room the window past the overlap still holds the floor holder's echo and both
    # enrolments share the room: true cut-ins' second windows leaned only 0.05-0.08.
    # Simulated living room, 4 sets: 0.1 -> 0.04 recall 69.4 -> 72.2 %, precision 78.1 ->
    # 78.8 %; dry 4 sets identical; the second look only reports, attribution unchanged)
    verify_late_floor: float = 0.4  # ... asked only if the first leaned less than this
    # (to the floor holder: a window that is hers beyond doubt is not a cut-in's. 0.2
    # skipped cut-ins whose first window leaned -0.26..-0.33; over 4 dialogue sets 0.35
    # to 0.6 give the same: recall 85.2 -> 87.0 %, precision 95.8 -> 95.9 %)
    known_s: float = 0.6  # recent speech over which most frames must be a known
    # voice's for the frame model to speak on who holds the floor


TurnEvent = Interruption | Overlap


class Turns:
    """The overlap detector and its d-vector checks; ``frames()`` is the open segment."""

    def __init__(
        self,
        bank: SpeakerBank,
        windows: WindowEmbeddings,
        frames: Callable[[], list[Frame]],
        settings: TurnSettings,
    ) -> None:
        self.bank = bank
        self.windows = windows
        self.frames = frames
        self.cfg = settings
        self.detector = OverlapDetector(
            settings.overlap, verify=self.verify_change, verify_late=self.verify_late
        )
        self._known: deque[bool] = deque(maxlen=frame_count(settings.known_s))

    @property
    def idle(self) -> bool:
        return self.detector.idle

    def open(self, start: int, speaker: str) -> None:
        self.detector.open(start, speaker)

    def set_floor(self, speaker: str) -> None:
        self.detector.set_floor(speaker)

    def silence(self, idx: int, now_s: float) -> list[TurnEvent]:
        return _at_least(self.detector.silence(idx), now_s)

    def close(self, idx: int, now_s: float) -> list[TurnEvent]:
        return _at_least(self.detector.close(idx), now_s)

    def step(self, fr: Frame, now_s: float) -> tuple[list[TurnEvent], list[TurnChange]]:
        """One frame of the open segment: events decided, and changes of the floor the
        utterances must be split at."""
        lls = self.bank.frame_loglik(fr.mfcc[None, :]) if fr.vad else {}
        if lls:
            # Speech unlike every known voice (a stranger, a television) has no say in
            # which partner holds the floor: its few partner-like frames would swing it.
            self._known.append(bool(self.bank.known_frames(lls)[0]))
            if not self._known[-1] or sum(self._known) < 0.5 * len(self._known):
                lls = {}
        events = self.detector.step(
            fr.idx, fr.vad, fr.level_db, fr.aper, {k: float(v[0]) for k, v in lls.items()}
        )
        changes, self.detector.changes = self.detector.changes, []
        return _at_least(events, now_s), changes

    def verify_change(self, onset: int, intruder: str, floor: str) -> bool | None:
        """Does the d-vector of the 0.84 s from ``onset`` support a new voice? False only
        when it leans to the floor holder; None until the window is heard."""
        lean = self.window_lean(onset, self.axis(intruder, floor))
        return None if lean is None else lean > -self.cfg.verify_margin

    def verify_late(self, onset: int, intruder: str, floor: str) -> bool | None:
        """The second look (`verify_late_s`): does the window past the overlap lean to
        the intruder? None until it is heard."""
        axis = self.axis(intruder, floor)
        first = self.window_lean(onset, axis)
        if first is not None and first <= -self.cfg.verify_late_floor:
            return False
        lean = self.window_lean(onset + frame_count(self.cfg.verify_late_s), axis)
        return None if lean is None else lean > self.cfg.verify_late_min

    def axis(self, intruder: str, floor: str) -> np.ndarray | None:
        a, b = self.bank.get(intruder), self.bank.get(floor)
        return None if a is None or b is None else a.embedding - b.embedding

    def window_lean(self, start: int, axis: np.ndarray | None) -> float | None:
        """Cosine to the intruder less cosine to the floor holder (``axis``: the
        difference of their d-vectors) of the window from frame ``start``; +inf when a
        voice has no profile, None until the window is heard."""
        window = [f for f in self.frames() if start <= f.idx < start + WINDOW_FRAMES]
        if len(window) < WINDOW_FRAMES:
            return None
        if axis is None:
            return float("inf")
        return float(self.windows.window(window) @ axis)


def _at_least(events: list[TurnEvent], now_s: float) -> list[TurnEvent]:
    """Decision time is when we decided, never earlier than the frame now processed."""
    return [dataclasses.replace(ev, t=max(ev.t, now_s)) for ev in events]
