"""The session report as one self-contained HTML page, written for the couple.

No script, no stylesheet or font from elsewhere, no request of any kind: the timeline is
inlined SVG and the style sits in the page, so it opens the same offline, years later.
"""

from __future__ import annotations

from html import escape

from voicecoach.report.summary import Summary

STYLE = """
body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em}
.sub{color:#666}.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{border:1px solid #ddd;border-radius:8px;padding:.8em 1em;min-width:12em;flex:1}
.card b{font-size:1.5em;display:block}.bar{display:flex;height:1.4em;border-radius:4px;
overflow:hidden;margin:.4em 0}.bar span{color:#fff;font-size:.85em;padding:0 .4em;
white-space:nowrap;line-height:1.4em}svg{max-width:100%;height:auto}
ul{padding-left:1.2em}li{margin:.3em 0}.note{color:#666;font-size:.9em}
"""

COLOURS = ("#3b6fb6", "#d9822b")

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The page may load nothing at all: a request to anywhere is refused by the browser."""


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def _length(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.1f} minutes"


def _balance(s: Summary) -> str:
    share = s.talk_share
    if not s.partners or not sum(s.talk_s.values()):
        return "<p>No talking was recorded.</p>"
    spans = "".join(
        f'<span style="width:{max(share[p] * 100, 0.5):.1f}%;background:{COLOURS[i % 2]}">'
        f"{escape(p)} {share[p] * 100:.0f}%</span>"
        for i, p in enumerate(s.partners)
    )
    lines = ", ".join(f"{escape(p)} {_length(s.talk_s[p])}" for p in s.partners)
    even = max(share.values()) - min(share.values()) < 0.2
    note = "That is fairly even." if even else "One of you talked quite a bit more."
    return f'<div class="bar" id="balance">{spans}</div><p>{lines}. {note}</p>'


def _cards(s: Summary) -> str:
    who, longest = s.longest_monologue()
    calm = (
        _length(sum(s.heat_to_calm_s) / len(s.heat_to_calm_s))
        if s.heat_to_calm_s
        else ("not yet" if s.heat_unresolved else "no heated moment")
    )
    cards = [
        ("Talking over each other", f"{s.interruptions_per_10min:.1f}", "times per 10 minutes"),
        ("Raised voices", str(len(s.raised)), "times the coach heard a voice rise"),
        (
            "Longest stretch by one person",
            _length(longest) if who else "-",
            f"{escape(who)} talked without a break" if who else "",
        ),
        ("From heated to calm", calm, "until calm voices came back"),
    ]
    return "".join(
        f'<div class="card"><span>{title}</span><b>{value}</b><span class="note">{note}</span>'
        "</div>"
        for title, value, note in cards
    )


def _interventions(s: Summary) -> str:
    items = "".join(f"<li><b>{_clock(c.start)}</b> {escape(c.text)}</li>" for c in s.interventions)
    if not items:
        return '<p id="interventions">The coach did not need to step in this time.</p>'
    return f'<ul id="interventions">{items}</ul>'


_WELL = {
    "round": "Full rounds of listening (send, mirror, validate, empathy)",
    "mirror": "Times one of you mirrored the other",
    "validation": "Validations",
    "empathy": "Empathy",
    "appreciation": "Appreciations",
    "safe": "Said they felt safe",
}


def _went_well(s: Summary) -> str:
    if not s.moments:
        return "<p>This time there was no listening exercise. That is fine too.</p>"
    parts = ['<ul class="counts">']
    for kind, label in _WELL.items():
        n = s.count(kind)
        if n:
            parts.append(f"<li>{label}: <b>{n}</b></li>")
    parts.append("</ul><ul>")
    for m in s.moments:
        if m.kind in ("validation", "empathy", "appreciation"):
            parts.append(f"<li>{escape(m.speaker)}: &ldquo;{escape(m.text)}&rdquo;</li>")
    parts.append("</ul>")
    return "".join(parts)


def report_page(s: Summary, svg: str) -> str:
    names = " and ".join(escape(p) for p in s.partners)
    heading = f"{names}: your conversation" if names else "Your conversation"
    levels = (
        ""
        if s.has_levels
        else '<p class="note">This session\'s log has no loudness or pitch measurements '
        "(it was recorded by an older voicecoach).</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your conversation: {escape(s.name)}</title><style>{STYLE}</style></head>
<body>
<h1>{heading}</h1>
<p class="sub">Session {escape(s.name)}, {_length(s.duration_s)}. This is a picture of how
the talk went, not a judgement. voicecoach is not therapy.</p>
<h2>How it went, minute by minute</h2>
<p>Bars show who was talking. Red marks: <b>&#9650;</b> a raised voice, <b>&#10005;</b>
talking over the other. Dashed lines: the coach stepped in. Below, how much louder and
higher each of you sounded than in your own calm voice (0 is your calm).</p>
<div id="timeline">{svg}</div>{levels}
<h2>Who talked how much</h2>{_balance(s)}
<div class="cards">{_cards(s)}</div>
<h2>When the coach stepped in</h2>{_interventions(s)}
<h2>What went well</h2><div id="went-well">{_went_well(s)}</div>
</body></html>
"""
