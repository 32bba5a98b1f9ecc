"""Dialogue scripts: load a YAML script, check it thoroughly, and name the line of any fault.

A script is a list of steps run in order (``next`` jumps; branches pick a step by answer).
The language is described in docs/scripts.md. Every problem is a ``ScriptError`` whose
message names the file, the line and the step and says what was expected, because the
people editing these files are not necessarily programmers.

The checks that need the whole step graph are in `voicecoach.dialogue.scriptcheck`. The
rest stays in one module (~580 lines) on purpose: the table of step kinds and their
fields (``KINDS``) and the reader of one step (``_StepReader``) are one piece, whose
messages must stay worded alike, and splitting the table from its reader would only make
a newcomer read both to add a field.
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import voicecoach
from voicecoach.dialogue.yamlsource import LineList, LineMap, YamlSyntaxError, parse
from voicecoach.errors import UserError
from voicecoach.shipped import shipped_dir, user_dir

log = logging.getLogger(__name__)

REPO = Path(voicecoach.__file__).resolve().parent.parent
SHIPPED_DIR = shipped_dir("scripts")
USER_DIR = user_dir("scripts")

ROLES = ("sender", "receiver", "partner1", "partner2")
"""Who a step can address or listen to. sender/receiver change places at a ``swap``."""

ANSWERS = ("yes", "no", "unsure")
CONDITIONS = ("mirror_missed", "first_round", "second_round")
"""What a ``branch`` can test (see docs/scripts.md)."""

VARIABLES = frozenset(
    {"partner1", "partner2", "sender", "receiver", "to", "said", "duration", "round"}
    | {f"{role}_said" for role in ROLES}
)
"""Template variables a text may use, e.g. ``{sender}`` or ``{sender_said}``."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_WHO_HINT = "(sender, receiver or a partner name: partner1 or partner2)"


class ScriptError(UserError):
    """A dialogue script is broken; the message says where and what was expected."""


@dataclass(frozen=True)
class Step:
    """One validated step. Only the fields of its kind are set (see ``KINDS``)."""

    id: str
    kind: str
    line: int
    text: str | None = None
    to: str | None = None  # ask/say/loop: who is addressed ("each"/"either" for ask)
    who: str | None = None  # listen/enroll: whose turn it is
    expect: str | None = None  # ask: "yesno" | "choice" | "free"
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # choice -> words
    on: dict[str, str] = field(default_factory=dict)  # answer/result -> step id
    simpler: str | None = None  # ask: the simpler question after two unclear answers
    safety: bool = False  # ask: log each answer as a SafetyAnswer
    must_hear: bool = False  # say: cut off by a partner -> said again, once, in full
    next: str | None = None
    max_s: float | None = None  # listen/ask/enroll/monitor: longest wait for the turn
    cond: str | None = None  # branch
    then: str | None = None  # branch
    otherwise: str | None = None  # branch ("else" in YAML)
    repeat: str | None = None  # loop: first step of the body, run again on "yes"
    exit: str | None = None  # loop: where to go on "no" (or after max_rounds)
    max_rounds: int = 5  # loop
    script: str | None = None  # run
    result: str = "done"  # end
    length: float | str | None = None  # timer: seconds, or "timeout" (the setting)
    show: str | None = None  # timer: shown on screen while it runs
    checkin: str | None = None  # timer: spoken when it ends
    cycles: int = 3  # breathe
    in_s: float | None = None  # breathe: None -> setting
    out_s: float | None = None  # breathe: None -> setting
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # field -> line

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Script:
    name: str
    path: Path
    steps: dict[str, Step]  # in file order
    on_heat: str | None = None  # script run (then resumed from) when heat is detected
    description: str = ""

    @property
    def first(self) -> str:
        return next(iter(self.steps))

    def following(self, step_id: str) -> str | None:
        """The step written after ``step_id``, or None at the end of the file."""
        ids = list(self.steps)
        i = ids.index(step_id)
        return ids[i + 1] if i + 1 < len(ids) else None

    def default_next(self, step: Step) -> str | None:
        return step.next or self.following(step.id)


# ------------------------------------------------------------------ field specifications

