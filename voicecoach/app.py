"""Putting a session together: models, listener, engine, audio edges, log.

`build_session` is shared by `voicecoach run` (microphone or file) and the demo, so both
run exactly the same pipeline; only the source and the sink differ.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicecoach import eventlog as ev
from voicecoach.audio.base import AudioSink, AudioSource
from voicecoach.config import Settings
from voicecoach.dialogue import protocol as dp
from voicecoach.errors import UserError
from voicecoach.observer import SessionObserver
from voicecoach.profiles import StoredProfile
from voicecoach.session import Session, Transcriber
from voicecoach.speech.promptcache import PromptCache, Voice
from voicecoach.stopping import StopSignals
from voicecoach.transcript import printer

if TYPE_CHECKING:
    from voicecoach.dialogue.engine import Engine

log = logging.getLogger(__name__)


@dataclass
class Models:
    """The heavy parts, loaded once and shared by every session in a process."""

    transcriber: Transcriber
    voice: Voice

    @classmethod
    def load(
        cls,
        model: str = "base",
        voice: str = "en_US-joe-medium",
        pace: float = 1.0,
        volume: float = 1.0,
    ) -> Models:
        from voicecoach.speech.tts import PiperSpeaker
        from voicecoach.speech.whisper import WhisperTranscriber

        # Piper's length scale is the inverse of pace; 1.15 is the coach's calm default.
        speaker = PiperSpeaker(voice, length_scale=1.15 / pace, volume=volume)
        return cls(transcriber=WhisperTranscriber(model), voice=speaker)


_CACHE: dict[tuple[str, str, float, float], Models] = {}


def shared_models(
    model: str = "base", voice: str = "en_US-joe-medium", pace: float = 1.0, volume: float = 1.0
) -> Models:
    key = (model, voice, pace, volume)
    if key not in _CACHE:
        _CACHE[key] = Models.load(model, voice, pace, volume)
    return _CACHE[key]


def make_engine(
    script: str,
    partners: tuple[str, str],
    settings: dict | None = None,
    known_voices: Iterable[str] = (),
) -> Engine:
    from voicecoach.dialogue.engine import Engine

    return Engine(
        entry=script, partners=list(partners), settings=settings, known_voices=known_voices
    )


def show_on_screen(action: dp.Show) -> None:
    # Help information is for the person reading the screen, never spoken unless asked.
    bar = "=" * 60
    print(f"\n{bar}\n{action.text}\n{bar}\n", flush=True)


def build_session(
    *,
    models: Models,
    sink: AudioSink,
    partners: tuple[str, str],
    script: str = "session",
    log_path: Path | None = None,
    echo: bool = True,
    keys: Callable[[], list[str]] = lambda: [],
    max_seconds: float | None = None,
    engine_settings: dict | None = None,
    barge_in: bool = True,
    view: SessionObserver | None = None,
    listener_config: object | None = None,
    voices: Mapping[str, StoredProfile] | None = None,
    mute_while_speaking: bool = True,
) -> Session:
    """``view`` (the live view) follows the session; without one, ``echo`` prints the
    transcript line by line. ``voices``: partners' voices known before the session (saved
    profiles, --enroll): they are not asked to enrol. ``mute_while_speaking``: off when the
    input cannot hear the coach (a recording), so nothing said during its lines is lost."""
    from voicecoach.perception.listener import Listener
    from voicecoach.voicelearning import VoiceLearning

    voices = voices or {}
    listener = Listener(listener_config)  # type: ignore[arg-type]
    for stored in voices.values():
        listener.add_voice(stored.voice)
    engine = make_engine(script, partners, engine_settings, known_voices=voices)
    prompts = PromptCache(models.voice)
    # The pause and the safety question must start the moment heat is detected.
    prompts.prepare(engine.urgent_prompts())
    events = ev.EventLog(log_path)
    if view is not None:
        events.watchers.append(view.record)
    elif echo:
        events.watchers.append(printer())
    return Session(
        listener=listener,
        transcriber=models.transcriber,
        engine=engine,
        prompts=prompts,
        sink=sink,
        log=events,
        show=show_on_screen,
        keys=keys,
        max_seconds=max_seconds,
        barge_in=barge_in,
        observers=[view] if view is not None else [],
        mute_while_speaking=mute_while_speaking,
        voices=VoiceLearning(listener, partners, known=voices),
    )


def engine_settings(args: argparse.Namespace, settings: Settings | None = None) -> dict:
    """The dialogue settings the command line chose (run and demo share these options),
    on top of the settings file's (``config.effective`` put its country and speak_help on
    ``args`` where no flag was given)."""
    from voicecoach.config import engine_settings as from_file
    from voicecoach.dialogue.helpinfo import resolve_country

    # Both commands that build a session have these options (cli.options.add_session_options).
    chosen = {"help_country": resolve_country(args.country), "speak_help": bool(args.speak_help)}
    return {**(from_file(settings) if settings else {}), **chosen}


def finish_session(session_dir: Path, args: argparse.Namespace) -> Path | None:
    """After a session: write its report (unless --no-report) and say where things are.

    A report that cannot be made never costs the session: its log is already complete."""
    quiet = args.quiet  # --quiet and --no-report: cli.options.add_session_options
    if not quiet:
        print(f"Session log: {session_dir / 'events.jsonl'}", file=sys.stderr)
    if args.no_report:
        return None
    from voicecoach.report import write_report

    try:
        page = write_report(session_dir)
    except (UserError, OSError, ValueError) as exc:
        print(f"voicecoach: the report could not be written: {exc}", file=sys.stderr)
        return None
    if not quiet:
        print(f"Report: {page}", flush=True)
    return page


RECONNECT_S = 30.0
"""How long a session waits for a microphone or speaker that went away (unplugged, the
sound server restarting) before it ends; the time away is silence on the session's clock."""


