"""`voicecoach service install|uninstall`: run `serve` at boot as a systemd user unit."""

from __future__ import annotations

import argparse

NAME = "service"
HELP = "install or remove the systemd user unit that runs `voicecoach serve`"
EPILOG = """examples:
  voicecoach service install --partners Alex,Sam
  voicecoach service install --satellite tcp://192.168.1.20:10700 --partners Alex,Sam
  voicecoach service uninstall
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="service_command", metavar="ACTION")
    inst = sub.add_parser("install", help="write the unit; the options are passed to serve")
    inst.add_argument("--satellite", metavar="tcp://HOST:PORT")
    inst.add_argument("--partners", help="two names, e.g. Alex,Sam")
    inst.add_argument("--log-dir")
    inst.add_argument("--model")
    inst.add_argument("--unit-dir", help=argparse.SUPPRESS)  # tests write elsewhere
    uninst = sub.add_parser("uninstall", help="remove the unit")
    uninst.add_argument("--unit-dir", help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from voicecoach import service_unit
    from voicecoach.errors import UserError

    directory = Path(args.unit_dir) if getattr(args, "unit_dir", None) else None
    if args.service_command == "install":
        if args.partners:
            from voicecoach.cli.options import partners

            try:
                partners(args.partners)
            except argparse.ArgumentTypeError as exc:
                raise UserError(str(exc)) from exc
        if args.satellite:
            from voicecoach.satellite.link import parse_uri

            parse_uri(args.satellite)
        serve_args: list[str] = []
        for flag in ("satellite", "partners", "log_dir", "model"):
            value = getattr(args, flag)
            if value:
                serve_args += [f"--{flag.replace('_', '-')}", value]
        path = service_unit.install(serve_args, directory)
        print(f"Wrote {path}")
        print(service_unit.enable_hint())
        return 0
    if args.service_command == "uninstall":
        removed = service_unit.uninstall(directory)
        if removed is None:
            print("No voicecoach unit was installed.")
        else:
            print(f"Removed {removed}. Run `systemctl --user daemon-reload` to forget it.")
        return 0
    raise UserError("use 'voicecoach service install' or 'voicecoach service uninstall'")
