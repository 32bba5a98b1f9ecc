"""The simulated living room of `voicecoach eval`: it rings, fades and hisses as stated."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voicecoach.lab import evaluate
from voicecoach.lab.acoustics import Room, impulse_response, pink_noise, reverberate
from voicecoach.lab.testaudio import active_level_db, vowel_voice
from voicecoach.timebase import SAMPLE_RATE


def _direct_to_reverberant_db(h: np.ndarray) -> float:
    k = int(np.argmax(np.abs(h)))
    return float(10 * np.log10(h[k] ** 2 / (np.sum(h**2) - h[k] ** 2)))


def test_direct_and_reverberant_energy_are_equal_at_the_critical_distance() -> None:
    room = Room(rt60_s=0.4, critical_m=0.7)
    rng = np.random.default_rng(0)
    assert abs(_direct_to_reverberant_db(impulse_response(room, 0.7, rng))) < 0.1
    # 6 dB less direct sound per doubling of distance beyond it.
    assert abs(_direct_to_reverberant_db(impulse_response(room, 1.4, rng)) + 6.0) < 0.1
    h = impulse_response(room, 1.0, rng)
    assert int(np.argmax(np.abs(h))) == round(1.0 / 343.0 * SAMPLE_RATE)  # sound's delay
    assert abs(h.max() - 1.0) < 1e-9  # direct sound at 1 m: unit gain


def _band(h: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``h`` through a gently sloped band-pass, zero-padded so nothing wraps around."""
    n = 4 * len(h)
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    mask = np.clip(np.minimum((f - lo) / 400 + 1, (hi - f) / 400), 0, 1)
    return np.fft.irfft(np.fft.rfft(h, n) * mask, n)[: len(h)]


def test_the_tail_dies_away_at_the_rooms_reverberation_time() -> None:
    """Schroeder's backward integral of the low band's energy falls 60 dB per RT60
    (measured from -5 to -25 dB, as T20 is); highs are absorbed faster."""
    room = Room(rt60_s=0.5)
    h = impulse_response(room, 1.0, np.random.default_rng(1))
    h[int(np.argmax(np.abs(h)))] = 0.0  # the tail alone

    def t60(band: np.ndarray) -> float:
        edc = np.cumsum((band**2)[::-1])[::-1]
        edc_db = 10 * np.log10(edc / edc[0])
        return 3 * (np.argmax(edc_db < -25) - np.argmax(edc_db < -5)) / SAMPLE_RATE

    low = t60(_band(h, 0.0, 1000.0))
    assert abs(low - 0.5) < 0.05
    assert t60(_band(h, 4400.0, 8000.0)) < 0.7 * low


def test_reverberation_rings_past_the_end_and_noise_is_pink_at_its_level() -> None:
    x = vowel_voice(1.0, 150.0)
    h = impulse_response(Room(), 1.5, np.random.default_rng(2))
    y = reverberate(x, h)
    assert len(y) == len(x) + len(h) - 1
    assert np.sqrt(np.mean(y[len(x) + 800 : len(x) + 2400] ** 2)) > 1e-3  # still ringing
    n = pink_noise(10 * SAMPLE_RATE, -46.0, np.random.default_rng(3))
    assert abs(20 * np.log10(np.sqrt(np.mean(n**2))) + 46.0) < 0.01
    p = np.abs(np.fft.rfft(n)) ** 2
    f = np.fft.rfftfreq(len(n), 1 / SAMPLE_RATE)
    octave = [p[(f >= lo) & (f < 2 * lo)].sum() for lo in (250, 500, 1000, 2000)]
    assert max(octave) / min(octave) < 1.3  # equal power per octave


def test_a_dialogue_in_a_room_keeps_the_dry_truth_and_timing() -> None:
    """The room changes what the microphone hears, not who spoke when: the truth and the
    interruption onsets are those of the dry layout, made from the same random draws."""
    a = [vowel_voice(2.0, 200.0), vowel_voice(2.0, 210.0)]
    b = [vowel_voice(2.0, 110.0), vowel_voice(2.0, 120.0)]
    dry = evaluate._compose(a, b, ("a", "b"), np.random.default_rng(5))
    hear = evaluate._in_room(Room(), np.random.default_rng(6))
    wet = evaluate._compose(a, b, ("a", "b"), np.random.default_rng(5), hear)
    assert np.array_equal(dry.owner_energy, wet.owner_energy)
    assert np.array_equal(dry.owner, wet.owner)
    assert dry.onsets == wet.onsets
    assert len(dry.audio) == len(wet.audio)
    assert not np.allclose(dry.audio, wet.audio)
    # Past the last word the dry track is silent and the room still rings.
    last = int(np.flatnonzero(dry.owner_energy)[-1]) * 160 + 160
    assert np.abs(dry.audio[last + 400 : last + 1200]).max() < 1e-6
    assert np.abs(wet.audio[last + 400 : last + 1200]).max() > 1e-3
    noisy = evaluate._noisy(wet.audio, evaluate.NORM_LEVEL_DB - 20.0, np.random.default_rng(7))
    quiet = noisy[-SAMPLE_RATE // 2 :]
    assert abs(active_level_db(quiet) - (evaluate.NORM_LEVEL_DB - 20.0)) < 3.0


def _wav(path: Path, x: np.ndarray) -> str:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path.name


def test_the_raised_voice_eval_in_a_room_hears_the_same_room_every_time(tmp_path: Path) -> None:
    """An actor calibrates and speaks from one place and the same file gets the same
    noise, so two runs give the same numbers; calm talk in the room raises no alarm."""
    import json

    root = tmp_path / "ravdess"
    root.mkdir()
    calm = vowel_voice(4.0, 120.0, level_db=-32.0, seed=1)
    talk = np.concatenate(
        [
            vowel_voice(3.0, 118.0, level_db=-32.0, seed=2),
            np.zeros(8000),
            vowel_voice(3.0, 122.0, level_db=-32.0, seed=3),
        ]
    )
    manifest = {
        "speakers": {"a1": {"calibration": {"audio": "ravdess/" + _wav(root / "cal.wav", calm)}}},
        "conversations": [
            {
                "id": "c1",
                "speaker": "a1",
                "variant": "calm_only",
                "audio": "ravdess/" + _wav(root / "talk.wav", talk),
                "heated_spans": [],
                "heated_onsets": [],
            }
        ],
        "clips": [
            {
                "speaker": "a1",
                "label": "calm",
                "audio": "ravdess/" + _wav(root / "clip.wav", talk[: SAMPLE_RATE * 3]),
            }
        ],
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    runs = [
        evaluate._eval_ravdess(root, evaluate._Timer(), normalise=False, room=Room())
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0]["calm_only_no_alarm_pct"] == 100.0
    assert runs[0]["clips_n"] == {"calm": 1}
