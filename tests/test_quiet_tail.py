"""QuietTail and the segmenter: a turn's soft end in steady noise stays in the segment,
for a bounded time, without changing the hangover."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.vad import QuietTail, Segmenter


def _levels_and_flags() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    noise = -50.0 + rng.uniform(-1.0, 1.0, 100)  # 3 s of a steady hum
    loud = np.full(20, -25.0)  # webrtcvad hears this
    soft = np.full(20, -36.0)  # the voice trailing off, 14 dB above the hum
    after = -50.0 + rng.uniform(-1.0, 1.0, 30)
    levels = np.concatenate([noise, loud, soft, after])
    flags = np.concatenate([np.zeros(100, bool), np.ones(20, bool), np.zeros(50, bool)])
    return levels, flags


def test_soft_tail_above_the_floor_is_kept_at_most_max_frames() -> None:
    levels, flags = _levels_and_flags()
    held = QuietTail(max_frames=10).extend(levels, flags)
    assert held[100:130].all()  # the speech and the soft tail's first 0.3 s
    assert not held[130:].any()  # capped, and the hum after it is never speech
    assert not held[:100].any()


def test_tail_near_the_floor_is_not_kept() -> None:
    levels, flags = _levels_and_flags()
    levels[120:140] = -47.5  # only ~3 dB above the hum: noise as much as voice
    held = QuietTail().extend(levels, flags)
    assert not held[120:].any()


def test_level_alone_never_starts_speech() -> None:
    levels, _ = _levels_and_flags()
    held = QuietTail().extend(levels, np.zeros(len(levels), bool))
    assert not held.any()


def test_chunking_does_not_change_the_flags() -> None:
    levels, flags = _levels_and_flags()
    whole = QuietTail().extend(levels, flags)
    qt = QuietTail()
    cuts = [0, 7, 8, 61, 119, 125, 170]
    parts = [qt.extend(levels[a:b], flags[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def _segments(voiced: np.ndarray, tail: np.ndarray) -> list[tuple]:
    seg, out = Segmenter(), []
    for i, (v, t) in enumerate(zip(voiced, tail, strict=True)):
        out += [(e.kind, e.start, e.end) for e in seg.step(i, bool(v), bool(t))]
    return out


def test_segment_takes_the_soft_tail_but_not_the_gap() -> None:
    n = 200
    voiced, tail = np.zeros(n, bool), np.zeros(n, bool)
    voiced[50:80] = True
    tail[80:90] = True
    voiced[105:130] = True  # the next turn after a 25-frame gap (0.75 s, 15 after the tail)
    ev = _segments(voiced, tail)
    assert ev[:2] == [("start", 50, -1), ("end", 50, 90)]  # it ends with its tail
    # The tail did not feed the hangover: 20 silent frames after frame 79 close it
    # before the next turn, which is its own segment.
    assert ev[2:] == [("start", 105, -1), ("end", 105, 130)]


def test_without_tail_the_segmenter_is_unchanged() -> None:
    n = 120
    voiced = np.zeros(n, bool)
    voiced[30:60] = True
    assert _segments(voiced, np.zeros(n, bool)) == [("start", 30, -1), ("end", 30, 60)]
