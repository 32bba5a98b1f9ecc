"""The enrolment check on generated audio: speech passes, a tone, beeps, a fan and music do
not, two voices, the coach's echo and the other partner's voice are named."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.testaudio import fan_noise, music, piper_speech, set_level, silence, tone
from voicecoach.perception import enrolcheck as ec

ANSWERS = [
    "Hello, I'm Sam. My day was fine, I worked from home and went for a walk at lunch.",
    "My day was long, I had meetings all morning and then I cooked dinner.",
]
COACH = "Alex, so I can learn your voice, please tell me in a few sentences how your day was."


@pytest.fixture(scope="module")
def check() -> ec.EnrolmentCheck:
    return ec.EnrolmentCheck()


@pytest.mark.parametrize("shift", [1.0, 1.25, 1.5])
@pytest.mark.parametrize("text", ANSWERS)
def test_speech_is_accepted(check, text, shift):
    v = check.judge(piper_speech(text, shift=shift))
    assert v.ok, v


def test_speech_over_a_fan_is_accepted(check):
    sp = piper_speech(ANSWERS[0], shift=1.2)
    v = check.judge(sp + fan_noise(len(sp) / 16000, level_db=-46.0))  # 20 dB below
    assert v.ok, v


@pytest.mark.parametrize(
    "sound",
    [
        pytest.param(lambda: tone(4.0, 1000.0), id="1 kHz tone"),
        pytest.param(lambda: tone(4.0, 220.0), id="220 Hz tone"),
        pytest.param(lambda: np.concatenate([tone(0.4, 1000.0), silence(0.3)] * 6), id="beeps"),
        pytest.param(lambda: fan_noise(5.0, level_db=-26.0), id="fan"),
        pytest.param(lambda: music(6.0, seed=1), id="music"),
        pytest.param(lambda: silence(4.0), id="silence"),
        pytest.param(lambda: np.zeros(0, np.float32), id="empty"),
    ],
)
def test_a_sound_that_is_not_a_voice_is_refused(check, sound):
    v = check.judge(sound())
    assert not v.ok and v.reason in (ec.NOT_SPEECH, ec.TOO_LITTLE), v
    assert "Sam" in v.describe("Sam")


def test_a_word_or_two_is_too_little(check):
    v = check.judge(piper_speech("Fine."))
    assert v.reason == ec.TOO_LITTLE


def test_two_clearly_different_voices_in_one_answer(check):
    low = piper_speech(ANSWERS[0], shift=0.85)
    high = piper_speech(ANSWERS[1], shift=1.6)
    v = check.judge(np.concatenate([low, high]))
    assert v.reason == ec.TWO_VOICES, v


def test_the_other_partner_again_is_named(check):
    alex = check.judge(piper_speech(ANSWERS[1])).heard.embedding
    sam = check.judge(piper_speech(ANSWERS[0], shift=1.4), partners={"Alex": alex})
    assert sam.ok, sam
    again = check.judge(piper_speech(ANSWERS[0]), partners={"Alex": alex})
    assert again.reason == ec.SAME_VOICE and again.like == "Alex"
    assert again.describe("Sam") == "that sounded like Alex again, not Sam"


def test_the_coach_echo_is_refused_but_the_same_voice_saying_other_words_is_not(check):
    coach = piper_speech(COACH, length_scale=1.15)
    rng = np.random.default_rng(0)
    room = rng.standard_normal(6400) * np.exp(-np.arange(6400) / 16000 * 6.9 / 0.4)
    room[0] = 3.0  # direct sound, then a 0.4 s reverberant tail
    echo = np.convolve(coach, room)[: len(coach)][16000:64000]  # 1-4 s of the request
    echo = set_level(echo, -35.0) + 1e-3 * rng.standard_normal(len(echo)).astype(np.float32)
    assert ec.echo_score(echo, coach) > 0.5
    v = check.judge(echo, coach=coach)
    assert v.reason == ec.ECHO, v
    # A partner whose voice is the coach's synthetic voice, saying their own words.
    answer = piper_speech(ANSWERS[1])
    assert ec.echo_score(answer, coach) < 0.5
    assert check.judge(answer, coach=coach).ok
