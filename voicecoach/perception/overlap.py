"""Interruptions and overlap: a second voice starting while the first still talks.

With one microphone, talking over each other shows up inside ONE speech segment (the VAD
never sees the gap a polite turn leaves). Per speech frame we have each known voice's
cepstral log-likelihood; ``d`` = (best other voice) - (floor holder), clipped. The floor
holder's own speech gives d << 0, the other voice alone d >> 0, both at once d near 0
with frames won by either.

1. A change is suspected when the mean of d over the last ~0.3 s of speech rises above
   ``trigger`` after the floor was established.
2. The intruder's onset is the start of the maximum-sum suffix of d (CUSUM): the point
   from which the evidence for the other voice accumulates (searched from the last pause
   of a turn's length on: a voice heard after a pause started after it).
3. It is an interruption if the floor holder still clearly wins frames at least
   ``min_overlap_s`` after that onset (both talking); decided as soon as that is seen,
   at most ``decide_s`` after the onset. Otherwise it was a turn handover: the other
   voice simply has the floor now. A pause between the voices makes it a handover
   (``gap_s`` near the onset; or ``between_pause_s`` from just before the onset to
   the new voice heard alone, after which the overlap counts only where the floor
   holder clearly speaks on): a new turn right after the other's last words, or over
   their last syllable or breath, is lively turn-taking, not a fight.
Frames webrtcvad passes as speech but far below the recent speech (``quiet_db``: the
room, the line, a breath) are no evidence of who speaks.
The Overlap interval (onset .. floor holder's last clear frame) is reported once the
floor holder has been silent for ``overlap_end_s``.

Why one module of ~520 lines: it is one state machine (``OverlapDetector``) whose steps
(suspect, find the onset, measure, judge, take a second look, close) share the history of
per-frame evidence; splitting it would split that state, not the job.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from voicecoach.perception.features import frame_time
from voicecoach.perception.types import UNKNOWN, Interruption, Overlap
from voicecoach.timebase import FRAME_MS, frame_count

log = logging.getLogger(__name__)

FRAME_S = FRAME_MS / 1000.0


@dataclass(frozen=True)
class OverlapConfig:
    clip: float = 8.0  # nats: one frame's say is bounded
    smooth_s: float = 0.3  # speech in the trigger mean (10 frames)
    trigger: float = 1.0  # mean d that suggests another voice
    floor_s: float = 0.6  # floor holder's speech needed before any change (20 frames)
    floor_mean: float = -0.5  # ... with d this low on average: a clear floor (similar
    # voices never get far below zero; the d-vector check after the onset keeps precision)
    frame_margin: float = 2.0  # a frame clearly won by the floor holder
    floor_after_s: float = 0.06  # floor-won after the onset (2 frames): still talking (a
    # voice cutting in tends to be the louder one, so the floor holder clearly wins few
    # frames)
    min_overlap_s: float = 0.35  # both heard this long: a turn over the other's last
    # syllable or breath (up to ~0.2 s, measured ~0.1 s longer: the frames of a mix are
    # toss-ups) is a handover; cut-ins overlap 0.5 s and more. Tuning readers (24
    # cut-ins, 5 min of quick handovers): 0.2 -> 0.35 recall 70.8 -> 66.7 %, false
    # interruptions 4.95 -> 4.36/min
    decide_s: float = 1.0  # give up (= handover) this long after the onset
    lookback_s: float = 1.2  # speech searched back for the onset (40 frames)
    onset_shift: float = 0.3  # the onset's CUSUM runs on d less this fraction of the
    # floor holder's level (0.5 with 13 cepstra; the 20-cepstra model puts the floor
    # holder further below zero, and half of it started cut-ins early: over 4 dialogue
    # sets 81.5/94.6 % recall/precision at 0.3 against 83.3/92.8 at 0.5, attribution
    # 98.6 against 98.1 %)
    pure_run_s: float = 0.24  # frames in a row clearly the intruder's: heard alone (8:
    # shorter runs happen inside an overlap, between the floor holder's syllables)
    gap_before_s: float = 0.6  # before the onset searched for a pause (20 frames)
    gap_after_s: float = 0.45  # ... and after it (15 frames: the CUSUM may start the
    # intruder on the floor holder's last faint frame, before the pause of a handover)
    gap_s: float = 0.27  # a pause this long (9 frames) between voices: a turn, not a cut
    between_pause_s: float = 0.09  # a pause this long (3 frames) from `pause_before_s`
    # before the onset to the new voice heard alone (`pure_run_s`): the new voice came in
    # at the other's pause (while both talk on, both are rarely silent at once), and
    # the overlap counts only from the pause on
    pause_before_s: float = 0.18  # (6 frames)
    same_cut_s: float = 1.0  # a cut-in the second look reported and one found again
    # by the same voice from this before its onset to this after its overlap's end are
    # the same cut-in (reported once)
    onset_after_pause: bool = True  # the onset's search starts after the last pause of
    # `gap_s` in the lookback: a voice starting after a pause started there. In a
    # room the floor holder's soft, reverberant last words before a pause sit near d = 0
    # and the CUSUM ran back over the pause to them, so a change found after the pause was
    # placed up to a second early and outside the window where the gap rule looks
    quiet_db: float | None = None  # a "speech" frame this far below the loud part of
    # the recent speech is no evidence of who speaks: the breath, the room or the line
    # noise between turns that webrtcvad passes (speechocean762's recordings: noise at
    # -50..-60 dBFS, speech at -20..-30) sits near d = 0 with frames won by either voice
    # and starts changes in the pause before a handover. Off (None) by default: on the
    # tuning readers 25 dB cut false interruptions on quick handovers (4.4 -> 2.8/min)
    # but lost a third of the true cut-ins (recall 67 -> 46 %)
    level_s: float = 3.0  # speech (100 frames) whose 90th level percentile is the loud part
    overlap_end_s: float = 0.6  # floor holder silent this long: overlap over
    alone_s: float = 0.6  # ... or the last this much speech (20 frames) clearly the
    alone_slips_s: float = 0.09  # intruder's, at most this much (3 frames) floor-won


@dataclass(frozen=True)
class _Counts:
    """OverlapConfig's durations as frame counts (`timebase.frame_count`), made once."""

    smooth: int
    floor: int
    floor_after: int
    lookback: int
    pure_run: int
    gap_before: int
    gap_after: int
    gap: int
    between_pause: int
    pause_before: int
    level: int
    alone: int
    alone_slips: int

    @classmethod
    def of(cls, c: OverlapConfig) -> _Counts:
        """Each count from the setting of its name in seconds (``gap`` from ``gap_s``)."""
        return cls(**{f.name: frame_count(getattr(c, f"{f.name}_s")) for f in fields(cls)})


