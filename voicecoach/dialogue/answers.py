"""Understand short spoken answers: yes / no / unsure, or one of a few choices.

Transcripts of answers are messy ("yeah I think so", "not really", "I guess", "Yes, I
feel safe."). Hedges count as *unsure* rather than yes, because the safety question must
never turn a doubt into a yes. Anything we cannot read is ``None`` so the caller can ask
again instead of guessing.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z']+")

# Longest phrases first within each list; matched on word boundaries of the cleaned text.
_UNSURE = (
    "i don't know",
    "i do not know",
    "don't know",
    "dont know",
    "dunno",
    "not sure",
    "i'm not sure",
    "unsure",
    "i guess",
    "i suppose",
    "maybe",
    "perhaps",
    "kind of",
    "kinda",
    "sort of",
    "sorta",
    "hard to say",
    "not quite sure",
    "partly",
    "somewhat",
    "a little",
    "a bit",
    "mostly",
    "more or less",
    "i'm not certain",
    "not certain",
    "i can't say",
    "depends",
    "yes and no",
    "half",
)
_NO = (
    "no",
    "nope",
    "nah",
    "not really",
    "not at all",
    "not now",
    "not yet",
    "not quite",
    "i don't think so",
    "i do not think so",
    "don't think so",
    "i don't",
    "i do not",
    "i'm not",
    "i am not",
    "not safe",
    "don't feel safe",
    "do not feel safe",
    "no way",
    "never",
    "negative",
    "wrong",
    "not right",
    "not exactly",
    "that's not it",
    "missed",
    "not a good time",
    "bad time",
    "later",
    "of course not",
    "certainly not",
    "absolutely not",
    "definitely not",
    "no no",
)
_YES = (
    "yes",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "yah",
    "sure",
    "of course",
    "i do",
    "okay",
    "ok",
    "alright",
    "all right",
    "absolutely",
    "definitely",
    "certainly",
    "i think so",
    "i believe so",
    "i feel safe",
    "i am safe",
    "i'm safe",
    "i'm fine",
    "i am fine",
    "fine",
    "that's right",
    "right",
    "correct",
    "exactly",
    "totally",
    "indeed",
    "good",
    "go ahead",
    "uh huh",
    "mm hmm",
    "mhm",
    "you got it",
    "got it",
    "pretty much",
    "sounds good",
    "no problem",
    "no worries",
    "why not",
    "i'd like that",
)


def clean(text: str) -> str:
    """Lower case words only, apostrophes kept (curly ones made straight)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(_WORD.findall(text))


def _has(phrases: tuple[str, ...], text: str) -> list[tuple[int, str]]:
    hits = []
    for phrase in phrases:
        for m in re.finditer(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", text):
            hits.append((m.start(), phrase))
    return hits


def _inside(hit: tuple[int, str], others: list[tuple[int, str]]) -> bool:
    """``hit`` lies within a strictly longer phrase among ``others``."""
    pos, phrase = hit
    end = pos + len(phrase)
    return any(a <= pos and end <= a + len(p) and len(p) > len(phrase) for a, p in others)


def yes_no(text: str) -> str | None:
    """Classify an answer as "yes", "no" or "unsure"; None when nothing readable."""
    t = clean(text)
    if not t:
        return None
    unsure = _has(_UNSURE, t)
    # A phrase inside a longer phrase of the other kind is part of it: "of course not" is
    # no (not "of course"), "no problem" is yes (not "no"), "I don't think so" is no.
    yes_all = _has(_YES, t)
    no = [h for h in _has(_NO, t) if not _inside(h, yes_all)]
    yes = [h for h in yes_all if not _inside(h, no)]
    # "not sure" contains "not"? no; but "i'm not sure" contains "i'm not": unsure wins.
    unsure_spans = [(pos, pos + len(p)) for pos, p in unsure]
    no = [(pos, p) for pos, p in no if not any(a <= pos < b for a, b in unsure_spans)]
    yes = [(pos, p) for pos, p in yes if not any(a <= pos < b for a, b in unsure_spans)]
    if unsure:
        # "yes, I think so, mostly" is still a doubt worth hearing; hedges win.
        return "unsure"
    if yes and no:
        # "No, I'm fine" / "yes... no": the first clear word decides, unless they disagree
        # within a few words, which is a doubt.
        first_yes, first_no = min(yes)[0], min(no)[0]
        if abs(first_yes - first_no) < 12:
            return "unsure"
        return "yes" if first_yes < first_no else "no"
    if no:
        return "no"
    if yes:
        return "yes"
    return None


def choice(text: str, choices: dict[str, tuple[str, ...]]) -> str | None:
    """The choice whose words appear in ``text`` (earliest mention wins); None if none.

    "I don't know" / "either" answers are "unsure", so the script can pick a default.
    """
    t = clean(text)
    if not t:
        return None
    best: tuple[int, str] | None = None
    for name, words in choices.items():
        for word in (name.replace("_", " "), *words):
            hits = _has((clean(word),), t)
            if hits:
                pos = min(hits)[0]
                if best is None or pos < best[0]:
                    best = (pos, name)
    if best is not None:
        return best[1]
    if _has(_UNSURE + ("either", "whatever", "you choose", "you pick"), t):
        return "unsure"
    return None


def heard_anything(text: str) -> bool:
    """True when a transcript has at least one real word (not just noise marks)."""
    return bool(clean(text))
