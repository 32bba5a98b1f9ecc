"""Progress of long work: a line redrawn on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

import numpy as np

from voicecoach.audio.files import write_wav
from voicecoach.perception.analyze import analyze
from voicecoach.progress import Progress, media_seconds


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_short_work_shows_nothing():
    out = io.StringIO()
    bar = Progress("Analysing x", 100.0, stream=out)  # quiet for its first 2 s
    bar.update(50.0)
    bar.close()
    assert out.getvalue() == ""


def test_terminal_redraws_one_line_and_a_pipe_gets_plain_lines():
    term = Terminal()
    bar = Progress("Analysing talk.wav", 600.0, stream=term, quiet_s=0, every_s=0)
    bar.update(150.0)
    bar.update(300.0)
    bar.close()
    assert term.getvalue().count("\r\033[K") == 3 and term.getvalue().endswith("done\n")
    assert "Analysing talk.wav:  50% (300 of 600 s of audio)" in term.getvalue()
    pipe = io.StringIO()
    bar = Progress("Evaluating", stream=pipe, quiet_s=0, every_s=0, unit="s analysed")
    bar.update(12.0, "dialogues")
    assert pipe.getvalue() == "Evaluating: 12 s analysed, dialogues\n"
    assert "\x1b" not in pipe.getvalue()


def test_analyze_reports_seconds_analysed(tmp_path):
    rng = np.random.default_rng(0)
    audio = (0.01 * rng.standard_normal(16_000 * 5)).astype(np.float32)
    path = tmp_path / "quiet.wav"
    write_wav(path, audio)
    assert media_seconds(str(path)) == 5.0
    seen: list[float] = []
    analyze(str(path), progress=seen.append)
    assert seen and seen[-1] == 5.0 and seen == sorted(seen)
