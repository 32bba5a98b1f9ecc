"""The connection to a Wyoming satellite: its microphone in, the coach's voice out.

voicecoach connects to a ``wyoming-satellite`` running in always-streaming mode (no wake
word, no VAD), as Home Assistant does: ``describe``, then ``run-satellite``; from then on
the satellite streams ``audio-chunk`` events and plays what it is sent between
``audio-start`` and ``audio-stop``.

The link runs its own asyncio event loop on a thread of its own, so nothing the session
does (transcription takes hundreds of milliseconds) can hold up a ``ping`` (answered with
``pong`` at once, well within the satellite's 5 s limit) or the microphone stream. The
session side only touches thread-safe queues and counters.

Echo: the satellite's microphone stays open while it plays, so the coach would hear
itself. The link knows, in microphone samples, when each line reaches the room (it is sent
paced at real time, and the satellite reports ``played`` where it can); the echo gate
(`voicecoach.satellite.echogate`) replaces microphone audio from then until the line has
been played plus a tail by silence before it reaches the session. Time here is counted in
microphone samples, never read off a clock, except for the stall watchdog and the pacing
of outgoing audio, which are about the network, not about what was said.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np

from voicecoach.errors import UserError
from voicecoach.satellite.echogate import EchoGate
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

WIDTH_BYTES = 2  # 16-bit PCM both ways
CHANNELS = 1


@dataclass(frozen=True)
class LinkSettings:
    """How the link talks to the satellite and when it gives up on a connection."""

    uri: str
    """``tcp://HOST:PORT`` of the satellite (its ``--uri``)."""
    stall_s: float = 5.0
    """No audio for this long while streaming: the stream is dead, reconnect (the issue's
    bar; a satellite streams a chunk every 64 ms)."""
    connect_timeout_s: float = 5.0
    """Longest wait for the TCP connection and for the satellite's ``info``."""
    backoff_s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    """Waits between reconnection attempts, the last repeated: quick after a blip, gentle
    while a satellite is rebooting."""
    chunk_samples: int = 1024
    """Samples per outgoing ``audio-chunk`` (64 ms at 16 kHz, the satellite's own size)."""
    send_ahead_s: float = 0.5
    """Outgoing audio is paced at real time, at most this far ahead of the room: the
    satellite's buffer stays small, so a stop is heard quickly."""
    play_latency_s: float = 0.35
    """Assumed delay from sending a chunk to hearing it, when the satellite does not say
    ``played`` (its snd command's buffering plus the network)."""
    echo_tail_s: float = 0.4
    """The microphone stays gated this long after a line has been played: the room's echo
    and the speaker's own tail."""
    queue_s: float = 120.0
    """Microphone audio kept for a session that falls behind (transcription): a session
    catches up rather than losing what was said meanwhile."""


