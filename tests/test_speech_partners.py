"""Simulated partners: two clearly different voices, and effort that sounds raised."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.errors import UserError
from voicecoach.lab.partners import TARGET_RMS, median_f0, partner_voice, press, tilt
from voicecoach.timebase import SAMPLE_RATE

LINE = "You never listen to me when I talk."


def high_share(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / SAMPLE_RATE)
    return float(spec[freqs > 2000].sum() / spec.sum())


def test_f0_helper_on_a_tone() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    assert abs(median_f0(np.sin(2 * np.pi * 150 * t)) - 150) < 3


@pytest.mark.models
def test_joe_and_mia_are_clearly_different() -> None:
    joe = partner_voice("joe").render(LINE)
    mia = partner_voice("female").render(LINE)
    for audio in (joe, mia):
        assert audio.dtype == np.float32 and audio.ndim == 1
        assert 1.0 < audio.size / SAMPLE_RATE < 5.0
        assert abs(np.sqrt(np.mean(audio**2)) - TARGET_RMS) < 0.03
    f0_joe, f0_mia = median_f0(joe), median_f0(mia)
    assert f0_mia - f0_joe > 50, (f0_joe, f0_mia)
    assert partner_voice("mia") is partner_voice("female")


@pytest.mark.models
def test_effort_raises_pitch_and_brightness_and_pace() -> None:
    joe = partner_voice("joe")
    calm, angry = joe.render(LINE), joe.render(LINE, effort=1.0)
    assert median_f0(angry) > 1.1 * median_f0(calm)  # ~+3 semitones = x1.19
    assert high_share(angry) > 1.5 * high_share(calm)
    assert angry.size < calm.size
    # Same level: effort must be heard in the voice, not in the volume.
    assert abs(np.sqrt(np.mean(angry**2)) - np.sqrt(np.mean(calm**2))) < 0.03
    # Deterministic and cached: a second call gives the same samples, as a copy.
    again = joe.render(LINE, effort=1.0)
    assert np.array_equal(again, angry) and again is not angry


def test_tilt_boosts_highs_only() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    low, high = np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 4000 * t)
    assert np.allclose(tilt(low, 9.0)[1000:-1000], low[1000:-1000], atol=1e-3)
    gain = np.std(tilt(high, 9.0)[1000:-1000]) / np.std(high[1000:-1000])
    assert abs(20 * np.log10(gain) - 9.0) < 0.2


def test_tilt_starts_at_500_hz() -> None:
    # Vocal effort flattens the whole band: 1.5 kHz is already brighter, not only 3 kHz+.
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    mid = np.sin(2 * np.pi * 1500 * t)
    gain = np.std(tilt(mid, 12.0)[1000:-1000]) / np.std(mid[1000:-1000])
    assert 4.0 < 20 * np.log10(gain) < 10.0


def _harmonic_db(x: np.ndarray, f: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / SAMPLE_RATE)
    return float(20 * np.log10(spec[np.abs(freqs - f) < 5].max()))


def test_press_lowers_the_first_harmonic_against_the_second() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    f0 = 140.0
    voice = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 12))
    pressed = press(voice, 6.0)
    before = _harmonic_db(voice, f0) - _harmonic_db(voice, 2 * f0)
    after = _harmonic_db(pressed, f0) - _harmonic_db(pressed, 2 * f0)
    assert 4.5 < before - after < 7.0
    # Higher harmonics are left alone.
    assert abs(_harmonic_db(pressed, 5 * f0) - _harmonic_db(voice, 5 * f0)) < 0.5


def test_unknown_partner_lists_names() -> None:
    with pytest.raises(UserError, match="joe, mia"):
        partner_voice("zelda")
