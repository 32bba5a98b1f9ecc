"""Raised voice vs the speaker's own baseline: onset latency, hysteresis, cooldown, AGC."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.testaudio import place, set_level, vowel_voice
from voicecoach.perception.listener import Listener
from voicecoach.perception.raised import RaisedConfig, RaisedVoiceDetector
from voicecoach.perception.types import RaisedVoice


def calm(seconds: float, seed: int) -> np.ndarray:
    return vowel_voice(
        seconds, np.array([120, 135, 110, 125, 105.0]), tilt_db_oct=-12, level_db=-30, seed=seed
    )


def raised(seconds: float, seed: int, level_db: float = -22) -> np.ndarray:
    return vowel_voice(
        seconds, np.array([170, 195, 160, 185, 165.0]), tilt_db_oct=-7, level_db=level_db, seed=seed
    )


@pytest.fixture(scope="module")
def enrolment() -> np.ndarray:
    return calm(3.0, 1)


def _alarms(enrolment: np.ndarray, x: np.ndarray) -> list[RaisedVoice]:
    listener = Listener()
    listener.enroll("alex", enrolment)
    ev = listener.feed(x) + listener.flush()
    return [e for e in ev if isinstance(e, RaisedVoice)]


def test_heated_speech_alarms_once_within_a_second(enrolment: np.ndarray) -> None:
    x = place(
        16, [(0.5, calm(2.5, 2)), (3.5, calm(2.5, 3)), (6.5, raised(3, 4)), (10, raised(3, 5))]
    )
    alarms = _alarms(enrolment, x)
    assert len(alarms) == 1  # two raised sentences, one episode
    a = alarms[0]
    assert a.speaker == "alex"
    assert 6.5 <= a.t <= 7.5
    assert abs(a.start - 6.5) < 0.3
    assert 0 < a.score <= 1


def test_calm_speech_never_alarms(enrolment: np.ndarray) -> None:
    x = place(14, [(0.5, calm(3, 2)), (4, calm(3, 3)), (7.5, calm(3, 6)), (11, calm(2.5, 7))])
    assert _alarms(enrolment, x) == []


def test_level_normalised_raised_voice_still_alarms(enrolment: np.ndarray) -> None:
    # An AGC microphone: the raised voice comes out no louder than the calm one.
    x = place(12, [(0.5, calm(2.5, 2)), (3.5, calm(2.5, 3)), (6.5, raised(3, 4, level_db=-30))])
    x = set_level(x, -20)  # and the whole recording at another gain than enrolment
    assert len(_alarms(enrolment, x)) == 1


def test_louder_but_same_voice_is_not_raised(enrolment: np.ndarray) -> None:
    # Only the gain changed (partner moved closer): pitch and tilt say calm.
    x = place(10, [(0.5, calm(3, 2)), (4.0, calm(3, 3) * 2.5)])
    assert _alarms(enrolment, x) == []


def _feed(det: RaisedVoiceDetector, frames: range, effort: float | None) -> list[RaisedVoice]:
    return [a for f in frames if (a := det.step(f, "alex", effort)) is not None]


def test_hysteresis_and_cooldown() -> None:
    det = RaisedVoiceDetector(
        RaisedConfig(on=1.0, off=0.5, calm_s=3.0, cooldown_s=8.0, window_s=1.0)
    )
    out = _feed(det, range(0, 100), 0.0)  # calm
    out += _feed(det, range(100, 200), 2.0)  # raised: alarm
    assert len(out) == 1
    out += _feed(det, range(200, 230), 0.7)  # dips between on and off: same episode
    out += _feed(det, range(230, 300), 2.0)
    assert len(out) == 1
    out += _feed(det, range(300, 340), None)  # 1.2 s pause: still the same episode
    out += _feed(det, range(340, 400), 2.0)
    assert len(out) == 1
    out += _feed(det, range(400, 520), 0.0)  # 3.6 s calm: episode over
    out += _feed(det, range(520, 600), 2.0)  # raised again: a new episode
    assert len(out) == 2
    # Cooldown: an episode that ends and restarts quickly does not re-alarm.
    out += _feed(det, range(600, 720), 0.0)
    out += _feed(det, range(720, 760), 2.0)
    assert len(out) == 2


def mildly_raised(seconds: float, seed: int) -> np.ndarray:
    # A little higher and brighter than calm: an irritated voice, not a shout.
    return vowel_voice(
        seconds, np.array([135, 150, 125, 140, 120.0]), tilt_db_oct=-11, level_db=-27, seed=seed
    )


def _alarms_ready(enrolment: np.ndarray, x: np.ndarray, readiness: float) -> list[RaisedVoice]:
    listener = Listener()
    listener.enroll("alex", enrolment)
    listener.set_readiness(readiness)
    ev = listener.feed(x) + listener.flush()
    return [e for e in ev if isinstance(e, RaisedVoice)]


def test_readiness_lets_a_mildly_raised_voice_alarm(enrolment: np.ndarray) -> None:
    x = place(10, [(0.5, calm(2.5, 2)), (3.5, calm(2.5, 3)), (6.5, mildly_raised(3, 4))])
    assert _alarms_ready(enrolment, x, 0.0) == []  # on its own: below the threshold
    alarms = _alarms_ready(enrolment, x, 0.3)  # after criticism/contempt was heard
    assert len(alarms) == 1
    assert 6.5 <= alarms[0].t <= 8.0


def test_readiness_alone_never_alarms_on_calm_speech(enrolment: np.ndarray) -> None:
    x = place(14, [(0.5, calm(3, 2)), (4, calm(3, 3)), (7.5, calm(3, 6)), (11, calm(2.5, 7))])
    assert _alarms_ready(enrolment, x, 1.0) == []


def test_readiness_lowers_the_threshold_moderately() -> None:
    cfg = RaisedConfig(on=0.65, max_readiness=0.3, min_on=0.45)
    det = RaisedVoiceDetector(cfg)
    assert det.on == pytest.approx(0.65)
    det.set_readiness(0.2)
    assert det.on == pytest.approx(0.52)
    det.set_readiness(1.0)  # capped: at most 30 % lower, never below min_on
    assert det.on == pytest.approx(0.455)
    det.set_readiness(-1.0)
    assert det.on == pytest.approx(0.65)
    # A sustained 0.5 effort: no alarm when not ready, one when ready.
    assert _feed(RaisedVoiceDetector(cfg), range(0, 100), 0.5) == []
    ready = RaisedVoiceDetector(cfg)
    ready.set_readiness(0.3)
    assert len(_feed(ready, range(0, 100), 0.5)) == 1
