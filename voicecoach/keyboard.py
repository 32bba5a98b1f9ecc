"""The quiet way out: any key pressed in the terminal ends the exercise, no reason spoken.

A reader thread (an edge, like the audio callbacks) collects key presses; the session
asks for them once per frame and stamps them with media time.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading

log = logging.getLogger(__name__)


class Keyboard:
    def __init__(self) -> None:
        import termios
        import tty

        self._fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)  # keys arrive one at a time, Ctrl-C still interrupts
        self._keys: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="keyboard", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if ready:
                key = os.read(self._fd, 1).decode(errors="replace")
                with self._lock:
                    self._keys.append(key)

    def pressed(self) -> list[str]:
        with self._lock:
            keys, self._keys = self._keys, []
        return keys

    def close(self) -> None:
        import termios

        self._stop.set()
        self._thread.join(timeout=0.5)
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
