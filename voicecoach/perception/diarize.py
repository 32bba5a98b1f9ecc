"""Telling voices apart without enrolment: cluster d-vectors, then enrol the clusters.

`analyze` without ``enroll`` first listens to the whole recording once, cheaply:
webrtcvad finds the speech, and d-vector windows (0.84 s, on the Listener's 28-frame
grid) are taken where a window is almost all speech, one per ``every_s`` seconds of
speech (at least ``min_windows``). Those d-vectors are clustered top-down (`voices`):
a cluster is cut in two by two-means and stays cut while both halves hold enough
speech and their cores differ clearly, in the cepstral frame model (a BIC test) and
in the d-vector (the threshold chosen on tuning speakers only, see
`voicecoach.lab.eval_realrec`). Each resulting cluster becomes a voice
profile from its core windows (those nearest its centre): the d-vector centre, a frame
model on their cepstra and a calm baseline on the earliest of them. They are added to
the Listener as if enrolled, labelled speaker1, speaker2, ... in order of appearance,
and the normal enrolled pipeline runs: the same attribution, overlap and interruption
detectors, the same numbers as with named partners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.perception.embedder import Embedder
from voicecoach.perception.features import FrameBlock, analyse_audio
from voicecoach.perception.speakers import (
    Baseline,
    FrameModel,
    VoiceProfile,
    shrinkage,
    speech_frames,
)
from voicecoach.perception.stages.frames import WINDOW_FRAMES  # the Listener's grid
from voicecoach.perception.vad import AGGRESSIVENESS, vad_flags
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiarizeConfig:
    every_s: float = 2.0  # seconds of speech per d-vector window (speed: ~25 ms each)
    min_windows: int = 24  # ... but at least this many (short recordings), where speech allows
    max_windows: int = 600  # ... and at most this many (long recordings)
    window_speech: float = 0.8  # share of a window's frames webrtcvad must call speech
    min_voice_s: float = 4.2  # speech (in windows) each side of a split needs to be a voice
    min_share: float = 0.08  # ... and this share of all windows
    test_windows: int = 4  # a cluster's windows nearest its centre (its core) that
    # `split_score` compares: the same number at every depth, as the BIC gain of a
    # covariance grows as the frames behind it shrink
    split_min: float = -0.2  # a cluster is two voices when the cepstral BIC gain of
    # modelling its halves' cores apart (nats/frame) less `split_cosine` times their
    # cores' mean d-vector cosine exceeds this (tuned on the tuning speakers)
    split_cosine: float = 3.0
    split_more: float = 0.5  # ... and this much more for each voice beyond two (a
    # recording of a couple rarely holds a third voice; a split half is smaller, and a
    # voice's calm and lively halves can look like two)
    core_windows: int = 16  # windows nearest a cluster's centre that build its profile
    change_s: float = 1.2  # ... none starting this close to another voice's window
    core_min_clean: int = 3  # ... unless fewer than this many are that far
    baseline_s: float = 6.0  # earliest core speech the calm baseline is measured on
    max_voices: int = 6


Source = Callable[[], Iterable[np.ndarray]]
"""Opens the recording afresh: 16 kHz mono float32 chunks (a file is read in a stream,
once per pass, never held whole)."""


@dataclass(frozen=True)
class Windows:
    """The d-vector windows of a recording: start frames, unit d-vectors and audio."""

    starts: np.ndarray  # (k,) frame index of each window's first frame
    embs: np.ndarray  # (k, 256)
    clips: list[np.ndarray]  # each window's samples (28 frames)


def _frame_levels(frames: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)


def _frames(chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """(n, 480) blocks of whole 30 ms frames from chunks of any size."""
    rest = np.zeros(0, np.float32)
    for chunk in chunks:
        x = np.concatenate([rest, np.asarray(chunk, np.float32)])
        n = len(x) // FRAME_SAMPLES
        if n:
            yield x[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)
        rest = x[n * FRAME_SAMPLES :]


def speech_flags(chunks: Iterable[np.ndarray], aggressiveness: int = AGGRESSIVENESS) -> np.ndarray:
    """webrtcvad's speech flag per 30 ms frame (the Listener's VAD, level floor included)."""
    vad = webrtcvad.Vad(aggressiveness)
    parts = [vad_flags(f, _frame_levels(f), vad) for f in _frames(chunks)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def speech_windows(flags: np.ndarray, cfg: DiarizeConfig) -> np.ndarray:
    """Start frames of the windows worth embedding: back to back inside runs of speech,
    each at least ``window_speech`` webrtcvad speech, thinned evenly to the budget."""
    n = len(flags)
    csum = np.concatenate([[0], np.cumsum(flags)])
    starts: list[int] = []
    i = 0
    while i + WINDOW_FRAMES <= n:
        if csum[i + WINDOW_FRAMES] - csum[i] >= cfg.window_speech * WINDOW_FRAMES:
            starts.append(i)
            i += WINDOW_FRAMES
        else:
            i += 1
    speech_s = float(flags.sum()) * FRAME_SAMPLES / SAMPLE_RATE
    budget = int(min(cfg.max_windows, max(cfg.min_windows, speech_s / cfg.every_s)))
    if len(starts) > budget:
        pick = np.round(np.linspace(0, len(starts) - 1, budget)).astype(int)
        starts = [starts[k] for k in pick]
    return np.asarray(starts, dtype=int)


def window_clips(chunks: Iterable[np.ndarray], starts: np.ndarray) -> list[np.ndarray]:
    """The samples of each window (``starts``: ascending frame indices)."""
    pieces: list[list[np.ndarray]] = [[] for _ in starts]
    first = 0
    for block in _frames(chunks):
        last = first + len(block)
        lo, hi = np.searchsorted(starts, [first - WINDOW_FRAMES + 1, last])
        for k in range(lo, hi):
            s = int(starts[k])
            a, b = max(s, first), min(s + WINDOW_FRAMES, last)
            pieces[k].append(block[a - first : b - first].ravel())
        first = last
    return [np.concatenate(p) if p else np.zeros(0, np.float32) for p in pieces]


def embed_windows(source: Source, cfg: DiarizeConfig, embedder: Embedder) -> Windows:
    """Two reads of the recording: the speech flags, then the chosen windows' samples."""
    starts = speech_windows(speech_flags(source()), cfg)
    if len(starts) == 0:
        return Windows(starts, np.zeros((0, 256)), [])
    clips = window_clips(source(), starts)
    return Windows(starts, embedder.embed_chunks(clips), clips)


