"""The evaluation's own truth: what `voicecoach eval` counts as a reader's speech."""

from __future__ import annotations

import numpy as np

from voicecoach.lab import evaluate
from voicecoach.lab.testaudio import piper_speech, set_level
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


def test_dialogue_sets_are_summed_before_percentages() -> None:
    stats = {
        "FF": {
            "true": 3,
            "found": 2,
            "detected": 2,
            "tp": 2,
            "single_blocks": 100,
            "correct": 90,
            "unknown": 0,
            "single_blocks_energy": 110,
            "correct_energy": 90,
        },
        "MM": {
            "true": 1,
            "found": 1,
            "detected": 2,
            "tp": 1,
            "single_blocks": 300,
            "correct": 297,
            "unknown": 3,
            "single_blocks_energy": 300,
            "correct_energy": 297,
        },
    }
    out = evaluate._summaries(stats)
    assert out["all"]["interruption_recall_pct"] == 75.0  # 3 of 4, not the mean of 67 and 100
    assert out["all"]["interruption_precision_pct"] == 75.0
    assert out["all"]["attribution_pct"] == 96.8
    assert out["FF"]["attribution_energy_truth_pct"] == 81.8
    text = evaluate.format_eval(
        {
            "data": "d",
            "dialogues": out,
            "dialogue_sets": {**out, "sets": 4},
            "speed_x_realtime": 30.0,
            "audio_s": 10.0,
        }
    )
    assert "over 4 sets" in text
    assert text.count("  all interruptions recall 75.0 %") == 2


def test_stranger_speech_named_as_a_partner_is_counted_against_the_pipeline() -> None:
    """Per 10 ms block: the stranger's own blocks (bit 4) named as either partner count as
    named, `unknown` ones as unknown, unlabelled ones as neither; the couple's single-voice
    blocks are scored as in the plain dialogues; overlapped blocks count for nobody."""
    owner = np.zeros(1000, dtype=int)
    owner[0:200] = 1  # A alone
    owner[200:300] = 2  # B alone
    owner[300:340] = 2 | 4  # B and the stranger at once: scored for nobody
    owner[340:640] = 4  # the stranger alone
    owner[700:800] = 1
    d = evaluate._Dialogue(
        np.zeros(160_000, np.float32), owner, owner.copy(), [], ("ra", "rb", "rs")
    )
    res = {
        "segments": [
            {"start": 0.0, "end": 2.0, "speaker": "ra"},
            {"start": 2.0, "end": 4.0, "speaker": "rb"},  # B, and 0.6 s of the stranger
            {"start": 4.0, "end": 5.5, "speaker": "unknown"},
            {"start": 5.5, "end": 6.0, "speaker": "ra"},  # the stranger named A
            {"start": 7.0, "end": 7.5, "speaker": "rb"},  # A named B, then unlabelled
        ]
    }
    sc = evaluate._score_stranger(d, res)
    assert sc == {
        "stranger_blocks": 300,
        "stranger_named": 60 + 50,
        "stranger_unknown": 150,
        "couple_blocks": 400,
        "couple_correct": 200 + 100,
    }
    out = evaluate._stranger_summaries({"FF": sc, "MM": {**sc, "stranger_named": 0}})
    assert out["FF"]["stranger_named_pct"] == 36.7
    assert out["all"]["stranger_named_pct"] == 18.3  # summed counts: 110 of 600
    assert out["all"]["couple_attribution_pct"] == 75.0
    text = evaluate.format_eval(
        {"data": "d", "strangers": out, "speed_x_realtime": 30.0, "audio_s": 10.0}
    )
    assert "named as a partner 18.3 % of 6.0 s" in text
