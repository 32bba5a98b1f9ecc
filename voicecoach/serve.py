"""`voicecoach serve`: the coach as a quiet service in the living room.

One session after another, each in a directory of its own: the coach listens quietly
(the ``household`` script) until the conversation heats up or someone asks ("coach, help
us talk"), runs the pause and the dialogue, and then listens quietly again in a new
session. Its ears and mouth are the machine's own microphone and speakers, or a Wyoming
satellite (``--satellite tcp://HOST:10700``). It writes plain lines, one per event, for a
service manager's journal, never cursor codes.

Voices: saved profiles, ``--enroll NAME=FILE``, or, when neither gives both partners, the
first session learns them by voice (the ``session`` script's spoken enrolment) and the
sessions after it keep what it learnt.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

import numpy as np

from voicecoach import eventlog as ev
from voicecoach.audio.base import AudioSink, AudioSource
from voicecoach.errors import UserError

log = logging.getLogger(__name__)

SERVE_SCRIPT = "household"
"""The script each session runs once both voices are known: quiet until heat or a request."""
FIRST_USE_SCRIPT = "session"
"""The script of a first session without voices: welcome and spoken enrolment first."""


class _Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP: end the session in hand cleanly (its log gets its end record,
    as for Ctrl-C), then the service."""


def _plain_printer(out: TextIO) -> object:
    """One plain line per logged event: wall-clock stamp, media time, the event."""
    from voicecoach.transcript import format_event

    def _print(e: dict[str, object]) -> None:
        line = format_event(e) if e.get("type") != "step" else f"step {e.get('step')}"
        if line:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            print(f"{stamp} {line}", file=out, flush=True)

    return _print


def session_dir(base: Path) -> Path:
    """A new, private directory for one session under ``base`` (never reused)."""
    try:
        return ev.new_session_dir(base, suffix="-serve")
    except OSError as exc:
        raise UserError(f"Could not make a new session directory in {base} ({exc}).") from exc


class _Endless:
    """A source that several sessions read in turn; a stop ends the current one."""

    def __init__(self, source: AudioSource) -> None:
        self.source = source
        self.name = source.name
        self._chunks: Iterator[np.ndarray] | None = None
        self.ended = False

    def chunks(self) -> Iterator[np.ndarray]:
        if self._chunks is None:
            self._chunks = iter(self.source.chunks())
        yield from self._chunks
        self.ended = True

    def interrupt(self) -> None:
        pass  # the stop ends the session, not the shared microphone

    def close(self) -> None:
        pass  # the next session reads on


class _Kept:
    """A sink several sessions play through in turn."""

    def __init__(self, sink: AudioSink) -> None:
        self.sink = sink
        self.name = sink.name

    def play(self, t: float, audio: np.ndarray) -> None:
        self.sink.play(t, audio)

    def stop(self, t: float) -> None:
        self.sink.stop(t)

    def drain(self) -> None:
        self.sink.drain()

    def interrupt(self) -> None:
        pass  # the speaker serves the next session too

    def close(self) -> None:
        pass


def _edges(args: argparse.Namespace) -> tuple[AudioSource, AudioSink, object | None]:
    """The microphone and speaker: a satellite's, or this machine's."""
    if args.satellite:
        from voicecoach.satellite.audio import SatelliteSink, SatelliteSource
        from voicecoach.satellite.link import LinkSettings, SatelliteLink

        link = SatelliteLink(LinkSettings(uri=args.satellite))
        return SatelliteSource(link), SatelliteSink(link), link
    from voicecoach.audio.devices import MicSource, SpeakerSink

    # No echo canceller on this path's speaker: the session's own gating keeps the coach
    # from hearing itself (barge-in is off), as with a satellite.
    return MicSource(args.device, queue_s=60.0), SpeakerSink(args.output_device), None


def _report(path: Path, args: argparse.Namespace, out: TextIO) -> None:
    """The session's report beside its log, unless --no-report; a report that cannot be
    made never stops the service (the log is complete already)."""
    if args.no_report:
        return
    from voicecoach.report import write_report

    try:
        page = write_report(path)
    except (UserError, OSError, ValueError) as exc:
        print(f"voicecoach serve: no report for {path}: {exc}", file=out, flush=True)
        return
    print(f"voicecoach serve: report {page}", file=out, flush=True)


def serve(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run sessions until stopped (SIGTERM, SIGHUP, Ctrl-C) or the input ends."""
    from voicecoach import config
    from voicecoach.app import build_session, engine_settings, shared_models
    from voicecoach.dialogue.script import load_script
    from voicecoach.voicelearning import prepare_voices

    given_partners = args.partners
    settings = config.effective(args)  # the settings file, flags on top
    load_script(SERVE_SCRIPT)  # a broken script is found before listening
    # Voices: --enroll files (checked like any enrolment), else saved profiles.
    names = [n for n, _ in args.enroll]
    if len(names) == 2 and given_partners is None:
        given = None  # the --enroll names are the partners
    else:
        given = args.partners
    partners, voices, _, _ = prepare_voices(given, args.enroll, config.profile_dir(settings))
    base = Path(args.log_dir)
    source, sink, link = _edges(args)
    models = shared_models(args.model, args.voice, settings.pace, settings.volume)
    dialogue = engine_settings(args, settings)
    listening = config.listener_config(settings)
    shared = _Endless(source)
    speaker = _Kept(sink)
    printer = _plain_printer(out)

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    print(f"voicecoach serve: listening on {shared.name}; sessions in {base}", file=out, flush=True)
    sessions = 0
    try:
        while not shared.ended:
            known = {name: v for name, v in voices.items() if name in partners}
            script = SERVE_SCRIPT if len(known) == 2 else FIRST_USE_SCRIPT
            path = session_dir(base)
            session = build_session(
                models=models,
                sink=speaker,
                partners=partners,
                script=script,
                log_path=path / "events.jsonl",
                echo=False,
                barge_in=False,
                voices=known,
                engine_settings=dialogue,
                listener_config=listening,
            )
            if not args.quiet:
                session.log.watchers.append(printer)  # type: ignore[arg-type]
            sessions += 1
            try:
                reason = session.run(shared)
            except _Stop as stop:
                print(f"voicecoach serve: stopped by {stop}; log {path}", file=out, flush=True)
                _report(path, args, out)
                return 0
            # Voices learnt by speaking are kept for the sessions that follow.
            if session.voices is not None:
                for name, learnt in session.voices.learnt().items():
                    voices.setdefault(name, learnt)
            print(f"voicecoach serve: session ended ({reason}); log {path}", file=out, flush=True)
            _report(path, args, out)
            if args.max_sessions and sessions >= args.max_sessions:
                break
    except KeyboardInterrupt:
        print("voicecoach serve: stopped.", file=out, flush=True)
        return 130
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if link is not None:
            link.close()  # type: ignore[attr-defined]
        source.close()
        sink.close()
    return 0
