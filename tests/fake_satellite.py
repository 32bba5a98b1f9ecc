"""A minimal Wyoming satellite for fast link tests: answers describe, streams its
microphone after run-satellite, can ping, stall, close, and loop played audio back.

Only for unit tests of the link's behaviour (pings, stalls, reconnects); the real
``wyoming-satellite`` process is tested end to end in test_satellite_e2e.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

RATE = 16000
CHUNK = 1024


@dataclass
class FakeSatellite:
    """Serves one client at a time on 127.0.0.1:``port`` (0 picks a free port)."""

    port: int = 0
    mic: Callable[[int], np.ndarray] | None = None
    """Samples to send for chunk k (16 kHz float32); default: quiet noise."""
    ping_every_s: float | None = None
    loopback_gain: float = 0.0
    """Played audio fed back into the microphone at this gain (the room's echo)."""
    loopback_delay_s: float = 0.1
    stall_after_s: float | None = None
    """Stop sending chunks (keeping the socket open) after this long."""
    close_after_s: float | None = None
    pongs: list[float] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    """Audio chunks the client sent to the speaker."""
    audio_starts: int = 0
    audio_stops: int = 0
    connections: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.base_events.Server | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FakeSatellite:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(5.0), "fake satellite did not start"
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and self._server is not None:
            server = self._server

            async def _shutdown() -> None:
                server.close()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                loop.stop()

            asyncio.run_coroutine_threadsafe(_shutdown(), loop)
        if self._thread is not None:
            self._thread.join(5.0)

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from wyoming.audio import AudioChunk, AudioStart, AudioStop
        from wyoming.event import async_read_event, async_write_event
        from wyoming.info import Attribution, Describe, Info, Satellite
        from wyoming.ping import Ping, Pong
        from wyoming.satellite import RunSatellite

        self.connections += 1
        echo: list[np.ndarray] = []
        lock = asyncio.Lock()

        async def send(event: object) -> None:
            async with lock:
                await async_write_event(event, writer)  # type: ignore[arg-type]

        async def stream() -> None:
            k = 0
            t0 = time.monotonic()
            while True:
                elapsed = time.monotonic() - t0
                if self.close_after_s is not None and elapsed >= self.close_after_s:
                    writer.close()
                    return
                if self.stall_after_s is None or elapsed < self.stall_after_s:
                    audio = (
                        self.mic(k)
                        if self.mic
                        else np.random.default_rng(k).normal(0, 0.001, CHUNK).astype(np.float32)
                    )
                    if echo:
                        e = echo.pop(0)
                        n = min(len(e), len(audio))
                        audio = audio.copy()
                        audio[:n] += e[:n]
                    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
                    await send(AudioChunk(rate=RATE, width=2, channels=1, audio=pcm).event())
                k += 1
                await asyncio.sleep(max(0.0, t0 + k * CHUNK / RATE - time.monotonic()))

        async def pinger() -> None:
            assert self.ping_every_s is not None
            while True:
                await asyncio.sleep(self.ping_every_s)
                self.pings.append(time.monotonic())
                await send(Ping(text="x").event())

        tasks: list[asyncio.Task[None]] = []
        try:
            while True:
                event = await async_read_event(reader)
                if event is None:
                    break
                if Describe.is_type(event.type):
                    info = Info(
                        satellite=Satellite(
                            name="fake",
                            attribution=Attribution(name="", url=""),
                            installed=True,
                            description="fake",
                            version="0",
                        )
                    )
                    await send(info.event())
                elif RunSatellite.is_type(event.type):
                    tasks.append(asyncio.create_task(stream()))
                    if self.ping_every_s:
                        tasks.append(asyncio.create_task(pinger()))
                elif Pong.is_type(event.type):
                    self.pongs.append(time.monotonic())
                elif AudioStart.is_type(event.type):
                    self.audio_starts += 1
                elif AudioStop.is_type(event.type):
                    self.audio_stops += 1
                elif AudioChunk.is_type(event.type):
                    chunk = AudioChunk.from_event(event)
                    self.received.append(chunk.audio)
                    if self.loopback_gain:
                        a = np.frombuffer(chunk.audio, "<i2").astype(np.float32) / 32768
                        delay = round(self.loopback_delay_s * RATE / CHUNK)
                        while len(echo) < delay:
                            echo.append(np.zeros(CHUNK, np.float32))
                        for i in range(0, len(a), CHUNK):
                            echo.append(self.loopback_gain * a[i : i + CHUNK])
        except (ConnectionError, OSError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            writer.close()
