"""Embed stage: each window of the open segment is embedded once, on a fixed grid."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame


class _Counting:
    """A stand-in embedder: a window's d-vector is a unit vector along its first sample's
    value; counts what it computed."""

    def __init__(self) -> None:
        self.windows_run = 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        out = np.zeros((len(chunks), 4))
        for i, c in enumerate(chunks):
            out[i, int(c[0]) % 4] = 1.0
        return out


def _frames(n: int, first: int = 0) -> list[Frame]:
    return [
        Frame(first + i, np.full(480, float(i // WINDOW_FRAMES), np.float32), -30.0, 120.0, 0.1,
              -10.0, np.zeros(20), True, 0.0)
        for i in range(n)
    ]  # fmt: skip


def test_windows_are_reused_and_capped() -> None:
    fake = _Counting()
    windows = WindowEmbeddings(fake)  # type: ignore[arg-type]
    frames = _frames(4 * WINDOW_FRAMES)
    windows.mean(frames[WINDOW_FRAMES:], 1)  # a live check heard window 1
    assert fake.windows_run == 1 and windows.embedded(frames) == [WINDOW_FRAMES]
    emb = windows.mean(frames, 3)  # the utterance wants 3: 2 more, spread evenly
    assert fake.windows_run == 3
    assert abs(np.linalg.norm(emb) - 1.0) < 1e-9
    windows.mean(frames, 3)
    assert fake.windows_run == 3  # nothing new
    assert len(windows.heard_between(0, 4 * WINDOW_FRAMES)) == 3
    windows.clear()
    assert windows.embedded(frames) == []


def test_an_off_grid_window_is_embedded_once() -> None:
    fake = _Counting()
    windows = WindowEmbeddings(fake)  # type: ignore[arg-type]
    frames = _frames(2 * WINDOW_FRAMES)
    a = windows.window(frames[5 : 5 + WINDOW_FRAMES])
    b = windows.window(frames[5 : 5 + WINDOW_FRAMES])
    assert fake.windows_run == 1 and a is b
