"""Private help information, shown on screen when someone may not be safe.

Shown, not read aloud (unless the ``speak_help`` setting says so): the partner who is
afraid may not want it heard. The text is per country; ``help_text`` overrides it.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

HELP: dict[str, str] = {
    "US": (
        "If you or someone else is in danger, call emergency services: 911.\n"
        "National Domestic Violence Hotline (free, confidential, 24/7): call 1-800-799-7233, "
        "or text START to 88788.\n"
        "If you are thinking about harming yourself: call or text 988 "
        "(Suicide & Crisis Lifeline)."
    ),
    "GB": (
        "If you or someone else is in danger, call emergency services: 999.\n"
        "National Domestic Abuse Helpline (free, 24/7): 0808 2000 247.\n"
        "If you are thinking about harming yourself: Samaritans, 116 123."
    ),
}
GENERIC = (
    "If you or someone else is in danger, call your local emergency number now.\n"
    "A local domestic violence helpline can talk with you in confidence; "
    "your doctor can help you find one."
)


def help_text(country: str = "US", override: str | None = None) -> str:
    """The help information for ``country`` (ISO code, e.g. "US", "GB")."""
    if override:
        return override
    text = HELP.get(country.upper())
    if text is None:
        log.warning("no help information for country %r; showing the generic text", country)
        return GENERIC
    return text
