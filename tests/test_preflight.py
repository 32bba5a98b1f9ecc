"""Check everything before listening: each mistake that can be found at the start is one
sentence there, before any model loads or any audio is read."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach import app
from voicecoach.audio.files import write_wav
from voicecoach.cli import main
from voicecoach.errors import UserError
from voicecoach.preflight import MAX_NAME_CHARS, check_name, check_partners
from voicecoach.timebase import SAMPLE_RATE


@pytest.fixture
def talk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def no_models(*args, **kwargs):
        raise AssertionError("models loaded although the setup was wrong")

    monkeypatch.setattr(app, "shared_models", no_models)
    path = tmp_path / "talk.wav"
    write_wav(path, np.zeros(SAMPLE_RATE, np.float32))
    return path


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--output", "."], "is a directory"),
        (["--output", "outdir/"], "is a directory"),
        (["--output", "coach.mp3"], "must end in .wav"),
        (["--output", "talk.wav"], "would be overwritten"),
        (["--output", "talk.wav/coach.wav"], "is a file, not a folder"),
        (["--output", "o.wav", "--log-dir", "talk.wav"], "is a file"),
        (["--output", "o.wav", "--partners", "A" * 500 + ",Sam"], "500 characters long"),
        (["--output", "o.wav", "--partners", "Alex,alex"], "two different names"),
        (["--output", "o.wav", "--partners", "Al\x07ex,Sam"], "contains"),
        (["--output", "o.wav", "--script", "nope"], "no such script"),
        (["--output", "o.wav", "--voice", "nobody"], "Unknown voice"),
        (["--output", "o.wav", "--model", "huge"], "Unknown Whisper model"),
    ],
)
def test_setup_mistakes_are_found_before_listening(talk, capsys, extra, expected, tmp_path):
    (tmp_path / "outdir").mkdir()
    assert main(["run", "--input", str(talk), *extra]) == 2
    assert expected in _one_line(capsys)
    # Nothing was written: no coach WAV, no session folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outdir", "talk.wav"]


def test_names_have_a_sane_length_and_characters():
    assert check_name("  Zoë-Anne O'Neil ") == "Zoë-Anne O'Neil"
    assert check_name("李雷") == "李雷"
    assert check_partners(("Alex", "Sam")) == ("Alex", "Sam")
    assert len(check_name("A" * MAX_NAME_CHARS)) == MAX_NAME_CHARS
    for bad in ["A" * (MAX_NAME_CHARS + 1), "", "   ", "123", "<script>", "a\nb", "Sam;rm"]:
        with pytest.raises(UserError):
            check_name(bad)


def test_analyze_rejects_a_500_character_enrol_name(tmp_path, capsys):
    clip = tmp_path / "a.wav"
    write_wav(clip, np.zeros(SAMPLE_RATE, np.float32))
    assert main(["analyze", str(clip), "--enroll", "B" * 500 + f"={clip}"]) == 2
    assert "500 characters long" in _one_line(capsys)