class WindowFeatures:
    """Frame features (cepstra of webrtcvad speech frames, and the whole block) of each
    window, computed once when first asked for."""

    def __init__(self, windows: Windows) -> None:
        self.windows = windows
        self._blocks: dict[int, tuple[FrameBlock, np.ndarray]] = {}
        self._vad = webrtcvad.Vad(AGGRESSIVENESS)

    def block(self, k: int) -> tuple[FrameBlock, np.ndarray]:
        """Window ``k``'s frame block and its speech mask."""
        if k not in self._blocks:
            block = analyse_audio(self.windows.clips[k])
            vad = vad_flags(block.pcm, block.level_db, self._vad)
            self._blocks[k] = (block, speech_frames(block, vad))
        return self._blocks[k]

    def cepstra(self, idx: np.ndarray) -> np.ndarray:
        return np.concatenate([self.block(int(k))[0].mfcc[self.block(int(k))[1]] for k in idx])


def bisect(embs: np.ndarray, idx: np.ndarray, iterations: int = 10) -> list[np.ndarray]:
    """Two-means on the unit sphere, started from the two least similar windows."""
    x = embs[idx]
    sim = x @ x.T
    a, b = np.unravel_index(int(np.argmin(sim)), sim.shape)
    centres = x[[a, b]]
    side = np.zeros(len(idx), dtype=int)
    for _ in range(iterations):
        side = np.argmax(x @ centres.T, axis=1)
        for q in (0, 1):
            if (side == q).any():
                c = x[side == q].mean(axis=0)
                centres[q] = c / (np.linalg.norm(c) + 1e-12)
    return [idx[side == 0], idx[side == 1]]


def _logdet(x: np.ndarray) -> float:
    """Log-determinant of the frame model's (shrunk) covariance of ``x``."""
    cov = np.cov(x.T)
    a = shrinkage(*x.shape)
    cov = (1 - a) * cov + a * np.diag(np.diag(cov)) + 1e-3 * np.eye(x.shape[1])
    return float(np.linalg.slogdet(cov)[1])


def split_score(
    embs: np.ndarray, feats: WindowFeatures, parts: list[np.ndarray], cfg: DiarizeConfig
) -> float:
    """How clearly two clusters are two voices: the BIC gain per frame of modelling their
    cores' cepstra by one Gaussian each rather than one for both (the frame model the
    Listener attributes with), less `split_cosine` times the cores' mean d-vector cosine."""
    cores = [_core(embs, p, cfg.test_windows) for p in parts]
    xa, xb = feats.cepstra(cores[0]), feats.cepstra(cores[1])
    if min(len(xa), len(xb)) < 30:
        return -np.inf
    n = len(xa) + len(xb)
    gain = 0.5 * (
        _logdet(np.vstack([xa, xb])) - len(xa) / n * _logdet(xa) - len(xb) / n * _logdet(xb)
    )
    cosine = float(np.mean(embs[cores[0]] @ embs[cores[1]].T))
    return gain - cfg.split_cosine * cosine


