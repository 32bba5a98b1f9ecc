"""Transcripts you can trust: Whisper's repetition loops cut, words without speech dropped.

Whisper's decoder sometimes does not stop after the last word: it says the last word again
and again ("... by the door door door door"), or the whole sentence ("This war is over.
This war is over. ..." 31 times for a 12-15 s turn, issue #14), until its token budget is
spent. On silence or noise it invents subtitle credits ("Thank you."). These pure text
functions find both; `voicecoach.speech.whisper` applies them to every transcript.
"""

from __future__ import annotations

import logging
import re
import zlib

log = logging.getLogger(__name__)

COMPRESSION_RATIO_MAX = 2.4
"""gzip ratio above which text counts as a repetition loop (faster-whisper's threshold)."""

MIN_REPEATS = 3
"""A phrase said this often in a row is a loop (a real "no, no" is said twice)..."""

MIN_REPEATS_ONE_WORD = 4
"""... a single word this often ("No, no, no." stays as spoken)."""

MAX_LOOP_WORDS = 12
"""Longest phrase (words) looked for as a loop: a sentence of a partner's turn."""

WORDS_PER_SPEECH_S = 5.0
"""Upper bound on words per second of speech (fast talkers reach ~4); more words than
the speech under them can carry were not said (`fits_speech`)."""

WORDS_MIN_PER_SPEECH_S = 1.2
"""Fewer words than this per second of speech (less half a word) were not all heard."""

_NORM = re.compile(r"[^\w']+")


def _norm(token: str) -> str:
    return _NORM.sub("", token.lower())


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(len(zlib.compress(data)), 1)


def find_loop(words: list[str]) -> tuple[int, int, int] | None:
    """The first loop in ``words`` (normalised): (start, phrase length, repeats), or None.

    A loop is a phrase of 1-12 words said `MIN_REPEATS` times or more in a row
    (`MIN_REPEATS_ONE_WORD` for one word), or twice in a row up to the very end of the text
    with a partial third saying after it (the decoder ran out of tokens mid-loop)."""
    n_words = len(words)
    for i in range(n_words):
        for n in range(1, min(MAX_LOOP_WORDS, (n_words - i) // 2) + 1):
            gram = words[i : i + n]
            k = 1
            while words[i + k * n : i + (k + 1) * n] == gram:
                k += 1
            need = MIN_REPEATS_ONE_WORD if n == 1 else MIN_REPEATS
            rest = words[i + k * n :]
            truncated = k >= 2 and 0 < len(rest) < n and gram[: len(rest)] == rest
            if k >= need or (truncated and n > 1):
                return i, n, k
    return None


def loop_is_all(text: str) -> bool:
    """True when ``text`` is nothing but a short phrase said over and over ("K K K K"):
    the decoder never heard the words, and cutting the loop leaves nothing true."""
    words = [_norm(t) for t in text.split()]
    loop = find_loop(words)
    return loop is not None and loop[0] == 0 and loop[1] < 3


def too_few_words(text: str, speech_s: float) -> bool:
    """True when ``text`` holds clearly fewer words than ``speech_s`` seconds of speech
    (a decoder that stopped after the first word: "Are" for "Dogs are sitting by the
    door."); `WORDS_MIN_PER_SPEECH_S` is well below slow, drawn-out speech."""
    return len(text.split()) < WORDS_MIN_PER_SPEECH_S * speech_s - 0.5


def cut_loops(text: str) -> str:
    """``text`` with every loop said once ("the door door door door" -> "the door"), and a
    cut-off partial saying at the very end dropped."""
    tokens = text.split()
    while True:
        loop = find_loop([_norm(t) for t in tokens])
        if loop is None:
            return " ".join(tokens)
        i, n, k = loop
        rest = tokens[i + k * n :]
        gram = [_norm(t) for t in tokens[i : i + n]]
        if len(rest) < n and [_norm(t) for t in rest] == gram[: len(rest)]:
            rest = []  # the decoder stopped mid-saying
        log.debug("cut a loop: %r said %d times", " ".join(tokens[i : i + n]), k)
        tokens = tokens[: i + n] + rest


def looks_looped(text: str) -> bool:
    """A decoder repetition loop: a high gzip ratio (long loops) or a phrase said over and
    over (`find_loop`)."""
    if compression_ratio(text) > COMPRESSION_RATIO_MAX:
        return True
    return find_loop([_norm(t) for t in text.split()]) is not None


def strip_repeat(text: str) -> str:
    """``text`` without a second saying of the whole of it ("No, I don't. No, I don't.")
    or of its last 3+ words ("... did I get it? Did I get it?"), as base decodes on a
    short window (benchmarks/stt_window.py). A real "Yes. Yes." loses its echo, which no
    cue or answer in the app depends on."""
    tokens = text.split()
    words = [_norm(t) for t in tokens]
    half = len(words) // 2
    if half and words[:half] == words[half : 2 * half]:
        return " ".join(tokens[:half] + tokens[2 * half :])
    for n in range(3, half + 1):
        if words[-2 * n : -n] == words[-n:]:
            return " ".join(tokens[:-n])
    return text


def fits_speech(text: str, speech_s: float) -> str:
    """``text`` cut to as many words as ``speech_s`` seconds of speech can carry (whole
    sentences where possible): words past that were invented over silence or noise."""
    tokens = text.split()
    limit = int(WORDS_PER_SPEECH_S * speech_s) + 2
    if len(tokens) <= limit:
        return text
    kept = tokens[:limit]
    ends = [j for j, t in enumerate(kept) if t.endswith((".", "!", "?"))]
    if ends:
        kept = kept[: ends[-1] + 1]
    log.debug("%d words over %.1f s of speech: kept %d", len(tokens), speech_s, len(kept))
    return " ".join(kept)
