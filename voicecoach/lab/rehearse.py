"""Rehearse a session without audio: simulated partners answer the engine on media time.

Used by the tests (and usable by a demo): time moves on a 30 ms grid, each ``Say`` is
"played" for a duration computed from its text and answered with ``SayDone``, and each
``Listen`` is answered by the partner it names, from a table keyed by ``Listen.step``.
Deterministic: no clock, no randomness.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.floor import BOTH
from voicecoach.dialogue.protocol import (
    Action,
    EngineInput,
    HeatAlarm,
    Listen,
    PartnerSaid,
    Say,
    SayDone,
    SpeechStarted,
    StopSpeaking,
    Tick,
)
from voicecoach.session import UNINTERRUPTIBLE

log = logging.getLogger(__name__)

GRID_S = 0.03  # one audio frame
CHARS_PER_S = 15.0  # the coach's speaking speed
WORDS_PER_S = 2.5  # a partner's speaking speed
VAD_ONSET_S = 0.2  # the pipeline knows someone started talking this long after onset
VAD_END_S = 0.5  # ... and that an utterance ended this long after its last word


@dataclass(frozen=True)
class Line:
    """One utterance of a simulated partner."""

    text: str
    speaker: str | None = None  # None: whoever the Listen named (partner 1 for "both")
    after: float = 0.4  # s of silence before it (from the Listen, or the previous line)
    dur: float | None = None  # s of speech; None: from the number of words
    heat: bool = False  # a raised-voice alarm fires as it ends


Reply = str | Line | tuple[Line, ...] | None
"""What a partner answers to one Listen: words, a Line, a tuple of Lines, or None (silence).