# field name -> (required?, description of what is expected). Order is the doc order.
_COMMON = {"id": (True, "a step name"), "kind": (True, "a step kind"), "next": (False, "")}
KINDS: dict[str, dict[str, tuple[bool, str]]] = {
    "say": {
        "text": (True, "the words to say"),
        "to": (False, _WHO_HINT),
        "must_hear": (False, "true or false"),
    },
    "ask": {
        "text": (True, "the question"),
        "to": (True, "(sender, receiver, partner1, partner2, each or either)"),
        "expect": (True, "(yesno, choice or free)"),
        "choices": (False, "a map of choice -> words"),
        "on": (False, "a map of answer -> step"),
        "simpler": (False, "a simpler question"),
        "safety": (False, "true or false"),
        "max": (False, "seconds"),
    },
    "listen": {"who": (True, _WHO_HINT), "max": (False, "seconds")},
    "branch": {
        "if": (True, "a condition (" + ", ".join(CONDITIONS) + ")"),
        "then": (True, "a step"),
        "else": (True, "a step"),
    },
    "loop": {
        "text": (True, "the question, e.g. 'Is there more?'"),
        "to": (True, _WHO_HINT),
        "repeat": (True, "the step to go back to while the answer is yes"),
        "exit": (True, "the step to go to when the answer is no"),
        "max": (False, "the most rounds (a whole number)"),
    },
    "swap": {"text": (False, "the words to say after the swap")},
    "timer": {
        "length": (True, "seconds, or 'timeout' for the timeout setting"),
        "text": (False, "the words to say as it starts"),
        "show": (False, "text shown on screen while it runs"),
        "checkin": (True, "the words to say when it ends"),
    },
    "breathe": {
        "text": (False, "the words to say first"),
        "cycles": (False, "a whole number of breaths"),
        "in": (False, "seconds"),
        "out": (False, "seconds"),
    },
    "run": {"script": (True, "a script name"), "on": (False, "a map of result -> step")},
    "end": {"result": (False, "a word, e.g. continue or stop")},
    "enroll": {
        "who": (True, _WHO_HINT),
        "text": (True, "the request to say"),
        "max": (False, "seconds"),
    },
    "monitor": {
        "max": (False, "seconds"),
        "on": (False, "a map with request -> step (a spoken request such as 'help us talk')"),
    },
    "help": {},
}
_TOP = {"description", "steps", "on_heat"}


# ------------------------------------------------------------------ locating scripts


def resolve(name_or_path: str | Path, near: Path | None = None) -> Path:
    """The file for a script name or path. Names look in ``near``, the user dir, then repo."""
    p = Path(name_or_path).expanduser()
    if p.suffix in (".yaml", ".yml") or p.parent != Path("."):
        return p
    dirs = ([near] if near is not None else []) + [USER_DIR, SHIPPED_DIR]
    for d in dirs:
        candidate = d / f"{p.name}.yaml"
        if candidate.is_file():
            return candidate
    return SHIPPED_DIR / f"{p.name}.yaml"


def available_scripts() -> list[str]:
    """Names of the scripts a session can run: the user's and the shipped ones."""
    return sorted(script_files())


def script_files() -> dict[str, tuple[Path, str]]:
    """Script name -> (file, "yours" or "shipped"); the user's own win over shipped ones."""
    found: dict[str, tuple[Path, str]] = {}
    for d, origin in ((USER_DIR, "yours"), (SHIPPED_DIR, "shipped")):
        if d.is_dir():
            for p in sorted(d.glob("*.yaml")):
                if _ID.match(p.stem):
                    found.setdefault(p.stem, (p, origin))
    return found


