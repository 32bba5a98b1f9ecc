"""When is a turn over? A pause is not the end of a turn.

A turn ends after enough silence, and "enough" depends on how the words ended: a finished
sentence needs a short silence, a trailing "...and I" or "because" a long one, so a
partner gathering their thoughts is not cut off.
"""

from __future__ import annotations

import logging
import re

from voicecoach.dialogue.answers import yes_no
from voicecoach.dialogue.settings import Settings

log = logging.getLogger(__name__)

# Last words after which a thought is plainly not finished, whatever the punctuation
# (transcribers often put a full stop after a trailing "because").
_STRONG = frozenset(
    "and but or so because cause since if that with without to of for from um uh er erm "
    "like whether unless although though while when until than into onto about".split()
)
# Words that end a thought only when the transcriber heard it end ("Did I get it?").
_WEAK = frozenset(
    "the a an my your his her our their this these those i we you he she they it is am are "
    "was were be been have has had do does did not just really very also plus then which "
    "who where as at by in on".split()
)
_WORDS = re.compile(r"[a-z']+")
_JOINS = frozenset("and but or so because um uh er erm".split())  # never end a question
_UNPUNCTUATED_WORDS = 4  # up to this many words without final punctuation can be whole
# Closing words that announce more to come ("wait a second", "let me think").
_MORE = re.compile(
    r"\b(?:wait a (?:second|minute|moment|sec)|hold on|hang on|let me (?:see|think|check"
    r"|have a look|look|find|explain)|one (?:more|other) thing|the thing is|what i mean is"
    r"|i mean)[.!?,]*$"
)


def looks_complete(text: str) -> bool:
    """True when ``text`` ends like a finished sentence (not "...and I", "because", "so").

    A question mark is believed ("Where would you depart from?"); a full stop is not
    after a conjunction (transcribers put one after a trailing "because"). Without final
    punctuation the transcriber did not hear a sentence end: a short stretch that does
    not stop on a function word is whole ("okay I got it"), a longer one is more likely
    cut mid-thought. Tuned on the tuning half of the real phone dialogues and of the
    LibriSpeech readers (`voicecoach.lab.turntaking`): 4 words instead of 2 without
    punctuation took the turn ends called unfinished there from 22 to 14 of 87 with no
    more cut-offs; 6 and more cut off readers pausing mid-sentence."""
    s = text.strip()
    words = _WORDS.findall(s.lower())
    if not words:
        return False
    if s.endswith(("?", "!")) and words[-1] not in _JOINS:
        return True
    if trails_off(s):
        return False
    if s.endswith("."):
        return True
    # Counted since the last sentence end: a turn is several utterances joined.
    tail = _WORDS.findall(re.split(r"[.!?]\s", s.lower())[-1])
    return words[-1] not in _WEAK and len(tail) <= _UNPUNCTUATED_WORDS


def trails_off(text: str) -> bool:
    """True when ``text`` plainly goes on: a conjunction, a filler or "let me think" at
    its end, or trailing punctuation ("...and I", "because", "um")."""
    s = text.strip()
    if s.endswith(("...", "\u2026", ",", "-", "\u2014", ";", ":")):
        return True
    words = _WORDS.findall(s.lower())
    return bool(words) and (words[-1] in _STRONG or bool(_MORE.search(s.lower())))


def end_wait_s(text: str, expects: str, complete_s: float, settings: Settings) -> float:
    """Silence (s) after ``text`` that ends the turn, from what the step ``expects``:

    - "yesno": a readable yes or no ends it after ``complete_s``, punctuated or not
      ("No I don't"), unless it goes on ("Yes, but...");
    - anything else ("message", "free", "choice"): ``complete_s`` after a finished
      sentence, `Settings.turn_end_incomplete_s` after one that trails off."""
    if expects == "yesno" and yes_no(text) is not None and not trails_off(text):
        return complete_s
    return complete_s if looks_complete(text) else settings.turn_end_incomplete_s
