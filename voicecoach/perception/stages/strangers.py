"""Strangers stage: a third voice hiding in a piece named for a partner becomes UNKNOWN.

A stranger's turn in the same VAD segment as a partner's (overlap, or inside the
hangover) is not split off by the partners' frame models, and inherits the partner's
name. Where a window already heard in the piece is far from every known voice, every
window of the piece is heard (compute only on such doubtful pieces) and each run of far
windows becomes UNKNOWN at window resolution; the rest keeps its name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from voicecoach.perception.speakers import SpeakerBank
from voicecoach.perception.stages.attribute import Attributor
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame, grid
from voicecoach.perception.stages.settle import Piece
from voicecoach.perception.types import UNKNOWN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StrangerSettings:
    far: float = 0.4  # cosine: a d-vector window this far from every known voice is
    # nobody's (partners' own windows rarely fall this low; strangers' often do)
    doubt: float = 0.45  # cosine: a piece with a heard window this far from every known
    # voice is heard on all its windows (the compute goes to doubtful pieces).
    # 4 sets: 0.4 -> 0.45 named strangers 43.5 -> 40.8 % at +4 % compute, couple
    # unchanged; 0.5: 39.0 % at +14 %, couple -0.1 (FF 98.0)
    windows: int = 12  # ... up to this many
    run: float = 0.45  # cosine: there, neighbouring windows both below this to every
    # known voice are nobody's too (a stranger's turn runs several windows below a
    # partner's usual cosine; a partner's odd weak window stands alone). 4 sets: 0.5
    # named strangers 40.6 % (0.45: 43.5) but cost the couple 0.2 points (MM -0.5)


def far_runs(far: list[bool], weak: list[bool]) -> list[bool]:
    """Windows that are nobody's: each ``far`` one, and each ``weak`` one beside
    another weak one."""
    n = len(far)
    return [
        far[k] or (weak[k] and ((k > 0 and weak[k - 1]) or (k + 1 < n and weak[k + 1])))
        for k in range(n)
    ]


class Strangers:
    def __init__(
        self,
        bank: SpeakerBank,
        windows: WindowEmbeddings,
        attributor: Attributor,
        settings: StrangerSettings,
    ) -> None:
        self.bank = bank
        self.windows = windows
        self.attributor = attributor
        self.cfg = settings

    def far(self, emb: np.ndarray, cosine: float) -> bool:
        """A d-vector window below ``cosine`` to every known voice."""
        return max(float(emb @ p.embedding) for p in self.bank.profiles) < cosine

    def split(self, piece: list[Frame], name: str) -> list[Piece]:
        """``piece`` (named ``name``) with its runs of nobody's windows made UNKNOWN."""
        cfg = self.cfg
        if (
            name == UNKNOWN
            or self.attributor.single is not None
            or not self.bank.enrolled
            or len(self.bank.profiles) < 2
        ):
            return [Piece(piece, name)]
        positions = grid(piece)
        first, last = piece[0].idx, piece[-1].idx - WINDOW_FRAMES + 1
        heard = self.windows.heard_between(first, last)
        if len(positions) < 2 or not any(self.far(e, cfg.doubt) for e in heard):
            return [Piece(piece, name)]
        self.windows.mean(piece, min(cfg.windows, len(positions)))
        have = self.windows.embedded(piece)
        embs = [self.windows.cache[piece[p].idx] for p in have]
        far = far_runs(
            [self.far(e, cfg.far) for e in embs],
            [self.far(e, cfg.run) for e in embs],
        )
        if all(far):
            return [Piece(piece, UNKNOWN)]
        # Window k owns the frames from its start to the next heard window's start; the
        # first owns the piece's start, the last its tail.
        cuts = [0, *have[1:], len(piece)]
        out: list[Piece] = []
        for k, f in enumerate(far):
            label = UNKNOWN if f else name
            part = piece[cuts[k] : cuts[k + 1]]
            if out and out[-1].speaker == label:
                out[-1] = Piece(out[-1].frames + part, label)
            else:
                out.append(Piece(part, label))
        if len(out) > 1:
            log.debug(
                "third voice in %s's piece at %s",
                name,
                ", ".join(f"{p[0].start_s:.2f}" for p, n in out if n == UNKNOWN),
            )
        return out
