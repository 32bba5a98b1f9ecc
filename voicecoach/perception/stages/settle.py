"""Settle stage: a closed segment may still hold two voices; find them and name each.

A quick handover inside the VAD's hangover, or a cut-in the live detector missed, leaves
two voices in one segment. The segment is split where the frame model's evidence
changes side (binary segmentation of the clipped log-likelihood ratio of the two voices
it supports most), and a split is kept only if the d-vector names the pieces
differently, or names one and the frame model clearly disowns it for the other.
A piece too short to name confidently is UNKNOWN, never forced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from voicecoach.perception.features import frame_time
from voicecoach.perception.speakers import SpeakerBank
from voicecoach.perception.stages.attribute import Attributor, relative_ll
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame
from voicecoach.perception.types import UNKNOWN
from voicecoach.timebase import frame_count

log = logging.getLogger(__name__)


class Piece(NamedTuple):
    """A run of a segment's frames and who said it (UNKNOWN: nobody named)."""

    frames: list[Frame]
    speaker: str


@dataclass(frozen=True)
class SettleSettings:
    min_side_s: float = 0.45  # voiced speech each side of a change found at close
    lean: float = 0.5  # nats/frame each side must lean to its own voice
    stat: float = 8.0  # CUSUM statistic (nats * sqrt(frames)) for a change
    clear: float = 2.0  # nats/frame: a piece the d-vector cannot name is still
    # split off when the frame model gives it this clearly to the other voice
    clip: float = 8.0  # nats: one frame's say in the log-likelihood ratio is bounded
    depth: int = 3  # changes are searched this many halvings deep (up to 7 per segment)


class Settler:
    def __init__(self, bank: SpeakerBank, attributor: Attributor, settings: SettleSettings) -> None:
        self.bank = bank
        self.attributor = attributor
        self.cfg = settings

    def settle(self, frames: list[Frame]) -> list[Piece] | None:
        """The pieces of a closed segment, each named; None: one voice (or nobody to tell
        apart): the caller names the whole."""
        cfg = self.cfg
        if self.attributor.single is not None or len(self.bank.profiles) < 2:
            return None
        min_side = frame_count(cfg.min_side_s)
        voiced = [f for f in frames if f.vad]
        if len(voiced) < 2 * min_side:
            return None
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if len(lls) < 2:
            return None
        rel = relative_ll(lls)
        top = sorted(rel, key=lambda k: -rel[k])[:2]
        d = np.clip(lls[top[1]] - lls[top[0]], -cfg.clip, cfg.clip)
        cuts = sorted(self.cuts(d, 0, len(d), depth=cfg.depth))
        if not cuts:
            return None
        bounds = [0, *cuts, len(d)]
        # Frame-index boundaries: a piece starts at its first voiced frame.
        starts = [frames.index(voiced[b]) for b in bounds[:-1]]
        pieces = [frames[a:b] for a, b in zip(starts, [*starts[1:], len(frames)], strict=True)]
        means = [float(np.mean(d[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        # A piece shorter than one d-vector window is mostly padding to the embedder: its
        # "name" is noise, so it counts as UNKNOWN here (kept apart only where the frame
        # model clearly gives it to the other voice).
        named = [
            self.attributor.utterance(p) if len(p) >= WINDOW_FRAMES else UNKNOWN for p in pieces
        ]
        # Merge neighbours that are the same voice; an UNKNOWN piece is kept apart only
        # where the frame model clearly gives it to the other voice than its neighbour.
        out: list[tuple[list[Frame], str, float]] = []
        for piece, name, m in zip(pieces, named, means, strict=True):
            if out:
                prev_piece, prev_name, prev_m = out[-1]
                same = name == prev_name and name != UNKNOWN
                weak = UNKNOWN in (name, prev_name) and (
                    abs(m) < cfg.clear or abs(prev_m) < cfg.clear or np.sign(m) == np.sign(prev_m)
                )
                if same or weak:
                    merged = prev_piece + piece
                    out[-1] = (
                        merged,
                        prev_name if name == UNKNOWN else name,
                        (prev_m * len(prev_piece) + m * len(piece)) / len(merged),
                    )
                    continue
            out.append((piece, name, m))
        if len(out) < 2:
            return None
        log.debug(
            "segment %.2f-%.2f settled as %s",
            frames[0].start_s,
            frame_time(frames[-1].idx + 1),
            ", ".join(f"{n}@{p[0].start_s:.2f}" for p, n, _ in out),
        )
        # A merged piece was named from part of it: name it again, whole.
        return [Piece(p, self.attributor.utterance(p)) for p, _, _ in out]

    def cuts(self, d: np.ndarray, lo: int, hi: int, depth: int) -> list[int]:
        """Change points of ``d[lo:hi]`` (voiced-frame positions), recursively: the split
        maximising the CUSUM statistic, kept when both sides hold enough speech and lean
        to opposite voices."""
        cfg = self.cfg
        min_side = frame_count(cfg.min_side_s)
        n = hi - lo
        if depth == 0 or n < 2 * min_side:
            return []
        x = d[lo:hi]
        k = np.arange(min_side, n - min_side + 1)
        c = np.cumsum(x)
        left = c[k - 1] / k
        right = (c[-1] - c[k - 1]) / (n - k)
        stat = np.abs(left - right) * np.sqrt(k * (n - k) / n)
        j = int(np.argmax(stat))
        a, b = float(left[j]), float(right[j])
        if not (a * b < 0 and min(abs(a), abs(b)) >= cfg.lean and stat[j] >= cfg.stat):
            return []
        cut = lo + int(k[j])
        return self.cuts(d, lo, cut, depth - 1) + [cut] + self.cuts(d, cut, hi, depth - 1)
