"""Stopping a session the way a system does: Ctrl-C (SIGINT), `kill`/`timeout`
(SIGTERM) or closing the terminal (SIGHUP).

The first signal only asks the session to stop (``Session.request_stop``): the loop ends
at its next 30 ms frame, or as soon as the transcription or synthesis running then
returns, and the session closes as it would at the end of its input: the session-end
record with its reason, the output WAV finalised, the end hooks (a report) run. Nothing
is interrupted half-written. A second signal means "now": the session-end record is
written if it is not yet, the log is fsynced, and the process exits at once.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Protocol

from voicecoach import eventlog as ev

log = logging.getLogger(__name__)

SIGNALS: dict[int, str] = {
    signal.SIGINT: "interrupted",
    signal.SIGTERM: "terminated",
    signal.SIGHUP: "hangup",
}
"""The signals that end a session, and the reason its log gives for each."""


class Stoppable(Protocol):
    log: ev.EventLog

    @property
    def t(self) -> float: ...

    def request_stop(self, reason: str) -> None: ...


class StopSignals:
    """While active (``with StopSignals() as stop: stop.watch(session)``), SIGINT, SIGTERM
    and SIGHUP stop ``session`` cleanly; a second one exits at once, log flushed.

    A signal before ``watch`` (models still loading) is remembered and stops the session
    the moment it is watched. ``signum`` is the first signal received, or None.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._session: Stoppable | None = None
        self._saved: dict[int, Any] = {}

    @property
    def reason(self) -> str | None:
        return SIGNALS[self.signum] if self.signum is not None else None

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + (self.signum or 0)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()

    def watch(self, session: Stoppable) -> None:
        self._session = session
        if self.reason is not None:
            session.request_stop(self.reason)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            log.info("%s: stopping the session", signal.Signals(signum).name)
            if self._session is not None:
                self._session.request_stop(SIGNALS[signum])
            return
        self._force(signum)

    def _force(self, signum: int) -> None:
        """The second signal: no more waiting for a transcription or the speaker."""
        session = self._session
        if session is not None:
            try:
                if not session.log.ended:
                    reason = f"{SIGNALS[self.signum or signum]} (forced)"
                    session.log.write(ev.Session(t=session.t, state="end", reason=reason))
                session.log.sync()
            except Exception as exc:  # noqa: BLE001 - a half-written line must not stop the exit
                log.debug("forced stop: log not closed cleanly: %s", exc)
        try:
            sys.stderr.write("\nvoicecoach: stopped at once. The session log was saved.\n")
            sys.stderr.flush()
        finally:
            os._exit(128 + signum)