def _tell_device_changes(session: Session, *edges: AudioSource | AudioSink) -> None:
    """Device losses and returns go to the screen and the session log (a file has none)."""
    from voicecoach.audio.devices import EchoCancelledMic, MicSource, SpeakerSink

    def changed(device: str, state: str, text: str) -> None:
        print(f"voicecoach: {text}", file=sys.stderr, flush=True)
        session.device_changed(device, state, text)

    for edge in edges:
        device = edge.mic if isinstance(edge, EchoCancelledMic) else edge  # it wraps the mic
        if isinstance(device, MicSource | SpeakerSink):
            device.on_change = changed


def sessions_dir() -> Path:
    """Where each session gets its own folder unless --log-dir says otherwise: the
    ``log_dir`` setting (default ``~/.local/share/voicecoach/sessions``)."""
    from voicecoach.config import load_settings

    return Path(load_settings().log_dir)


def _check_before_listening(args: argparse.Namespace) -> None:
    """Everything a session needs that can be checked before it starts, in the order a
    user would fix it; each failure is one sentence."""
    from voicecoach.dialogue.script import check_script
    from voicecoach.preflight import check_log_base, check_output, check_partners
    from voicecoach.speech.models import whisper_model_dir
    from voicecoach.speech.tts import find_voices

    args.partners = check_partners(args.partners)
    if args.output:
        check_output(args.output, args.input)
    else:
        from voicecoach.audio.devicelist import resolve_device

        try:
            resolve_device(args.output_device, "output")  # the speaker exists (opened later)
        except UserError as exc:
            raise UserError(
                f"{exc} To write the coach's voice to a file instead, add --output coach.wav."
            ) from exc
    check_log_base(Path(args.log_dir).expanduser() if args.log_dir else sessions_dir())
    check_script(args.script)
    if args.voice not in find_voices():
        voices = ", ".join(sorted(find_voices())) or "none"
        raise UserError(f"Unknown voice {args.voice!r}: available voices are {voices}.")
    whisper_model_dir(args.model)  # missing or unknown model; a damaged cache is rebuilt


def run_session(args: argparse.Namespace) -> int:
    """`voicecoach run`: the microphone (or --input) in, the speakers (or --output) out.

    SIGINT, SIGTERM and SIGHUP end the session cleanly (voicecoach.stopping).
    """
    with StopSignals() as stop:
        return _run(args, stop)


