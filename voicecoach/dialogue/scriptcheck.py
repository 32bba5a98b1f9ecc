"""The checks of a script's step graph: every reference names a step, every loop has a way
out, every step is reached and leads to an end, and both partners get a turn.

`voicecoach.dialogue.script` parses a script step by step; these checks need the whole of
it, and name the line and step of the first fault through the parser's ``fail``.
"""

from __future__ import annotations

from collections.abc import Callable

from voicecoach.dialogue.script import ANSWERS, Script, ScriptError, Step

Fail = Callable[[int, str, str], ScriptError]
"""Makes the ScriptError for a fault at a line (0: none) of a step."""


def check_graph(script: Script, fail: Fail) -> None:
    """Raise the ScriptError for the first fault of ``script``'s step graph."""
    _references(script, fail)
    _loops(script, fail)
    _endings(script, fail)  # first: a circle also leaves its way out unreached
    _reachable_steps(script, fail)
    _turns(script, fail)


def _references(script: Script, fail: Fail) -> None:
    for st in script.steps.values():
        targets = [
            ("next", st.next),
            ("then", st.then),
            ("else", st.otherwise),
            ("repeat", st.repeat),
            ("exit", st.exit),
        ]
        targets += [(f"on.{answer}", target) for answer, target in st.on.items()]
        for key, target in targets:
            if target is not None and target not in script.steps:
                raise fail(
                    st.line_of(key),
                    f"refers to step {target!r}, which does not exist "
                    f"(steps: {', '.join(script.steps)})",
                    st.id,
                )


def _loops(script: Script, fail: Fail) -> None:
    for st in script.steps.values():
        if st.kind != "loop":
            continue
        assert st.repeat is not None and st.exit is not None
        if st.exit in (st.id, st.repeat):
            raise fail(st.line, "a loop without an exit: 'exit' must lead out of the loop", st.id)
        if st.id not in _reachable(script, st.repeat, stop=st.id):
            raise fail(
                st.line,
                f"the steps from 'repeat: {st.repeat}' never come back to this loop",
                st.id,
            )


def _reachable_steps(script: Script, fail: Fail) -> None:
    """Every step can be reached from the first one."""
    seen = _walk(script, [script.first], lambda sid: _outs(script, script.steps[sid]))
    for st in script.steps.values():
        if st.id not in seen:
            raise fail(
                st.line,
                "this step can never be reached: no step before it goes here "
                f"(point a 'next', an answer or a branch at {st.id!r}, or remove it)",
                st.id,
            )


def _endings(script: Script, fail: Fail) -> None:
    """Every step leads to an end: an ``end`` step, or running off the end of the file
    (result ``done``). Names a script with no end at all, or a circle of steps with no
    way out."""
    exits = [sid for sid, st in script.steps.items() if st.kind == "end" or _falls_off(script, st)]
    if not exits:
        last = list(script.steps.values())[-1]
        raise fail(
            last.line,
            "the script never ends: it has no 'end' step (kind: end), and its last step "
            "goes back up instead of ending",
            last.id,
        )
    into: dict[str, list[str]] = {sid: [] for sid in script.steps}
    for st in script.steps.values():
        for target in _outs(script, st):
            into[target].append(st.id)
    can_end = _walk(script, exits, lambda sid: into[sid])
    for st in script.steps.values():
        if st.id not in can_end:
            circle = _circle(script, st.id, can_end)
            raise fail(
                script.steps[circle[0]].line,
                f"these steps go round in a circle with no way out: {' -> '.join(circle)} "
                "(none of them leads to an 'end' step; give one an answer, 'exit' or "
                "'next' that leaves the circle)",
                circle[0],
            )


def _turns(script: Script, fail: Fail) -> None:
    listened = {
        (st.who, st.line, st.id)
        for st in script.steps.values()
        if st.kind in ("listen", "enroll") and st.who
    }
    whos = {w for w, _, _ in listened}
    roles_used = whos & {"sender", "receiver"}
    if roles_used and not any(st.kind == "swap" for st in script.steps.values()):
        line, sid = min((ln, s) for w, ln, s in listened if w in roles_used)
        raise fail(
            line,
            "a partner is left without a turn: only one partner is ever the sender; "
            "add a 'swap' step so both partners get to send",
            sid,
        )
    named = whos & {"partner1", "partner2"}
    if len(named) == 1:
        (only,) = named
        other = "partner2" if only == "partner1" else "partner1"
        line, sid = min((ln, s) for w, ln, s in listened if w == only)
        raise fail(
            line,
            f"a partner is left without a turn: {only} gets one but {other} never does",
            sid,
        )


def _outs(script: Script, st: Step) -> list[str]:
    """The steps ``st`` can go to next (as the engine runs it, skips included)."""
    if st.kind == "end":
        return []
    if st.kind == "branch":
        outs = [st.then, st.otherwise]
    elif st.kind == "loop":
        outs = [st.repeat, st.exit]
    else:
        outs = [*st.on.values()]
        if not _all_answered(st):
            outs.append(script.default_next(st))
    return list(dict.fromkeys(o for o in outs if o is not None))


def _all_answered(st: Step) -> bool:
    """An ask whose every possible answer has its own step (it never goes to ``next``)."""
    if st.kind != "ask":
        return False
    if "any" in st.on:
        return True
    answers = {"yesno": ANSWERS, "choice": (*st.choices, "unsure"), "free": ("any",)}
    return all(a in st.on for a in answers[st.expect or "free"])


def _falls_off(script: Script, st: Step) -> bool:
    """After ``st`` the engine may run off the end of the file (ending the script)."""
    if st.kind in ("end", "branch", "loop") or _all_answered(st):
        return False
    return script.default_next(st) is None


def _walk(script: Script, start: list[str], nexts: Callable[[str], list[str]]) -> set[str]:
    """Steps reached from ``start`` following ``nexts(step_id)``."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in script.steps:
            continue
        seen.add(sid)
        todo.extend(nexts(sid))
    return seen


def _circle(script: Script, start: str, can_end: set[str]) -> list[str]:
    """A circle of steps, from ``start``, none of which can reach an end: each such step
    only goes to others like it, so following the first way on comes back round."""
    path: list[str] = []
    sid = start
    while sid not in path:
        path.append(sid)
        sid = next(o for o in _outs(script, script.steps[sid]) if o not in can_end)
    return [*path[path.index(sid) :], sid]


def _reachable(script: Script, start: str, stop: str) -> set[str]:
    """Steps reachable from ``start`` (not walking past ``stop``)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        if sid == stop:
            continue
        st = script.steps[sid]
        if st.kind == "end":
            continue
        outs = [st.then, st.otherwise, st.repeat, st.exit, *st.on.values()]
        nxt = script.default_next(st)
        if st.kind != "branch":
            outs.append(nxt)
        todo.extend(o for o in outs if o is not None)
    return seen
