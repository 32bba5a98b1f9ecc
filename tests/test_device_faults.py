"""Devices that come and go, on virtual PulseAudio devices: the microphone or the speaker
goes away mid-session (its sound server stops) and comes back, or does not; the default
device changes; the input overflows. voicecoach says what happened, resumes or ends the
session cleanly with its log kept, never hangs and never spins a core."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.standins import ListenerParts, WholeVoice
from voicecoach import eventlog as ev
from voicecoach.app import _tell_device_changes, make_engine
from voicecoach.audio import devices
from voicecoach.audio.files import WavSink
from voicecoach.errors import DeviceLost
from voicecoach.lab import virtual
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE

pytestmark = pytest.mark.devices


@pytest.fixture
def own_audio(virtual_audio) -> Iterator[Path]:
    """A private PulseAudio this test may stop and start (the shared one stays up)."""
    saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "ALSA_CONFIG_PATH")}
    audio_dir = Path(tempfile.mkdtemp(prefix="vc-own-"))
    virtual.start(audio_dir)  # new streams now open on this daemon
    try:
        yield audio_dir
    finally:
        virtual.stop(audio_dir)
        shutil.rmtree(audio_dir, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _later(seconds: float, action) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_the_microphone_goes_away_and_comes_back(own_audio):
    mic = devices.MicSource("virtmic", blocksize=480, reconnect_s=20)
    changes: list[tuple[str, str]] = []
    mic.on_change = lambda device, state, text: changes.append((device, state))
    _later(1.0, lambda: virtual.stop(own_audio))
    _later(3.0, lambda: virtual.start(own_audio))
    wall0, cpu0 = time.monotonic(), time.process_time()
    n = 0
    try:
        for chunk in mic.chunks():
            n += len(chunk)
            if time.monotonic() - wall0 > 6.0:
                break
    finally:
        mic.close()
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    assert changes == [("microphone", "lost"), ("microphone", "back")]
    # The time away is silence on the session's clock: media time keeps up with the room.
    assert abs(n / SAMPLE_RATE - wall) < 1.0, (n / SAMPLE_RATE, wall)
    assert mic.counters()["filled_samples"] > SAMPLE_RATE
    assert cpu < 0.5 * wall  # waited, did not spin


class Tone(WholeVoice):
    def render(self, text: str) -> np.ndarray:
        return (0.2 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.1)).astype(np.float32)


class Deaf(ListenerParts):
    def feed(self, samples):
        return []

    def flush(self):
        return []

    def enroll(self, name, audio):
        pass

    def mute(self, muted):
        pass


def test_a_microphone_gone_for_good_ends_the_session_with_its_log(own_audio, tmp_path):
    mic = devices.MicSource("virtmic", blocksize=480, reconnect_s=2)
    out = tmp_path / "coach.wav"
    session = Session(
        listener=Deaf(),
        transcriber=None,  # type: ignore[arg-type]
        engine=make_engine("timeout", ("Alex", "Sam")),  # type: ignore[arg-type]
        prompts=PromptCache(Tone()),
        sink=WavSink(out),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    _tell_device_changes(session, mic)
    _later(1.5, lambda: virtual.stop(own_audio))
    t0 = time.monotonic()
    with pytest.raises(DeviceLost, match="did not come back within 2 s"):
        session.run(mic)
    assert time.monotonic() - t0 < 15  # never hangs
    events = ev.read_events(tmp_path / "events.jsonl", strict=True)
    lost = [e for e in events if e["type"] == "device"]
    assert [(e["device"], e["state"]) for e in lost] == [("microphone", "lost")]
    assert events[-1]["type"] == "session" and events[-1]["reason"] == "microphone lost"
    with wave.open(str(out)) as w:
        assert w.getnframes() == SAMPLE_RATE // 2  # the coach's first line, finalised


def test_the_speaker_goes_away_then_comes_back_or_ends_the_session(own_audio):
    speaker = devices.SpeakerSink("speaker")
    changes: list[tuple[str, str]] = []
    speaker.on_change = lambda device, state, text: changes.append((device, state))
    try:
        speaker.play(0.0, np.zeros(800, np.float32))
        virtual.stop(own_audio)
        deadline = time.monotonic() + 5
        while not speaker._failed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker._failed, "PortAudio did not notice the speaker going"
        with pytest.raises(DeviceLost, match="did not come back") as info:
            speaker.play(1.0, np.zeros(800, np.float32))
        assert info.value.reason == "speaker lost"
        virtual.start(own_audio)
        speaker.play(2.0, np.zeros(800, np.float32))  # it is back: the coach goes on
        assert speaker.wait(5)
    finally:
        speaker.close()
    assert changes == [("speaker", "lost"), ("speaker", "lost"), ("speaker", "back")]


def test_a_new_default_microphone_does_not_break_the_open_one(virtual_audio):
    mic = devices.MicSource(None, blocksize=480)
    n = 0
    try:
        chunks = mic.chunks()
        n += len(next(chunks))
        virtual.pactl("set-default-source", "micfeed.monitor", audio_dir=virtual_audio.dir)
        t0 = time.monotonic()
        for chunk in chunks:
            n += len(chunk)
            if time.monotonic() - t0 > 1.5:
                break
    finally:
        virtual.pactl("set-default-source", virtual.MIC_SOURCE, audio_dir=virtual_audio.dir)
        mic.close()
    assert n > SAMPLE_RATE  # still listening, on the device it opened
    assert mic.counters()["errors"] == 0


def test_input_overflow_is_reported_and_the_clock_kept(caplog):
    mic = devices.MicSource("virtmic", blocksize=480, queue_s=0.1)
    t0 = time.monotonic()
    n = 0
    with caplog.at_level(logging.WARNING):
        try:
            for chunk in mic.chunks():
                n += len(chunk)
                time.sleep(0.2)  # a consumer far slower than the microphone
                if time.monotonic() - t0 > 2.0:
                    break
        finally:
            mic.close()
    counters = mic.counters()
    assert counters["dropped_samples"] > SAMPLE_RATE // 2
    # Filled when the next chunk is taken (the drops of the last 0.2 s are still pending).
    assert counters["filled_samples"] >= counters["dropped_samples"] - int(0.5 * SAMPLE_RATE)
    assert "dropped_samples" in caplog.text  # said, not silent
    # Media time did not fall behind the room: what was lost came back as silence.
    unfilled = counters["dropped_samples"] - counters["filled_samples"]
    queued = int(0.2 * SAMPLE_RATE)  # the 0.1 s queue and a block in flight
    assert n + unfilled >= counters["captured_samples"] - queued


def test_a_signal_while_waiting_for_the_microphone_ends_the_session_at_once(own_audio, tmp_path):
    import signal

    from voicecoach.stopping import StopSignals

    mic = devices.MicSource("virtmic", blocksize=480, reconnect_s=60)
    session = Session(
        listener=Deaf(),
        transcriber=None,  # type: ignore[arg-type]
        engine=make_engine("timeout", ("Alex", "Sam")),  # type: ignore[arg-type]
        prompts=PromptCache(Tone()),
        sink=WavSink(tmp_path / "coach.wav"),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    _tell_device_changes(session, mic)
    _later(1.0, lambda: virtual.stop(own_audio))
    _later(3.0, lambda: os.kill(os.getpid(), signal.SIGTERM))
    t0 = time.monotonic()
    with StopSignals() as stop:
        stop.watch(session)
        assert session.run(mic) == "terminated"
    assert time.monotonic() - t0 < 10  # not the 60 s wait
    events = ev.read_events(tmp_path / "events.jsonl", strict=True)
    assert [e["type"] for e in events if e["type"] in ("device", "session")] == [
        "session",
        "device",
        "session",
    ]
    assert events[-1]["reason"] == "terminated"


def test_a_stop_does_not_wait_for_the_coach_to_finish_speaking():
    speaker = devices.SpeakerSink("speaker")
    try:
        speaker.play(0.0, np.zeros(10 * SAMPLE_RATE, np.float32))  # a 10 s goodbye
        _later(0.5, speaker.interrupt)  # what a signal does (Session.request_stop)
        t0 = time.monotonic()
        speaker.drain()
        assert time.monotonic() - t0 < 3
    finally:
        speaker.close()


@pytest.mark.models
def test_voicecoach_run_rides_out_a_sound_server_restart(own_audio, tmp_path):
    """The real command on the virtual devices: the sound server stops while the coach
    speaks (the speaker goes), then again while it listens (the microphone goes), and
    comes back each time; the session says so, resumes, and a SIGTERM then ends it with
    the whole record."""
    import signal
    import subprocess

    from tests.netguard import python_offline

    logs = tmp_path / "logs"
    cmd = [*python_offline(), "-m", "voicecoach", "run", "--device", "virtmic"]
    cmd += ["--output-device", "speaker", "--log-dir", str(logs), "--quiet"]
    cmd += ["--model", "tiny.en", "--script", "timeout", "--aec", "off"]
    repo = Path(__file__).resolve().parent.parent  # this checkout's voicecoach
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=repo)
    try:
        deadline = time.monotonic() + 240
        log_path = None
        while time.monotonic() < deadline and log_path is None:
            found = list(logs.glob("*/events.jsonl"))
            if found and "step" in found[0].read_text():
                log_path = found[0]
            elif proc.poll() is not None:
                raise AssertionError(proc.communicate())
            time.sleep(0.1)
        assert log_path is not None, "the session did not start"

        def outage_until(seen: str) -> None:
            virtual.stop(own_audio)
            time.sleep(3.0)
            virtual.start(own_audio)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and seen not in log_path.read_text():
                time.sleep(0.2)

        # While the coach speaks its first line: the speaker goes, and comes back.
        outage_until('"speaker", "state": "back"')
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and '"type": "say"' not in log_path.read_text():
            time.sleep(0.2)
        # While the timeout runs and the microphone listens: it goes, and comes back.
        outage_until('"microphone", "state": "back"')
        time.sleep(1.0)  # listening again
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    events = ev.read_events(log_path, strict=True)
    devices_seen = [(e["device"], e["state"]) for e in events if e["type"] == "device"]
    assert devices_seen == [
        ("speaker", "lost"),
        ("speaker", "back"),
        ("microphone", "lost"),
        ("microphone", "back"),
    ], err.decode()[-2000:]
    assert events[-1]["type"] == "session" and events[-1]["reason"] == "terminated"
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert b"is back after" in err and b"Traceback" not in err
