"""Every way of stopping keeps the record: SIGINT, SIGTERM and SIGHUP in every phase end
the session with its session-end record and reason, and a finalised output WAV; a second
signal exits at once with the log flushed.

The phase tests send real signals to this process (voicecoach.stopping's handlers) while a
session with the real engine and fast fake models is in a chosen phase; the end-to-end
tests send them to a real `python -m voicecoach run --input` subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.netguard import python_offline
from tests.standins import ListenerParts, WholeVoice
from voicecoach import eventlog as ev
from voicecoach.app import make_engine
from voicecoach.audio.files import ArraySource, WavSink, write_wav
from voicecoach.perception import types as pt
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.stopping import StopSignals
from voicecoach.timebase import SAMPLE_RATE

REPO = Path(__file__).resolve().parent.parent


class ToneVoice(WholeVoice):
    def render(self, text: str) -> np.ndarray:
        n = SAMPLE_RATE  # every prompt a 1 s tone
        return (0.3 * np.sin(np.arange(n) * 0.1)).astype(np.float32)


class Transcriber:
    def __init__(self, on_call=None, text: str = "yes") -> None:
        self.on_call = on_call
        self.text = text

    def transcribe(self, audio: np.ndarray) -> str:
        if self.on_call:
            self.on_call()
        return self.text


class Listener(ListenerParts):
    """Hears one utterance (audio of 1 s) ending at each of ``ends`` (media time, s)."""

    def __init__(self, ends: list[float]) -> None:
        self.ends = list(ends)
        self.n = 0

    def feed(self, samples: np.ndarray) -> list[pt.PerceptionEvent]:
        self.n += len(samples)
        t = self.n / SAMPLE_RATE
        out: list[pt.PerceptionEvent] = []
        while self.ends and self.ends[0] <= t:
            end = self.ends.pop(0)
            audio = np.zeros(SAMPLE_RATE, np.float32)
            out.append(pt.Utterance(t=t, start=end - 1, end=end, speaker="unknown", audio=audio))
        return out

    def flush(self) -> list[pt.PerceptionEvent]:
        return []

    def enroll(self, name: str, audio: np.ndarray) -> None:
        pass

    def mute(self, muted: bool) -> None:
        pass


class SignalAt:
    """A silent source that sends ``signum`` to this process at media time ``t``."""

    def __init__(self, seconds: float, t: float | None, signum: int) -> None:
        self.name = "signal-at"
        self.inner = ArraySource(
            np.zeros(int(seconds * SAMPLE_RATE), np.float32), chunk_samples=480
        )
        self.t, self.signum = t, signum

    def chunks(self) -> Iterator[np.ndarray]:
        n = 0
        for chunk in self.inner.chunks():
            if self.t is not None and n / SAMPLE_RATE >= self.t:
                os.kill(os.getpid(), self.signum)
                self.t = None
            n += len(chunk)
            yield chunk

    def interrupt(self) -> None:
        pass  # ends with its samples

    def close(self) -> None:
        pass


def _run(tmp_path, script, source, listener, transcriber) -> tuple[str, list[dict], Path]:
    out = tmp_path / "coach.wav"
    session = Session(
        listener=listener,
        transcriber=transcriber,
        engine=make_engine(script, ("Alex", "Sam")),  # type: ignore[arg-type]
        prompts=PromptCache(ToneVoice()),
        sink=WavSink(out),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    with StopSignals() as stop:
        stop.watch(session)
        reason = session.run(source)
    return reason, ev.read_events(tmp_path / "events.jsonl", strict=True), out


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        n = w.getnframes()
    # The header agrees with the data on disk: the file was finalised.
    assert path.stat().st_size == 44 + 2 * n
    return n / SAMPLE_RATE


def _ends(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "session" and e["state"] == "end"]


@pytest.mark.parametrize(
    ("signum", "reason"),
    [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated"), (signal.SIGHUP, "hangup")],
)
def test_a_signal_while_the_coach_speaks(tmp_path, signum, reason):
    got, events, wav = _run(
        tmp_path, "pause", SignalAt(10, 0.5, signum), Listener([]), Transcriber()
    )
    assert got == reason
    assert _ends(events) == [{"type": "session", "t": 0.51, "state": "end", "reason": reason}]
    say = [e for e in events if e["type"] == "say"]
    assert say[-1]["id"] == "pause.breath" and say[-1]["end"] == 0.51  # cut where it stopped
    assert _wav_seconds(wav) == pytest.approx(0.51, abs=0.001)


def test_a_signal_while_waiting_for_an_answer(tmp_path):
    # pause: "Let's take a breath" (1 s), then the safety question to Alex (1 s), then wait.
    got, events, wav = _run(
        tmp_path, "pause", SignalAt(30, 6.0, signal.SIGTERM), Listener([]), Transcriber()
    )
    assert got == "terminated"
    assert [e["id"] for e in events if e["type"] == "say"] == ["pause.breath", "pause.safety"]
    assert _ends(events)[0]["t"] == pytest.approx(6.0, abs=0.04)
    assert _wav_seconds(wav) == pytest.approx(2.0, abs=0.05)  # two 1 s prompts


def test_a_signal_while_transcribing(tmp_path):
    def kill() -> None:
        os.kill(os.getpid(), signal.SIGHUP)

    got, events, wav = _run(
        tmp_path, "pause", SignalAt(30, None, 0), Listener([4.0]), Transcriber(kill, "yes")
    )
    assert got == "hangup"
    # The answer being transcribed is still heard and logged; nothing after it.
    heard = [e for e in events if e["type"] == "heard"]
    assert [h["text"] for h in heard] == ["yes"]
    assert _ends(events)[0]["t"] == pytest.approx(heard[0]["t"], abs=0.04)
    assert _wav_seconds(wav) >= 2.0


def test_a_signal_in_a_timeout(tmp_path):
    got, events, wav = _run(
        tmp_path, "timeout", SignalAt(60, 30.0, signal.SIGINT), Listener([]), Transcriber()
    )
    assert got == "interrupted"
    assert any(e["type"] == "step" and e["step"] == "start" for e in events)
    assert _ends(events)[0]["t"] == pytest.approx(30.0, abs=0.04)
    assert _wav_seconds(wav) == pytest.approx(1.0, abs=0.05)


def test_a_signal_before_the_session_starts_still_logs_it(tmp_path):
    """A signal while the models load: the session starts and ends at once, logged."""
    out = tmp_path / "coach.wav"
    session = Session(
        listener=Listener([]),
        transcriber=Transcriber(),
        engine=make_engine("pause", ("Alex", "Sam")),  # type: ignore[arg-type]
        prompts=PromptCache(ToneVoice()),
        sink=WavSink(out),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        stop.watch(session)
        assert session.run(SignalAt(5, None, 0)) == "terminated"
    assert [e["type"] for e in ev.read_events(tmp_path / "events.jsonl")] == [
        "session",
        "session",
    ]
    assert _wav_seconds(out) == 0.0


# ------------------------------------------------------------------ real subprocesses


def _wait_for(path_glob: str, base: Path, proc: subprocess.Popen, timeout: float = 240) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in base.glob(path_glob):
            if p.stat().st_size > 0:
                return p
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no session log appeared")


@pytest.mark.models
@pytest.mark.parametrize(
    ("signum", "reason"),
    [(signal.SIGTERM, "terminated"), (signal.SIGHUP, "hangup"), (signal.SIGINT, "interrupted")],
)
def test_run_subprocess_stopped_by_a_signal_keeps_the_record(tmp_path, signum, reason):
    talk = tmp_path / "talk.wav"
    write_wav(talk, np.zeros(30 * 60 * SAMPLE_RATE, np.float32))  # long enough to be running
    logs, out = tmp_path / "logs", tmp_path / "coach.wav"
    cmd = [*python_offline(), "-m", "voicecoach", "run", "--input", str(talk)]
    cmd += ["--output", str(out), "--log-dir", str(logs), "--quiet", "--model", "tiny.en"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        log_path = _wait_for("*/events.jsonl", logs, proc)
        time.sleep(0.3)
        proc.send_signal(signum)
        # A liveness bound, not a timing: the line being synthesized and the report still
        # take seconds on a loaded machine.
        _, err = proc.communicate(timeout=240)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, err
    events = ev.read_events(log_path, strict=True)
    assert events[-1]["type"] == "session" and events[-1]["reason"] == reason
    assert events[-1]["t"] < 30 * 60  # stopped, not run to the end
    assert _wav_seconds(out) <= events[-1]["t"] + 0.01
    assert b"Traceback" not in err and b"The session log was saved" in err


FORCED = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_signals import Listener, SignalAt, ToneVoice, Transcriber
    from voicecoach import eventlog as ev
    from voicecoach.app import make_engine
    from voicecoach.audio.files import WavSink
    from voicecoach.session import Session
    from voicecoach.speech.promptcache import PromptCache
    from voicecoach.stopping import StopSignals

    def stuck():  # a transcription that takes far too long
        print("transcribing", flush=True)
        time.sleep(60)

    session = Session(
        listener=Listener([4.0]), transcriber=Transcriber(stuck),
        engine=make_engine("pause", ("Alex", "Sam")), prompts=PromptCache(ToneVoice()),
        sink=WavSink({out!r}), log=ev.EventLog(ev.Path({log!r})),
    )
    with StopSignals() as stop:
        stop.watch(session)
        session.run(SignalAt(30, None, 0))
    """
)


