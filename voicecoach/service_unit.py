"""A systemd user unit for `voicecoach serve`: written, removed, and how to enable it.

A user unit (``~/.config/systemd/user``), not a system one: the coach runs as the person
whose voice profiles and logs it keeps, with their audio session. It restarts on failure
only: a clean stop (``systemctl --user stop``) stays stopped.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

UNIT_NAME = "voicecoach.service"


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def unit_text(serve_args: list[str], python: str = sys.executable) -> str:
    """The unit's text; ``serve_args`` follow ``voicecoach serve`` on its command line."""
    command = " ".join(shlex.quote(a) for a in [python, "-m", "voicecoach", "serve", *serve_args])
    return f"""[Unit]
Description=voicecoach: an offline coach for couples, listening quietly (not therapy)
After=sound.target network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={command}
Restart=on-failure
RestartSec=5
# Logs and voice profiles hold a couple's words and voices: private to this user.
UMask=0077
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=default.target
"""


def install(serve_args: list[str], directory: Path | None = None) -> Path:
    """Write the unit (0644 is what systemd expects of unit files; it holds no secrets)."""
    target = (directory or unit_dir()) / UNIT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(unit_text(serve_args), encoding="utf-8")
    return target


def uninstall(directory: Path | None = None) -> Path | None:
    """Remove the unit; the path removed, or None when there was none."""
    target = (directory or unit_dir()) / UNIT_NAME
    if not target.exists():
        return None
    target.unlink()
    return target


def enable_hint() -> str:
    user = os.environ.get("USER") or "$USER"
    return (
        "Enable and start it:\n"
        "  systemctl --user daemon-reload\n"
        f"  systemctl --user enable --now {UNIT_NAME}\n"
        "Start it at boot, before anyone logs in:\n"
        f"  sudo loginctl enable-linger {user}\n"
        "Follow its log:\n"
        f"  journalctl --user -u {UNIT_NAME} -f"
    )
