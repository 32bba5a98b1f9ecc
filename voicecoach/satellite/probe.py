"""Checks of a satellite for `voicecoach doctor --satellite URI`: reachable, what it says
it is, its audio format and its chunk rate."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from voicecoach.satellite.link import LinkSettings, SatelliteLink
from voicecoach.timebase import SAMPLE_RATE


@dataclass
class ProbeResult:
    uri: str
    reachable: bool = False
    name: str | None = None
    rate_hz: int | None = None
    width_bytes: int | None = None
    channels: int | None = None
    chunks_per_s: float = 0.0
    audio_s_per_s: float = 0.0
    """Seconds of microphone audio received per second of listening: ~1 when it streams
    at real time."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def probe(uri: str, listen_s: float = 3.0, connect_timeout_s: float = 5.0) -> ProbeResult:
    """Connect as `serve` would, listen for ``listen_s`` and say what was seen."""
    result = ProbeResult(uri)
    link = SatelliteLink(LinkSettings(uri=uri, connect_timeout_s=connect_timeout_s))
    link.start()
    try:
        end = time.monotonic() + connect_timeout_s + 1.0
        while time.monotonic() < end and not link.status.connected:
            time.sleep(0.05)
        st = link.status
        if not st.connected:
            result.problems.append(
                f"cannot reach the satellite at {uri} ({st.last_error or 'no answer'}): is "
                "wyoming-satellite running there with this --uri, and no firewall between?"
            )
            return result
        result.reachable, result.name = True, st.satellite_name
        chunks0, samples0, t0 = st.chunks, st.mic_samples, time.monotonic()
        while time.monotonic() - t0 < listen_s:
            link.read(0.1)  # keep its queue drained, as a session would
        elapsed = time.monotonic() - t0
        result.chunks_per_s = (st.chunks - chunks0) / elapsed
        result.audio_s_per_s = (st.mic_samples - samples0) / SAMPLE_RATE / elapsed
        result.rate_hz, result.width_bytes, result.channels = (
            st.mic_rate_hz,
            st.mic_width_bytes,
            st.mic_channels,
        )
        if st.chunks == chunks0:
            result.problems.append(
                "the satellite sends no audio: run it in always-streaming mode (no "
                "--wake-uri, no --vad) with a working --mic-command"
            )
        elif not 0.8 <= result.audio_s_per_s <= 1.2:
            result.problems.append(
                f"the satellite streams {result.audio_s_per_s:.2f} s of audio per second: "
                "its microphone should deliver real time (e.g. parecord/arecord, not cat)"
            )
        if result.rate_hz is not None and (result.rate_hz, result.width_bytes, result.channels) != (
            SAMPLE_RATE,
            2,
            1,
        ):
            result.problems.append(
                f"the satellite sends {result.rate_hz} Hz, {result.width_bytes}-byte, "
                f"{result.channels}-channel audio; voicecoach converts it, but 16000 Hz "
                "16-bit mono (--mic-command-rate 16000) saves the satellite's CPU"
            )
        return result
    finally:
        link.close()


def format_probe(r: ProbeResult) -> str:
    lines = [f"satellite {r.uri}: {'ok' if r.ok else 'PROBLEM'}"]
    if r.reachable:
        lines.append(f"  name: {r.name or '?'}")
        if r.rate_hz:
            lines.append(
                f"  audio: {r.rate_hz} Hz, {r.width_bytes * 8 if r.width_bytes else '?'}-bit, "
                f"{r.channels} channel(s); {r.chunks_per_s:.1f} chunks/s, "
                f"{r.audio_s_per_s:.2f} s of audio per second"
            )
    lines += [f"  - {p}" for p in r.problems]
    return "\n".join(lines)
