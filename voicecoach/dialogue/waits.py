"""What a running script step waits for, and the stack of running scripts.

Each step of a script is a generator (`StepGen`) that yields one of the ``Wait*`` values
below; the engine resumes it when that happens (on media time, from events). Pure data:
no logic lives here, so the engine's file holds only how steps run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from voicecoach.dialogue.script import Script


@dataclass(frozen=True)
class WaitSay:
    id: str


@dataclass(frozen=True)
class WaitTurn:
    speaker: str  # a partner name or BOTH
    step: str
    max_s: float
    end_s: float
    expects: str = "message"  # "yesno", "choice", "free" (an ask step) or "message"


@dataclass(frozen=True)
class WaitUntil:
    t: float


@dataclass(frozen=True)
class WaitHeat:
    until: float | None


@dataclass(frozen=True)
class WaitScript:
    pass


Wait = WaitSay | WaitTurn | WaitUntil | WaitHeat | WaitScript
StepGen = Generator[Wait, Any, "str | End | None"]


@dataclass(frozen=True)
class End:
    result: str


class Finish(Exception):  # noqa: N818 - control flow, not an error
    """Raised inside a step to end its script with ``result`` (e.g. a pause said stop)."""

    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


@dataclass
class ScriptRun:
    """One running script (scripts run others, so these form a stack)."""

    script: Script
    step: str | None = None
    gen: StepGen | None = None
    interrupted: bool = False  # its step was cut by a heat pause; re-enter it afterwards
    heat_pause: bool = False  # this frame *is* that pause
    visits: Counter[str] = field(default_factory=Counter)
    loops: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Reopen:
    """A listen turn just ended; if its speaker resumes at once, it was only a pause."""

    frame: ScriptRun
    step: str
    speaker: str
    text: str
    until: float
