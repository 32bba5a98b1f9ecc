"""The unenrolled / real-recording scoring of `voicecoach eval` (lab/eval_realrec)."""

from __future__ import annotations

import numpy as np

from voicecoach.lab.eval_realrec import _runs, best_mapping, renamed, score_unenrolled
from voicecoach.lab.evaluate import _Dialogue


def test_best_mapping_follows_the_voices_not_the_numbers() -> None:
    labels = np.array(["speaker2"] * 5 + ["speaker1"] * 4 + ["speaker3"], dtype=object)
    truth = np.array(["ann"] * 5 + ["bob"] * 5, dtype=object)
    m = best_mapping(labels, truth, ["ann", "bob"])
    assert m == {"speaker2": "ann", "speaker1": "bob", "speaker3": "speaker3"}


def test_renamed_maps_segments_and_both_sides_of_an_interruption() -> None:
    res = {
        "duration": 2.0,
        "segments": [{"start": 0.0, "end": 1.0, "speaker": "speaker1"}],
        "events": [
            {"type": "interruption", "time": 0.5, "speaker": "speaker2", "interrupted": "speaker1"}
        ],
    }
    out = renamed(res, {"speaker1": "ann", "speaker2": "bob"})
    assert out["segments"][0]["speaker"] == "ann"
    assert (out["events"][0]["speaker"], out["events"][0]["interrupted"]) == ("bob", "ann")


def test_score_unenrolled_counts_a_swapped_labelling_as_right() -> None:
    owner = np.array([1] * 100 + [3] * 50 + [2] * 100)  # 10 ms blocks: A, both, B
    d = _Dialogue(np.zeros(2500 * 16, np.float32), owner, owner, [(1.0, "bob")], ("ann", "bob"))
    res = {
        "segments": [
            {"start": 0.0, "end": 1.25, "speaker": "speaker2"},
            {"start": 1.25, "end": 2.5, "speaker": "speaker1"},
        ],
        "events": [
            {
                "type": "interruption",
                "time": 1.1,
                "speaker": "speaker1",
                "interrupted": "speaker2",
                "overlap": 0.4,
            }
        ],
    }
    sc = score_unenrolled(d, res, 2)
    assert sc["correct"] == sc["single_blocks"] == 200
    assert (sc["found"], sc["tp"], sc["detected"], sc["count_right"]) == (1, 1, 1, 1)


def test_runs_join_close_words_only() -> None:
    words = [
        {"speaker": "A", "start": 0.0, "end": 0.4},
        {"speaker": "A", "start": 0.6, "end": 1.0},
        {"speaker": "B", "start": 0.7, "end": 0.9},
        {"speaker": "A", "start": 2.0, "end": 2.5},
    ]
    assert _runs(words, "A", 0.5) == [(0.0, 1.0), (2.0, 2.5)]
    assert _runs(words, "B", 0.5) == [(0.7, 0.9)]