A *list* in the replies table is something else: one Reply per Listen, in turn.
"""


@dataclass
class Rehearsal:
    """Drive ``engine`` with simulated partners answering from ``replies``.

    ``replies`` maps ``"<step>@<speaker>"`` or ``"<step>"`` to a Reply (used for every
    Listen), or to a list of Replies used one per Listen (then silence). ``default``
    answers anything else.
    """

    engine: Engine
    replies: Mapping[str, Reply | list[Reply]] = field(default_factory=dict)
    default: Reply | Callable[[Listen], Reply] = None
    log: list[tuple[float, Action | EngineInput]] = field(default_factory=list)
    t: float = 0.0

    def __post_init__(self) -> None:
        self._queue: list[tuple[float, int, EngineInput]] = []
        self._seq = itertools.count()
        self._used: dict[str, int] = {}
        self._say_due: tuple[float, int, str] | None = None
        self._busy_until = 0.0  # a simulated partner is speaking until then
        self._barges: list[float] = []
        self._say_firm = False  # media times a partner cuts into the coach's line

    # ------------------------------------------------------------ scheduling

    def at(self, t: float, event: EngineInput) -> None:
        """Deliver ``event`` at media time ``t`` (e.g. a HeatAlarm, a KeyPressed)."""
        heapq.heappush(self._queue, (t, next(self._seq), event))

    def speak(
        self, speaker: str, text: str, start: float, dur: float | None = None, heat: bool = False
    ) -> float:
        """Schedule an utterance; returns its end time."""
        dur = dur if dur is not None else max(0.4, len(text.split()) / WORDS_PER_S)
        end = start + dur
        self.at(start + VAD_ONSET_S, SpeechStarted(start + VAD_ONSET_S, speaker))
        self.at(end + VAD_END_S, PartnerSaid(end + VAD_END_S, speaker, text, start, end))
        if heat:
            alarm = HeatAlarm(end + VAD_END_S, "raised_voice", speaker, 0.9, onset=start)
            self.at(end + VAD_END_S, alarm)
        self._busy_until = max(self._busy_until, end + VAD_END_S)
        return end

    def barge_in(self, speaker: str, text: str, start: float, dur: float | None = None) -> float:
        """A partner talks over the coach at ``start``: as the session's barge-in detector
        does, the line in the air stops (an interrupted SayDone) unless it is firm, and
        their words follow. Returns the end of their words."""
        heapq.heappush(self._barges, start + VAD_ONSET_S)
        return self.speak(speaker, text, start, dur)

    # ------------------------------------------------------------ running

    def run(
        self, until: float = 4 * 3600.0, stop: Callable[[Rehearsal], bool] | None = None
    ) -> Rehearsal:
        """Run until the engine finishes, ``stop`` says so, or media time ``until``."""
        if not self.engine._started:
            self._take(self.engine.start(self.t))
        while not self.engine.finished and self.t < until:
            if stop is not None and stop(self):
                break
            self.t = round(self.t + GRID_S, 6)
            while self._barges and self._barges[0] <= self.t:
                heapq.heappop(self._barges)
                self._cut_in()
            while self._queue and self._queue[0][0] <= self.t:
                _, _, event = heapq.heappop(self._queue)
                self._feed(event)
            if self._say_due is not None and self._say_due[0] <= self.t:
                _, _, sid = self._say_due
                self._say_due = None
                self._feed(SayDone(self.t, sid))
            self._feed(Tick(self.t))
        return self

    def run_to(self, step: str, until: float = 4 * 3600.0) -> Rehearsal:
        """Run until the engine enters, listens at or speaks ``"script.step"`` (or a Say id)."""
        from voicecoach.dialogue.protocol import EnterStep

        seen = len(self.log)

        def reached(r: Rehearsal) -> bool:
            nonlocal seen
            new, seen = r.log[seen:], len(r.log)
            return any(
                (isinstance(x, EnterStep) and f"{x.script}.{x.step}" == step)
                or (isinstance(x, Listen) and x.step == step)
                or (isinstance(x, Say) and x.id == step)
                for _, x in new
            )

        return self.run(until=until, stop=reached)

    def _cut_in(self) -> None:
        if self._say_due is None or self._say_firm:
            return  # the coach is silent, or says this line in full whatever happens
        sid = self._say_due[2]
        self._say_due = None
        self._feed(SayDone(self.t, sid, interrupted=True))

    def _feed(self, event: EngineInput) -> None:
        self.log.append((self.t, event))
        self._take(self.engine.handle(event))

    def _take(self, actions: list[Action]) -> None:
        for action in actions:
            self.log.append((self.t, action))
            if isinstance(action, Say):
                dur = 0.3 + len(action.text) / CHARS_PER_S / action.rate
                self._say_due = (round(self.t + dur, 6), 0, action.id)
                self._say_firm = action.firm or action.id.startswith(UNINTERRUPTIBLE)
            elif isinstance(action, StopSpeaking) and self._say_due is not None:
                sid = self._say_due[2]
                self._say_due = None
                self.at(self.t + GRID_S, SayDone(self.t + GRID_S, sid, interrupted=True))
            elif isinstance(action, Listen):
                self._answer(action)

    def _answer(self, listen: Listen) -> None:
        if self._busy_until > self.t:
            return  # already answering (a re-sent Listen after an aside)
        reply = self._reply_for(listen)
        if reply is None:
            return
        lines = (
            [Line(reply)]
            if isinstance(reply, str)
            else ([reply] if isinstance(reply, Line) else list(reply))
        )
        start = self.t
        for line in lines:
            speaker = line.speaker or listen.speaker
            if speaker == BOTH:
                speaker = self.engine.partners[0]
            start = start + line.after
            start = self.speak(speaker, line.text, start, line.dur, line.heat)

    def _reply_for(self, listen: Listen) -> Reply:
        for key in (f"{listen.step}@{listen.speaker}", listen.step):
            if key in self.replies:
                value = self.replies[key]
                if isinstance(value, list):
                    n = self._used.get(key, 0)
                    self._used[key] = n + 1
                    return value[n] if n < len(value) else None
                return value
        if callable(self.default):
            return self.default(listen)
        return self.default

    # ------------------------------------------------------------ reading the result

    def actions(self, kind: type | None = None) -> list[Action]:
        return [
            a  # type: ignore[misc]  # _is_action narrows the log's entries to actions
            for _, a in self.log
            if _is_action(a) and (kind is None or isinstance(a, kind))
        ]

    def talk_over(self) -> list[str]:
        """Problems where the coach would talk over itself or listen while still talking."""
        problems: list[str] = []
        in_air: str | None = None
        for t, x in self.log:
            if isinstance(x, Say):
                if in_air is not None:
                    problems.append(f"{t:.2f}: said {x.id} while {in_air} was playing")
                in_air = x.id
            elif isinstance(x, StopSpeaking):
                in_air = None
            elif isinstance(x, SayDone) and x.id == in_air:
                in_air = None
            elif isinstance(x, Listen) and in_air is not None:
                problems.append(f"{t:.2f}: listen {x.step} while {in_air} was playing")
        return problems

    def said(self) -> list[str]:
        """Prompt ids spoken, in order."""
        return [a.id for a in self.actions(Say)]  # type: ignore[union-attr]

    def steps(self) -> list[str]:
        """ "script.step" entered, in order."""
        from voicecoach.dialogue.protocol import EnterStep

        return [f"{a.script}.{a.step}" for a in self.actions(EnterStep)]  # type: ignore[union-attr]


def happy_replies() -> dict[str, Reply | list[Reply]]:
    """A calm couple who answer every shipped step well (see docs/scripts.md for the ids)."""
    return {
        "session.enroll_first": "I had a long day at work, but it was fine.",
        "session.enroll_second": "My day was quiet. I read a book in the garden.",
        "session.monitor": [
            Line("You never listen to me when I talk about work!", heat=True, after=2.0)
        ],  # once: the later monitors stay quiet
        "pause.safety": "Yes, I feel safe.",
        "pause.safety_again": "Yes.",
        "pause.safety_after": "Yes.",
        "pause.offer": "Breathing, please.",
        "imago.appointment": "Yes, now is a good time.",
        "imago.send": "I felt lonely when you worked late every night this week.",
        "imago.mirror": "If I got it, you felt lonely when I worked late every night this "
        "week. Did I get it?",
        "imago.got_it": "Yes.",
        "imago.more": "No, that's all.",
        "imago.add": "The part that matters is that I felt lonely.",
        "imago.add_mirror": "You felt lonely.",
        "imago.more_send": "And I missed our evenings together.",
        "imago.more_mirror": "You missed our evenings together.",
        "imago.summary": "Let me see if I got all of that. You felt lonely when I worked late.",
        "imago.validate": "You make sense, and what makes sense is that you missed me.",
        "imago.empathy": "I imagine you might be feeling lonely and sad.",
        "appreciation.first": "I value that you cooked dinner on Sunday.",
        "appreciation.second": "I value that you listened to me today.",
        "engine.offer_pause": "No, thank you.",
    }


def _is_action(x: object) -> bool:
    from voicecoach.dialogue import protocol

    return isinstance(
        x,
        protocol.Say
        | protocol.Listen
        | protocol.Show
        | protocol.EnterStep
        | protocol.SafetyAnswer
        | protocol.StopSpeaking
        | protocol.EndSession,
    )
