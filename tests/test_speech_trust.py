"""Transcripts you can trust (issue #14): Whisper's loops cut, words without speech dropped.

Pure text functions; the real model on generated speech and noise is checked in
test_speech_whisper.py.
"""

from __future__ import annotations

from voicecoach.speech.trust import (
    compression_ratio,
    cut_loops,
    find_loop,
    fits_speech,
    looks_looped,
    strip_repeat,
)

SENTENCE = "This war is over existence."


def test_a_sentence_said_31_times_is_said_once() -> None:
    # Issue #14: a 12-15 s turn came back as the same sentence 31-32 times.
    turn = "I came home late. " + " ".join([SENTENCE] * 31) + " This war"
    assert looks_looped(turn)
    assert compression_ratio(turn) > 2.4
    assert cut_loops(turn) == "I came home late. " + SENTENCE


def test_a_last_word_looping_to_the_token_cap() -> None:
    raw = "Kids are talking by the door door door door door door door door door"
    assert cut_loops(raw) == "Kids are talking by the door"


def test_a_loop_cut_off_mid_saying() -> None:
    raw = f"{SENTENCE} {SENTENCE} This war is"
    assert find_loop(raw.lower().replace(".", "").split()) is not None
    assert cut_loops(raw) == SENTENCE


def test_real_repetition_stays() -> None:
    for text in (
        "No, no, no.",
        "I feel alone when you work late, and I need you to call me.",
        "I love you. I love you.",
        "You know, I think you know that.",
        "Yes.",
        "",
    ):
        assert cut_loops(text) == text.strip()
        assert not looks_looped(text)


def test_strip_repeat_keeps_the_first_saying() -> None:
    assert strip_repeat("No, I don't. No, I don't.") == "No, I don't."
    assert strip_repeat("You felt lonely. Did I get it? Did I get it?") == (
        "You felt lonely. Did I get it?"
    )


def test_no_more_words_than_the_speech_can_carry() -> None:
    made_up = "Thank you. " + "Please subscribe to the channel and ring the bell. " * 4
    kept = fits_speech(made_up, speech_s=0.4)
    assert kept == "Thank you."
    said = "I feel lonely when you work late."
    assert fits_speech(said, speech_s=2.0) == said


def test_a_loop_that_is_all_there_is_is_not_trusted() -> None:
    from voicecoach.speech.trust import loop_is_all

    assert loop_is_all("K K K K K K K K")
    assert not loop_is_all("Kids are talking by the door door door door")
    assert not loop_is_all(" ".join([SENTENCE] * 4))  # a whole sentence: its first saying


def test_a_word_for_a_sentence_of_speech_is_too_few() -> None:
    from voicecoach.speech.trust import too_few_words

    assert too_few_words("Are", speech_s=1.5)
    assert not too_few_words("Dogs are sitting by the door.", speech_s=1.5)
    assert not too_few_words("Yes.", speech_s=0.5)
    assert not too_few_words("No, I don't.", speech_s=1.0)