def _run(args: argparse.Namespace, stop: StopSignals) -> int:
    from voicecoach import config
    from voicecoach.audio.files import FileSource, WavSink
    from voicecoach.live import make_view
    from voicecoach.voicelearning import ProfileAdaptation, prepare_voices

    given = args.partners  # before the settings fill it in: --enroll names may decide
    settings = config.effective(args)  # a broken settings file is the first thing to fix
    # Voices next: a damaged profile or an unusable --enroll recording is the user's to
    # fix before any device opens or model loads.
    partners, voices, saved, store = prepare_voices(
        given or (None if args.enroll else args.partners),
        args.enroll,
        config.profile_dir(settings),
    )
    args.partners = partners
    source: AudioSource
    sink: AudioSink
    keyboard = None
    # The input is checked first: a missing recording or microphone is the likelier mistake.
    if args.input:
        source = FileSource(args.input)
    else:
        from voicecoach.audio.devices import MicSource

        try:
            # A long queue: while Whisper works the loop falls behind the microphone, and
            # must catch up rather than lose what was said meanwhile.
            source = MicSource(args.device, queue_s=60.0, reconnect_s=RECONNECT_S)
        except UserError as exc:
            raise UserError(
                f"{exc} Without a microphone, `voicecoach demo` plays a simulated session, "
                "and `voicecoach run --input talk.wav` coaches a recording."
            ) from exc
    _check_before_listening(args)
    models = shared_models(args.model, args.voice, settings.pace, settings.volume)
    if args.output:
        sink = WavSink(args.output)
    else:
        from voicecoach.audio.devices import SpeakerSink

        try:
            sink = SpeakerSink(args.output_device, reconnect_s=RECONNECT_S)
        except UserError as exc:
            raise UserError(
                f"{exc} To write the coach's voice to a file instead, add --output coach.wav."
            ) from exc
    barge_in = True
    if not args.input:
        from voicecoach.audio.devices import EchoCancelledMic, MicSource, SpeakerSink

        barge_in = False
        if args.aec == "on" and isinstance(sink, SpeakerSink) and isinstance(source, MicSource):
            # The coach's own voice comes back through the laptop's microphone.
            from voicecoach.audio.echo import EchoCanceller

            canceller = EchoCanceller()
            source = EchoCancelledMic(source, sink, canceller)
            barge_in = canceller.backend != "none"
        if not barge_in and isinstance(sink, SpeakerSink):
            log.warning("no echo cancelling: partners can't interrupt the coach (barge-in off)")
    if not args.input and sys.stdin.isatty():
        from voicecoach.keyboard import Keyboard

        keyboard = Keyboard()
    base = Path(args.log_dir).expanduser() if args.log_dir else sessions_dir()
    try:
        log_dir = ev.new_session_dir(base)
    except OSError as exc:
        sink.close()
        raise UserError(f"Cannot create a session folder in {base} ({exc}).") from exc
    view = make_view(args.quiet, partners=tuple(args.partners))
    session = build_session(
        models=models,
        sink=sink,
        partners=partners,
        script=args.script,
        log_path=log_dir / "events.jsonl",
        echo=not args.quiet,
        keys=keyboard.pressed if keyboard else (lambda: []),
        barge_in=barge_in,
        engine_settings=engine_settings(args, settings),
        view=view,
        listener_config=config.listener_config(settings),
        voices=voices,
        # A recording with its partners' voices from files is the couple alone: heard
        # whole, even while the coach speaks. Any other recording may be a session's own
        # microphone (the coach's voice in it) and replays exactly as live: deaf then.
        mute_while_speaking=not (args.input and args.enroll),
    )
    adaptation = None
    if saved and not args.no_adapt:
        adaptation = ProfileAdaptation(saved, store)
        session.on_utterance.append(adaptation.heard)
        session.log.watchers.append(adaptation.logged)
    # A signal ends the session at its next frame; the finally below still writes the
    # report (finish_session), as session.on_end hooks would.
    stop.watch(session)
    _tell_device_changes(session, source, sink)
    if not args.input and not args.quiet:
        print(
            f"Listening on {source.name}. Press any key to stop the exercise, Ctrl-C to quit.",
            flush=True,
        )
    try:
        reason = session.run(source)
    finally:
        if keyboard:
            keyboard.close()
        if view is not None:
            view.close()
        finish_session(log_dir, args)
        if adaptation is not None:
            try:
                assert session.voices is not None  # build_session gives every session one
                for name in adaptation.finish(session.voices.listener):
                    print(f"Adapted {name}'s voice profile a little.", file=sys.stderr)
            except UserError as exc:  # a profile that cannot be saved: say so, keep going
                print(f"voicecoach: {exc}", file=sys.stderr)
    log.info("session ended: %s", reason)
    if stop.signum is not None:
        print(f"voicecoach: stopped ({reason}). The session log was saved.", file=sys.stderr)
        return stop.exit_code
    return 0
