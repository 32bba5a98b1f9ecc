"""The session log, `events.jsonl`: one JSON object per line, a stable contract.

Every record has `type` and `t` (media time in seconds since the session began).
Records written (fields beyond `type` and `t`):

- ``session``: ``state`` ("start" or "end"), optional ``reason``
- ``detect``: ``kind`` ("raised_voice" or "interruption"), ``speaker``, ``score``,
  and ``by`` for an interruption (``speaker`` was talked over *by* ``by``); ``onset``:
  media time the heat began (the raised stretch's start, the cut-in's onset)
- ``say``: ``id``, ``text``, ``start``, ``end`` (the coach speaking, seconds)
- ``heard``: ``speaker``, ``text``, ``start``, ``end`` (a partner's transcribed turn)
- ``step``: ``script``, ``step`` (a dialogue step entered)
- ``safety``: ``speaker``, ``answer`` ("yes", "no" or "unsure")
- ``show``: ``text`` (information shown on screen, e.g. local help)
- ``enroll``: ``speaker`` (a partner's voice learned), ``start``, ``end``
- ``barge_in``: ``speaker``, ``id`` (a partner talked over the coach, who stopped)
- ``cue``: ``speaker``, ``kind`` ("criticism", "contempt", "defensiveness"), ``phrase``
  (words that mark a conversation going badly; evidence, never an alarm on their own)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)


def _r(x: float) -> float:
    # Millisecond precision keeps the log readable and byte-identical across replays.
    return round(float(x), 3)


@dataclass(frozen=True)
class Record:
    t: float  # s, media time since session start

    type = "record"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key, value in asdict(self).items():
            if value is None:
                continue
            out[key] = _r(value) if isinstance(value, float) else value
        return out


@dataclass(frozen=True)
class Session(Record):
    state: str = "start"  # "start" | "end"
    reason: str | None = None
    type = "session"


@dataclass(frozen=True)
class Detect(Record):
    kind: str = "raised_voice"  # "raised_voice" | "interruption"
    speaker: str = "unknown"  # raised_voice: who; interruption: who was talked over
    score: float = 0.0  # detector confidence, 0..1 (raised voice: how far above baseline)
    by: str | None = None  # interruption only: who cut in
    onset: float | None = None  # s: where the heat began (raised stretch / cut-in onset)
    type = "detect"


@dataclass(frozen=True)
class Say(Record):
    id: str = ""  # prompt id, e.g. "pause.safety"
    text: str = ""
    start: float = 0.0  # s, first sample of the coach's voice
    end: float = 0.0  # s, last sample (earlier than planned when cut by barge-in)
    type = "say"


@dataclass(frozen=True)
class Heard(Record):
    speaker: str = "unknown"
    text: str = ""
    start: float = 0.0  # s
    end: float = 0.0  # s
    type = "heard"


@dataclass(frozen=True)
class Step(Record):
    script: str = ""
    step: str = ""
    type = "step"


@dataclass(frozen=True)
class Safety(Record):
    speaker: str = "unknown"
    answer: str = "unsure"  # "yes" | "no" | "unsure"
    type = "safety"


@dataclass(frozen=True)
class Show(Record):
    text: str = ""
    type = "show"


@dataclass(frozen=True)
class Enroll(Record):
    speaker: str = ""
    start: float = 0.0
    end: float = 0.0
    type = "enroll"


@dataclass(frozen=True)
class BargeIn(Record):
    speaker: str = "unknown"
    id: str = ""
    type = "barge_in"


@dataclass(frozen=True)
class Cue(Record):
    speaker: str = "unknown"
    kind: str = ""
    phrase: str = ""
    type = "cue"


@dataclass
class EventLog:
    """Collects records and appends them to a JSONL file as they happen.

    Each line is flushed at once, so a session stopped by Ctrl-C or a crash still
    leaves every record written so far.
    """

    path: Path | None = None
    records: list[Record] = field(default_factory=list)
    watchers: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    _fh: IO[str] | None = None

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, record: Record) -> None:
        self.records.append(record)
        log.debug("event %s", record)
        data = record.to_json()
        if self._fh is not None:
            self._fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            self._fh.flush()
        for watch in self.watchers:
            watch(data)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def dicts(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.records]


def read_events(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