@dataclass(frozen=True)
class _Doubted:
    """A cut-in the first check turned down, waiting for the second look (`verify_late`):
    what would have been reported, had the first check agreed."""

    onset: int
    intruder: str
    floor: str
    overlap_s: float
    overlap_end: int  # frame (exclusive) where both stopped talking


@dataclass(frozen=True)
class TurnChange:
    """The floor passed to ``speaker`` at frame ``onset`` (a handover or an interruption);
    ``previous`` last clearly spoke at frame ``previous_end`` (exclusive)."""

    onset: int
    speaker: str
    previous: str
    previous_end: int
    interruption: bool


class OverlapDetector:
    def __init__(
        self,
        config: OverlapConfig | None = None,
        verify: Callable[[int, str, str], bool | None] | None = None,
        verify_late: Callable[[int, str, str], bool | None] | None = None,
    ) -> None:
        """``verify(onset, intruder, floor)``: an independent check (the listener embeds
        the 0.84 s after the onset): False = no change, None = cannot tell yet.

        ``verify_late``: the same question asked later, past the overlap, of a cut-in
        that ``verify`` turned down (while both talk the floor holder's voice can
        dominate the first window). It only reports: the interruption and its overlap
        are emitted when it agrees, but the floor and the utterances were already
        settled on the first check's word and stay so, because waiting for the second
        look would hold back every other decision about who has the floor."""
        self.cfg = config or OverlapConfig()
        self.n = _Counts.of(self.cfg)  # its durations in frames
        self.verify = verify
        self.verify_late = verify_late
        self.floor = UNKNOWN
        self._levels: deque[float] = deque(maxlen=self.n.level)
        self._reset()

    def _reset(self) -> None:
        self.changes: list[TurnChange] = []  # drained by the listener to split utterances
        self._ll_sum: dict[str, float] = {}
        self._idx: list[int] = []
        self._d: list[float] = []
        self._other: list[str] = []
        self._lls: list[dict[str, float]] = []  # each frame's log-likelihoods (rebase)
        self._cand: tuple[str, int, int] | None = None  # (intruder, onset idx, list pos)
        self._overlap: tuple[int, int] | None = None  # (onset frame, last floor frame)
        self._intruder: str | None = None
        self._speech: deque[tuple[int, bool]] = deque(maxlen=128)
        self._frame_levels: deque[tuple[int, float]] = deque(maxlen=128)  # (frame, dB)
        self._quiet_until = -1
        self._doubted: _Doubted | None = None
        self._late_reported: _Doubted | None = None  # the last one the second look confirmed

    def open(self, start: int, speaker: str) -> None:
        self.floor = speaker
        self._reset()

    @property
    def idle(self) -> bool:
        """No change is being judged and no overlap is open."""
        return self._cand is None and self._overlap is None

    def set_floor(self, speaker: str) -> None:
        """The segment's speaker as named by the embedder (ignored mid-change)."""
        if self._cand is None and self._overlap is None and speaker != self.floor:
            self.floor = speaker
            self._forget()

    def step(
        self, idx: int, speech: bool, level: float, aper: float, lls: dict[str, float]
    ) -> list[Interruption | Overlap]:
        cfg = self.cfg
        out: list[Interruption | Overlap] = []
        if self._overlap is not None and idx - self._overlap[1] > cfg.overlap_end_s / FRAME_S:
            out.extend(self._end_overlap(idx))
        if self._doubted is not None:
            out.extend(self._second_look(idx))
        self._frame_levels.append((idx, level))
        if speech and self._quiet(level):
            speech, lls = False, {}
        self._speech.append((idx, speech))
        if not speech or len(lls) < 2:
            return out
        if self.floor not in lls:
            # No floor holder yet: the voice best supported over the first frames takes it.
            for k, v in lls.items():
                self._ll_sum[k] = self._ll_sum.get(k, 0.0) + v
            self._idx.append(idx)
            if len(self._idx) >= self.n.floor:
                self.floor = max(self._ll_sum, key=lambda k: self._ll_sum[k])
                self._forget()
            return out
        d = self._remember(idx, lls)
        if self._overlap is not None:
            if d <= -cfg.frame_margin:
                self._overlap = (self._overlap[0], idx)
            # With similar voices a few of the intruder's own frames look like the old
            # floor holder's, which alone would keep the overlap open (and the next
            # change unseen) for as long as the intruder talks: once the recent speech
            # is clearly the intruder's alone, the overlap is over.
            recent = self._d[-self.n.alone :]
            if (
                self.n.alone
                and len(recent) == self.n.alone
                and idx - self._overlap[0] >= self.n.alone
                and float(np.mean(recent)) >= cfg.trigger
                and sum(x <= -cfg.frame_margin for x in recent) <= self.n.alone_slips
            ):
                log.debug(
                    "overlap from %.2f over at %.2f: intruder alone",
                    frame_time(self._overlap[0]),
                    frame_time(idx),
                )
                out.extend(self._end_overlap(idx))
            return out
        if self._cand is None and idx >= self._quiet_until:
            self._maybe_candidate()
        if self._cand is not None:
            out.extend(self._judge(idx))
        return out

    def _quietest(self, lo: int, hi: int) -> int:
        """The frame of lowest level from ``lo`` to ``hi`` (inclusive; ``hi`` if none
        is kept): where one turn ends and the next begins. Between the floor holder's
        last clear frame and the new voice's onset lie the one's soft last sounds, the
        pause and the other's soft first ones; cutting at the quietest point gives each
        voice its own (left to neither, they were speech nobody was named for)."""
        levels = [(lv, i) for i, lv in self._frame_levels if lo <= i <= hi]
        return min(levels)[1] if levels else hi

    def _quiet(self, level: float) -> bool:
        """Is a speech frame at ``level`` (dB) far below the recent speech (`quiet_db`)?"""
        if self.cfg.quiet_db is None:
            return False
        self._levels.append(level)
        if len(self._levels) < self.n.level // 4:
            return False
        return level < float(np.percentile(self._levels, 90)) - self.cfg.quiet_db

    def _maybe_candidate(self) -> None:
        cfg = self.cfg
        n = len(self._d)
        if n < self.n.floor + self.n.smooth:
            return
        recent = np.array(self._d[-self.n.smooth :])
        if recent.mean() < cfg.trigger:
            return
        lo = max(0, n - self.n.lookback)
        floor_level = float(np.median(self._d[:lo] or self._d[: n - self.n.smooth]))
        if floor_level > cfg.floor_mean:
            log.debug(
                "change near %.2f ignored: floor %s never clear (%.2f)",
                frame_time(self._idx[-1]),
                self.floor,
                floor_level,
            )
            return  # the floor was never clearly this voice's
        # Onset: start of the maximum-sum suffix of d measured from between the floor
        # holder's usual level and zero (`onset_shift`): while both talk, d hovers near
        # zero, so the evidence starts accumulating when the second voice joins, not
        # when the first one stops.
        if cfg.onset_after_pause:
            lo = self._after_pause(lo)
        seg = np.array(self._d[lo:]) - cfg.onset_shift * floor_level
        suffix = np.cumsum(seg[::-1])[::-1]
        pos = lo + int(np.argmax(suffix))
        intruder = max(set(self._other[pos:]), key=self._other[pos:].count)
        self._cand = (intruder, self._idx[pos], pos)

    def _after_pause(self, lo: int) -> int:
        """The first list position from ``lo`` on that follows the last pause of at least
        `gap_s` (``lo`` if none; never past the latest frame)."""
        first = self._idx[lo]
        end = run = 0
        for i, sp in self._speech:
            run = 0 if sp else run + 1
            if i > first and run >= self.n.gap:
                end = i
        if not end:
            return lo
        pos = next((p for p in range(lo, len(self._idx)) if self._idx[p] > end), None)
        return len(self._idx) - 1 if pos is None else pos

    def _judge(self, idx: int) -> list[Interruption | Overlap]:
        cfg = self.cfg
        assert self._cand is not None
        intruder, onset, pos = self._cand
        waited = idx - onset
        verdict = None if self.verify is None else self.verify(onset, intruder, self.floor)
        if verdict is None and self.verify is not None and waited * FRAME_S < cfg.decide_s:
            return []  # the d-vector window after the onset is not complete yet
        overlap_end, overlap, gap = self._measure(pos, onset, idx)
        cut_in = gap < self.n.gap and overlap >= cfg.min_overlap_s
        if verdict is False:
            # The d-vector says the floor holder is still alone: frame-model noise, or
            # a cut-in whose overlap the floor holder's voice dominated (second look).
            log.debug("change to %s at %.2f not confirmed", intruder, frame_time(onset))
            if cut_in:
                log.debug(
                    "doubted cut-in measured: onset %.2f gap %d overlap %.2f",
                    frame_time(onset),
                    gap,
                    overlap,
                )
            if cut_in and self.verify_late is not None and not self._reported_late(onset, intruder):
                self._doubted = _Doubted(
                    onset, intruder, self.floor, round(overlap, 3), overlap_end
                )
            self._cand = None
            self._quiet_until = idx + self.n.smooth
            return []
        if cut_in:
            self._cand = None
            self._doubted = None  # this one is judged on the first check's word
            self.changes.append(TurnChange(onset, intruder, self.floor, overlap_end, True))
            if self._reported_late(onset, intruder):
                # The second look already reported this cut-in and its overlap: the
                # intruder has the floor from the overlap's end (no overlap left open to
                # hide the old holder cutting back in).
                self._rebase(intruder, overlap_end)
                return []
            log.debug(
                "cut-in measured: onset %.2f gap %d overlap %.2f", frame_time(onset), gap, overlap
            )
            self._intruder = intruder
            self._overlap = (onset, overlap_end - 1)
            log.debug("interruption by %s of %s at %.2f", intruder, self.floor, frame_time(onset))
            return [
                Interruption(
                    t=frame_time(idx + 1),
                    time=frame_time(onset),
                    speaker=intruder,
                    interrupted=self.floor,
                    overlap=round(overlap, 3),
                )
            ]
        # A handover (a pause between the voices, or no overlap): the other voice has the
        # floor from its onset.
        log.debug(
            "handover to %s at %.2f (gap %d frames, overlap %.2f s)",
            intruder,
            frame_time(onset),
            gap,
            overlap,
        )
        before = [
            i for i, d in zip(self._idx[:pos], self._d[:pos], strict=True) if d <= -cfg.frame_margin
        ]
        turn = self._quietest((before[-1] + 1) if before else onset, onset)
        self.changes.append(TurnChange(turn, intruder, self.floor, turn, False))
        self.floor = intruder
        self._cand = None
        self._forget()
        return []

    def _measure(self, pos: int, onset: int, idx: int) -> tuple[int, float, int]:
        """For a change at list position ``pos`` (frame ``onset``), judged at frame
        ``idx``: where both stopped talking (frame, exclusive), the overlap in seconds,
        and the longest pause around the onset (frames)."""
        cfg = self.cfg
        ds = self._d[pos:]
        ids = self._idx[pos:]
        floor_won = [i for i, d in zip(ids, ds, strict=True) if d <= -cfg.frame_margin]
        # Both talking until the intruder's voice is heard alone (a run of clear frames).
        mixed_end = idx + 1
        run = 0
        for i, d in zip(ids, ds, strict=True):
            run = run + 1 if d >= cfg.frame_margin else 0
            if run >= self.n.pure_run:
                mixed_end = i + 1 - run + 1
                break
        ends = [mixed_end] + ([floor_won[-1] + 1] if len(floor_won) >= self.n.floor_after else [])
        overlap_end = max(ends)
        overlap = frame_time(overlap_end - onset)
        gap = self._longest_gap(onset - self.n.gap_before, onset + self.n.gap_after)
        # A pause, however short, right before the onset or between it and the new
        # voice heard alone: the floor holder had stopped (or the onset fell in their
        # last words: similar voices' frames often look like each other's) and the new
        # voice began after the pause. Both talked only if the floor holder clearly
        # spoke on after it.
        resume = self._pause_end(onset - self.n.pause_before, mixed_end - 1)
        if resume is not None:
            after = [i for i in floor_won if i >= resume]
            overlap = (
                frame_time(after[-1] + 1 - resume) if len(after) >= self.n.floor_after else 0.0
            )
        return overlap_end, overlap, gap

    def _second_look(self, idx: int) -> list[Interruption | Overlap]:
        """Ask `verify_late` about the cut-in waiting for it; report it if it agrees."""
        doubted = self._doubted
        assert doubted is not None and self.verify_late is not None
        verdict = self.verify_late(doubted.onset, doubted.intruder, doubted.floor)
        if verdict is None:
            return []
        self._doubted = None
        if not verdict:
            return []
        # The first check saw no pause around the onset, but the CUSUM can start the
        # other voice up to a second early, inside the floor holder's last words: a pause
        # between the onset and the end of the "overlap" means a turn handover.
        if self._silent(doubted.onset, doubted.overlap_end) >= self.n.gap:
            log.debug(
                "change to %s at %.2f: a pause before the overlap's end, a handover",
                doubted.intruder,
                frame_time(doubted.onset),
            )
            return []
        log.debug(
            "interruption by %s of %s at %.2f (second look)",
            doubted.intruder,
            doubted.floor,
            frame_time(doubted.onset),
        )
        self._late_reported = doubted
        t = frame_time(idx + 1)
        return [
            Interruption(
                t=t,
                time=frame_time(doubted.onset),
                speaker=doubted.intruder,
                interrupted=doubted.floor,
                overlap=doubted.overlap_s,
            ),
            Overlap(t=t, start=frame_time(doubted.onset), end=frame_time(doubted.overlap_end)),
        ]

    def _reported_late(self, onset: int, intruder: str) -> bool:
        """Was this cut-in (the same intruder, onset from `same_cut_s` before the
        reported one's onset to `same_cut_s` after its overlap's end) already reported by
        the second look? The second look leaves the floor to the old holder, so the
        intruder still talking after the overlap looks like a new cut-in on it."""
        late = self._late_reported
        slack = self.cfg.same_cut_s / FRAME_S
        return (
            late is not None
            and late.intruder == intruder
            and late.onset - slack <= onset <= late.overlap_end + slack
        )

    def _silent(self, lo: int, hi: int) -> int:
        """Non-speech frames between frames lo and hi."""
        return sum(not sp for i, sp in self._speech if lo <= i <= hi)

    def _pause_end(self, lo: int, hi: int) -> int | None:
        """The frame after the last pause of at least `between_pause_s` between
        frames lo and hi (None: none)."""
        end, run = None, 0
        for i, sp in self._speech:
            if lo <= i <= hi:
                run = 0 if sp else run + 1
                if run >= self.n.between_pause:
                    end = i + 1
        return end

    def _longest_gap(self, lo: int, hi: int) -> int:
        """Longest run of non-speech frames between frames lo and hi."""
        best = run = 0
        for i, sp in self._speech:
            if lo <= i <= hi:
                run = 0 if sp else run + 1
                best = max(best, run)
        return best

    def _end_overlap(self, idx: int) -> list[Interruption | Overlap]:
        assert self._overlap is not None
        start, last = self._overlap
        self._overlap = None
        if self._intruder is not None:
            self.floor = self._intruder
        self._intruder = None
        self._forget()
        return [Overlap(t=frame_time(idx + 1), start=frame_time(start), end=frame_time(last + 1))]

    def _rebase(self, floor: str, start: int) -> None:
        """``floor`` holds the floor from frame ``start``: its speech since then is the
        new floor's evidence, so the old holder cutting back in soon after is judged
        without waiting for `floor_s` more speech."""
        self.floor = floor
        keep = [
            (i, ll)
            for i, ll in zip(self._idx, self._lls, strict=True)
            if i >= start and floor in ll
        ]
        self._forget()
        for i, ll in keep:
            self._remember(i, ll)

    def _remember(self, idx: int, lls: dict[str, float]) -> float:
        """Add frame ``idx`` to the evidence against the floor; return its ``d`` (the
        best other voice's log-likelihood less the floor holder's, clipped)."""
        others = {k: v for k, v in lls.items() if k != self.floor}
        other = max(others, key=lambda k: others[k])
        d = float(np.clip(others[other] - lls[self.floor], -self.cfg.clip, self.cfg.clip))
        self._idx.append(idx)
        self._d.append(d)
        self._other.append(other)
        self._lls.append(lls)
        return d

    def _forget(self) -> None:
        """Drop the evidence gathered against the floor (a new floor starts afresh)."""
        self._idx, self._d, self._other, self._lls = [], [], [], []

    def silence(self, idx: int) -> list[Interruption | Overlap]:
        return []

    def close(self, idx: int) -> list[Interruption | Overlap]:
        out: list[Interruption | Overlap] = []
        if self._overlap is not None:
            out.extend(self._end_overlap(idx))
        self._reset()
        return out
