"""No network in the tests: a socket guard, and subprocesses run without a network.

``install()`` makes every Python socket refuse to reach anything but a Unix socket (the
virtual PulseAudio speaks through one) and records who tried. ``python_offline()`` is the
command that starts a Python subprocess with no network at all: in its own empty network
namespace (``unshare -rn``) where the machine allows it, else with ``install()`` run first
(``python tests/netguard.py -m voicecoach ...``).
"""

from __future__ import annotations

import functools
import runpy
import socket
import subprocess
import sys
from pathlib import Path

attempts: list[str] = []

_real = {
    name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "sendto", "sendmsg")
}


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _refuse(name: str, allow_loopback: bool):
    real = _real[name]

    def guarded(self: socket.socket, *args, **kwargs):
        address = args[-1] if args else None
        host = address[0] if isinstance(address, tuple) and address else None
        local = allow_loopback and host in _LOOPBACK
        if self.family != socket.AF_UNIX and not local:
            attempts.append(f"{name} {address!r}")
            raise OSError(f"network access attempted in an offline test ({name})")
        return real(self, *args, **kwargs)

    return guarded


def install(allow_loopback: bool = False) -> None:
    """Refuse every socket but a Unix one; ``allow_loopback`` also lets a test reach a
    server it runs itself on 127.0.0.1 (the smart-speaker link's fake satellite)."""
    for name in _real:
        setattr(socket.socket, name, _refuse(name, allow_loopback))


def uninstall() -> None:
    for name, real in _real.items():
        setattr(socket.socket, name, real)


@functools.cache
def unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def python_offline() -> list[str]:
    """The start of a command line running this Python with no network."""
    if unshare_works():
        return ["unshare", "-rn", sys.executable]
    return [sys.executable, str(Path(__file__).resolve())]


if __name__ == "__main__":
    # python tests/netguard.py -m module args... | python tests/netguard.py -c code args...
    install()
    sys.path[0] = ""  # as `python -m`/`-c` would: the working directory, not tests/
    flag, target, *rest = sys.argv[1:]
    sys.argv = [target, *rest]
    if flag == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv[0] = "-c"
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
