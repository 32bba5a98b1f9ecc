"""The figures of one session, from its event log: pure (records in, numbers out).

Everything is on the log's media time. Who spoke when comes from ``voice`` records (any
speech, with level and pitch against the partner's calm baseline); a log written before
those existed falls back to the transcribed turns (``heard``), without level or pitch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HEAT_EPISODE_GAP_S = 30.0
"""Detections closer than this belong to one heated stretch."""

CALM_ABOVE_DB = 3.0
"""A turn at most this far above the speaker's calm level counts as calm again."""

MONOLOGUE_GAP_S = 2.0
"""One partner's turns with pauses shorter than this (and nobody else between) are one
stretch of talking."""

INTERVENTION_IDS = ("pause.", "timeout.", "safety.", "engine.hold_floor")
"""Coach lines that step into the conversation (rather than guide an exercise); the first
line of each such stretch counts as the coach stepping in."""

MIRROR_STEPS = ("imago.mirror", "imago.add_mirror", "imago.more_mirror", "imago.summary")
VALIDATE_STEPS = ("imago.validate",)
EMPATHY_STEPS = ("imago.empathy",)
APPRECIATION_STEPS = ("appreciation.first", "appreciation.second")
ROUND_DONE_STEPS = ("imago.empathy_thanks",)


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float  # s
    end: float  # s
    level_db: float | None = None  # above the speaker's calm level (None: not measured)
    pitch_st: float | None = None  # semitones above the speaker's calm pitch


@dataclass(frozen=True)
class Mark:
    t: float  # s
    kind: str  # "raised_voice" | "interruption" | "words"
    speaker: str  # raised voice / words: who; interruption: who cut in
    other: str | None = None  # interruption: who was talked over


@dataclass(frozen=True)
class CoachLine:
    id: str
    text: str
    start: float  # s
    end: float  # s
    intervention: bool = False  # the coach stepped in here (the first line of a pause, ...)


@dataclass(frozen=True)
class Moment:
    """Something that went well: who did it, what kind, in their words."""

    t: float  # s
    kind: str  # "mirror" | "validation" | "empathy" | "appreciation" | "round" | "safe"
    speaker: str
    text: str


@dataclass
class Summary:
    name: str  # the session's folder name
    duration_s: float
    partners: list[str]
    turns: list[Turn] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    coach: list[CoachLine] = field(default_factory=list)
    steps: list[tuple[float, str, str]] = field(default_factory=list)  # (t, script, step)
    moments: list[Moment] = field(default_factory=list)
    talk_s: dict[str, float] = field(default_factory=dict)
    heat_to_calm_s: list[float] = field(default_factory=list)  # one per heated stretch
    heat_unresolved: int = 0  # heated stretches with no calm turn after them
    has_levels: bool = False
    end_reason: str | None = None

    @property
    def talk_share(self) -> dict[str, float]:
        """Each partner's share of the talking, 0..1."""
        total = sum(self.talk_s.values())
        return {p: (self.talk_s.get(p, 0.0) / total if total else 0.0) for p in self.partners}

    @property
    def interruptions(self) -> list[Mark]:
        return [m for m in self.marks if m.kind == "interruption"]

    @property
    def raised(self) -> list[Mark]:
        return [m for m in self.marks if m.kind == "raised_voice"]

    @property
    def interruptions_per_10min(self) -> float:
        minutes = self.duration_s / 60.0
        return 10.0 * len(self.interruptions) / minutes if minutes > 0 else 0.0

    @property
    def interventions(self) -> list[CoachLine]:
        return [c for c in self.coach if c.intervention]

    def longest_monologue(self) -> tuple[str | None, float]:
        """(who, seconds) of the longest stretch one partner talked without the other."""
        best: tuple[str | None, float] = (None, 0.0)
        run: Turn | None = None
        for turn in sorted(self.turns, key=lambda x: x.start):
            if turn.speaker not in self.partners:
                continue
            if run and turn.speaker == run.speaker and turn.start - run.end < MONOLOGUE_GAP_S:
                run = Turn(run.speaker, run.start, max(run.end, turn.end))
            else:
                run = turn
            if run.end - run.start > best[1]:
                best = (run.speaker, run.end - run.start)
        return best

    def count(self, kind: str) -> int:
        return sum(1 for m in self.moments if m.kind == kind)

    def figures(self) -> dict[str, Any]:
        """The headline numbers (what ``history`` compares), JSON-ready."""
        who, longest = self.longest_monologue()
        return {
            "session": self.name,
            "minutes": round(self.duration_s / 60.0, 1),
            "talk_share": {p: round(s, 3) for p, s in self.talk_share.items()},
            "interruptions": len(self.interruptions),
            "interruptions_per_10min": round(self.interruptions_per_10min, 1),
            "raised_voices": len(self.raised),
            "longest_monologue_s": round(longest, 1),
            "longest_monologue_by": who,
            "heat_to_calm_s": (
                round(sum(self.heat_to_calm_s) / len(self.heat_to_calm_s), 1)
                if self.heat_to_calm_s
                else None
            ),
            "coach_stepped_in": len(self.interventions),
            "mirrors": self.count("mirror"),
            "validations": self.count("validation"),
            "appreciations": self.count("appreciation"),
            "rounds": self.count("round"),
        }


def _st(hz: float | None, base_hz: float | None) -> float | None:
    if not hz or not base_hz:
        return None
    return 12.0 * math.log2(hz / base_hz)


