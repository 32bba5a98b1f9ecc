"""Voice profiles: `enroll --from`, `profiles`, `forget`; what is stored (never audio),
permissions, versions and damaged files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.files import write_wav
from voicecoach.cli import main
from voicecoach.lab.testaudio import piper_speech, tone
from voicecoach.profiles import ProfileError, ProfileStore, profile_dir

ALEX = "Hi, I'm Alex. My day was long, I had meetings all morning and then I cooked dinner."
SAM = "Hello, I'm Sam. My day was fine, I worked from home and went for a walk at lunch."


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("voices")
    audio = {
        "alex": piper_speech(ALEX),
        "sam": piper_speech(SAM, shift=1.4),
        "tone": tone(4.0, 1000.0),
    }
    for name, x in audio.items():
        write_wav(d / f"{name}.wav", x)
    return {name: d / f"{name}.wav" for name in audio}


def _numbers(x: object) -> list[list[float]]:
    """Every list of numbers in a JSON value."""
    if isinstance(x, dict):
        return [a for v in x.values() for a in _numbers(v)]
    if isinstance(x, list):
        if x and all(isinstance(v, int | float) for v in x):
            return [list(map(float, x))]
        return [a for v in x for a in _numbers(v)]
    return []


def test_enroll_from_file_saves_a_private_profile_without_audio(voices, tmp_path, capsys):
    pdir = tmp_path / "profiles"
    assert main(["enroll", "Alex", "--from", str(voices["alex"]), "--profile-dir", str(pdir)]) == 0
    assert "Learned Alex's voice" in capsys.readouterr().out
    path = pdir / "alex.json"
    assert stat.S_IMODE(pdir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in pdir.iterdir()] == ["alex.json"]  # no temporary file left
    d = json.loads(path.read_text())
    assert d["format"] == "voicecoach-voice-profile" and d["version"] == 1
    assert set(d) >= {"embedding", "frame_model", "baseline", "created", "speech_s"}
    assert d["speech_s"] > 2.0
    # No audio: the longest run of numbers is a 256-d d-vector or a 20-d matrix row,
    # nothing else; together far fewer numbers than a tenth of a second of samples.
    arrays = _numbers(d)
    assert max(len(a) for a in arrays) == 256
    assert sum(len(a) for a in arrays) < 800
    audio = piper_speech(ALEX)
    for a in arrays:
        if len(a) >= 20:  # no stretch of the recording's samples is in there
            assert not np.isin(np.round(audio[:4000], 4), np.round(a, 4)).sum() > 10
    assert path.stat().st_size < 20_000


def test_profiles_lists_and_forget_deletes(voices, tmp_path, capsys):
    pdir = str(tmp_path / "p")
    assert main(["enroll", "Alex", "--from", str(voices["alex"]), "--profile-dir", pdir]) == 0
    assert main(["enroll", "Sam", "--from", str(voices["sam"]), "--profile-dir", pdir]) == 0
    capsys.readouterr()
    assert main(["profiles", "--profile-dir", pdir]) == 0
    out = capsys.readouterr().out
    assert "Alex" in out and "Sam" in out and "s " in out
    assert main(["forget", "Sam", "--profile-dir", pdir]) == 0
    assert not (Path(pdir) / "sam.json").exists() and (Path(pdir) / "alex.json").exists()
    assert main(["forget", "--all", "--profile-dir", pdir]) == 0
    assert list(Path(pdir).glob("*.json")) == []
    assert main(["forget", "Sam", "--profile-dir", pdir]) == 2
    assert "no voice profile for Sam" in capsys.readouterr().err


def test_enroll_refuses_a_tone_and_a_second_take_of_the_same_voice(voices, tmp_path, capsys):
    pdir = str(tmp_path / "p")
    assert main(["enroll", "Sam", "--from", str(voices["tone"]), "--profile-dir", pdir]) == 2
    err = capsys.readouterr().err
    assert "did not sound like a voice" in err and "Traceback" not in err
    assert not (Path(pdir) / "sam.json").exists()
    assert main(["enroll", "Alex", "--from", str(voices["alex"]), "--profile-dir", pdir]) == 0
    # Sam's enrolment from Alex's recording: the same voice under a second name.
    assert main(["enroll", "Sam", "--from", str(voices["alex"]), "--profile-dir", pdir]) == 2
    assert "sounded like Alex again" in capsys.readouterr().err
    # An existing profile is not replaced by accident.
    assert main(["enroll", "Alex", "--from", str(voices["alex"]), "--profile-dir", pdir]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot be read"),
        ('{"format": "voicecoach-voice-profile", "version": 99, "name": "Alex"}', "version 99"),
        ('{"format": "voicecoach-voice-profile", "version": 1, "name": "Alex"}', "damaged"),
        ("[1, 2, 3]", "not a voicecoach voice profile"),
    ],
)
def test_damaged_or_old_profile_is_one_clear_sentence(content, expected, tmp_path, capsys):
    pdir = tmp_path / "p"
    pdir.mkdir()
    (pdir / "alex.json").write_text(content)
    with pytest.raises(ProfileError, match=expected):
        ProfileStore(pdir).load("Alex")
    assert main(["profiles", "--profile-dir", str(pdir)]) == 0  # listed as unusable
    assert "unusable" in capsys.readouterr().out
    out_dir = tmp_path / "o"
    argv = ["run", "--input", str(tmp_path / "none.wav"), "--output", str(out_dir / "c.wav")]
    assert main([*argv, "--partners", "Alex,Sam", "--profile-dir", str(pdir)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "forget" in err and "Traceback" not in err


def test_profile_dir_from_option_env_and_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("VOICECOACH_PROFILE_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert profile_dir() == tmp_path / "xdg" / "voicecoach" / "profiles"
    monkeypatch.setenv("VOICECOACH_PROFILE_DIR", str(tmp_path / "env"))
    assert profile_dir() == tmp_path / "env"
    assert profile_dir(tmp_path / "opt") == tmp_path / "opt"


def test_saved_profile_loads_back_the_same_voice(voices, tmp_path):
    from voicecoach.learnvoice import learn_voice
    from voicecoach.perception.analyze import load_audio

    store = ProfileStore(tmp_path / "p")
    made = learn_voice("Alex", load_audio(voices["alex"]), source="file")
    store.save(made)
    back = store.load("alex")  # names are matched case-insensitively
    assert back.name == "Alex"
    np.testing.assert_allclose(back.voice.embedding, made.voice.embedding, atol=1e-6)
    assert back.voice.frames is not None and made.voice.frames is not None
    np.testing.assert_allclose(back.voice.frames.prec, made.voice.frames.prec, rtol=1e-5)
    assert back.voice.baseline == made.voice.baseline


def test_a_session_adapts_a_saved_profile_slowly_and_only_on_speech_that_is_clearly_theirs(
    voices, tmp_path
):
    from voicecoach.learnvoice import learn_voice
    from voicecoach.perception.analyze import load_audio
    from voicecoach.perception.listener import Listener
    from voicecoach.perception.types import Utterance
    from voicecoach.voicelearning import ProfileAdaptation

    store = ProfileStore(tmp_path / "p")
    alex = learn_voice("Alex", load_audio(voices["alex"]), source="file")
    sam = learn_voice("Sam", load_audio(voices["sam"]), source="file")
    store.save(alex)
    before, s0 = alex.voice.embedding.copy(), alex.speech_s
    listener = Listener()
    listener.add_voice(alex.voice)
    listener.add_voice(sam.voice)
    ad = ProfileAdaptation({"Alex": alex}, store)

    def utt(x: np.ndarray, start: float, who: str) -> Utterance:
        return Utterance(t=start + 3, start=start, end=start + len(x) / 16000, speaker=who, audio=x)

    talk = piper_speech("I went for a run after work, and then I called my sister for an hour.")
    other = piper_speech(SAM, shift=1.4)
    ad.heard(utt(talk, 10.0, "Alex"), "Alex")
    ad.heard(utt(other, 20.0, "Alex"), "Alex")  # misattributed: not clearly Alex's
    hot = utt(talk, 40.0, "Alex")
    ad.logged({"type": "detect", "kind": "raised_voice", "speaker": "Alex", "t": 42.0})
    ad.heard(hot, "Alex")  # during a raised-voice episode: never learnt from
    assert ad.finish(listener) == ["Alex"]
    back = store.load("Alex")
    assert back.sessions == 1
    moved = float(before @ back.voice.embedding)
    assert 0.97 < moved < 1.0  # moved, a little
    # Only the calm clip that is clearly Alex's was learnt from.
    assert back.speech_s == pytest.approx(s0 + len(talk) / 16000, abs=0.05)
