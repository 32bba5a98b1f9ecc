"""`voicecoach serve`: sessions without a terminal, on this machine or a Wyoming satellite."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import add_profile_dir, add_session_options, enroll, partners

NAME = "serve"
HELP = "run as a quiet service: step in when talk heats up or when asked (smart speaker)"
EPILOG = """examples:
  voicecoach serve --partners Alex,Sam
  voicecoach serve --satellite tcp://192.168.1.20:10700 --partners Alex,Sam
  voicecoach serve --enroll Alex=alex.wav --enroll Sam=sam.wav
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Listen quietly; when the conversation heats up, or someone says 'coach, help us "
        "talk', run the pause and the guided dialogue; 'coach, stop' ends it. One session "
        "directory per conversation; plain log lines for a service manager."
    )
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "--satellite",
        metavar="tcp://HOST:PORT",
        help="use a Wyoming satellite (always streaming) as microphone and speaker",
    )
    p.add_argument("--device", help="microphone (without --satellite): name or index")
    p.add_argument("--output-device", help="speakers (without --satellite): name or index")
    p.add_argument(
        "--partners",
        type=partners,
        default=None,
        help="two names, e.g. Alex,Sam (default: the --enroll names, else settings)",
    )
    p.add_argument(
        "--enroll",
        type=enroll,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="learn a partner's voice from a recording (repeat for both)",
    )
    p.add_argument(
        "--log-dir",
        help="where the session directories go (default: the log_dir setting, "
        "~/.local/share/voicecoach/sessions)",
    )
    p.add_argument(
        "--max-sessions", type=int, default=0, help="stop after this many sessions (0: never)"
    )
    add_profile_dir(p)
    add_session_options(p)  # its --script is not used: serve runs the household script


def main(args: argparse.Namespace) -> int:
    from voicecoach.serve import serve

    return serve(args)
