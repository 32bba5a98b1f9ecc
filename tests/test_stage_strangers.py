"""Strangers stage: runs of windows far from every known voice become UNKNOWN."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.speakers import SpeakerBank, VoiceProfile
from voicecoach.perception.stages.attribute import AttributeSettings, Attributor
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame
from voicecoach.perception.stages.strangers import Strangers, StrangerSettings
from voicecoach.perception.types import UNKNOWN

ALEX, SAM, NOBODY = np.eye(3)


class _ByValue:
    """A window's d-vector is chosen by its first sample: 0 Alex, 1 nobody."""

    def __init__(self) -> None:
        self.windows_run = 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        return np.stack([NOBODY if c[0] > 0.5 else ALEX for c in chunks])


def _frames(values: list[float]) -> list[Frame]:
    """One window per value."""
    return [
        Frame(k * WINDOW_FRAMES + i, np.full(480, v, np.float32), -30.0, 120.0, 0.1, -10.0,
              np.zeros(20), True, 0.0)
        for k, v in enumerate(values)
        for i in range(WINDOW_FRAMES)
    ]  # fmt: skip


def _stage() -> tuple[Strangers, WindowEmbeddings]:
    bank = SpeakerBank()
    bank.add(VoiceProfile("alex", ALEX, None, None))
    bank.add(VoiceProfile("sam", SAM, None, None))
    windows = WindowEmbeddings(_ByValue())  # type: ignore[arg-type]
    att = Attributor(bank, windows, AttributeSettings())
    return Strangers(bank, windows, att, StrangerSettings()), windows


def test_a_stranger_run_inside_a_partner_piece_is_unknown() -> None:
    strangers, windows = _stage()
    frames = _frames([0, 0, 1, 1])
    windows.mean(frames[2 * WINDOW_FRAMES :], 1)  # a live check heard the stranger
    pieces = strangers.split(frames, "alex")
    assert [(p.frames[0].idx, p.speaker) for p in pieces] == [(0, "alex"), (56, UNKNOWN)]
    assert sum(len(p.frames) for p in pieces) == len(frames)


def test_nothing_heard_far_costs_nothing_more() -> None:
    strangers, windows = _stage()
    frames = _frames([0, 0, 1, 1])
    windows.mean(frames, 1)  # only the first (Alex's) window heard
    assert strangers.split(frames, "alex") == [(frames, "alex")]
    assert windows.embedder.windows_run == 1
    assert strangers.split(frames, UNKNOWN) == [(frames, UNKNOWN)]


def test_a_single_expected_voice_keeps_everything() -> None:
    strangers, windows = _stage()
    strangers.attributor.single = "alex"
    frames = _frames([1, 1])
    windows.mean(frames, 2)
    assert strangers.split(frames, "alex") == [(frames, "alex")]
