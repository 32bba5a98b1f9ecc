"""Private and never overwritten: each session its own 0700 folder, its log 0600, written
line by line and fsynced at the session-end record; a torn last line still reads."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.standins import WholeVoice
from voicecoach import eventlog as ev
from voicecoach.app import build_session
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.timebase import SAMPLE_RATE

REPO = Path(__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask():
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


def test_sessions_in_the_same_second_get_their_own_folders(tmp_path, lax_umask):
    base = tmp_path / "sessions"
    dirs = [ev.new_session_dir(base, now=1_700_000_000.0) for _ in range(3)]
    assert len({d.name for d in dirs}) == 3
    assert dirs[1].name == dirs[0].name + "-2" and dirs[2].name == dirs[0].name + "-3"
    assert all(_mode(d) == 0o700 for d in [base, *dirs])


def test_concurrent_processes_sharing_a_log_dir_never_collide(tmp_path):
    base = tmp_path / "shared"
    code = (
        "import sys; from pathlib import Path; from voicecoach import eventlog as ev; "
        f"print(ev.new_session_dir(Path({str(base)!r}), now=1_700_000_000.0))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    made = [p.communicate()[0].decode().strip() for p in procs]
    assert len(set(made)) == 6 and all(Path(m).is_dir() for m in made)


def test_the_log_is_private_and_fsynced_at_the_end(tmp_path, lax_umask, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = ev.new_session_dir(tmp_path / "s") / "events.jsonl"
    log = ev.EventLog(path)
    assert _mode(path) == 0o600
    synced.clear()  # (the folder entry, at creation)
    log.write(ev.Session(t=0.0, state="start"))
    log.write(ev.Heard(t=1.0, speaker="Alex", text="private words", start=0.2, end=0.9))
    # Each record is on the disk itself as soon as it is written (a power cut keeps it).
    assert len(path.read_text().splitlines()) == 2
    assert len(synced) == 2
    log.write(ev.Session(t=2.0, state="end", reason="finished"))
    assert len(synced) == 3 and log.ended
    log.close()
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def test_an_existing_users_folder_keeps_its_mode(tmp_path, lax_umask):
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    session = ev.new_session_dir(mine)
    assert _mode(mine) == 0o755 and _mode(session) == 0o700


def test_a_torn_last_line_still_reads(tmp_path, caplog):
    path = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"type": "session", "t": 0.0, "state": "start"}),
        json.dumps({"type": "heard", "t": 3.2, "speaker": "Sam", "text": "ok"}),
        '{"type": "say", "t": 4.1, "id": "pause.br',  # the power went here
    ]
    path.write_text("\n".join(lines))
    events = ev.read_events(path)
    assert [e["type"] for e in events] == ["session", "heard"]
    assert "torn last" in caplog.text
    assert ev.read_events(path, strict=True) == events  # a torn end is expected, not an error
    # A damaged line in the middle is skipped too, but strict readers hear of it.
    path.write_text("\n".join([lines[0], "garbage", lines[1]]) + "\n")
    assert [e["type"] for e in ev.read_events(path)] == ["session", "heard"]
    with pytest.raises(ValueError, match="line 2"):
        ev.read_events(path, strict=True)


def test_a_session_log_is_never_overwritten_by_the_next(tmp_path, lax_umask):
    class Silent(WholeVoice):
        def render(self, text: str) -> np.ndarray:
            return np.zeros(160, np.float32)

    class Models:
        transcriber = None
        voice = Silent()

    base = tmp_path / "sessions"
    paths = []
    for _ in range(2):
        path = ev.new_session_dir(base, now=1_700_000_000.0) / "events.jsonl"
        session = build_session(
            models=Models(),  # type: ignore[arg-type]
            sink=TrackSink(),
            partners=("Alex", "Sam"),
            script="pause",
            log_path=path,
            echo=False,
        )
        session.run(ArraySource(np.zeros(SAMPLE_RATE, np.float32)))
        paths.append(path)
    assert paths[0] != paths[1]
    for path in paths:
        assert ev.read_events(path, strict=True)[-1]["state"] == "end"
        assert _mode(path) == 0o600
