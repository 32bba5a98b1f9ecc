"""Demo scenarios: who the simulated partners are and what they say, as YAML.

A scenario has two parts. ``opening`` is the conversation the coach overhears: lines
spoken one after another (``after``: seconds of silence before the line) or cutting
into the previous one (``overlap``: seconds before it ends), louder (``gain_db``) and
more strained (``effort`` 0..1) as it heats up. ``answers`` is what each partner says
when the coach gives them the floor, keyed by the dialogue step id; each step's lines
are used in order, the last one repeated if the coach asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import UserError

SCENARIO_DIR = Path(__file__).parent / "scenarios"


@dataclass(frozen=True)
class Line:
    who: str
    text: str
    after_s: float = 0.6  # silence after the previous line ends (YAML key: after)
    overlap_s: float = 0.0  # this line starts before the previous one ends (instead of
    # after; YAML key: overlap)
    effort: float = 0.0  # 0 calm .. 1 shouting (pitch, vocal effort, rate)
    gain_db: float = 0.0  # level relative to the partner's calm level
    interject: Line | None = None  # another partner cutting in during this line
    at_s: float = 0.0  # interjection only: after the line it cuts into starts (YAML: at)


@dataclass
class Scenario:
    name: str
    partners: dict[str, str]  # name -> voice ("joe", "female", ...)
    opening: list[Line]
    opening_on: str  # step id whose Listen starts the opening conversation
    answers: dict[str, dict[str, list[Line]]] = field(default_factory=dict)
    reaction_s: float = 0.7  # between the coach falling silent and a partner answering
    # (YAML key: reaction)

    def answer(self, who: str, step: str, turn: int) -> Line | None:
        lines = self.answers.get(who, {}).get(step) or self.answers.get(who, {}).get("default")
        if not lines:
            return None
        return lines[min(turn, len(lines) - 1)]


def _fail(path: Path, where: str, what: str) -> UserError:
    return UserError(f"{path}: {where}: {what}")


def _line(path: Path, where: str, raw: Any, partners: dict[str, str], default_who: str) -> Line:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise _fail(path, where, "expected a line: text, or a mapping with 'text'")
    who = raw.get("who", default_who)
    if who not in partners:
        raise _fail(path, where, f"unknown partner {who!r}; partners are {', '.join(partners)}")
    known = {"who", "text", "after", "overlap", "effort", "gain_db", "interject", "at"}
    extra = set(raw) - known
    if extra:
        raise _fail(path, where, f"unknown key(s) {', '.join(sorted(extra))}")
    interject = None
    if raw.get("interject") is not None:
        interject = _line(path, where + " interject", raw["interject"], partners, default_who)
    try:
        return Line(
            who=who,
            text=raw["text"],
            after_s=float(raw.get("after", 0.6)),
            overlap_s=float(raw.get("overlap", 0.0)),
            effort=float(raw.get("effort", 0.0)),
            gain_db=float(raw.get("gain_db", 0.0)),
            interject=interject,
            at_s=float(raw.get("at", 0.0)),
        )
    except (TypeError, ValueError) as exc:
        raise _fail(
            path, where, f"numbers expected for after/overlap/effort/gain_db/at ({exc})"
        ) from exc


def load_scenario(name_or_path: str | Path) -> Scenario:
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        names = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
        raise UserError(f"No demo scenario {name_or_path!r}; available: {', '.join(names)}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise _fail(path, "top level", "expected a mapping with partners, opening, answers")
    partners = data.get("partners")
    if not isinstance(partners, dict) or len(partners) != 2:
        raise _fail(path, "partners", "expected two partners: name: voice")
    partners = {str(k): str(v) for k, v in partners.items()}
    first = next(iter(partners))
    opening = [
        _line(path, f"opening[{i}]", raw, partners, first)
        for i, raw in enumerate(data.get("opening") or [])
    ]
    answers: dict[str, dict[str, list[Line]]] = {}
    for who, steps in (data.get("answers") or {}).items():
        if who not in partners:
            raise _fail(
                path, f"answers.{who}", f"unknown partner; partners are {', '.join(partners)}"
            )
        if not isinstance(steps, dict):
            raise _fail(path, f"answers.{who}", "expected step id: line(s)")
        answers[who] = {}
        for step, lines in steps.items():
            lines = lines if isinstance(lines, list) else [lines]
            answers[who][str(step)] = [
                _line(path, f"answers.{who}.{step}[{i}]", raw, partners, who)
                for i, raw in enumerate(lines)
            ]
    return Scenario(
        name=path.stem,
        partners=partners,
        opening=opening,
        opening_on=str(data.get("opening_on", "session.monitor")),
        answers=answers,
        reaction_s=float(data.get("reaction", 0.7)),
    )
