"""Word error rate: how far a transcript is from its reference (benchmarks and tests)."""

from __future__ import annotations

import re
from collections.abc import Callable


def words(text: str) -> list[str]:
    """Lower-case words without punctuation ("Did I get it?" -> did, i, get, it)."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def edit_distance(a: list[str], b: list[str]) -> int:
    """Word substitutions + insertions + deletions turning ``a`` into ``b``."""
    prev = list(range(len(b) + 1))
    for i, wa in enumerate(a, 1):
        cur = [i]
        for j, wb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (wa != wb)))
        prev = cur
    return prev[-1]


def wer(hyps: list[str], refs: list[str], normalise: Callable[[str], list[str]] = words) -> float:
    """Word error rate in percent of the reference words, over all pairs."""
    errors = sum(edit_distance(normalise(h), normalise(r)) for h, r in zip(hyps, refs, strict=True))
    return 100.0 * errors / max(sum(len(normalise(r)) for r in refs), 1)
