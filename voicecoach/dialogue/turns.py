"""When is a turn over? A pause is not the end of a turn.

A turn ends after enough silence, and "enough" depends on how the words ended: a finished
sentence needs a short silence, a trailing "...and I" or "because" a long one, so a
partner gathering their thoughts is not cut off.
"""

from __future__ import annotations

import logging
import re

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


def looks_complete(text: str) -> bool:
    """True when ``text`` ends like a finished sentence (not "...and I", "because", "so")."""
    s = text.strip()
    if not s:
        return False
    if s.endswith(("...", "\u2026", ",", "-", "\u2014", ";", ":")):
        return False
    words = _WORDS.findall(s.lower())
    if not words:
        return False
    last = words[-1]
    if last in _STRONG:
        return False
    if s.endswith((".", "!", "?")):
        return True
    # No full stop: the transcriber did not hear a sentence end. Short answers ("yes") are
    # whole; a longer stretch without one is more likely cut mid-thought ("I felt").
    return last not in _WEAK and len(words) < 3
