"""User mistakes end with one clear sentence and exit code 2, never a traceback."""

from __future__ import annotations

import pytest

from voicecoach.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["run", "--input", "/no/such/talk.wav", "--output", "x.wav"],
            "/no/such/talk.wav does not exist",
        ),
        (["analyze", "/no/such/talk.wav"], "/no/such/talk.wav"),
        (["demo", "--scenario", "nope"], "available: heated, unsafe"),
        (["eval", "--data", "/no/such/dir"], "No data directory"),
    ],
)
def test_mistakes_get_one_clear_line(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_broken_script_names_file_line_and_step(tmp_path, capsys):
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "steps:\n  - id: hello\n    kind: say\n    text: Hi.\n  - id: ask_it\n    kind: ask\n"
    )
    assert main(["scripts", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "mine.yaml" in err and "line 5" in err and '"ask_it"' in err


def test_shipped_scripts_pass_check(capsys):
    from voicecoach.dialogue.script import available_scripts, resolve

    names = available_scripts()
    assert {"session", "pause", "imago", "timeout", "appreciation"} <= set(names)
    assert main(["scripts", "check", *[str(resolve(n)) for n in names]]) == 0


def test_unreadable_audio_is_a_clear_error(tmp_path, capsys):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio at all" * 10)
    assert main(["run", "--input", str(junk), "--output", str(tmp_path / "o.wav")]) == 2
    err = capsys.readouterr().err
    assert "Could not read the audio file" in err and "Traceback" not in err


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out
