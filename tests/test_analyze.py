"""analyze(): the Listener over a file, as a stable dict; errors for bad input."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from voicecoach.errors import UserError
from voicecoach.lab.testaudio import piper_speech, place
from voicecoach.perception.analyze import analyze, format_report


def _write_wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def dialogue() -> dict:
    a = piper_speech("I feel alone when you work late, and I need you to call me when you can.")
    b = piper_speech(
        "I was stuck at the office and my phone battery was dead the whole evening.", shift=1.45
    )
    ea = piper_speech("Yesterday I waited for two hours and nobody told me anything about it.")
    eb = piper_speech(
        "When you say that, I hear that you are tired and that you miss me.", shift=1.45
    )
    onset = 0.5 + len(a) / 16000 - 1.0
    x = place(onset + len(b) / 16000 + 1.0, [(0.5, a), (onset, b)])
    return {"x": x, "ea": ea, "eb": eb, "onset": onset}


def test_analyze_file_with_enrolment(tmp_path: Path, dialogue: dict) -> None:
    audio = _write_wav(tmp_path / "talk.wav", dialogue["x"])
    ea = _write_wav(tmp_path / "alex.wav", dialogue["ea"])
    res = analyze(audio, enroll={"alex": ea, "sam": dialogue["eb"]})
    assert res["duration"] == pytest.approx(len(dialogue["x"]) / 16000, abs=1e-3)
    assert res["segments"] and all(set(s) == {"start", "end", "speaker"} for s in res["segments"])
    inter = [e for e in res["events"] if e["type"] == "interruption"]
    assert len(inter) == 1
    assert inter[0]["speaker"] == "sam" and inter[0]["interrupted"] == "alex"
    assert set(inter[0]) == {"type", "time", "speaker", "interrupted", "overlap"}
    assert any(e["type"] == "overlap" for e in res["events"])
    for e in res["events"]:
        for v in e.values():
            if isinstance(v, float):
                assert round(v, 3) == v
    text = format_report(res)
    assert "interruption" in text and "sam" in text


def test_analyze_array_is_the_same_as_the_file(tmp_path: Path, dialogue: dict) -> None:
    x = dialogue["x"]
    q = (np.clip(x, -1, 1) * 32767).astype("<i2").astype(np.float32) / 32768
    from_file = analyze(
        _write_wav(tmp_path / "t.wav", x), enroll={"alex": dialogue["ea"], "sam": dialogue["eb"]}
    )
    from_array = analyze(q, enroll={"alex": dialogue["ea"], "sam": dialogue["eb"]})
    assert from_file == from_array


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        analyze(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio")
    with pytest.raises(UserError, match="Could not read the audio file"):
        analyze(bad)
    with pytest.raises(UserError, match="does not exist"):
        analyze(np.zeros(16000, np.float32), enroll={"alex": tmp_path / "none.flac"})


def test_silence_report() -> None:
    res = analyze(np.zeros(32000, np.float32))
    assert res == {"duration": 2.0, "segments": [], "events": []}
    assert "No speech" in format_report(res)


def test_calibration_for_a_single_voice() -> None:
    from voicecoach.lab.testaudio import vowel_voice

    def calm(seconds: float, seed: int) -> np.ndarray:
        return vowel_voice(
            seconds, np.array([120, 135, 110, 125, 105.0]), tilt_db_oct=-12, level_db=-30, seed=seed
        )

    raised = vowel_voice(
        3.0, np.array([170, 195, 160, 185, 165.0]), tilt_db_oct=-7, level_db=-22, seed=4
    )
    x = place(12, [(0.5, calm(2.5, 2)), (3.5, calm(2.5, 3)), (6.5, raised)])
    res = analyze(x, calibration=calm(3.0, 1))
    assert {s["speaker"] for s in res["segments"]} == {"speaker1"}
    alarms = [e for e in res["events"] if e["type"] == "raised_voice"]
    assert len(alarms) == 1 and alarms[0]["speaker"] == "speaker1"
    assert 6.2 <= alarms[0]["start"] <= 7.0
