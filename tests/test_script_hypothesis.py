"""Fuzzing the script loader with hypothesis (issue #17, item 5): whatever the file holds
-- random text, random YAML structures shaped like scripts, shipped scripts with random
edits -- `scripts check` either accepts it or raises a ScriptError (a UserError) that names
the file and a line, never another exception. Derandomized: CI runs the same examples."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicecoach.dialogue.script import KINDS, SHIPPED_DIR, ScriptError, check_script
from voicecoach.errors import UserError

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FILE_LINE = re.compile(r'^(?P<path>[^\n]+?), line (?P<line>[1-9]\d*)(, step "[^"]+")?: \S')
SHIPPED = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SHIPPED_DIR.glob("*.yaml"))}
IDS = ["a", "b", "c", "start", "end", "q", "pause", "x_1"]
FIELDS = sorted({k for spec in KINDS.values() for k in spec} | {"next", "else"})
WORDS = ["yes", "no", "unsure", "any", "sender", "each", "either", "partner1", "timeout"]
WORDS += ["yesno", "choice", "free", "first_round", "mirror_missed", "session", "{sender}"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(IDS + WORDS + list(KINDS))
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(IDS + WORDS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
steps = st.fixed_dictionaries(
    {"id": st.sampled_from(IDS) | values, "kind": st.sampled_from([*KINDS, "dance"]) | values},
    optional={field: st.sampled_from(IDS + WORDS) | values for field in FIELDS},
)
scripts = st.fixed_dictionaries(
    {"steps": st.lists(steps | values, max_size=6) | values},
    optional={"description": values, "on_heat": st.sampled_from(IDS) | values, "extra": values},
)
YAML_CHARS = list("abc-:{}[]#&*!|>'\" \n\t,?%@`\\é0123456789_") + ["\x00", "\u2028", "  ", "- "]


def check(content: str | bytes) -> None:
    """Load ``content`` as a script file; a ScriptError must name the file and a line."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzed.yaml"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        try:
            check_script(path)
        except ScriptError as exc:
            assert isinstance(exc, UserError)
            message = str(exc)
            m = FILE_LINE.match(message)
            assert m is not None, f"no file:line in {message!r}"
            named = Path(m.group("path"))
            # The fuzzed file itself, or a shipped script it runs (those are valid).
            assert named == path or named.parent == SHIPPED_DIR, message
            assert "\n" not in message, message


@FUZZ
@given(st.lists(st.sampled_from(YAML_CHARS) | st.text(max_size=3), max_size=40).map("".join))
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(scripts)
def test_random_structures_shaped_like_scripts(data: dict[str, Any]) -> None:
    check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@FUZZ
@given(
    st.sampled_from(sorted(SHIPPED)),
    st.lists(
        st.tuples(
            st.floats(0, 1, exclude_max=True),
            st.integers(0, 8),
            st.sampled_from(YAML_CHARS) | st.sampled_from(IDS + WORDS) | st.text(max_size=4),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_shipped_scripts_with_random_edits(name: str, edits: list[tuple[float, int, str]]) -> None:
    text = SHIPPED[name]
    for where, cut, insert in edits:
        i = int(where * len(text))
        text = text[:i] + insert + text[i + cut :]
    check(text)


@FUZZ
@given(st.sampled_from(sorted(SHIPPED)), st.binary(min_size=1, max_size=3), st.floats(0, 1))
def test_bad_bytes(name: str, junk: bytes, where: float) -> None:
    raw = SHIPPED[name].encode("utf-8")
    i = int(where * len(raw))
    check(raw[:i] + junk + raw[i:])


def test_the_fuzzers_find_errors_at_the_right_line() -> None:
    # A sanity check on the checker itself: an edit on a known line is reported there.
    text = SHIPPED["pause"].replace("    expect: yesno\n", "    expect: maybe\n", 1)
    line = text.splitlines().index("    expect: maybe") + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pause.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            check_script(path)
        except ScriptError as exc:
            assert str(exc).startswith(f'{path}, line {line}, step "safety": ')
        else:
            raise AssertionError("a broken expect was accepted")
