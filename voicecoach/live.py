"""What the couple sees while the coach listens: a live panel, or plain lines.

``LiveState`` follows the session (a ``SessionObserver``): who is speaking, each
partner's last level and pitch against their own calm baseline, a heat gauge with its
reasons, the dialogue step, who holds the floor, a running timer, the last detection.
``RichView`` draws it as a panel under the transcript (fits 80 columns, works over ssh);
``PlainView`` prints one plain line per change, with no cursor codes, for a pipe or a
service manager. Both only watch: the session runs the same with or without them.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from voicecoach.transcript import format_event

HEAT_HALF_LIFE_S = 15.0
"""A detection's weight on the gauge halves every this many seconds of media time."""

WORDS_HEAT = 0.3
"""What a critical or contemptuous phrase adds to the gauge (words alone never alarm)."""

LOUD_DB = 6.0  # a turn this far above calm counts as loud
HIGH_ST = 3.0  # ... this many semitones above calm pitch as high

_TIMER = re.compile(r"\((\d+) (second|minute)s?\)\s*$")


@dataclass
class PartnerLevel:
    level_db: float | None = None  # above their calm level
    pitch_st: float | None = None  # above their calm pitch


@dataclass
class LiveState:
    """The live picture of a session, from its events (media time throughout)."""

    partners: list[str] = field(default_factory=list)
    t: float = 0.0
    speaking: str | None = None
    levels: dict[str, PartnerLevel] = field(default_factory=dict)
    step: str = ""
    floor: str | None = None
    timer_end: float | None = None  # s, when a running timer (a timeout) ends
    last_detection: str = ""
    # (t, weight, why, whose voice): a raised voice's reason is refined by its turn's levels
    heat_marks: list[tuple[float, float, str, str]] = field(default_factory=list)
    ended: bool = False

    # ------------------------------------------------------------ feeding

    def record(self, e: dict[str, Any]) -> None:
        kind = e.get("type")
        self.t = max(self.t, float(e.get("t", self.t)))
        if kind == "enroll":
            self._partner(e.get("speaker"))
        elif kind == "voice":
            who = e.get("speaker", "unknown")
            self._partner(who)
            lvl, base = e.get("level_db"), e.get("base_level_db")
            hz, base_hz = e.get("pitch_hz"), e.get("base_pitch_hz")
            self.levels[who] = PartnerLevel(
                lvl - base if lvl is not None and base is not None else None,
                12 * math.log2(hz / base_hz) if hz and base_hz else None,
            )
            # A raised voice is decided mid-turn; the turn's own levels, known at its end,
            # say better what was raised (loud, pitch) than the turn before it.
            start = float(e.get("start", self.t))
            self.heat_marks = [
                (t, w, self._why(who), v) if v == who and start <= t <= self.t else (t, w, why, v)
                for t, w, why, v in self.heat_marks
            ]
        elif kind == "detect":
            who = str(e.get("speaker"))
            if e.get("kind") == "interruption":
                self.heat_marks.append((self.t, float(e.get("score", 0.5)), "talk-over", ""))
            else:
                weight = max(0.5, float(e.get("score", 0.5)))
                self.heat_marks.append((self.t, weight, self._why(who), who))
            self.last_detection = format_event(e) or ""
        elif kind == "cue":
            self.heat_marks.append((self.t, WORDS_HEAT, "words", ""))
        elif kind == "step":
            self.step = f"{e.get('script')}.{e.get('step')}"
            self.timer_end = None  # a new step: any timer is over
        elif kind == "show":
            m = _TIMER.search(str(e.get("text", "")))
            if m:
                self.timer_end = self.t + int(m.group(1)) * (60 if m.group(2) == "minute" else 1)
        elif kind == "session" and e.get("state") == "end":
            self.ended = True
            self.speaking = None

    def voice(self, t: float, speaker: str | None) -> None:
        self.t = max(self.t, t)
        self.speaking = speaker

    def tick(self, t: float, floor: str | None) -> None:
        self.t = max(self.t, t)
        self.floor = floor

    def _partner(self, name: Any) -> None:
        if isinstance(name, str) and name not in self.partners and name != "unknown":
            self.partners.append(name)

    def _why(self, speaker: Any) -> str:
        lv = self.levels.get(str(speaker))
        reasons = []
        if lv and lv.level_db is not None and lv.level_db >= LOUD_DB:
            reasons.append("loud")
        if lv and lv.pitch_st is not None and lv.pitch_st >= HIGH_ST:
            reasons.append("pitch")
        return "+".join(reasons) or "voice strain"

    # ------------------------------------------------------------ reading

    def heat(self) -> tuple[float, list[str]]:
        """The gauge (0..1) now and what feeds it, strongest first."""
        by_reason: dict[str, float] = {}
        for t, weight, why, _ in self.heat_marks:
            w = weight * 0.5 ** (max(0.0, self.t - t) / HEAT_HALF_LIFE_S)
            by_reason[why] = by_reason.get(why, 0.0) + w
        level = min(1.0, sum(by_reason.values()))
        reasons = [r for r, w in sorted(by_reason.items(), key=lambda x: -x[1]) if w >= 0.05]
        return level, reasons

    def timer_left(self) -> float | None:
        if self.timer_end is None or self.t >= self.timer_end:
            return None
        return self.timer_end - self.t

    def status(self) -> str:
        """One line: what changed shows here (no time: it changes every frame)."""
        heat, why = self.heat()
        parts = [
            f"speaking: {self.speaking or '-'}",
            f"floor: {self.floor or '-'}",
            f"step: {self.step or '-'}",
            f"heat: {_band(heat)}" + (f" ({', '.join(why)})" if why else ""),
        ]
        for p in self.partners:
            lv = self.levels.get(p)
            if lv and lv.level_db is not None:
                parts.append(f"{p}: {lv.level_db:+.0f} dB")
        left = self.timer_left()
        if left is not None:  # whole minutes: a plain line per minute, not per second
            parts.append(f"timer: {math.ceil(left / 60)} min left")
        return " | ".join(parts)


