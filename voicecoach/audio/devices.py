"""Live audio devices: the microphone and speakers through sounddevice (PortAudio).

This is an edge module: the PortAudio callbacks and their buffers live here, and what
leaves it is plain 16 kHz mono float32 chunks. Input overflows, output underflows,
dropped audio and device errors are counted (``counters()``) and logged, never silent.

Times named ``*_time`` here are PortAudio stream times (seconds on the host's clock, the
same clock for every stream in this process); they are only used to line the speaker's
output up with the microphone for echo cancellation, never for the session's logic.

Which devices exist and which one a flag names: `voicecoach.audio.devicelist`. The rest
stays one module (~660 lines) on purpose: the microphone and the speaker share
``_DeviceStream`` (opening a stream, noticing it gone, reopening it) and the stream
clock, and the echo-cancelled microphone pairs the two by those clocks; a fix to how
PortAudio is handled is made to all three at once.

Typical live wiring::

    speaker = SpeakerSink(args.output)              # starts at once, plays silence
    source = EchoCancelledMic(MicSource(args.input), speaker, EchoCanceller())
    for chunk in source.chunks(): ...               # 16 kHz float32, media time = samples
    speaker.play(t, audio); speaker.stop(t)         # barge-in: quiet ~0.15 s later
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from voicecoach.audio.devicelist import DeviceInfo, import_sounddevice, resolve_device
from voicecoach.errors import DeviceLost, UserError
from voicecoach.timebase import SAMPLE_RATE

if TYPE_CHECKING:
    from voicecoach.audio.echo import EchoCanceller

log = logging.getLogger(__name__)

_FADE_SAMPLES = 80  # 5 ms fade-out when cut, so barge-in does not click


# ------------------------------------------------------------------ clock alignment


class _StreamClock:
    """Maps a stream's sample count to stream time: the time of sample 0.

    The sample count is the truth between glitches: the mic and the speaker of one sound
    card (or PulseAudio's null sinks) run on one clock. The callbacks' ADC/DAC times are
    not: they jump by tens of ms when the sound server re-buffers, and following them
    made the far-end reference slide against the echo. So anchor once, from the first
    callback, and again after an xrun (samples really lost) or when a slow average of the
    timestamps has moved more than ``_REANCHOR_S`` (two devices on different clocks drift).
    """

    _REANCHOR_S = 0.1

    def __init__(self) -> None:
        self.t0: float | None = None
        self._avg = 0.0
        self.anchors = 0

    def update(self, block_time: float, count: int, xrun: bool) -> None:
        est = block_time - count / SAMPLE_RATE
        if self.t0 is None or xrun:
            self.t0 = self._avg = est
            self.anchors += 1
            return
        self._avg += 0.01 * (est - self._avg)
        if abs(self._avg - self.t0) > self._REANCHOR_S:
            self.t0 = self._avg
            self.anchors += 1

    def time_of(self, count: int) -> float:
        return (self.t0 or 0.0) + count / SAMPLE_RATE


# ------------------------------------------------------------------ microphone


def _open_stream(
    kind: str,
    what: str,
    info: DeviceInfo,
    blocksize: int,
    latency: float,
    callback: Any,
    finished: Any,
) -> Any:
    """Open and start a 16 kHz mono PortAudio stream (``kind``: InputStream/OutputStream)."""
    sd = import_sounddevice()
    try:
        stream = getattr(sd, kind)(
            device=info.index,
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="float32",
            blocksize=blocksize,
            latency=latency,
            callback=callback,
            finished_callback=finished,
        )
        stream.start()
    except sd.PortAudioError as exc:
        raise UserError(
            f"Could not open the {what} {info.name!r} at 16 kHz ({exc}): "
            "pick another with --device (see `voicecoach devices`), e.g. 'default'."
        ) from exc
    return stream


class _DeviceStream:
    """What the microphone and the speaker share: one 16 kHz mono PortAudio stream,
    opened on first use, whose callback and finished hook the subclass provides."""

    _kind = ""  # sounddevice class: "InputStream" or "OutputStream"
    _what = ""  # for the user: "microphone" or "speaker"
    name: str
    blocksize: int
    _info: DeviceInfo
    _latency: float
    _stream: Any
    _clock: _StreamClock

    def _callback(self, data: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        raise NotImplementedError

    def _finished(self) -> None:
        raise NotImplementedError

    on_change: Callable[[str, str, str], None] | None = None
    """Told when the device goes away or comes back: (``"microphone"``/``"speaker"``,
    ``"lost"``/``"back"``, a sentence for the user). The session logs it and prints it."""

    def _notify(self, state: str, message: str) -> None:
        (log.warning if state == "lost" else log.info)("%s: %s", self.name, message)
        if self.on_change is not None:
            self.on_change(self._what, state, message)

    def _reopen(self) -> bool:
        """Drop the broken stream and open the device again; False while it is not there."""
        old, self._stream = self._stream, None
        if old is not None:
            try:
                old.close()
            except Exception as exc:  # noqa: BLE001 - a dead stream may fail to close
                log.debug("%s: closing the broken stream: %s", self.name, exc)
        self._clock = _StreamClock()  # a new stream, a new clock
        try:
            self.start()
        except UserError as exc:
            log.debug("%s: not back yet: %s", self.name, exc)
            return False
        return True

    reconnect_s: float = 0.0
    _closed: bool
    _failed: bool
    _interrupted: bool

    def _wait_to_reopen(self) -> float | None:
        """Reopen the device once a second for up to ``reconnect_s``, sleeping in
        between (no core spun), a stop noticed within 0.25 s. The seconds it was away,
        or None (not back in time, or stopped)."""
        lost_at = time.monotonic()
        while time.monotonic() - lost_at < self.reconnect_s:
            for _ in range(4):
                if self._closed or self._interrupted:
                    return None
                time.sleep(0.25)
            self._failed = False
            if self._reopen():
                away = time.monotonic() - lost_at
                self._notify("back", f"The {self._what} is back after {away:.0f} s.")
                return away
        return None

    def start(self) -> None:
        if self._stream is not None:
            return
        self._stream = _open_stream(
            self._kind,
            self._what,
            self._info,
            self.blocksize,
            self._latency,
            self._callback,
            self._finished,
        )
        log.info("%s open (latency %.0f ms)", self.name, 1000 * self._stream.latency)

    @property
    def latency(self) -> float:
        """Latency PortAudio reports for the stream, seconds."""
        return float(self._stream.latency) if self._stream is not None else 0.0


class MicSource(_DeviceStream):
    """AudioSource from a live input device: callback -> bounded queue -> ``chunks()``.

    The stream opens on the first ``chunks()`` (or ``start()``). If the consumer falls more
    than ``queue_s`` behind, new audio is dropped and counted (``dropped_samples``).
    ``chunks()`` ends after ``close()``; it raises UserError when the device stops
    delivering audio for ``stall_s`` (unplugged, or a dead sound server).
    """

    _kind, _what = "InputStream", "microphone"

    def __init__(
        self,
        device: str | int | None = None,
        *,
        blocksize: int = 480,
        queue_s: float = 2.0,
        stall_s: float = 5.0,
        reconnect_s: float = 0.0,
        latency: float = 0.05,  # s of device buffering; more only delays, never loses
    ) -> None:
        self._info = resolve_device(device, "input")
        self.reconnect_s = reconnect_s
        self.name = f"mic:{self._info.name}"
        self.blocksize = blocksize
        self.stall_s = stall_s
        self._latency = latency
        self._queue: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue(
            maxsize=max(2, int(queue_s * SAMPLE_RATE / blocksize))
        )
        self._clock = _StreamClock()
        self._stream: Any = None
        self._closed = False
        self._failed = False
        self._interrupted = False
        self.captured_samples = 0  # samples delivered by the device
        self.filled_samples = 0  # silence put in for audio lost (dropped, device away)
        self.overflows = 0  # PortAudio input_overflow flags (audio lost before us)
        self.dropped_samples = 0  # samples we dropped because the consumer was behind
        self.errors = 0  # stream aborted / device errors
        self._reported: dict[str, int] = {}

    # -- edge: PortAudio callback thread
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        t = time_info.inputBufferAdcTime or time_info.currentTime
        self._clock.update(t, self.captured_samples, bool(status.input_overflow))
        chunk_time = self._clock.time_of(self.captured_samples)
        self.captured_samples += frames
        try:
            self._queue.put_nowait((chunk_time, indata[:, 0].copy()))
        except queue.Full:
            self.dropped_samples += frames

    def _finished(self) -> None:
        if not self._closed:
            self.errors += 1
            self._failed = True
            log.error("%s: the input stream stopped unexpectedly", self.name)
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass

    # -- consumer side
    def timed_chunks(self) -> Iterator[tuple[float, np.ndarray]]:
        """Chunks with the stream time (s) their first sample was captured.

        Audio lost on the way (the consumer fell behind, the device went away) comes back
        as silence of the same length, so the sample count stays the session's clock.
        When the device stops (unplugged, the sound server gone), this waits up to
        ``reconnect_s`` for it, reopening it once a second, and resumes; after that
        it raises DeviceLost.
        """
        self.start()
        waited = 0.0
        dropped = 0
        while True:
            try:
                item = self._queue.get(timeout=0.25)
            except queue.Empty:
                if self._closed or self._interrupted:
                    return
                waited += 0.25
                if waited < self.stall_s:
                    continue
                self.errors += 1
                item = None
                self._failed = True
                why = f"delivered no audio for {self.stall_s:.0f} s"
            else:
                why = "stopped"
            waited = 0.0
            if item is None:
                if not self._failed or self._closed or self._interrupted:
                    self._report()
                    return
                yield from self._recover(why)
                continue
            if self.dropped_samples > dropped:
                # The queue overflowed while the session was busy: keep the clock honest.
                gap = self.dropped_samples - dropped
                dropped = self.dropped_samples
                self.filled_samples += gap
                yield item[0], np.zeros(gap, np.float32)
            self._report()
            yield item

    def _recover(self, why: str) -> Iterator[tuple[float, np.ndarray]]:
        """The device stopped: say so, wait for it (sleeping, not spinning), and resume
        with the time it was away as silence; or give up with DeviceLost."""
        self._report()
        what = f"The microphone {self._info.name!r} {why}"
        if self.reconnect_s <= 0:
            raise DeviceLost(
                f"{what}: check that it is connected and not in use by another program, "
                "then start again.",
                "microphone lost",
            )
        self._notify("lost", f"{what}; waiting up to {self.reconnect_s:.0f} s for it.")
        away = self._wait_to_reopen()
        if self._closed or self._interrupted:
            return
        if away is not None:
            gap = int(away * SAMPLE_RATE)
            self.filled_samples += gap
            yield 0.0, np.zeros(gap, np.float32)
            return
        raise DeviceLost(
            f"{what} and did not come back within {self.reconnect_s:.0f} s: "
            "check that it is connected, then start again.",
            "microphone lost",
        )

    def interrupt(self) -> None:
        """Make ``chunks()`` end at once (a signal): safe to call from a signal handler."""
        self._interrupted = True

    def chunks(self) -> Iterator[np.ndarray]:
        for _, chunk in self.timed_chunks():
            yield chunk

    def counters(self) -> dict[str, int]:
        return {
            "captured_samples": self.captured_samples,
            "overflows": self.overflows,
            "dropped_samples": self.dropped_samples,
            "filled_samples": self.filled_samples,
            "errors": self.errors,
        }

    def _report(self) -> None:
        # Logged from the consumer thread, not the callback: logging may block.
        quiet = ("captured_samples", "filled_samples")
        _report_counters(self.name, self.counters(), self._reported, quiet)

    def close(self) -> None:
        self._closed = True
        if self._stream is not None:
            try:
                self._stream.close()
            finally:
                self._stream = None
        try:
            self._queue.put_nowait(None)  # wake a consumer waiting in chunks()
        except queue.Full:
            pass
        self._report()

    def __enter__(self) -> MicSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ speaker


class SpeakerSink(_DeviceStream):
    """AudioSink on a live output device: ``play`` appends, the callback pulls.

    The stream runs continuously (silence when idle) so the far-end reference is a
    continuous signal. ``stop`` cuts the queued audio; the output goes quiet after the
    block being played (plus a 5 ms fade) and the device's output latency.
    """

    _kind, _what = "OutputStream", "speaker"

    def __init__(
        self,
        device: str | int | None = None,
        *,
        blocksize: int = 160,
        latency: float = 0.08,  # s; 90 ms reported on PulseAudio, no underflow on 2 cores with
        # one of them busy; 20-40 ms underflowed under heavy load (barge-in stop is ~110 ms)
        reference_s: float = 10.0,
        reconnect_s: float = 0.0,
    ) -> None:
        self._info = resolve_device(device, "output")
        self.reconnect_s = reconnect_s
        self.name = f"speaker:{self._info.name}"
        self.blocksize = blocksize
        self._latency = latency
        self._lock = threading.Lock()
        self._pending: deque[np.ndarray] = deque()
        self._pending_samples = 0
        self._idle = threading.Event()
        self._idle.set()
        self._ref = np.zeros(int(reference_s * SAMPLE_RATE), dtype=np.float32)
        self._clock = _StreamClock()
        self._stream: Any = None
        self._closed = False
        self._failed = False
        self._interrupted = False
        self.emitted_samples = 0  # samples handed to the device, silence included
        self.played_samples = 0  # samples of the coach's voice handed to the device
        self.prompt_samples = 0  # samples of the current/last prompt handed to the device
        self.underflows = 0  # PortAudio output_underflow flags (glitch heard)
        self.errors = 0
        self.stops = 0
        self._reported: dict[str, int] = {}
        self.start()

    # -- edge: PortAudio callback thread
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < frames and self._pending:
                head = self._pending[0]
                n = min(frames - filled, len(head))
                out[filled : filled + n] = head[:n]
                filled += n
                if n == len(head):
                    self._pending.popleft()
                else:
                    self._pending[0] = head[n:]
            self._pending_samples -= filled
            if self._pending_samples == 0:
                self._idle.set()
        out[filled:] = 0.0
        self.played_samples += filled
        self.prompt_samples += filled
        t = time_info.outputBufferDacTime or time_info.currentTime
        self._clock.update(t, self.emitted_samples, bool(status.output_underflow))
        # Keep what went out, silence included: the far-end reference for echo cancelling.
        pos = self.emitted_samples % len(self._ref)
        first = min(frames, len(self._ref) - pos)
        self._ref[pos : pos + first] = out[:first]
        self._ref[: frames - first] = out[first:]
        self.emitted_samples += frames

    def _finished(self) -> None:
        if not self._closed:
            self.errors += 1
            self._failed = True
            log.error("%s: the output stream stopped unexpectedly", self.name)
        with self._lock:
            self._pending.clear()
            self._pending_samples = 0
        self._idle.set()

    # -- caller side
    def play(self, t: float, audio: np.ndarray) -> None:
        """Queue ``audio`` after whatever is playing (live: as soon as possible).

        ``t`` (media time) is only logged: a live speaker cannot play in the past.
        """
        if self._stream is None or self._failed:
            self._come_back()
        data = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if data.size == 0:
            return
        with self._lock:
            if self._pending_samples == 0:
                self.prompt_samples = 0
            self._pending.append(data)
            self._pending_samples += len(data)
            self._idle.clear()
        log.debug("%s play %.2f s at t=%.3f", self.name, len(data) / SAMPLE_RATE, t)
        self._report()

    def _come_back(self) -> None:
        """The speaker stopped (unplugged, the sound server restarted): open it again,
        waiting up to ``reconnect_s``, or end the session with DeviceLost; the
        coach must be heard to coach."""
        if self._closed:
            raise DeviceLost(f"The speaker {self._info.name!r} is closed.", "speaker lost")
        wait = f"; waiting up to {self.reconnect_s:.0f} s for it"
        self._notify(
            "lost",
            f"The speaker {self._info.name!r} stopped{wait if self.reconnect_s > 0 else ''}.",
        )
        self._failed = False
        if self._reopen():
            self._notify("back", "The speaker is back.")
            return
        if self._wait_to_reopen() is None:
            raise DeviceLost(
                f"The speaker {self._info.name!r} stopped working and did not come back: "
                "check that it is connected, then start again.",
                "speaker lost",
            )

    def stop(self, t: float) -> None:
        """Cut what is playing (barge-in); keeps only a 5 ms fade-out."""
        with self._lock:
            if self._pending_samples == 0:
                return
            parts, got = [], 0
            for part in self._pending:  # only the fade's worth, not the whole prompt
                parts.append(part[: _FADE_SAMPLES - got])
                got += len(parts[-1])
                if got >= _FADE_SAMPLES:
                    break
            tail = np.concatenate(parts)
            tail = tail * np.linspace(1.0, 0.0, len(tail), dtype=np.float32)
            self._pending.clear()
            self._pending.append(tail)
            self._pending_samples = len(tail)
            self.stops += 1
        log.info("%s stopped at t=%.3f", self.name, t)
        self._report()

    @property
    def busy(self) -> bool:
        """True while queued audio has not all been handed to the device."""
        return not self._idle.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all queued audio has been handed to the device; False on timeout."""
        return self._idle.wait(timeout)

    @property
    def time(self) -> float:
        """Current stream time (s), the clock of ``far_end`` and ``MicSource.timed_chunks``."""
        return float(self._stream.time) if self._stream is not None else 0.0

    def far_end(self, start_time: float, n: int) -> np.ndarray:
        """What the speaker emitted during ``n`` samples from stream time ``start_time``.

        Silence where nothing was played, and for times not (or no longer) in the buffer.
        """
        out = np.zeros(n, dtype=np.float32)
        if self._clock.t0 is None:
            return out
        first = int(round((start_time - self._clock.t0) * SAMPLE_RATE))
        with self._lock:
            end = self.emitted_samples
            lo = max(first, end - len(self._ref), 0)
            hi = min(first + n, end)
            if hi <= lo:
                return out
            idx = np.arange(lo, hi) % len(self._ref)
            out[lo - first : hi - first] = self._ref[idx]
        return out

    def counters(self) -> dict[str, int]:
        return {
            "emitted_samples": self.emitted_samples,
            "played_samples": self.played_samples,
            "underflows": self.underflows,
            "errors": self.errors,
            "stops": self.stops,
        }

    def _report(self) -> None:
        _report_counters(
            self.name,
            self.counters(),
            self._reported,
            ("emitted_samples", "played_samples", "stops"),
        )

    def drain(self, timeout: float = 30.0) -> None:
        """Let everything queued be heard (the coach's goodbye), then return; at once
        after ``interrupt()`` (a signal)."""
        deadline = time.monotonic() + timeout
        while not self._interrupted and time.monotonic() < deadline:
            if self.wait(0.1):
                if self._stream is not None:
                    # Handed to the device is not yet heard: wait out the output latency.
                    time.sleep(self.latency + 0.05)
                return

    def interrupt(self) -> None:
        """Stop waiting in ``drain`` (safe from a signal handler)."""
        self._interrupted = True

    def close(self) -> None:
        self._closed = True
        if self._stream is not None:
            try:
                self._stream.close()
            finally:
                self._stream = None
        self._idle.set()
        self._report()

    def __enter__(self) -> SpeakerSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ echo-cancelled mic


FAR_END_LEAD_S = 0.04
"""The far-end reference is taken this much ahead of the mic's time.

The canceller finds echo delays from 0 to ~400 ms but none below 0 (an echo seemingly
earlier than its reference is not cancelled), and the stream timestamps that line the
two streams up can be off by ~30 ms: the lead keeps the delay it sees positive. The
speaker has always handed that much audio to the device already (its latency is larger).
"""


class EchoCancelledMic:
    """AudioSource: a MicSource with the SpeakerSink's own voice cancelled out.

    Each mic chunk is paired with what the speaker emitted at the same stream time; the
    canceller finds the acoustic delay itself. Chunks come out delayed by
    ``canceller.latency_samples`` (18 ms) and keep their sizes.
    """

    def __init__(self, mic: MicSource, speaker: SpeakerSink, canceller: EchoCanceller) -> None:
        self.mic = mic
        self.speaker = speaker
        self.canceller = canceller
        self.name = f"{mic.name}+aec"

    def chunks(self) -> Iterator[np.ndarray]:
        for t, chunk in self.mic.timed_chunks():
            far = self.speaker.far_end(t + FAR_END_LEAD_S, len(chunk))
            yield self.canceller.process(chunk, far)

    def interrupt(self) -> None:
        self.mic.interrupt()

    def close(self) -> None:
        self.mic.close()


def _report_counters(
    name: str, counters: dict[str, int], reported: dict[str, int], quiet: tuple[str, ...]
) -> None:
    """Log a warning for every problem counter that grew since the last report."""
    grown = {
        k: v - reported.get(k, 0)
        for k, v in counters.items()
        if k not in quiet and v > reported.get(k, 0)
    }
    if grown:
        log.warning("%s: %s", name, ", ".join(f"{k} +{v}" for k, v in grown.items()))
        reported.update(counters)