def test_a_second_signal_exits_at_once_with_the_log_flushed(tmp_path):
    log = tmp_path / "events.jsonl"
    code = FORCED.format(tests=str(REPO / "tests"), out=str(tmp_path / "o.wav"), log=str(log))
    proc = subprocess.Popen(
        [*python_offline(), "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"transcribing"
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        waited = time.monotonic() - t0
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert waited < 20  # not the 60 s transcription
    events = ev.read_events(log, strict=True)
    assert events[-1] == {
        "type": "session",
        "t": events[-1]["t"],
        "state": "end",
        "reason": "terminated (forced)",
    }
    assert b"stopped at once" in err


def test_a_signal_while_a_long_line_is_synthesized_skips_the_rest(tmp_path):
    class SentenceVoice:
        """Synthesizes sentence by sentence, like Piper; the signal comes during the first."""

        length_scale = 1.0
        by_sentence = True

        def __init__(self) -> None:
            self.calls = 0

        def synthesize(self, text: str, **kwargs) -> Iterator[np.ndarray]:
            self.calls += 1
            if self.calls == 1:
                os.kill(os.getpid(), signal.SIGTERM)
            for _ in text.split(". "):
                yield np.zeros(SAMPLE_RATE // 2, np.float32)

    voice = SentenceVoice()
    session = Session(
        listener=Listener([]),
        transcriber=Transcriber(),
        engine=make_engine("timeout", ("Alex", "Sam")),  # three sentences, then a timer
        prompts=PromptCache(voice),
        sink=WavSink(tmp_path / "coach.wav"),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    with StopSignals() as stop:
        stop.watch(session)
        assert session.run(SignalAt(5, None, 0)) == "terminated"
    assert voice.calls == 1  # the first sentence only; the other two were never made
