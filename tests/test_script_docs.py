"""docs/scripts.md stays true: one valid example per step kind, and the step ids it lists
are the ones the engine really listens at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import Listen
from voicecoach.dialogue.script import KINDS, REPO, _Checker
from voicecoach.dialogue.yamlsource import parse
from voicecoach.lab.rehearse import Rehearsal, happy_replies

DOC = REPO / "docs" / "scripts.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_one_valid_example_per_step_kind() -> None:
    checker = _Checker(Path("docs/scripts.md"))
    kinds: list[str] = []
    for block in yaml_blocks():
        data = parse(block)
        if not isinstance(data, list):
            continue
        for raw, line in zip(data, data.item_lines, strict=True):
            kinds.append(checker.step(raw, line).kind)
    assert sorted(set(kinds)) == sorted(KINDS)


def documented_steps() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)`", text, flags=re.M))


def test_documented_listen_steps_are_the_real_ones() -> None:
    seen: set[str] = set()
    scenarios = [
        {},
        {"imago.more@Alex": ["Yes.", "No."], "imago.got_it@Alex": "No."},
        {"pause.safety@Sam": "I'm not sure.", "pause.offer": "Breathing."},
        {
            "pause.safety@Sam": "I'm not sure.",
            "pause.offer": "A timeout.",
            "pause.safety_after@Sam": "Yes.",
        },
        {"imago.send@Alex": [None, None, "I felt lonely."]},
    ]
    for extra in scenarios:
        table = happy_replies()
        table.update(extra)
        engine = Engine(None, ("Alex", "Sam"), entry="session", settings={"timeout_s": 20})
        r = Rehearsal(engine, table).run(until=4000)
        seen |= {a.step for a in r.actions(Listen)}
    assert seen == documented_steps()


@pytest.mark.parametrize("block", [b for b in yaml_blocks() if b.startswith("description")])
def test_script_shape_example_parses(block: str) -> None:
    data = parse(block)
    assert "steps" in data