def parse_uri(uri: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` as (host, port); anything else is a UserError."""
    parsed = urlparse(uri)
    if parsed.scheme != "tcp" or not parsed.hostname or parsed.port is None:
        raise UserError(
            f"The satellite address {uri!r} is not tcp://HOST:PORT "
            "(e.g. --satellite tcp://192.168.1.20:10700)."
        )
    return parsed.hostname, parsed.port


@dataclass
class LinkStatus:
    """What the link has seen, for logs, ``doctor`` and tests (read from any thread)."""

    connected: bool = False
    connections: int = 0
    """Successful connections so far (1 + reconnections)."""
    stalls: int = 0
    pings: int = 0
    pongs: int = 0
    played: int = 0
    mic_samples: int = 0
    """16 kHz samples received from the satellite's microphone, all connections."""
    mic_rate_hz: int | None = None
    """The rate, width and channels of the satellite's chunks (before conversion)."""
    mic_width_bytes: int | None = None
    mic_channels: int | None = None
    chunks: int = 0
    satellite_name: str | None = None
    last_error: str | None = None
    events: list[str] = field(default_factory=list)
    """Connection events in order ("connected", "stalled", "closed", ...)."""


@dataclass
class _Playback:
    """One line being sent: 16-bit PCM at 16 kHz, and where in the mic stream it plays."""

    pcm: bytes
    done: asyncio.Event
    cancelled: bool = False


class SatelliteLink:
    """A Wyoming satellite as microphone and speaker, on a thread of its own."""

    def __init__(self, settings: LinkSettings) -> None:
        self.settings = settings
        self.host, self.port = parse_uri(settings.uri)
        self.status = LinkStatus()
        self._mic: queue.Queue[np.ndarray] = queue.Queue(
            maxsize=max(1, round(settings.queue_s * SAMPLE_RATE / settings.chunk_samples))
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._write_lock: asyncio.Lock | None = None
        self._plays: asyncio.Queue[_Playback] | None = None
        self._current: _Playback | None = None
        self._gate = EchoGate(settings.play_latency_s, settings.echo_tail_s)
        self.dropped_s = 0.0  # mic audio lost because the session fell too far behind

    # ------------------------------------------------------------------ session side

    def start(self) -> None:
        """Connect in the background; audio arrives once the satellite streams."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run_thread, name="satellite", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Disconnect and stop the link's thread."""
        self._stopping.set()
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(lambda: None)  # wake it
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    @property
    def closed(self) -> bool:
        return self._stopping.is_set()

    def read(self, timeout_s: float) -> np.ndarray | None:
        """The next microphone chunk (16 kHz mono float32, echo-gated), or None."""
        try:
            return self._mic.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def play(self, audio: np.ndarray) -> None:
        """Send ``audio`` (16 kHz mono float32) to the satellite's speaker, paced."""
        loop = self._loop
        if loop is None or self._plays is None:
            log.warning(
                "satellite not connected: a line of %.1f s was not played", len(audio) / SAMPLE_RATE
            )
            return
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        plays = self._plays

        def _queue() -> None:
            plays.put_nowait(_Playback(pcm, asyncio.Event()))

        loop.call_soon_threadsafe(_queue)

    def stop_playing(self) -> None:
        """Cut the line being sent and any queued after it (what was sent still plays)."""
        loop = self._loop
        if loop is None:
            return

        def _cancel() -> None:
            if self._current is not None:
                self._current.cancelled = True
            while self._plays is not None and not self._plays.empty():
                self._plays.get_nowait().done.set()

        loop.call_soon_threadsafe(_cancel)

    # ------------------------------------------------------------------ the link's thread

    def _run_thread(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()
            self._loop = None

    async def _main(self) -> None:
        self._write_lock = asyncio.Lock()
        self._plays = asyncio.Queue()
        attempt = 0
        player = asyncio.create_task(self._player())
        try:
            while not self._stopping.is_set():
                try:
                    await self._session()
                    attempt = 0  # it ran: the next failure starts the backoff again
                except (OSError, TimeoutError, ConnectionError, _Stalled) as exc:
                    self.status.last_error = str(exc) or type(exc).__name__
                    if self.status.connected:
                        log.warning("satellite link lost: %s", self.status.last_error)
                    elif attempt == 0:  # said once; the retries that follow are quiet
                        log.warning(
                            "satellite %s not reachable (%s); retrying until it is",
                            self.settings.uri,
                            self.status.last_error,
                        )
                    else:
                        log.info("satellite not reachable: %s", self.status.last_error)
                    attempt = attempt + 1 if not self.status.connected else 1
                finally:
                    self._disconnected()
                if self._stopping.is_set():
                    break
                backoff = self.settings.backoff_s
                wait = backoff[min(max(attempt - 1, 0), len(backoff) - 1)]
                log.info("reconnecting to the satellite in %.1f s", wait)
                await self._sleep_unless_stopping(wait)
        finally:
            player.cancel()

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        step = 0.05
        waited = 0.0
        while waited < seconds and not self._stopping.is_set():
            await asyncio.sleep(step)
            waited += step

    def _disconnected(self) -> None:
        if self.status.connected:
            self.status.events.append("disconnected")
        self.status.connected = False
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._gate.disconnected()

    async def _session(self) -> None:
        """One connection: describe, run-satellite, then read until it ends or stalls."""
        from wyoming.event import async_read_event, async_write_event
        from wyoming.info import Describe, Info
        from wyoming.satellite import RunSatellite

        s = self.settings
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), s.connect_timeout_s
        )
        self._writer = writer
        await async_write_event(Describe().event(), writer)
        while True:
            event = await asyncio.wait_for(async_read_event(reader), s.connect_timeout_s)
            if event is None:
                raise ConnectionError("the satellite closed the connection")
            if Info.is_type(event.type):
                info = Info.from_event(event)
                if info.satellite is not None:
                    self.status.satellite_name = info.satellite.name
                break
        await self._write(RunSatellite().event())
        self.status.connected = True
        self.status.connections += 1
        self.status.events.append("connected")
        log.info(
            "connected to satellite %s at %s:%d",
            self.status.satellite_name or "?",
            self.host,
            self.port,
        )
        streaming = False
        while not self._stopping.is_set():
            # Before the first chunk, the satellite may still be starting its microphone.
            limit = s.stall_s if streaming else s.stall_s + s.connect_timeout_s
            try:
                event = await asyncio.wait_for(async_read_event(reader), limit)
            except TimeoutError as exc:
                self.status.stalls += 1
                self.status.events.append("stalled")
                raise _Stalled(f"no audio from the satellite for {limit:.0f} s") from exc
            if event is None:
                self.status.events.append("closed")
                raise ConnectionError("the satellite closed the connection")
            streaming = self._on_event(event) or streaming

    def _on_event(self, event: object) -> bool:
        """Handle one event from the satellite; True for microphone audio."""
        from wyoming.audio import AudioChunk, AudioChunkConverter
        from wyoming.ping import Ping, Pong
        from wyoming.snd import Played

        etype = event.type  # type: ignore[attr-defined]
        if AudioChunk.is_type(etype):
            chunk = AudioChunk.from_event(event)  # type: ignore[arg-type]
            st = self.status
            st.mic_rate_hz, st.mic_width_bytes, st.mic_channels = (
                chunk.rate,
                chunk.width,
                chunk.channels,
            )
            if (chunk.rate, chunk.width, chunk.channels) != (SAMPLE_RATE, WIDTH_BYTES, CHANNELS):
                chunk = AudioChunkConverter(SAMPLE_RATE, WIDTH_BYTES, CHANNELS).convert(chunk)
            audio = np.frombuffer(chunk.audio, dtype="<i2").astype(np.float32) / 32768.0
            audio = self._gate.pass_audio(audio)
            st.mic_samples = self._gate.n
            st.chunks += 1
            self._deliver(audio)
            return True
        if Ping.is_type(etype):
            self.status.pings += 1
            ping = Ping.from_event(event)  # type: ignore[arg-type]
            loop = asyncio.get_running_loop()
            loop.create_task(self._pong(Pong(text=ping.text).event()))
        elif Played.is_type(etype):
            self.status.played += 1
            self._gate.played()
        return False

    async def _pong(self, event: object) -> None:
        await self._write(event)
        self.status.pongs += 1

    def _deliver(self, audio: np.ndarray) -> None:
        try:
            self._mic.put_nowait(audio)
        except queue.Full:
            # The session is minutes behind: drop the oldest rather than block the link.
            try:
                old = self._mic.get_nowait()
                self.dropped_s += len(old) / SAMPLE_RATE
            except queue.Empty:
                pass
            self._mic.put_nowait(audio)

    async def _write(self, event: object) -> None:
        from wyoming.event import async_write_event

        writer = self._writer
        if writer is None or self._write_lock is None:
            return
        async with self._write_lock:
            await async_write_event(event, writer)  # type: ignore[arg-type]

    async def _player(self) -> None:
        """Send queued lines one after another, paced at real time."""
        assert self._plays is not None
        while True:
            play = await self._plays.get()
            self._current = play
            try:
                await self._send_line(play)
            except (OSError, ConnectionError) as exc:
                log.warning("a line could not be sent to the satellite: %s", exc)
            finally:
                self._current = None
                play.done.set()

    async def _send_line(self, play: _Playback) -> None:
        from wyoming.audio import AudioChunk, AudioStart, AudioStop

        if self._writer is None:
            log.warning("satellite disconnected: a line was not played")
            return
        s = self.settings
        fmt = {"rate": SAMPLE_RATE, "width": WIDTH_BYTES, "channels": CHANNELS}
        start_n = self._gate.line_started()
        await self._write(AudioStart(**fmt).event())
        step = s.chunk_samples * WIDTH_BYTES
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        sent = 0
        for i in range(0, len(play.pcm), step):
            if play.cancelled or self._stopping.is_set():
                break
            piece = play.pcm[i : i + step]
            await self._write(AudioChunk(audio=piece, **fmt).event())
            sent += len(piece) // WIDTH_BYTES
            # Pacing is about the satellite's buffer, not the session's logic.
            ahead = sent / SAMPLE_RATE - (loop.time() - t0)
            if ahead > s.send_ahead_s:
                await asyncio.sleep(ahead - s.send_ahead_s)
        await self._write(AudioStop().event())
        self._gate.line_sent(start_n, sent)


class _Stalled(Exception):
    """The satellite's stream stopped without the socket closing."""
