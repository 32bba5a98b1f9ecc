"""Embed stage: d-vectors of the open segment's windows, each computed at most once.

The windows lie on a fixed grid (28 frames, back to back from the first frame of the run
they are asked for). A window heard while the segment is open (the check at 0.8 s, the
re-checks of a long utterance, the look after a suspected cut-in) is reused when the
segment is named at its end, so the cache lives as long as the segment and is cleared
when it closes (`clear`). The costly part is the model (~55 ms CPU per window): callers
ask for as few windows as they need.
"""

from __future__ import annotations

import numpy as np

from voicecoach.perception.embedder import Embedder
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame, grid


class WindowEmbeddings:
    """The open segment's d-vector windows, keyed by their first frame's index."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or Embedder()
        self.cache: dict[int, np.ndarray] = {}  # first frame of a window -> unit d-vector

    def clear(self) -> None:
        """The segment closed: its windows are of no further use."""
        self.cache = {}

    def embedded(self, frames: list[Frame]) -> list[int]:
        """Grid positions of this run's windows already embedded."""
        return [p for p in grid(frames) if frames[p].idx in self.cache]

    def heard_between(self, first: int, last: int) -> list[np.ndarray]:
        """Windows already heard that start in frames ``first`` .. ``last``."""
        return [e for k, e in self.cache.items() if first <= k <= last]

    def mean(self, frames: list[Frame], max_windows: int) -> np.ndarray:
        """d-vector of a run of frames from windows on its grid. Windows already embedded
        are reused; new ones are added only up to ``max_windows`` in all, spread evenly."""
        have = self.embedded(frames)
        todo = [p for p in grid(frames) if p not in have]
        need = max(0, max_windows - len(have))
        if len(todo) > need:
            pick = np.round(np.linspace(0, len(todo) - 1, need)).astype(int)
            todo = [todo[int(i)] for i in pick]
        if todo:
            chunks = [np.concatenate([f.pcm for f in frames[p : p + WINDOW_FRAMES]]) for p in todo]
            for p, e in zip(todo, self.embedder.embed_chunks(chunks), strict=True):
                self.cache[frames[p].idx] = e
        keys = [frames[p].idx for p in have + todo]
        mean = np.mean([self.cache[k] for k in keys], axis=0)
        unit: np.ndarray = mean / (np.linalg.norm(mean) + 1e-12)
        return unit

    def window(self, window: list[Frame]) -> np.ndarray:
        """The d-vector of one whole window (``WINDOW_FRAMES`` frames), off the grid too."""
        if window[0].idx not in self.cache:
            chunk = np.concatenate([f.pcm for f in window])
            self.cache[window[0].idx] = self.embedder.embed_chunks([chunk])[0]
        return self.cache[window[0].idx]