def _band(heat: float) -> str:
    return "calm" if heat < 0.2 else "warm" if heat < 0.6 else "hot"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


class PlainView:
    """One plain line per change: transcript lines as they happen, and the status line
    whenever it differs from the last one printed. No cursor codes, nothing redrawn."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.state = LiveState()
        self._last = ""

    def record(self, data: dict[str, Any]) -> None:
        self.state.record(data)
        if data.get("type") != "step":
            line = format_event(data)
            if line:
                print(line, file=self.out, flush=True)
        self._changed()

    def voice(self, t: float, speaker: str | None) -> None:
        self.state.voice(t, speaker)
        self._changed()

    def tick(self, t: float, floor: str | None) -> None:
        self.state.tick(t, floor)
        self._changed()

    def _changed(self) -> None:
        line = self.state.status()
        if line != self._last:
            self._last = line
            print(f"[{self.state.t:7.2f}s] {line}", file=self.out, flush=True)

    def close(self) -> None:
        pass


class RichView:
    """A panel redrawn in place under the scrolling transcript (``rich.live``)."""

    WIDTH = 80

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = console or Console()
        self.state = LiveState()
        self._live = Live(self._panel(), console=self.console, auto_refresh=False, transient=False)
        self._live.start()
        self._shown = ""

    def record(self, data: dict[str, Any]) -> None:
        self.state.record(data)
        if data.get("type") != "step":
            line = format_event(data)
            if line:
                from rich.text import Text

                self.console.print(Text(line))
        self._refresh()

    def voice(self, t: float, speaker: str | None) -> None:
        self.state.voice(t, speaker)
        self._refresh()

    def tick(self, t: float, floor: str | None) -> None:
        self.state.tick(t, floor)
        self._refresh()

    def _refresh(self) -> None:
        # Redraw only when something shown changed (the clocks count whole seconds).
        key = f"{self.state.status()} {int(self.state.t)}"
        if key != self._shown:
            self._shown = key
            self._live.update(self._panel(), refresh=True)

    def _panel(self) -> Any:
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        s = self.state
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=10, no_wrap=True)
        grid.add_column(width=self.WIDTH - 16, no_wrap=True, overflow="ellipsis")
        grid.add_row("Speaking", Text(s.speaking or "nobody", style="bold"))
        for p in s.partners:
            lv = s.levels.get(p, PartnerLevel())
            grid.add_row(p[:10], _level_bar(lv))
        heat, why = s.heat()
        style = "green" if heat < 0.2 else "yellow" if heat < 0.6 else "bold red"
        gauge = Text("#" * round(heat * 20), style=style) + Text("." * (20 - round(heat * 20)))
        gauge += Text(f" {_band(heat)}" + (f": {', '.join(why)}" if why else ""))
        grid.add_row("Heat", gauge)
        grid.add_row("Step", Text(s.step or "-"))
        floor = {None: "open", "both": "both (listening)"}.get(s.floor, s.floor)
        grid.add_row("Floor", Text(str(floor)))
        left = s.timer_left()
        grid.add_row("Timer", Text(f"{_clock(left)} left" if left is not None else "-"))
        grid.add_row("Last", Text(s.last_detection.strip() or "-"))
        title = f"voicecoach  {_clock(s.t)}" + ("  (ended)" if s.ended else "")
        return Panel(grid, title=title, width=self.WIDTH, title_align="left")

    def close(self) -> None:
        self._live.update(self._panel(), refresh=True)
        self._live.stop()


def _level_bar(lv: PartnerLevel) -> Any:
    from rich.text import Text

    if lv.level_db is None:
        return Text("level: not measured yet")
    # -6 .. +12 dB over 18 cells; the calm level sits at cell 6.
    cells = max(0, min(18, round(lv.level_db + 6)))
    style = "green" if lv.level_db < 3 else "yellow" if lv.level_db < LOUD_DB else "bold red"
    bar = Text("|" * cells, style=style) + Text(" " * (18 - cells))
    pitch = f"  pitch {lv.pitch_st:+.1f} st" if lv.pitch_st is not None else ""
    return bar + Text(f" {lv.level_db:+.0f} dB vs calm{pitch}")


def make_view(
    quiet: bool, out: TextIO | None = None, partners: tuple[str, ...] = ()
) -> PlainView | RichView | None:
    """The view for this terminal: none when quiet, a panel on a terminal, else lines.
    ``partners``: the names the session knows from the start (shown before they speak)."""
    if quiet:
        return None
    stream = out or sys.stdout
    view: PlainView | RichView
    if stream.isatty():
        from rich.console import Console

        view = RichView(Console(file=stream))
    else:
        view = PlainView(stream)
    view.state.partners = list(partners)
    return view
