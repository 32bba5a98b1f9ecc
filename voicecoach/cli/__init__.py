"""The `voicecoach` command line: one module per command in this package.

Each command module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``main(args)``;
``COMMANDS`` lists them in the order ``--help`` shows them. ``EXAMPLES`` (a list of
command lines) ends the command's ``--help``; every command has some. User mistakes (a missing
device, model, file, a broken script) end with one clear sentence and exit code 2,
never a traceback. Ctrl-C ends a session cleanly: its log is written and closed first.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from types import ModuleType

from voicecoach import __version__
from voicecoach.errors import UserError
from voicecoach.offline import enforce_offline

log = logging.getLogger(__name__)

# Command modules, in the order --help lists them. A new command is a new module here.
COMMANDS = [
    "run",
    "enroll",
    "profiles",
    "forget",
    "demo",
    "devices",
    "voices",
    "analyze",
    "evaluate",
    "scripts",
    "report",
    "history",
    "config",
    "doctor",
    "helplines",
    "bench",
    "serve",
    "service",
]

EXAMPLES = [
    "voicecoach demo --out voicecoach-demo",
    "voicecoach run --partners Alex,Sam",
    "voicecoach report voicecoach-demo",
    "voicecoach doctor",
]


def epilog(examples: list[str]) -> str:
    """The examples that end a ``--help``, one command line each."""
    return "examples:\n" + "\n".join(f"  {line}" for line in examples)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"voicecoach.cli.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicecoach",
        description="An offline voice coach for couples in a hard conversation. Not therapy.",
        epilog=epilog(EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"voicecoach {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _modules():
        p = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            # A module may set its own epilog in add_arguments (serve, service) instead;
            # one with neither still shows how it is called.
            epilog=epilog(getattr(module, "EXAMPLES", [f"voicecoach {module.NAME}"])),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(handler=module.main)
        _examples_for_actions(p, module.NAME)
    return parser


def _examples_for_actions(p: argparse.ArgumentParser, command: str) -> None:
    """A command's actions (``scripts list``, ``config set``...) end their --help with
    the command's examples that use them (all of them when none does)."""
    lines = [ln.strip() for ln in (p.epilog or "").splitlines()[1:] if ln.strip()]
    for action in p._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, child in action.choices.items():
            if child.epilog:
                continue
            mine = [ln for ln in lines if ln.startswith(f"voicecoach {command} {name}")]
            child.epilog = epilog(mine or lines) if (mine or lines) else None
            child.formatter_class = argparse.RawDescriptionHelpFormatter


def main(argv: list[str] | None = None) -> int:
    enforce_offline()
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * args.verbose
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 0
    try:
        if getattr(args, "profile_dir", "") is None:  # enroll, profiles, forget, run...
            from voicecoach.config import load_settings

            args.profile_dir = load_settings().profile_dir  # the setting (None: automatic)
        result: int = args.handler(args)
        return result
    except UserError as exc:
        print(f"voicecoach: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nvoicecoach: stopped. The session log was saved.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
