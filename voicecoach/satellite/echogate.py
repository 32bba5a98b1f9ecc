"""The satellite's echo gate: its microphone silenced while the coach's lines play.

The satellite's microphone stays open while it plays, so the coach would hear itself.
The link tells the gate, in microphone samples, when each line is being sent, when it has
been sent and when the satellite says it was ``played``; the gate silences the microphone
from the line's start until it has been played plus a tail (``echo_tail_s``). Time is the
count of microphone samples the gate has passed, never a clock.
"""

from __future__ import annotations

import threading

import numpy as np

from voicecoach.timebase import SAMPLE_RATE


class EchoGate:
    """Which microphone samples to silence (thread-safe; counts the samples it passes)."""

    def __init__(self, play_latency_s: float, echo_tail_s: float) -> None:
        self.latency_n = round(play_latency_s * SAMPLE_RATE)
        """Assumed delay from sending a chunk to hearing it, in mic samples."""
        self.tail_n = round(echo_tail_s * SAMPLE_RATE)
        """Gated after a line has been played (the room's echo), in mic samples."""
        self.n = 0  # microphone samples passed, all connections
        self._lock = threading.Lock()
        self._gate: list[tuple[int, int]] = []  # [start, end) sample ranges to silence
        self._open_start: int | None = None  # a line is being sent: gated from here on
        self._played_waiting: list[int] = []  # planned ends of lines awaiting "played"

    def pass_audio(self, audio: np.ndarray) -> np.ndarray:
        """The next microphone chunk with the coach's own voice silenced."""
        start = self.n
        end = start + len(audio)
        with self._lock:
            ranges = list(self._gate)
            if self._open_start is not None:
                ranges.append((self._open_start, end))
            self._gate = [(a, b) for a, b in self._gate if b > start]  # forget the past
        out = audio
        for a, b in ranges:
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                if out is audio:
                    out = audio.copy()
                out[lo - start : hi - start] = 0.0
        with self._lock:
            self.n += len(audio)
        return out

    def line_started(self) -> int:
        """A line is being sent from now on: gated until ``line_sent``; the mic sample
        it starts at."""
        with self._lock:
            n = self.n
            self._open_start = n if self._open_start is None else self._open_start
            return n

    def line_sent(self, start_n: int, samples: int) -> None:
        """A line has been sent: gate it for its length plus latency and tail; a later
        ``played`` may close the gate earlier or later."""
        latency, tail = self.latency_n, self.tail_n
        with self._lock:
            gate_start = self._open_start if self._open_start is not None else start_n
            self._open_start = None
            planned_end = start_n + samples + latency + tail
            # Not before now: a line cut short still has its latency and tail to play out.
            planned_end = max(planned_end, self.n + latency + tail)
            self._gate.append((gate_start, planned_end))
            self._played_waiting.append(planned_end)

    def played(self) -> None:
        """The satellite says a line has finished playing: the gate ends a tail from now."""
        with self._lock:
            if not self._played_waiting:
                return
            planned = self._played_waiting.pop(0)
            now_end = self.n + self.tail_n
            self._gate = [(a, now_end if b == planned else b) for a, b in self._gate]

    def disconnected(self) -> None:
        """The connection is gone: a line being sent ends there."""
        with self._lock:
            self._open_start = None