def display(path: Path) -> str:
    """A short path for messages: relative to the repo or home when possible."""
    p = path.expanduser()
    try:
        return str(p.resolve().relative_to(REPO))
    except (ValueError, OSError):
        pass
    try:
        return "~/" + str(p.resolve().relative_to(Path.home()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def load_script(name_or_path: str | Path, *, _near: Path | None = None) -> Script:
    """Load and fully check a script; a name resolves to scripts/<name>.yaml."""
    path = resolve(name_or_path, _near)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Checker(path).fail(
            line, f"this is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None
    except FileNotFoundError:
        raise ScriptError(
            f"{display(path)}: no such script (looked for '{Path(name_or_path).name}' in "
            f"{display(USER_DIR)} and {display(SHIPPED_DIR)})"
        ) from None
    except OSError as exc:
        raise ScriptError(f"{display(path)}: cannot read the script ({exc})") from None
    script = parse_script(text, path)
    log.debug("loaded script %s (%d steps)", script.name, len(script.steps))
    return script


def check_script(path: str | Path) -> None:
    """Check a script, and that the scripts it runs exist, are valid and never run each
    other in a circle; raise ScriptError naming the file, line and step."""
    script = load_script(path)
    loaded = {script.name: script}
    todo = [script]
    while todo:
        s = todo.pop()
        for name, line, step in _called(s):
            if name in loaded:
                continue
            where = resolve(name, s.path.parent)
            if not where.is_file():
                raise _Checker(s.path).fail(
                    line,
                    f"runs the script {name!r}, which does not exist (looked for {name}.yaml "
                    f"next to it, in {display(USER_DIR)} and in {display(SHIPPED_DIR)})",
                    step,
                )
            loaded[name] = load_script(name, _near=s.path.parent)
            todo.append(loaded[name])
    check_run_circles(loaded)


def _called(script: Script) -> list[tuple[str, int, str | None]]:
    """(script name, line, step) of each script ``script`` runs (``on_heat`` too)."""
    out: list[tuple[str, int, str | None]] = [
        (st.script, st.line_of("script"), st.id)
        for st in script.steps.values()
        if st.kind == "run" and st.script
    ]
    if script.on_heat:
        out.append((script.on_heat, 0, None))
    return out


def check_run_circles(scripts: dict[str, Script]) -> None:
    """Refuse scripts that run each other in a circle (a session that could never end),
    naming the ``run`` step that closes it."""

    def visit(name: str, path: list[str]) -> None:
        chain = [*path, name]
        for callee, line, step in _called(scripts[name]):
            if step is None or callee not in scripts:
                continue  # on_heat runs its script between steps, not inside one
            if callee in chain:
                loop = " -> ".join([*chain[chain.index(callee) :], callee])
                raise _Checker(scripts[name].path).fail(
                    line, f"scripts run each other in a circle: {loop}", step
                )
            visit(callee, chain)

    for name in scripts:
        visit(name, [])


# ------------------------------------------------------------------ parsing and checking


class _Checker:
    """Turns the parsed YAML into Steps, raising ScriptError at the first fault."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = display(path)

    def fail(self, line: int, message: str, step: str | None = None) -> ScriptError:
        at = f", line {line}" if line else ""
        in_step = f', step "{step}"' if step else ""
        return ScriptError(f"{self.where}{at}{in_step}: {message}")

    # -- top level

    def script(self, data: Any) -> Script:
        if not isinstance(data, LineMap):
            line = getattr(data, "line", 1)
            raise self.fail(line, "a script must be a map with 'steps:' (a list of steps)")
        for key in data:
            if key not in _TOP:
                raise self.fail(
                    data.line_of(key), f"unknown key {key!r} (expected {', '.join(sorted(_TOP))})"
                )
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, LineList) or not raw_steps:
            raise self.fail(data.line_of("steps"), "'steps' must be a non-empty list of steps")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail(data.line_of("description"), "'description' must be text")
        on_heat = data.get("on_heat")
        if on_heat is not None and not (isinstance(on_heat, str) and _ID.match(on_heat)):
            raise self.fail(data.line_of("on_heat"), "'on_heat' must be a script name")
        steps: dict[str, Step] = {}
        for raw, line in zip(raw_steps, raw_steps.item_lines, strict=True):
            step = self.step(raw, line)
            if step.id in steps:
                raise self.fail(step.line, f"two steps are named {step.id!r}", step.id)
            steps[step.id] = step
        script = Script(self.path.stem, self.path, steps, on_heat, description)
        from voicecoach.dialogue.scriptcheck import check_graph  # it imports this module

        check_graph(script, self.fail)
        return script

    # -- one step

    def step(self, raw: Any, line: int) -> Step:
        if not isinstance(raw, LineMap):
            raise self.fail(line, "each step must be a map with 'id:' and 'kind:'")
        sid = raw.get("id")
        name = sid if isinstance(sid, str) else None
        if not isinstance(sid, str) or not _ID.match(sid):
            raise self.fail(
                raw.line_of("id"),
                "each step needs 'id' (a name in lower case letters, digits and _)",
                name,
            )
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            expected = ", ".join(KINDS)
            what = f"unknown step kind {kind!r}" if "kind" in raw else "missing 'kind'"
            raise self.fail(raw.line_of("kind"), f"{what} (expected one of {expected})", sid)
        spec = {**_COMMON, **KINDS[kind]}
        for key in raw:
            if key not in spec:
                takes = ", ".join(k for k in spec if k not in ("id", "kind"))
                raise self.fail(
                    raw.line_of(key), f"{kind!r} does not take {key!r} (it takes: {takes})", sid
                )
        for key, (required, hint) in spec.items():
            if required and key not in raw:
                raise self.fail(raw.line, f"{kind!r} needs {key!r} {hint}".rstrip(), sid)
        return _StepReader(self, raw, sid, kind).read()


class _StepReader:
    """Reads and type-checks the fields of one step."""

    def __init__(self, checker: _Checker, raw: LineMap, sid: str, kind: str) -> None:
        self.c = checker
        self.raw = raw
        self.sid = sid
        self.kind = kind
        self.lines: dict[str, int] = {k: raw.line_of(k) for k in raw if isinstance(k, str)}

    def fail(self, key: str, message: str) -> ScriptError:
        return self.c.fail(self.raw.line_of(key), message, self.sid)

    def text(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{key!r} must be some text (in quotes if it has a ':')")
        self.template(key, value)
        return value.strip()

    def template(self, key: str, value: str) -> None:
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise self.fail(
                key, f"{key!r} has a stray '{{' or '}}' ({exc}); write {{{{ or }}}} for a brace"
            ) from None
        for _, fname, spec, conv in parts:
            if fname is None:
                continue
            if fname not in VARIABLES or spec or conv:
                known = ", ".join("{" + v + "}" for v in sorted(VARIABLES))
                raise self.fail(key, f"unknown variable {{{fname}}} in {key!r} (known: {known})")

    def ref(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(key, f"{key!r} must name a step")
        return value

    def who(self, key: str, extra: tuple[str, ...] = ()) -> str | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        allowed = ROLES + extra
        if value not in allowed:
            hint = ", ".join(allowed[:-1]) + " or " + allowed[-1]
            raise self.fail(key, f"{self.kind!r} needs {key!r} ({hint}), not {value!r}")
        return str(value)  # one of the allowed roles

    def number(self, key: str, low: float, high: float) -> float | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            raise self.fail(key, f"{key!r} must be a number from {low:g} to {high:g}")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, f"{key!r} must be true or false")
        return value

    def whole(self, key: str, low: int, high: int, default: int) -> int:
        if key not in self.raw:
            return default
        value = self.raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"{key!r} must be a whole number from {low} to {high}")
        return value

    def word_map(self, key: str, allowed: tuple[str, ...] | None) -> dict[str, str]:
        if key not in self.raw:
            return {}
        value = self.raw[key]
        if not isinstance(value, LineMap) or not value:
            raise self.fail(key, f"{key!r} must be a map of answer -> step")
        out: dict[str, str] = {}
        for answer, target in value.items():
            if not isinstance(answer, str) or (allowed is not None and answer not in allowed):
                expected = ", ".join(allowed) if allowed else "words"
                raise self.c.fail(
                    value.line_of(answer),
                    f"{key!r} has {answer!r}, expected one of: {expected}",
                    self.sid,
                )
            if not isinstance(target, str) or not _ID.match(target):
                raise self.c.fail(
                    value.line_of(answer), f"'{key}: {answer}' must name a step", self.sid
                )
            out[answer] = target
            self.lines[f"{key}.{answer}"] = value.line_of(answer)
        return out

    def read(self) -> Step:
        r = self.raw
        kw: dict[str, Any] = {"id": self.sid, "kind": self.kind, "line": r.line}
        kw["next"] = self.ref("next")
        kw["text"] = self.text("text")
        k = self.kind
        if k in ("say", "loop"):
            kw["to"] = self.who("to")
        if k == "say":
            kw["must_hear"] = self.flag("must_hear")
        if k in ("listen", "enroll"):
            kw["who"] = self.who("who")
        if k in ("ask", "listen", "enroll", "monitor"):
            kw["max_s"] = self.number("max", 1, 24 * 3600)
        if k == "ask":
            self.ask(kw)
        elif k == "branch":
            cond = r["if"]
            if cond not in CONDITIONS:
                raise self.fail("if", f"'if' must be one of {', '.join(CONDITIONS)}, not {cond!r}")
            kw.update(cond=cond, then=self.ref("then"), otherwise=self.ref("else"))
        elif k == "loop":
            kw.update(
                repeat=self.ref("repeat"),
                exit=self.ref("exit"),
                max_rounds=self.whole("max", 1, 20, 5),
            )
        elif k == "timer":
            length = r["length"]
            if length != "timeout":
                length = self.number("length", 1, 24 * 3600)
            kw.update(length=length, show=self.text("show"), checkin=self.text("checkin"))
        elif k == "breathe":
            kw.update(
                cycles=self.whole("cycles", 1, 10, 3),
                in_s=self.number("in", 1, 20),
                out_s=self.number("out", 1, 20),
            )
        elif k == "run":
            name = r["script"]
            if not isinstance(name, str) or not _ID.match(name):
                raise self.fail("script", "'run' needs 'script' (a script name, e.g. pause)")
            kw.update(script=name, on=self.word_map("on", None))
        elif k == "monitor":
            kw["on"] = self.word_map("on", ("request",))
        elif k == "end":
            result = r.get("result", "done")
            if not isinstance(result, str) or not _ID.match(result):
                raise self.fail("result", "'result' must be a word, e.g. continue or stop")
            kw["result"] = result
        return Step(**kw, lines=self.lines)

    def ask(self, kw: dict[str, Any]) -> None:
        r = self.raw
        kw["to"] = self.who("to", ("each", "either"))
        expect = r["expect"]
        if expect not in ("yesno", "choice", "free"):
            raise self.fail("expect", f"'expect' must be yesno, choice or free, not {expect!r}")
        kw["expect"] = expect
        kw["simpler"] = self.text("simpler")
        safety = kw["safety"] = self.flag("safety")
        choices: dict[str, tuple[str, ...]] = {}
        if expect == "choice":
            raw = r.get("choices")
            if not isinstance(raw, LineMap) or len(raw) < 2:
                raise self.fail("choices", "a choice question needs 'choices' (two or more)")
            for name, words in raw.items():
                if isinstance(words, str):
                    words = [words]
                ok = isinstance(name, str) and _ID.match(name) and isinstance(words, list)
                if not ok or not words or not all(isinstance(w, str) and w for w in words):
                    raise self.c.fail(
                        raw.line_of(name),
                        f"choice {name!r} must be a name with a list of words that pick it",
                        self.sid,
                    )
                choices[name] = tuple(w.lower() for w in words)
        elif "choices" in r:
            raise self.fail("choices", "'choices' only goes with 'expect: choice'")
        kw["choices"] = choices
        allowed: tuple[str, ...] | None = {
            "yesno": ANSWERS,
            "choice": tuple(choices) + ("unsure",),
            "free": ("any",),
        }[expect]
        kw["on"] = self.word_map("on", allowed)
        if safety and (expect != "yesno" or "no" not in kw["on"]):
            raise self.fail(
                "safety", "a safety question needs 'expect: yesno' and 'on: no:' (where to go)"
            )


def parse_script(text: str, path: Path) -> Script:
    """Check ``text`` as the script at ``path`` (the name is the file's stem)."""
    checker = _Checker(path)
    if "\t" in text:
        for i, line in enumerate(text.splitlines(), 1):
            indent = line[: len(line) - len(line.lstrip())]
            if "\t" in indent:
                raise checker.fail(i, "a tab in the indentation; indent with spaces")
    try:
        data = parse(text)
    except YamlSyntaxError as exc:
        raise checker.fail(exc.line, f"this is not valid YAML: {exc}") from None
    if not _ID.match(path.stem):
        raise checker.fail(0, "a script's file name must be lower case letters, digits and _")
    return checker.script(data)
