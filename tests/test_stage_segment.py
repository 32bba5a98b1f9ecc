"""Segment stage: frames and speech segments from audio, chunk-size invariant, on media time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from voicecoach.lab.testaudio import place, vowel_voice
from voicecoach.perception.stages.segment import Heard, Segmentation, SegmentSettings
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE


def _heard(x: np.ndarray, chunk: int, settings: SegmentSettings | None = None) -> list[Heard]:
    seg = Segmentation(settings or SegmentSettings())
    out: list[Heard] = []
    for i in range(0, len(x), chunk):
        out += seg.push(x[i : i + chunk])
    return out


def _bounds(heard: list[Heard]) -> list[tuple[str, int, int, int]]:
    return [(b.kind, b.frame, b.start, b.end) for h in heard for b in h.boundaries]


@pytest.fixture(scope="module")
def two_turns() -> np.ndarray:
    return place(6.0, [(0.5, vowel_voice(1.5, 140.0)), (3.5, vowel_voice(1.2, 200.0, seed=2))])


def test_two_turns_give_two_segments_at_their_times(two_turns: np.ndarray) -> None:
    heard = _heard(two_turns, SAMPLE_RATE)
    assert len(heard) == len(two_turns) // FRAME_SAMPLES  # every whole frame, once
    assert [h.frame.idx for h in heard] == list(range(len(heard)))
    bounds = _bounds(heard)
    assert [b[0] for b in bounds] == ["start", "end", "start", "end"]
    starts = [b[2] * 0.03 for b in bounds if b[0] == "start"]
    assert starts == pytest.approx([0.5, 3.5], abs=0.1)
    # A start carries the segment's frames so far, from its first voiced frame on.
    onsets = [h for h in heard if any(b.kind == "start" for b in h.boundaries)]
    for h in onsets:
        assert h.onset[0].idx == h.boundaries[-1].start and h.onset[-1] is h.frame


def test_chunk_size_never_changes_what_is_heard(two_turns: np.ndarray) -> None:
    whole = _heard(two_turns, len(two_turns))
    for chunk in (333, 4801):
        other = _heard(two_turns, chunk)
        assert _bounds(other) == _bounds(whole)
        assert [(h.frame.idx, h.frame.vad, h.in_segment) for h in other] == [
            (h.frame.idx, h.frame.vad, h.in_segment) for h in whole
        ]


def test_frames_are_frozen_and_carry_their_media_time(two_turns: np.ndarray) -> None:
    fr = _heard(two_turns, SAMPLE_RATE)[100].frame
    assert fr.start_s == pytest.approx(3.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fr.level_db = 0.0  # type: ignore[misc]


def test_muted_audio_is_counted_but_not_heard(two_turns: np.ndarray) -> None:
    seg = Segmentation(SegmentSettings())
    seg.muted = True
    assert seg.push(two_turns[: 3 * SAMPLE_RATE]) == []
    seg.muted = False
    heard = seg.push(two_turns[3 * SAMPLE_RATE :])
    assert heard[0].frame.idx == 100  # frame numbers stay media time
    assert [b.kind for h in heard for b in h.boundaries] == ["start", "end"]


def test_a_shorter_hangover_ends_the_segment_sooner() -> None:
    x = place(3.0, [(0.5, vowel_voice(1.0, 140.0))])
    ends = []
    for hangover_s in (None, 0.3):
        seg = Segmentation(SegmentSettings())
        seg.set_hangover(hangover_s)
        ends += [b.frame for h in seg.push(x) for b in h.boundaries if b.kind == "end"]
    assert ends[1] == ends[0] - 10  # 0.3 s = 10 frames less


def test_non_finite_samples_are_heard_as_silence_or_the_rails() -> None:
    x = place(3.0, [(0.5, vowel_voice(1.5, 140.0))])
    broken = x.copy()
    broken[100:200] = np.nan  # in the leading silence
    broken[-50:] = np.inf
    heard = _heard(broken, 4801)
    assert _bounds(heard) == _bounds(_heard(x, 4801))
    assert all(np.isfinite(h.frame.pcm).all() for h in heard)
