"""Cue measurement used to decide the raised-voice weights (generated audio only)."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.cuestats import CUES, auc, deltas, group_of, measure, report
from voicecoach.lab.testaudio import place, vowel_voice


def _calm(seed: int) -> np.ndarray:
    return place(
        3.0,
        [
            (
                0.3,
                vowel_voice(
                    2.4, np.array([120, 130, 110, 125.0]), tilt_db_oct=-12, level_db=-30, seed=seed
                ),
            )
        ],
    )


def _effortful(seed: int) -> np.ndarray:
    return place(
        3.0,
        [
            (
                0.3,
                vowel_voice(
                    2.4, np.array([170, 190, 160, 180.0]), tilt_db_oct=-6, level_db=-22, seed=seed
                ),
            )
        ],
    )


def test_effortful_voice_shows_positive_deltas_and_calm_none() -> None:
    base = measure(_calm(1))
    assert base is not None
    calm = deltas(measure(_calm(2)), base)
    loud = deltas(measure(_effortful(3)), base)
    assert set(calm) == set(CUES)
    # Same voice, other seed: every cue within a small spread of its calibration.
    assert abs(calm["pitch"]) < 1.0 and abs(calm["tilt"]) < 1.5 and abs(calm["level"]) < 1.5
    # Higher (~6 semitones), brighter (6 dB/octave flatter) and 8 dB louder.
    assert loud["pitch"] == pytest.approx(6.0, abs=1.0)
    assert loud["tilt"] > 5.0
    assert loud["level"] == pytest.approx(8.0, abs=1.5)


def test_silence_has_no_cues() -> None:
    assert measure(np.zeros(16000, dtype=np.float32)) is None


def test_auc_ranks_and_ties() -> None:
    assert auc([2, 3], [0, 1]) == 1.0
    assert auc([0, 1], [2, 3]) == 0.0
    assert auc([1], [1]) == 0.5
    assert auc([], [1]) is None


def test_report_groups_other_by_emotion_and_intensity() -> None:
    d = {k: 1.0 for k in CUES}
    rows = [
        (
            {"label": "heated_normal", "emotion": "angry", "intensity": "normal", "actor": 1},
            {**d, "h1h2": 2.0},
        ),
        ({"label": "other", "emotion": "happy", "intensity": "strong", "actor": 1}, d),
    ]
    assert group_of(rows[1][0]) == "happy_strong"
    text = report(rows)
    assert "happy_strong" in text and "heated_normal" in text
    h1h2_line = next(line for line in text.splitlines() if line.startswith("h1h2"))
    assert h1h2_line.split()[1:] == ["1.00", "1.00"]  # actor 1, pooled
