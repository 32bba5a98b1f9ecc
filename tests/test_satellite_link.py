"""The satellite link against a minimal Wyoming satellite on localhost: streaming,
pings answered while the session is busy, stalls and restarts noticed, the echo gate."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from tests.fake_satellite import CHUNK, RATE, FakeSatellite
from voicecoach.errors import UserError
from voicecoach.satellite.link import LinkSettings, SatelliteLink, parse_uri

pytest.importorskip("wyoming")

pytestmark = pytest.mark.loopback  # the fake satellite listens on 127.0.0.1


def _wait(cond: Callable[[], bool], timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def satellite() -> Iterator[FakeSatellite]:
    sat = FakeSatellite().start()
    yield sat
    sat.stop()


def _link(sat: FakeSatellite, **kw: float) -> SatelliteLink:
    settings = LinkSettings(uri=sat.uri, backoff_s=(0.1, 0.2), **kw)  # type: ignore[arg-type]
    link = SatelliteLink(settings)
    link.start()
    return link


def test_a_bad_address_is_a_clear_error() -> None:
    for bad in ("10.0.0.2:10700", "http://host:10700", "tcp://host"):
        with pytest.raises(UserError, match="tcp://HOST:PORT"):
            parse_uri(bad)
    assert parse_uri("tcp://127.0.0.1:10700") == ("127.0.0.1", 10700)


def test_microphone_audio_arrives_as_16k_float(satellite: FakeSatellite) -> None:
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(CHUNK) / RATE)).astype(np.float32)
    satellite.mic = lambda k: tone
    link = _link(satellite)
    try:
        chunk = None
        assert _wait(lambda: link.status.connected, 5.0)
        chunk = link.read(2.0)
        assert chunk is not None and chunk.dtype == np.float32 and len(chunk) == CHUNK
        assert np.max(np.abs(chunk - tone)) < 1e-3
        assert link.status.mic_rate_hz == RATE and link.status.satellite_name == "fake"
    finally:
        link.close()


def test_a_ping_is_answered_while_the_session_is_busy(satellite: FakeSatellite) -> None:
    satellite.ping_every_s = 0.3
    link = _link(satellite)
    try:
        # The session reads nothing for 2 s (as while Whisper transcribes a long turn):
        # the link's own thread still answers every ping.
        time.sleep(2.0)
        assert len(satellite.pings) >= 4
        assert len(satellite.pongs) >= len(satellite.pings) - 1
        assert link.status.pongs >= 4
    finally:
        link.close()


def test_a_stalled_stream_is_noticed_and_reconnected(satellite: FakeSatellite) -> None:
    satellite.stall_after_s = 0.5
    link = _link(satellite, stall_s=0.6, connect_timeout_s=1.0)
    try:
        assert _wait(lambda: link.status.stalls >= 1, 6.0), link.status
        assert _wait(lambda: link.status.connections >= 2, 6.0), link.status
        assert link.status.events[:2] == ["connected", "stalled"]
    finally:
        link.close()


def test_a_restarted_satellite_is_reconnected_to() -> None:
    first = FakeSatellite().start()
    port = first.port
    link = SatelliteLink(LinkSettings(uri=first.uri, backoff_s=(0.1, 0.2)))
    link.start()
    try:
        assert _wait(lambda: link.status.connected, 5.0)
        first.stop()  # the satellite goes away (reboot)
        assert _wait(lambda: not link.status.connected, 5.0)
        second = FakeSatellite(port=port).start()
        try:
            assert _wait(lambda: link.status.connections == 2 and link.status.connected, 8.0)
            assert link.read(2.0) is not None  # audio flows again
        finally:
            second.stop()
    finally:
        link.close()


def test_the_coach_never_hears_itself_through_the_satellite(satellite: FakeSatellite) -> None:
    # The satellite's microphone hears its own speaker (loud, 0.1 s later). Everything
    # the link delivers while the line plays, and for its tail, must be silence.
    satellite.loopback_gain = 0.8
    satellite.loopback_delay_s = 0.2
    satellite.mic = lambda k: np.zeros(CHUNK, np.float32)
    link = _link(satellite)
    try:
        assert _wait(lambda: link.status.connected, 5.0)
        assert link.read(2.0) is not None
        line = (0.5 * np.sin(2 * np.pi * 300 * np.arange(RATE) / RATE)).astype(np.float32)
        link.play(line)
        heard = []
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            chunk = link.read(0.5)
            if chunk is not None:
                heard.append(chunk)
        assert satellite.audio_starts == 1 and satellite.audio_stops == 1
        sent = sum(len(b) for b in satellite.received) // 2
        assert sent == RATE
        assert max(float(np.max(np.abs(c))) for c in heard) < 1e-3
    finally:
        link.close()


def test_the_probe_reports_format_and_chunk_rate(satellite: FakeSatellite) -> None:
    from voicecoach.satellite.probe import format_probe, probe

    result = probe(satellite.uri, listen_s=1.0)
    assert result.ok, result.problems
    assert (result.rate_hz, result.width_bytes, result.channels) == (RATE, 2, 1)
    assert 0.8 <= result.audio_s_per_s <= 1.2
    assert 12 <= result.chunks_per_s <= 19  # 1024-sample chunks at 16 kHz: 15.6 per second
    assert "16000 Hz" in format_probe(result)


def test_the_probe_says_what_to_do_when_nothing_answers() -> None:
    from tests.fake_satellite import FakeSatellite as _Sat
    from voicecoach.satellite.probe import probe

    sat = _Sat().start()
    uri = sat.uri
    sat.stop()  # nothing listens there any more
    result = probe(uri, listen_s=0.5, connect_timeout_s=1.0)
    assert not result.ok and "cannot reach" in result.problems[0]


@pytest.mark.models
def test_a_ping_is_answered_during_a_real_transcription(satellite: FakeSatellite) -> None:
    from voicecoach.app import shared_models
    from voicecoach.lab.testaudio import piper_speech

    models = shared_models("base")
    speech = np.concatenate(
        [piper_speech("I feel alone when you work late, and I need you to call me.")] * 3
    )
    satellite.ping_every_s = 0.25
    link = _link(satellite)
    try:
        assert _wait(lambda: link.status.connected, 5.0)
        pings_before = len(satellite.pings)
        started = time.monotonic()
        # Whisper holds this thread, as in a session, for at least 2 s (a fast machine
        # transcribes the clip in half a second: it is transcribed again until then).
        while time.monotonic() - started < 2.0:
            models.transcriber.transcribe(speech)
        busy_s = time.monotonic() - started
        pinged = [t for t in satellite.pings[pings_before:] if t <= started + busy_s - 0.5]
        assert pinged, f"no ping during a {busy_s:.2f} s transcription"
        # Every ping sent while Whisper worked was answered long before the 5 s limit.
        assert _wait(lambda: len(satellite.pongs) >= pings_before + len(pinged), 2.0)
        answered = sorted(satellite.pongs)[pings_before : pings_before + len(pinged)]
        assert max(p - q for p, q in zip(answered, pinged, strict=True)) < 1.0
    finally:
        link.close()
