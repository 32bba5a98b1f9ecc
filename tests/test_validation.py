"""The validation part of `voicecoach eval`: pairings, quick handovers, the spread."""

from __future__ import annotations

import numpy as np

from voicecoach.lab import evaluate, validation
from voicecoach.lab.testaudio import piper_speech


def _voice(name: str, sex: str) -> validation.Voice:
    return validation.Voice(name, sex, np.zeros(10), ())


def test_pairs_stay_within_a_sex_or_mix_and_never_pair_a_voice_with_itself() -> None:
    voices = tuple(_voice(f"f{i}", "F") for i in range(4)) + tuple(
        _voice(f"m{i}", "M") for i in range(3)
    )
    pairs = list(validation.pairs(voices))
    kinds = [k for k, _, _ in pairs]
    assert kinds.count("FF") == 4 and kinds.count("MM") == 3 and kinds.count("FM") == 4
    for kind, a, b in pairs:
        assert a.name != b.name
        assert kind == a.sex + b.sex
    # More rounds pair each voice with more others, never repeating a pair in a round.
    more = list(validation.pairs(voices, rounds=2))
    assert len(more) > len(pairs)
    assert len({(a.name, b.name) for _, a, b in more}) == len(more)


def test_quick_handovers_are_never_cut_ins() -> None:
    rng = np.random.default_rng(0)
    draws = [validation.quick_handover(rng, False) for _ in range(400)]
    assert not any(cut for _, cut in draws)
    after = np.array([a for a, _ in draws])
    assert after.min() >= -0.2 and after.max() <= 0.8
    assert 0.15 < np.mean(after < 0) < 0.35  # about one in four over the last syllable


def test_a_handover_dialogue_has_no_true_onsets_and_a_cut_in_dialogue_has_them() -> None:
    a = [piper_speech("I waited for you all evening."), piper_speech("Why did you not call?")]
    b = [piper_speech("I know, I am sorry.", shift=1.4), piper_speech("It was late.", shift=1.4)]
    seq = [(0, a[0]), (1, b[0]), (0, a[1]), (1, b[1])]
    calm = evaluate._lay_out(
        seq, ("a", "b"), np.random.default_rng(1), change=validation.quick_handover
    )
    assert calm.onsets == []
    cuts = evaluate._lay_out(
        seq, ("a", "b"), np.random.default_rng(1), change=lambda rng, same: (-0.6, not same)
    )
    assert [who for _, who in cuts.onsets] == ["b", "a", "b"]
    assert (cuts.owner == 3).sum() > (calm.owner == 3).sum()


def test_the_spread_names_the_worst() -> None:
    out = validation._spread({"p1": 99.0, "p2": 80.0, "p3": None, "p4": 95.0}, worst=2)
    assert out["min"] == 80.0
    assert out["worst"] == [["p2", 80.0], ["p4", 95.0]]
    assert out["n"] == 3
