"""Word error rate, used by the transcription benchmarks and tests."""

from voicecoach.speech.wer import edit_distance, wer, words


def test_words_ignore_case_and_punctuation():
    assert words("Did I get it? Yes - I did.") == ["did", "i", "get", "it", "yes", "i", "did"]


def test_edit_distance_counts_substitutions_insertions_and_deletions():
    assert edit_distance(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert edit_distance(["a", "x", "c"], ["a", "b", "c"]) == 1
    assert edit_distance(["a", "c"], ["a", "b", "c"]) == 1
    assert edit_distance(["a", "b", "c", "d"], ["a", "b", "c"]) == 1


def test_wer_is_errors_over_reference_words():
    assert wer(["I feel long."], ["I feel alone."]) == 100.0 / 3
    assert wer(["yes", "no"], ["yes", "no"]) == 0.0
