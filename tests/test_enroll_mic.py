"""`voicecoach enroll NAME` from the microphone, on the virtual PulseAudio devices: the
request is spoken on the (virtual) speaker, the answer comes in through the virtual
microphone (paplay into ``micfeed``). A beep is refused and asked again by name; speech is
learnt; `profiles` lists it and `forget` deletes it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from voicecoach.audio.files import write_wav
from voicecoach.cli import main
from voicecoach.lab import virtual
from voicecoach.lab.testaudio import piper_speech, tone

pytestmark = [pytest.mark.devices, pytest.mark.models]

ANSWER = (
    "Hi, I'm Alex. My day was long, I had meetings all morning and then I cooked dinner. "
    "After that I went for a walk."
)
WALL_S = 120.0


def test_enroll_from_the_microphone_then_list_and_forget(tmp_path: Path, capsys) -> None:
    beep = tmp_path / "beep.wav"
    speech = tmp_path / "alex.wav"
    write_wav(beep, tone(4.0, 1000.0))
    write_wav(speech, piper_speech(ANSWER))
    pdir = tmp_path / "profiles"
    root = Path(__file__).resolve().parents[1]  # this checkout's code, not an installed one
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "enroll", "Alex", "--profile-dir", str(pdir)]
        + ["--device", virtual.MIC_SOURCE, "--output-device", virtual.PA_SPEAKER],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(WALL_S, proc.kill)
    watchdog.start()
    lines: list[str] = []
    answers = iter([beep, speech])  # the first "answer" is a beep, then Alex speaks
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("Listening"):
                played = next(answers, None)
                if played is not None:
                    subprocess.run(["paplay", "-d", virtual.MICFEED_SINK, str(played)], check=True)
        proc.wait(timeout=30)
    finally:
        watchdog.cancel()
    out = "\n".join(lines)
    assert proc.returncode == 0, out
    coach = [x for x in lines if x.startswith("Coach:")]
    assert len(coach) == 2, out
    assert "did not sound like a voice" in out
    assert coach[1].startswith("Coach: Sorry, Alex,")  # asked again, by name, kindly
    assert "Learned Alex's voice" in out
    assert (pdir / "alex.json").is_file()
    assert oct((pdir / "alex.json").stat().st_mode & 0o777) == "0o600"
    assert main(["profiles", "--profile-dir", str(pdir)]) == 0
    assert "Alex" in capsys.readouterr().out
    assert main(["forget", "Alex", "--profile-dir", str(pdir)]) == 0
    assert not (pdir / "alex.json").exists()
