"""Privacy: a whole session with the real models never opens a network socket, and
writes no audio unless asked."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from voicecoach.audio.files import write_wav
from voicecoach.eventlog import read_events
from voicecoach.timebase import SAMPLE_RATE

pytestmark = pytest.mark.models


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[tuple] = []
    real_socket = socket.socket

    class GuardedSocket(real_socket):
        def __init__(self, family=socket.AF_INET, *args, **kwargs):
            if family in (socket.AF_INET, socket.AF_INET6):
                attempts.append((family, args))
                raise OSError("network access attempted during an offline session")
            super().__init__(family, *args, **kwargs)

    def no_connection(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during an offline session")

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    monkeypatch.setattr(socket, "create_connection", no_connection)
    return attempts


def test_a_session_runs_offline_and_writes_only_its_log(no_network, tmp_path, monkeypatch):
    from voicecoach.cli import main
    from voicecoach.speech.tts import PiperSpeaker

    monkeypatch.chdir(tmp_path)
    line = PiperSpeaker().render("I value that you made me coffee every morning this week.")
    quiet = np.zeros(SAMPLE_RATE * 2, np.float32)
    talk = tmp_path / "talk.wav"
    write_wav(talk, np.concatenate([quiet, quiet, quiet, 0.5 * line, quiet, quiet]))
    logs = tmp_path / "logs"
    code = main(
        [
            "run",
            "--input",
            str(talk),
            "--output",
            str(tmp_path / "coach.wav"),
            "--script",
            "appreciation",
            "--log-dir",
            str(logs),
            "--quiet",
        ]
    )
    assert code == 0
    assert no_network == []
    (log_path,) = logs.glob("*/events.jsonl")  # the session's own folder
    events = read_events(log_path)
    heard = [e for e in events if e["type"] == "heard"]
    assert heard and "coffee" in heard[0]["text"].lower()
    # Only what was asked for: the log and the --output file; no recording of the room.
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert {"coach.wav", "events.jsonl", "talk.wav"} <= written
    # Beside the log only its report (words and numbers, no audio).
    assert written - {"coach.wav", "events.jsonl", "talk.wav"} <= {"report.html", "report.png"}
