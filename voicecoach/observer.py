"""What a session tells those watching it (the live view), apart from the engine.

A ``SessionObserver`` is told each log record as it is written, when a partner starts and
stops talking, and a few times a second who holds the floor, all on media time. It only
watches: nothing it does can change what the coach hears, says or logs.
"""

from __future__ import annotations

from typing import Any, Protocol

TICK_S = 0.3
"""Media time between two ``tick`` calls: often enough for a timer shown in seconds."""


class SessionObserver(Protocol):
    def record(self, data: dict[str, Any]) -> None:
        """A log record, as written to events.jsonl."""
        ...

    def voice(self, t: float, speaker: str | None) -> None:
        """``speaker`` started talking at ``t`` (a first guess), or None: the talk ended."""
        ...

    def tick(self, t: float, floor: str | None) -> None:
        """Media time ``t`` reached; ``floor``: who holds it (a name, "both", or None)."""
        ...

    def close(self) -> None:
        """The session is over: leave the terminal as it was."""
        ...
