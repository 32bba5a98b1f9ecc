"""YIN pitch on generated tones: accuracy, contours, hum rejection, two-voice aperiodicity."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.testaudio import vowel_voice
from voicecoach.perception.features import analyse_audio
from voicecoach.timebase import SAMPLE_RATE


def _harmonic(f0: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 8)).astype(np.float32)


@pytest.mark.parametrize("f0", [80.0, 120.0, 220.0, 330.0, 480.0])
def test_steady_pitch_within_one_percent(f0: float) -> None:
    b = analyse_audio(_harmonic(f0))
    est = b.f0[5:]
    assert (est > 0).all()
    assert np.median(np.abs(est / f0 - 1)) < 0.01


def test_contour_is_followed() -> None:
    # A glide 110 -> 220 Hz over 2 s: the estimate rises monotonically (on average).
    x = vowel_voice(2.0, np.array([110.0, 220.0]), syllable_hz=0.0)
    b = analyse_audio(x)
    f0 = b.f0[5:-5]
    assert (f0 > 0).mean() > 0.9
    expected = np.linspace(110, 220, len(b.f0))[5:-5]
    assert np.median(np.abs(f0 / expected - 1)) < 0.03


def test_mains_hum_is_not_a_voice() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    hum = 0.05 * np.sin(2 * np.pi * 60 * t) + 0.001 * np.random.default_rng(0).standard_normal(
        len(t)
    )
    b = analyse_audio(hum.astype(np.float32))
    assert not ((b.f0 > 55) & (b.f0 < 65)).any()


def test_two_voices_are_less_periodic_than_one() -> None:
    one = _harmonic(110.0)
    two = one + _harmonic(173.0)
    assert np.median(analyse_audio(two).aper) > np.median(analyse_audio(one).aper) + 0.05


def test_chunking_does_not_change_features() -> None:
    from voicecoach.perception.features import FrameAnalyzer

    x = vowel_voice(1.0, 150.0)
    whole = analyse_audio(x)
    fa = FrameAnalyzer()
    parts = [fa.push(x[i : i + 37]) for i in range(0, len(x), 37)]
    f0 = np.concatenate([p.f0 for p in parts if p is not None])
    np.testing.assert_allclose(f0, whole.f0, rtol=1e-9, atol=1e-9)