def voices(windows: Windows, feats: WindowFeatures, cfg: DiarizeConfig) -> list[np.ndarray]:
    """The clusters that are voices: index arrays into ``windows``, in order of first
    appearance. Divisive: a cluster (at first all windows) is cut in two by `bisect`
    and stays cut when both halves hold enough speech and `split_score` says they are
    two voices; windows spanning a change of speaker or an overlap hold both voices and
    blur the halves' edges, never their cores, so the test looks at the cores only."""
    embs = windows.embs
    n = len(embs)
    win_s = WINDOW_FRAMES * FRAME_SAMPLES / SAMPLE_RATE
    min_n = max(cfg.min_voice_s / win_s, cfg.min_share * n)
    if n < min_n:
        return []
    todo: list[np.ndarray] = [np.arange(n)]
    out: list[np.ndarray] = []
    while todo:
        idx = todo.pop()
        parts = bisect(embs, idx) if len(idx) >= 2 * min_n else []
        would_be = len(out) + len(todo) + 2  # voices if this one is split
        if (
            parts
            and min(len(p) for p in parts) >= min_n
            and would_be <= cfg.max_voices
            and split_score(embs, feats, parts, cfg)
            > cfg.split_min + cfg.split_more * (would_be - 2)
        ):
            todo.extend(parts)
        else:
            out.append(np.sort(idx))
    out.sort(key=lambda idx: int(windows.starts[idx].min()))
    return out


def _core(embs: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` windows of a cluster nearest its centre."""
    centre = embs[idx].mean(axis=0)
    return idx[np.argsort(-(embs[idx] @ centre))[:k]]


def _near_change(
    starts: np.ndarray, idx: np.ndarray, others: np.ndarray, cfg: DiarizeConfig
) -> np.ndarray:
    """Per window of ``idx``: does a window of another voice (``others``) start within
    `change_s` of it?"""
    if len(others) == 0:
        return np.zeros(len(idx), dtype=bool)
    gap = np.abs(starts[idx][:, None] - starts[others][None, :]).min(axis=1)
    return gap * FRAME_SAMPLES / SAMPLE_RATE <= cfg.change_s


def build_voice(
    name: str, feats: WindowFeatures, idx: np.ndarray, others: np.ndarray, cfg: DiarizeConfig
) -> VoiceProfile:
    """A voice profile from a cluster's core: its windows nearest the cluster's centre,
    leaving out those next to another voice's window where enough remain (a change of
    speaker or an overlap: a frame model that has learnt the other voice's onset as its
    own holds the floor through a cut-in)."""
    embs = feats.windows.embs
    centre = embs[idx].mean(axis=0)
    clean = idx[~_near_change(feats.windows.starts, idx, others, cfg)]
    pool = clean if len(clean) >= cfg.core_min_clean else idx
    near = pool[np.argsort(-(embs[pool] @ centre))][: cfg.core_windows]
    core = np.sort(near)  # in time order: the earliest come first
    emb = embs[core].mean(axis=0)
    emb /= np.linalg.norm(emb) + 1e-12
    x = feats.cepstra(core)
    frames = FrameModel.fit(x) if len(x) >= 30 else None
    # The calm baseline on the earliest core speech: a quarrel, if any, comes later.
    per_window = WINDOW_FRAMES * FRAME_SAMPLES / SAMPLE_RATE
    early = core[: max(1, int(cfg.baseline_s / per_window))]
    baseline = _baseline(feats, early) or _baseline(feats, core)
    return VoiceProfile(name, emb, frames, baseline, n_utts=len(idx), enrolled=True)


def _baseline(feats: WindowFeatures, idx: np.ndarray) -> Baseline | None:
    blocks = [feats.block(int(k)) for k in idx]
    block = FrameBlock(
        0,
        np.concatenate([b.pcm for b, _ in blocks]),
        np.concatenate([b.level_db for b, _ in blocks]),
        np.concatenate([b.f0 for b, _ in blocks]),
        np.concatenate([b.aper for b, _ in blocks]),
        np.concatenate([b.tilt_db for b, _ in blocks]),
        np.concatenate([b.mfcc for b, _ in blocks]),
        np.concatenate([b.h1h2_db for b, _ in blocks]),
    )
    return Baseline.measure(block, np.concatenate([m for _, m in blocks]))


def discover(
    audio: np.ndarray | Source,
    cfg: DiarizeConfig | None = None,
    embedder: Embedder | None = None,
) -> list[VoiceProfile]:
    """The voices in a recording (an array, or a `Source` opening it), as profiles named
    speaker1, speaker2, ... in order of appearance (none for silence, noise or too
    little speech)."""
    cfg = cfg or DiarizeConfig()
    source = (lambda: iter([audio])) if isinstance(audio, np.ndarray) else audio
    windows = embed_windows(source, cfg, embedder or Embedder())
    feats = WindowFeatures(windows)
    found = voices(windows, feats, cfg)
    profiles = [
        build_voice(
            f"speaker{k + 1}",
            feats,
            idx,
            np.concatenate([o for j, o in enumerate(found) if j != k] or [np.zeros(0, int)]),
            cfg,
        )
        for k, idx in enumerate(found)
    ]
    log.info(
        "%d voice(s) found in %d speech windows: %s",
        len(profiles),
        len(windows.starts),
        ", ".join(f"{p.name} ({p.n_utts} windows)" for p in profiles),
    )
    return profiles
