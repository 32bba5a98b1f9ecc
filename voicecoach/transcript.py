"""A readable transcript of a session, line by line as the events happen."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO


def format_event(e: dict[str, Any]) -> str | None:
    """One line for a person, or None for records that are only for tools."""
    t = f"[{e['t']:7.2f}s]"
    kind = e["type"]
    if kind == "say":
        return f"{t} Coach: {e['text']}"
    if kind == "heard":
        return f"{t} {e['speaker']}: {e['text']}"
    if kind == "detect":
        if e["kind"] == "interruption":
            return f"{t} ! {e.get('by', 'someone')} talked over {e['speaker']}"
        return f"{t} ! raised voice: {e['speaker']} (score {e['score']:.2f})"
    if kind == "safety":
        return f"{t} - {e['speaker']} answered the safety question: {e['answer']}"
    if kind == "show":
        return f"{t} [on screen]\n" + "\n".join(
            "            " + ln for ln in e["text"].splitlines()
        )
    if kind == "step":
        return f"{t} - step {e['script']}.{e['step']}"
    if kind == "enroll":
        return f"{t} - learned {e['speaker']}'s voice"
    if kind == "session":
        extra = f" ({e['reason']})" if e.get("reason") else ""
        return f"{t} - session {e['state']}{extra}"
    return None


def printer(out: TextIO = sys.stdout, *, steps: bool = False) -> Callable[[dict[str, Any]], None]:
    """A callback that prints each event as it is logged."""

    def _print(e: dict[str, Any]) -> None:
        if e["type"] == "step" and not steps:
            return
        line = format_event(e)
        if line:
            print(line, file=out, flush=True)

    return _print
