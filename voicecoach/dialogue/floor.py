"""One partner's turn: who has the floor, their words so far, and when the turn is over.

A pause is not the end of a turn: a finished sentence needs a short silence, a trailing
"...and I" a long one. If the other partner talks over the floor holder, the coach waits
for a natural gap in the floor holder's speech and then holds the floor for them, gently.
The engine asks ``decide`` on every tick; this module only decides, it never speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from voicecoach.dialogue.answers import heard_anything
from voicecoach.dialogue.settings import Settings
from voicecoach.dialogue.turns import end_wait_s

log = logging.getLogger(__name__)

BOTH = "both"  # the floor is open to either partner (monitor, "either" questions)

STALE_TALK_S = 20.0  # a SpeechStarted never followed by words stops counting after this
GAP_S = 0.3  # a "natural gap" in the floor holder's speech, long enough to speak into
AFTER_HOLD_S = 3.0  # after "let X finish", X gets this long to pick the thread up again
AFTER_HOLD_INCOMPLETE_S = 2.0  # ... and this much more if they stopped mid-sentence
OTHER_QUIET_S = 4.0  # an interrupter still "talking" after this long is not waited for


@dataclass(frozen=True)
class HoldFloor:
    """Say "let <floor> finish; you'll have your turn, <other>" now."""

    floor: str
    other: str


@dataclass(frozen=True)
class TurnOver:
    text: str  # the whole turn, "" for silence
    noise: bool = False  # they spoke but no words came through


@dataclass
class Turn:
    """A partner's turn in progress (``speaker`` may be BOTH)."""

    speaker: str
    step: str
    started: float
    max_s: float
    end_s: float  # silence that ends a turn after a finished sentence
    quiet_from: float  # silence is measured from here (or from the last words' end)
    parts: list[str] = field(default_factory=list)
    last_end: float | None = None
    talking: bool = False
    noise: bool = False
    by: str | None = None  # who actually spoke (for BOTH turns)
    intruder: str | None = None  # the other partner talked during this turn
    holds: int = 0
    after_hold: bool = False
    expects: str = "message"  # what the step waits for: "yesno", "choice", "free", "message"

    def owns(self, who: str) -> bool:
        return self.speaker in (who, BOTH)

    def add(self, who: str, text: str, end: float) -> None:
        """Words from the floor holder (``text`` may be empty: speech without words)."""
        if heard_anything(text):
            self.parts.append(text.strip())
        else:
            self.noise = True
        self.by = self.by or who
        self.last_end = max(end, self.last_end or end)
        self.talking = False

    def interrupted_by(self, who: str) -> None:
        if self.speaker != BOTH and who != self.speaker:
            self.intruder = who

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def quiet(self, t: float) -> bool:
        """The floor holder is in a natural gap: the coach may say something short."""
        return not self.talking and (self.last_end is None or t - self.last_end >= GAP_S)

    def resume_after_aside(self, t: float) -> None:
        """The coach just spoke into the turn: silence counts from now."""
        self.quiet_from = t

    def decide(
        self, t: float, talking: Mapping[str, float], s: Settings
    ) -> HoldFloor | TurnOver | None:
        """What to do at media time ``t``; ``talking``: who started speaking when."""
        if self.talking and t - talking.get(self.speaker, t) > STALE_TALK_S:
            self.talking = False
        hold = self._hold(t, talking, s)
        if hold is not None or self.intruder is not None:
            return hold  # never end a turn while the other partner is cutting in
        if self.talking:
            if t - self.started < self.max_s + 30.0:
                return None
            self.talking = False  # far past the maximum: stop waiting for their words
        elapsed = t - self.started
        if self.parts:
            text = self.text
            need = end_wait_s(text, self.expects, self.end_s, s)
            complete = need <= self.end_s
            if self.after_hold:
                # They were just talked over and then addressed: time to resume.
                need = max(need, AFTER_HOLD_S) + (0.0 if complete else AFTER_HOLD_INCOMPLETE_S)
            last = max(self.last_end or self.quiet_from, self.quiet_from)
            if t - last >= need or elapsed >= self.max_s:
                return TurnOver(text)
            return None
        if self.noise and self.last_end is not None:
            if t - max(self.last_end, self.quiet_from) >= self.end_s:
                return TurnOver("", noise=True)
            return None
        if t - self.quiet_from >= min(s.silence_s, self.max_s) or elapsed >= self.max_s:
            return TurnOver("")
        return None

    def _hold(self, t: float, talking: Mapping[str, float], s: Settings) -> HoldFloor | None:
        if self.intruder is None:
            return None
        if self.holds >= s.max_holds:
            self.intruder = None  # held the floor enough times; let it be
            return None
        floor_quiet = self.quiet(t)
        other_since = talking.get(self.intruder)
        other_quiet = other_since is None or t - other_since > OTHER_QUIET_S
        if not (floor_quiet and other_quiet):
            return None
        other, self.intruder = self.intruder, None
        self.holds += 1
        self.after_hold = True
        return HoldFloor(self.speaker, other)
