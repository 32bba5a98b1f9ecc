"""A status line for long work (analysing a long recording, an evaluation) on stderr.

On a terminal it is redrawn in place a few times a second; otherwise (a pipe, a log) it
prints a plain line now and then, never cursor codes. Work that ends quickly prints
nothing at all. The wall clock here only paces the display, never a result.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def media_seconds(path: str) -> float | None:
    """A recording's length in seconds, when the file says so cheaply (else None)."""
    import wave

    try:
        with wave.open(path, "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (OSError, EOFError, wave.Error):
        pass
    try:
        import av

        with av.open(path) as container:
            if container.duration:
                return float(container.duration) / 1e6
    except Exception:  # noqa: BLE001 - only a nicety: without a length, no percentage
        return None
    return None


class Progress:
    """``update(done)`` with ``done`` in ``unit`` (of ``total`` when known)."""

    def __init__(
        self,
        label: str,
        total: float | None = None,
        *,
        unit: str = "s of audio",
        stream: TextIO | None = None,
        quiet_s: float = 2.0,
        every_s: float | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s if every_s is not None else (0.25 if self.tty else 10.0)
        self._start = time.monotonic()
        self._quiet_until = self._start + quiet_s  # short work shows nothing
        self._last = 0.0
        self._shown = False
        self._done = 0.0

    def text(self, done: float, note: str = "") -> str:
        if self.total:
            pct = min(100.0, 100.0 * done / self.total)
            body = f"{self.label}: {pct:3.0f}% ({done:.0f} of {self.total:.0f} {self.unit})"
        else:
            body = f"{self.label}: {done:.0f} {self.unit}"
        return body + (f", {note}" if note else "")

    def update(self, done: float, note: str = "") -> None:
        self._done = done
        now = time.monotonic()
        if now < self._quiet_until or now - self._last < self.every_s:
            return
        self._last = now
        self._show(self.text(done, note))

    def _show(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._shown = True

    def close(self, note: str = "done") -> None:
        """End the line (only if anything was shown)."""
        if not self._shown:
            return
        if self.tty:
            self.stream.write("\r\033[K" + self.text(self._done, note) + "\n")
        else:
            self.stream.write(self.text(self._done, note) + "\n")
        self.stream.flush()
