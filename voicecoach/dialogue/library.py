"""The set of scripts a session needs: the entry script and all it can run, checked.

Loaded once, before the session starts, so a broken or missing script is a clear
ScriptError at start-up and never a surprise in the middle of a hard conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from voicecoach.dialogue.script import Script, ScriptError, check_run_circles, load_script

log = logging.getLogger(__name__)

Scripts = Mapping[str, Script] | Callable[[str], Script] | None
"""Scripts by name, a loader ``name -> Script``, or None for ``load_script``."""


def load_set(scripts: Scripts, entry: str) -> dict[str, Script]:
    """Every script reachable from ``entry`` (by run or on_heat), checked for run-cycles."""
    get: Callable[[str], Script]
    if scripts is None:
        get = load_script
    elif isinstance(scripts, Mapping):
        table = scripts

        def _from_table(name: str) -> Script:
            if name not in table:
                raise ScriptError(f"no script named {name!r} (have: {', '.join(table)})")
            return table[name]

        get = _from_table
    else:
        get = scripts
    out: dict[str, Script] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out[name] = get(name)
        s = out[name]
        todo.extend(st.script for st in s.steps.values() if st.kind == "run" and st.script)
        if s.on_heat:
            todo.append(s.on_heat)
    check_run_circles(out)
    return out
