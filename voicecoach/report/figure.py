"""The session's timeline as a figure (matplotlib, no display, no fonts fetched).

Rows, sharing the time axis: the exercise's phases; who spoke when (with the coach, raised
voice and talking-over marks); each partner's loudness and pitch against their own calm.
The SVG's text is drawn as paths and its ids are fixed, so it needs no font and the same
log gives the same page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from voicecoach.report.summary import Summary

COLOURS = ("#3b6fb6", "#d9822b")  # partner 1, partner 2: tell apart in colour-blind eyes
COACH = "#6b8e23"
HEAT = "#c0392b"
PHASES = {
    "session": ("Getting started", "#eeeeee"),
    "pause": ("Pause", "#f6d6d2"),
    "timeout": ("Time apart", "#f3e2c3"),
    "imago": ("Listening exercise", "#d8e8f6"),
    "appreciation": ("Appreciation", "#dcefd8"),
}


def _phases(s: Summary) -> list[tuple[float, float, str]]:
    """(start, end, script) stretches: each step event starts its script's stretch."""
    out: list[tuple[float, float, str]] = []
    for t, script, _ in s.steps:
        if out and out[-1][2] == script:
            continue
        if out:
            out[-1] = (out[-1][0], t, out[-1][2])
        out.append((t, s.duration_s, script))
    return out


def timeline_figure(s: Summary):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = 4 if s.has_levels else 2
    ratios = [0.5, 1.2, 1.0, 1.0][:rows]
    fig = Figure(figsize=(10, 1.2 + 1.5 * rows), dpi=100)
    axes = fig.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    end = max(s.duration_s, 1.0)
    colour = {p: COLOURS[i % len(COLOURS)] for i, p in enumerate(s.partners)}

    ax = axes[0]
    for start, stop, script in _phases(s):
        label, fill = PHASES.get(script, (script.capitalize(), "#eeeeee"))
        ax.axvspan(start, stop, color=fill)
        if stop - start > end * 0.06:
            ax.text((start + stop) / 2, 0.5, label, ha="center", va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_ylabel("phase", rotation=0, ha="right", va="center", fontsize=9)

    ax = axes[1]
    names = [*s.partners, "Coach"]
    y = {name: len(names) - 1 - i for i, name in enumerate(names)}
    for p in s.partners:
        bars = [(t.start, t.end - t.start) for t in s.turns if t.speaker == p]
        ax.broken_barh(bars, (y[p] - 0.35, 0.7), color=colour[p])
    ax.broken_barh(
        [(c.start, c.end - c.start) for c in s.coach], (y["Coach"] - 0.35, 0.7), color=COACH
    )
    for c in s.interventions:
        for a in axes:
            a.axvline(c.start, color=COACH, lw=0.8, ls="--")
    for m in s.raised:
        if m.speaker in y:
            ax.plot(m.t, y[m.speaker] + 0.45, marker="^", color=HEAT, ms=8, ls="none")
    for m in s.interruptions:
        if m.speaker in y:
            ax.plot(m.t, y[m.speaker] + 0.45, marker="x", color=HEAT, ms=8, mew=2, ls="none")
    ax.set_yticks([y[n] for n in names], names)
    ax.set_ylim(-0.6, len(names) - 0.3)

    if s.has_levels:
        for ax, attr, unit, title in (
            (axes[2], "level_db", "dB", "louder than calm"),
            (axes[3], "pitch_st", "semitones", "higher than calm"),
        ):
            ax.axhline(0, color="#888888", lw=0.8)
            for p in s.partners:
                pts = [
                    ((t.start + t.end) / 2, getattr(t, attr))
                    for t in s.turns
                    if t.speaker == p and getattr(t, attr) is not None
                ]
                if pts:
                    xs, ys = zip(*pts, strict=True)
                    ax.plot(xs, ys, marker="o", ms=4, lw=1, color=colour[p], label=p)
            ax.set_ylabel(f"{title}\n({unit})", fontsize=9)
            ax.legend(loc="upper right", fontsize=8, frameon=False)
    axes[-1].set_xlim(0, end)
    axes[-1].set_xlabel("minutes into the session")
    ticks = [m * 60.0 for m in range(int(end // 60) + 1)]
    axes[-1].set_xticks(ticks, [str(int(t // 60)) for t in ticks])
    fig.tight_layout()
    return fig


def svg_text(fig) -> str:  # type: ignore[no-untyped-def]
    """``fig`` as SVG for inlining in HTML: no XML prolog, no RDF metadata block (its
    namespace addresses look like links), fixed ids (same figure, same text)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "voicecoach", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    return svg[svg.index("<svg") :]


def render(s: Summary, png: Path) -> str:
    """Write the timeline as ``png``; return it as SVG text for inlining."""
    fig = timeline_figure(s)
    fig.savefig(png, format="png")
    return svg_text(fig)
