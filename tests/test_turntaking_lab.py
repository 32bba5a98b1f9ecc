"""The lab's cut-off and latency measurement (voicecoach.lab.turntaking), on made-up
word timings: which pauses are inside a turn, which are turn ends, and what is cut."""

from __future__ import annotations

from voicecoach.dialogue.settings import Settings
from voicecoach.lab.sttcompare import score
from voicecoach.lab.turntaking import Pause, decide, dialogue_pauses


def _w(speaker: str, word: str, start: float, end: float) -> dict:
    return {"speaker": speaker, "word": word, "start": start, "end": end}


def test_pauses_inside_a_turn_and_turn_ends_from_word_timings() -> None:
    words = [
        _w("A", "i", 0.0, 0.2),
        _w("A", "need", 0.2, 0.5),
        _w("A", "a", 1.3, 1.4),  # 0.8 s pause, B silent: inside A's turn
        _w("A", "train", 1.4, 1.8),
        _w("B", "sure", 2.2, 2.6),  # A pauses and B starts: a turn end
        _w("A", "thanks", 3.0, 3.4),
    ]
    got = [(spk, within, round(gap, 2)) for spk, within, _, _, gap in dialogue_pauses(words)]
    assert ("A", True, 0.8) in got
    assert ("A", None, 1.2) in got  # B only said "sure" into the pause: a backchannel
    words.insert(5, _w("B", "which", 2.6, 2.9))
    got = [(spk, within, round(gap, 2)) for spk, within, _, _, gap in dialogue_pauses(words)]
    assert ("A", False, 1.2) in got  # B took the turn
    # The utterance before the turn end starts after the last hangover-long pause.
    starts = {round(at, 2): round(start, 2) for _, _, start, at, _ in dialogue_pauses(words)}
    assert starts[1.8] == 1.3


def test_a_pause_after_a_finished_sentence_longer_than_the_wait_is_a_cut_off() -> None:
    s = Settings()

    def p(within: bool, text: str, gap: float) -> Pause:
        return Pause("d", "validation", within, False, 1.0, gap, text, 0.1)

    pauses = [
        p(True, "I need a train.", s.message_end_s + 0.2),  # cut off
        p(True, "I need a train and", s.message_end_s + 0.2),  # trailing: waits
        p(True, "I need a train.", s.message_end_s - 0.2),  # they went on in time
        p(False, "Thanks.", 9.9),
    ]
    out = decide(pauses, "message", s)["validation"]
    assert (out["within_turn_pauses"], out["cut_off"], out["turn_ends"]) == (3, 1, 1)
    assert out["cut_off_pct"] == 33.3
    assert out["latency_p50_s"] == s.message_end_s


def test_side_by_side_score_per_part() -> None:
    import numpy as np

    from voicecoach.lab.sttcompare import Clip

    clips = [
        Clip("ravdess", "a", "x", "validation", np.zeros(16000, np.float32), "kids are talking"),
        Clip("libri", "b", "y", "validation", np.zeros(16000, np.float32), ""),
    ]
    ours = {"texts": ["kids are walking", "one two"], "wall": [0.1, 0.1]}
    stock = {"texts": ["kids are talking", "one two three"], "wall": [0.4, 0.5]}
    row = score(clips, ours, stock)["validation"]
    assert row["wer_ours"] == 33.33 and row["wer_stock"] == 0.0
    assert row["libri_distance_to_stock"] == 33.33
    assert row["speedup"] == 4.5 and row["met"] is False
