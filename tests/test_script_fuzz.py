"""Fuzzed scripts: a broken script is always a ScriptError, never another exception.

The shipped scripts are mutated at random (keys deleted, values of the wrong type,
truncated text, garbage YAML, tabs, bad bytes); loading must either succeed or raise a
ScriptError that names the file. Seeded, so a failure can be replayed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from voicecoach.dialogue.script import SHIPPED_DIR, Script, ScriptError, check_script, load_script

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # fast C parser when available
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
NAMES = ["session", "pause", "imago", "timeout", "appreciation"]
GARBAGE = [
    ":",
    "{",
    "}",
    "[",
    "]",
    "- ",
    "&a",
    "*a",
    "!!",
    "%",
    "@",
    "`",
    "|",
    ">",
    "'",
    '"',
    "\t",
    "?",
    "#",
    ",",
    "\\",
    "é",
    "{sender",
    "}}",
    "\u2028",
    "\x00",
    "!!python/name:x",
]
SNIPPETS = [
    "&a [*a, *a]",
    "*undefined",
    "!!binary 'zz'",
    "? [a, b]\n: c",
    "key: [unclosed",
    "---\nsecond: doc",
    "steps: !!set {a, b}",
    "x: 2001-13-45",
    "y: !!float abc",
    "z: 1e99999",
    "%YAML 1.1\n---",
    "- id: x\n  kind: say\n  text: {a: b}",
]
VALUES: list[Any] = [
    None,
    0,
    -1,
    2.5,
    True,
    False,
    [],
    {},
    "",
    "x",
    ["a"],
    {"a": 1},
    "{bad}",
    "{sender",
    10**30,
    float("nan"),
    float("inf"),
    "nowhere",
    "sender",
    "each",
    "timeout",
    [{"id": "a"}],
    "yes",
    1.0e-9,
]


def text_mutation(rng: random.Random, text: str) -> str:
    if not text:
        return rng.choice(SNIPPETS)
    lines = text.splitlines(keepends=True) or [text]
    op = rng.randrange(9)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        return text[: rng.randrange(len(text))]
    elif op == 2:
        lines[i] = "\t" + lines[i]
    elif op == 3:
        pos = rng.randrange(len(text))
        return text[:pos] + rng.choice(GARBAGE) + text[pos + 1 :]
    elif op == 4:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 5:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 6:
        lines[i] = " " * rng.randrange(1, 5) + lines[i]
    elif op == 7:
        lines.insert(i, rng.choice(SNIPPETS) + "\n")
    else:
        lines[i] = lines[i].lstrip()
    return "".join(lines)


def data_mutation(rng: random.Random, data: Any) -> Any:
    steps = data.get("steps") if isinstance(data, dict) else None
    op = rng.randrange(7)
    if op == 0 or not isinstance(steps, list) or not steps:
        key = rng.choice(list(data) + ["steps", "on_heat", "extra"])
        if rng.random() < 0.5:
            data.pop(key, None)
        else:
            data[key] = rng.choice(VALUES)
        return data
    step = rng.choice(steps)
    if not isinstance(step, dict) or not step:
        return data
    key = rng.choice(list(step))
    if op == 1:
        del step[key]
    elif op == 2:
        step[key] = rng.choice(VALUES)
    elif op == 3:
        step["kind"] = rng.choice(
            [
                "say",
                "ask",
                "listen",
                "loop",
                "run",
                "timer",
                "swap",
                "breathe",
                "enroll",
                "monitor",
                "help",
                "end",
                "branch",
                "dance",
                3,
                None,
            ]
        )
    elif op == 4:
        steps.remove(step)
    elif op == 5:
        step[rng.choice(["next", "then", "else", "repeat", "exit", "on", "choices"])] = rng.choice(
            VALUES + [{"yes": "nowhere"}, {"no": 3}, {True: "a"}]
        )
    else:
        steps.insert(rng.randrange(len(steps) + 1), rng.choice(VALUES))
    return data


def mutate(rng: random.Random, name: str) -> bytes:
    text = (SHIPPED_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    kind = rng.randrange(4)
    for _ in range(rng.randrange(1, 4)):
        if kind == 0:
            text = text_mutation(rng, text)
        elif kind == 1:
            data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
            if not isinstance(data, dict):
                break
            data = data_mutation(rng, data)
            text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
        elif kind == 2:
            text = text_mutation(rng, text)
            if rng.random() < 0.5:
                text = text.replace("  ", "\t", 1)
        else:
            raw = bytearray(text.encode("utf-8")) or bytearray(b"x")
            raw[rng.randrange(len(raw))] = rng.choice([0xFF, 0xC3, 0x00, 0x80, 0x09])
            return bytes(raw)
    return text.encode("utf-8")


def load_or_error(path: Path) -> Script | ScriptError:
    try:
        check_script(path)
        return load_script(path)
    except ScriptError as exc:
        return exc


@pytest.mark.parametrize("name", NAMES)
def test_fuzzed_scripts_only_ever_raise_script_error(tmp_path: Path, name: str) -> None:
    rng = random.Random(f"voicecoach-{name}")
    errors = 0
    for i in range(250):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(mutate(rng, name))
        try:
            result = load_or_error(path)
        except Exception as exc:  # noqa: BLE001 - this is what the test is about
            pytest.fail(f"mutation {i} of {name} raised {exc!r}:\n{path.read_bytes()[:2000]!r}")
        if isinstance(result, ScriptError):
            errors += 1
            assert str(result).startswith(str(path)), str(result)
    assert errors > 60  # the mutations really do break things