def summarize(events: Iterable[dict[str, Any]], name: str = "session") -> Summary:
    """The figures of a session from its records (unknown record types are ignored)."""
    events = sorted(
        (e for e in events if isinstance(e.get("t"), int | float)), key=lambda e: e["t"]
    )
    partners: list[str] = []
    voice_turns: list[Turn] = []
    heard_turns: list[Turn] = []
    marks: list[Mark] = []
    coach: list[CoachLine] = []
    steps: list[tuple[float, str, str]] = []
    moments: list[Moment] = []
    step = ""
    open_moment: tuple[int, str] | None = None  # (step entry, speaker) of the last moment
    end_t = 0.0
    end_reason = None
    for e in events:
        kind = e.get("type")
        end_t = max(end_t, float(e["t"]), float(e.get("end") or 0.0))
        if kind == "enroll" and e.get("speaker") and e["speaker"] not in partners:
            partners.append(e["speaker"])
        elif kind == "voice":
            level = e.get("level_db")
            base = e.get("base_level_db")
            voice_turns.append(
                Turn(
                    e.get("speaker", "unknown"),
                    float(e.get("start", e["t"])),
                    float(e.get("end", e["t"])),
                    level - base if level is not None and base is not None else None,
                    _st(e.get("pitch_hz"), e.get("base_pitch_hz")),
                )
            )
        elif kind == "heard":
            speaker = e.get("speaker", "unknown")
            heard_turns.append(
                Turn(speaker, float(e.get("start", e["t"])), float(e.get("end", e["t"])))
            )
            moment = _moment(step, float(e["t"]), speaker, str(e.get("text", "")))
            if moment and open_moment is not None and open_moment == (len(steps), speaker):
                # The same answer heard in pieces: one moment, its words joined.
                last = moments[-1]
                moments[-1] = Moment(last.t, last.kind, speaker, f"{last.text} {moment.text}")
            elif moment:
                moments.append(moment)
                open_moment = (len(steps), speaker)
        elif kind == "detect":
            if e.get("kind") == "interruption":
                marks.append(
                    Mark(e["t"], "interruption", e.get("by") or "unknown", e.get("speaker"))
                )
            else:
                marks.append(Mark(e["t"], "raised_voice", e.get("speaker", "unknown")))
        elif kind == "cue":
            marks.append(Mark(e["t"], "words", e.get("speaker", "unknown"), e.get("phrase")))
        elif kind == "say":
            line_id = str(e.get("id", ""))
            group = next((p for p in INTERVENTION_IDS if line_id.startswith(p)), None)
            before = coach[-1].id if coach else ""
            coach.append(
                CoachLine(
                    line_id,
                    str(e.get("text", "")),
                    float(e.get("start", e["t"])),
                    float(e.get("end", e["t"])),
                    intervention=group is not None and not before.startswith(group),
                )
            )
        elif kind == "step":
            step = f"{e.get('script', '')}.{e.get('step', '')}"
            steps.append((float(e["t"]), str(e.get("script", "")), str(e.get("step", ""))))
            if step in ROUND_DONE_STEPS:
                moments.append(Moment(e["t"], "round", "both", "a full round of listening"))
        elif kind == "safety" and e.get("answer") == "yes":
            moments.append(Moment(e["t"], "safe", e.get("speaker", "unknown"), "felt safe"))
        elif kind == "session" and e.get("state") == "end":
            end_reason = e.get("reason")
    turns = voice_turns or heard_turns
    for t in turns:
        if t.speaker not in partners and t.speaker != "unknown":
            partners.append(t.speaker)
    talk = {p: sum(t.end - t.start for t in turns if t.speaker == p) for p in partners}
    summary = Summary(
        name=name,
        duration_s=end_t,
        partners=partners,
        turns=turns,
        marks=marks,
        coach=coach,
        steps=steps,
        moments=moments,
        talk_s=talk,
        has_levels=any(t.level_db is not None for t in voice_turns),
        end_reason=end_reason,
    )
    summary.heat_to_calm_s, summary.heat_unresolved = _heat_to_calm(summary)
    return summary


def _moment(step: str, t: float, speaker: str, text: str) -> Moment | None:
    for steps, kind in (
        (MIRROR_STEPS, "mirror"),
        (VALIDATE_STEPS, "validation"),
        (EMPATHY_STEPS, "empathy"),
        (APPRECIATION_STEPS, "appreciation"),
    ):
        if step in steps and text.strip():
            return Moment(t, kind, speaker, text.strip())
    return None


def _heat_to_calm(s: Summary) -> tuple[list[float], int]:
    """Seconds from the first detection of each heated stretch to the first calm turn
    after its last detection (a measured level near the speaker's baseline; without
    levels, the first answer "yes, I feel safe")."""
    heat = sorted(m.t for m in s.marks if m.kind in ("raised_voice", "interruption"))
    episodes: list[tuple[float, float]] = []
    for t in heat:
        if episodes and t - episodes[-1][1] < HEAT_EPISODE_GAP_S:
            episodes[-1] = (episodes[-1][0], t)
        else:
            episodes.append((t, t))
    if s.has_levels:
        calm = [
            t.end
            for t in s.turns
            if t.level_db is not None and t.level_db <= CALM_ABOVE_DB and t.speaker in s.partners
        ]
    else:
        calm = [m.t for m in s.moments if m.kind == "safe"]
    out, unresolved = [], 0
    for first, last in episodes:
        after = [c for c in calm if c > last]
        if after:
            out.append(min(after) - first)
        else:
            unresolved += 1
    return out, unresolved
