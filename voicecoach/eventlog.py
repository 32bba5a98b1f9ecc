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
- ``device``: ``device`` ("microphone" or "speaker"), ``state`` ("lost" or "back"),
  ``text`` (what the user was told)
- ``voice``: ``speaker``, ``start``, ``end`` (any stretch of a partner's speech, with or
  without words), ``level_db`` and ``pitch_hz`` (medians of its voiced frames; absent when
  too little was voiced), ``base_level_db`` and ``base_pitch_hz`` (that partner's calm
  baseline then; absent before it is known). For the report and the live view.
"""

from __future__ import annotations

import json
import logging
import os
import time
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


@dataclass(frozen=True)
class Device(Record):
    device: str = "microphone"  # "microphone" | "speaker"
    state: str = "lost"  # "lost" | "back"
    text: str = ""
    type = "device"


@dataclass(frozen=True)
class Voice(Record):
    speaker: str = "unknown"
    start: float = 0.0  # s
    end: float = 0.0  # s
    level_db: float | None = None  # dBFS, median of the voiced frames
    pitch_hz: float | None = None  # median of the voiced frames
    base_level_db: float | None = None  # the speaker's calm baseline, dBFS
    base_pitch_hz: float | None = None
    type = "voice"


FILE_MODE = 0o600
"""Logs hold a couple's words: readable by their owner only."""
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created as 0700; an existing one is tightened only if
    voicecoach made it, so a user's own folder keeps its mode."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def new_session_dir(base: Path, now: float | None = None, suffix: str = "") -> Path:
    """A fresh directory for one session under ``base``: ``<YYYYmmdd-HHMMSS><suffix>``,
    with ``-2``, ``-3``... when that exists (two sessions in one second, or a shared base).

    Made with an exclusive ``mkdir`` (mode 0700), so two processes never get the same one.
    """
    private_dir(base)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for n in range(1, 10_000):
        path = base / (f"{stamp}{suffix}" if n == 1 else f"{stamp}{suffix}-{n}")
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)
        return path
    raise OSError(f"no free session directory under {base}")


def _sync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the file's own fsync still holds
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "w") -> IO[str]:
    """A text file created 0600 (whatever the umask); an existing file is never truncated
    by another session: ``"x"`` fails if it exists."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if mode == "x" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "w", encoding="utf-8")


@dataclass
class EventLog:
    """Collects records and appends them to a JSONL file as they happen.

    Each line is written and fsynced at once, so a session killed outright, or a power
    cut, loses at most the line being written (``read_events`` skips a torn last line);
    the session-end record is the last one synced. The file is 0600 and is never shared
    with another session.
    """

    path: Path | None = None
    records: list[Record] = field(default_factory=list)
    watchers: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    _fh: IO[str] | None = None
    ended: bool = False  # the session-end record is written

    def __post_init__(self) -> None:
        if self.path is not None:
            private_dir(self.path.parent)
            self._fh = open_private(self.path)
            _sync_dir(self.path.parent)  # the file itself survives a power cut too

    def write(self, record: Record) -> None:
        self.records.append(record)
        log.debug("event %s", record)
        data = record.to_json()
        if self._fh is not None:
            self._fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            # Records come a few a minute: each goes to the disk itself at once, so a
            # power cut loses at most the line being written.
            self.sync()
        if isinstance(record, Session) and record.state == "end":
            self.ended = True
        for watch in self.watchers:
            watch(data)

    def sync(self) -> None:
        """Push what was written to the disk itself (survives a power cut)."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self.sync()
            self._fh.close()
            self._fh = None

    def dicts(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.records]


def read_events(path: Path, *, strict: bool = False) -> list[dict[str, Any]]:
    """The records of an ``events.jsonl``.

    A torn last line (the machine died while it was written) is skipped with a warning:
    the log before it is intact. Any other unreadable line is skipped the same way unless
    ``strict``, which raises ``ValueError`` naming the line. ``report`` and ``history`` read
    logs through this.
    """
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            last = all(not rest.strip() for rest in lines[number:])
            if strict and not last:
                raise ValueError(f"{path}, line {number}: not a log record ({exc})") from exc
            log.warning(
                "%s, line %d: %s record skipped", path, number, "torn last" if last else "bad"
            )
            continue
        out.append(data)
    return out
