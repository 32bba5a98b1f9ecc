"""Audio sources and sinks: the edges where real devices or files meet media time.

A source yields 16 kHz mono float32 chunks of any size; the pipeline counts their
samples to know what time it is. A sink receives the coach's voice together with the
media time at which it should start; a live speaker plays it as soon as it can, a file
sink writes it at exactly that position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np


class AudioSource(Protocol):
    """Microphone or file: 16 kHz mono float32 chunks, until the source ends."""

    name: str

    def chunks(self) -> Iterator[np.ndarray]: ...

    def interrupt(self) -> None:
        """Make ``chunks()`` end soon (a signal asked the session to stop): a microphone
        waiting for its device to come back gives up. Safe to call from a signal handler;
        a source that never waits does nothing."""
        ...

    def close(self) -> None: ...


class AudioSink(Protocol):
    """Speakers or file: where the coach's voice goes."""

    name: str

    def play(self, t: float, audio: np.ndarray) -> None:
        """Queue ``audio`` (16 kHz mono float32) to start at media time ``t`` (s)."""
        ...

    def stop(self, t: float) -> None:
        """Cut whatever is playing at media time ``t`` (barge-in)."""
        ...

    def drain(self) -> None:
        """Return once everything queued has been heard (the coach's last words before the
        session ends); a sink that writes at once (a file) returns at once."""
        ...

    def interrupt(self) -> None:
        """Stop waiting in ``drain`` (a signal): safe to call from a signal handler."""
        ...

    def close(self) -> None: ...
