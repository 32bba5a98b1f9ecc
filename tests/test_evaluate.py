"""The evaluation's own truth: what `voicecoach eval` counts as a reader's speech."""

from __future__ import annotations

import numpy as np

from voicecoach.perception import evaluate
from voicecoach.perception.testaudio import piper_speech, set_level
from voicecoach.timebase import SAMPLE_RATE


def test_recording_hum_is_not_counted_as_the_readers_speech() -> None:
    """Energy alone gives a reader their hum (a lead-in 20 dB below the words lies within
    30 dB of the loud part); the scoring truth keeps only what a neural VAD hears as
    speech, and still keeps the words."""
    rng = np.random.default_rng(3)
    words = set_level(piper_speech("I told you I would be home late tonight."), -26.0)
    lead = int(1.0 * SAMPLE_RATE)
    t = np.arange(lead + len(words) + SAMPLE_RATE // 2) / SAMPLE_RATE
    hum = 0.007 * np.sin(2 * np.pi * 100 * t) + 0.002 * rng.standard_normal(len(t))
    x = hum.astype(np.float32)
    x[lead : lead + len(words)] += words
    energy = evaluate._active(x)
    spoken = evaluate._spoken(x)
    lead_blocks = slice(0, lead // 160 - 10)
    assert energy[lead_blocks].mean() > 0.9  # the hum "speaks" by energy alone
    assert spoken[lead_blocks].mean() < 0.1
    word_blocks = slice(lead // 160 + 10, (lead + len(words)) // 160 - 10)
    assert spoken[word_blocks].mean() > 0.9
    assert not (spoken & ~energy).any()  # never more than energy says


def test_bridged_fills_only_short_gaps() -> None:
    act = np.zeros(200, bool)
    act[10:20] = act[40:50] = act[100:110] = True  # gaps of 20 and 50 blocks
    out = evaluate._bridged(act)
    assert out[10:50].all()
    assert not out[50:100].any()
