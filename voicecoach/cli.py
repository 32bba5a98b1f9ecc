"""The `voicecoach` command line: run, demo, devices, analyze, eval, scripts, voices, bench.

User mistakes (a missing device, model, file, a broken script) end with one clear
sentence and exit code 2, never a traceback. Ctrl-C ends a session cleanly: its log
is written and closed first.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from voicecoach import __version__
from voicecoach.errors import UserError
from voicecoach.offline import enforce_offline

log = logging.getLogger(__name__)


def _partners(text: str) -> tuple[str, str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise argparse.ArgumentTypeError("give two different names, e.g. --partners Alex,Sam")
    return names[0], names[1]


def _enroll(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError("use NAME=FILE, e.g. --enroll Alex=alex.wav")
    return name, path


def _add_session_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="base", help="Whisper model: base (default) or tiny.en")
    p.add_argument("--voice", default="en_US-joe-medium", help="the coach's Piper voice")
    p.add_argument("--script", default="session", help="dialogue script to start (default session)")
    p.add_argument("--quiet", action="store_true", help="do not print the transcript")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicecoach",
        description="An offline voice coach for couples in a hard conversation. Not therapy.",
    )
    parser.add_argument("--version", action="version", version=f"voicecoach {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="listen on the microphone (or a recording) and coach")
    run.add_argument("--input", help="a WAV/FLAC recording instead of the microphone")
    run.add_argument("--output", help="write the coach's voice to this WAV instead of the speakers")
    run.add_argument("--device", help="microphone: name (or part of it) or index")
    run.add_argument("--output-device", help="speakers: name (or part of it) or index")
    run.add_argument(
        "--partners", type=_partners, default=("Alex", "Sam"), help="two names, e.g. Alex,Sam"
    )
    run.add_argument(
        "--log-dir",
        help="where events.jsonl goes (default: ~/.local/share/voicecoach/sessions/<time>)",
    )
    run.add_argument(
        "--aec", choices=["on", "off"], default="on", help="cancel the coach's own echo (mic only)"
    )
    _add_session_options(run)

    demo = sub.add_parser("demo", help="play a whole simulated session (no microphone needed)")
    demo.add_argument(
        "--out", default="voicecoach-demo", help="folder for session.wav, events.jsonl"
    )
    demo.add_argument("--scenario", default="heated", help="scenario name or YAML file")
    _add_session_options(demo)

    sub.add_parser("devices", help="list audio devices")
    sub.add_parser("voices", help="list the Piper voices the coach can use")

    an = sub.add_parser("analyze", help="who spoke when, raised voices and interruptions in a file")
    an.add_argument("audio")
    an.add_argument("--calibration", help="calm speech of the (single) expected voice")
    an.add_argument("--enroll", type=_enroll, action="append", default=[], metavar="NAME=FILE")
    an.add_argument("--json", action="store_true", help="print JSON")

    evp = sub.add_parser("eval", help="measure the detectors on a data directory")
    evp.add_argument("--data", required=True, help="e.g. ../shared/dev-audio")
    evp.add_argument("--json", action="store_true")
    evp.add_argument("--dialogue-sets", type=int, default=1, choices=range(1, 5), metavar="N",
                     help="also report N (2-4) sets of composed dialogues in aggregate")

    sc = sub.add_parser("scripts", help="dialogue scripts: list, check")
    scs = sc.add_subparsers(dest="scripts_command", metavar="ACTION")
    chk = scs.add_parser("check", help="validate script files")
    chk.add_argument("files", nargs="+")
    scs.add_parser("list", help="list available scripts")

    bench = sub.add_parser("bench", help="measure latency, speed and memory; prints JSON")
    bench.add_argument("--quick", action="store_true", help="shorter idle measurement")
    return parser


def _cmd_devices(args: argparse.Namespace) -> int:
    from voicecoach.audio.devices import format_devices

    print(format_devices())
    return 0


def _cmd_voices(args: argparse.Namespace) -> int:
    from voicecoach.speech.tts import list_voices

    for name in list_voices():
        print(name)
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from voicecoach.perception.analyze import analyze, format_report

    result = analyze(args.audio, calibration=args.calibration, enroll=dict(args.enroll) or None)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from voicecoach.perception.evaluate import evaluate, format_eval

    data = Path(args.data)
    if not data.is_dir():
        raise UserError(f"No data directory at {data}")
    result = evaluate(data, dialogue_sets=args.dialogue_sets)
    print(json.dumps(result, indent=2) if args.json else format_eval(result))
    return 0


def _cmd_scripts(args: argparse.Namespace) -> int:
    from voicecoach.dialogue.script import available_scripts, check_script

    if args.scripts_command == "list":
        for name in available_scripts():
            print(name)
        return 0
    if args.scripts_command != "check":
        raise UserError("use 'voicecoach scripts check FILE' or 'voicecoach scripts list'")
    failed = 0
    for f in args.files:
        try:
            check_script(f)
            print(f"{f}: ok")
        except UserError as exc:
            print(exc, file=sys.stderr)
            failed += 1
    return 2 if failed else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from voicecoach.app import run_session

    return run_session(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from voicecoach.demo.runner import run_demo_cli

    return run_demo_cli(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from voicecoach.bench import run_bench

    print(json.dumps(run_bench(quick=args.quick), indent=2))
    return 0


COMMANDS = {
    "run": _cmd_run,
    "demo": _cmd_demo,
    "devices": _cmd_devices,
    "voices": _cmd_voices,
    "analyze": _cmd_analyze,
    "eval": _cmd_eval,
    "scripts": _cmd_scripts,
    "bench": _cmd_bench,
}


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
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"voicecoach: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nvoicecoach: stopped. The session log was saved.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
