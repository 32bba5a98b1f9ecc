"""Settle stage: change points of the frame model's evidence inside a closed segment."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.speakers import SpeakerBank
from voicecoach.perception.stages.attribute import AttributeSettings, Attributor
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.settle import Settler, SettleSettings


def _settler() -> Settler:
    bank = SpeakerBank()
    return Settler(
        bank, Attributor(bank, WindowEmbeddings(), AttributeSettings()), SettleSettings()
    )


def test_a_change_of_side_is_cut_where_it_happens() -> None:
    d = np.r_[np.full(40, -2.0), np.full(30, 2.0)]
    assert _settler().cuts(d, 0, len(d), depth=3) == [40]


def test_two_changes_are_both_found() -> None:
    d = np.r_[np.full(30, -2.0), np.full(80, 2.0), np.full(30, -2.0)]
    assert sorted(_settler().cuts(d, 0, len(d), depth=3)) == [30, 110]
    # Binary segmentation: a turn inside a longer one is found only where a first cut
    # leaves both sides leaning opposite ways (not so for equal thirds).
    d = np.r_[np.full(40, -2.0), np.full(40, 2.0), np.full(40, -2.0)]
    assert _settler().cuts(d, 0, len(d), depth=3) == []


def test_no_cut_without_enough_speech_each_side_or_a_clear_lean() -> None:
    s = _settler()
    short = np.r_[np.full(40, -2.0), np.full(5, 2.0)]  # 0.15 s of the other voice
    assert s.cuts(short, 0, len(short), depth=3) == []
    weak = np.r_[np.full(40, -0.3), np.full(40, 0.3)]  # both sides lean too little
    assert s.cuts(weak, 0, len(weak), depth=3) == []
    one_sided = np.r_[np.full(40, -3.0), np.full(40, -0.5)]
    assert s.cuts(one_sided, 0, len(one_sided), depth=3) == []
    assert s.cuts(np.r_[np.full(40, -2.0), np.full(40, 2.0)], 0, 80, depth=0) == []


def test_nothing_to_settle_with_fewer_than_two_voices() -> None:
    assert _settler().settle([]) is None
