"""`voicecoach demo`: a whole session with simulated partners, through the real pipeline.

Two partners with clearly different voices talk, calmly at first, then louder and over
each other. Their voices go into a simulated microphone and through exactly the pipeline
of `voicecoach run` (VAD, speakers, detectors, Whisper, the engine, Piper). They answer
the coach when it gives them the floor. Outputs, in the chosen folder:

- ``session.wav``: partners and coach mixed on one timeline, to listen to the whole thing
- ``mic.wav``: what the microphone heard; ``voicecoach run --input mic.wav`` replays it
  to the same events
- ``events.jsonl``: the event log; ``timeline.json``: what each partner said when
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.app import build_session, engine_settings, shared_models
from voicecoach.audio.files import TrackSink, mix, write_wav
from voicecoach.config import Settings, listener_config
from voicecoach.demo.room import SimulatedRoom
from voicecoach.demo.scenario import load_scenario
from voicecoach.observer import SessionObserver
from voicecoach.stopping import StopSignals

log = logging.getLogger(__name__)

MAX_SECONDS = 900.0  # media time: a scenario that never lets the session end stops here


@dataclass
class DemoResult:
    out_dir: Path
    reason: str
    events: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    mic: np.ndarray
    coach: np.ndarray


def run_demo(
    out_dir: str | Path,
    *,
    scenario: str | Path = "heated",
    model: str = "base",
    voice: str = "en_US-joe-medium",
    script: str = "session",
    echo: bool = True,
    max_seconds: float = MAX_SECONDS,
    settings: dict | None = None,  # the dialogue engine's (app.engine_settings)
    view: SessionObserver | None = None,
    user: Settings | None = None,
) -> DemoResult:
    from voicecoach.lab.partners import partner_voice

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sc = load_scenario(scenario)
    pace, volume = (user.pace, user.volume) if user else (1.0, 1.0)
    models = shared_models(model, voice, pace, volume)
    room = SimulatedRoom(sc, {name: partner_voice(v) for name, v in sc.partners.items()})
    coach = TrackSink("coach")
    session = build_session(
        models=models,
        sink=coach,
        partners=(list(sc.partners)[0], list(sc.partners)[1]),
        script=script,
        log_path=out / "events.jsonl",
        echo=echo,
        max_seconds=max_seconds,
        engine_settings=settings,
        view=view,
        listener_config=listener_config(user) if user else None,
    )
    room.attach(session)
    # Stopped by a signal, the demo still writes what it has (log, mic and session WAVs).
    try:
        with StopSignals() as stop:
            stop.watch(session)
            reason = session.run(room)
    finally:
        if view is not None:
            view.close()
    mic = room.mic()
    write_wav(out / "mic.wav", mic)
    write_wav(out / "session.wav", mix(mic, coach.audio()))
    timeline = room.timeline()
    (out / "timeline.json").write_text(json.dumps(timeline, indent=1), encoding="utf-8")
    return DemoResult(out, reason, session.log.dicts(), timeline, mic, coach.audio())


def run_demo_cli(args: argparse.Namespace) -> int:
    from voicecoach.app import finish_session
    from voicecoach.config import effective
    from voicecoach.live import make_view

    settings = effective(args)  # the scenario names the partners; the rest applies
    result = run_demo(
        args.out,
        scenario=args.scenario,
        model=args.model,
        voice=args.voice,
        script=args.script,
        echo=not args.quiet,
        settings=engine_settings(args, settings),
        view=make_view(args.quiet),
        user=settings,
    )
    if not args.quiet:
        print(f"\nDemo finished ({result.reason}). Listen to {result.out_dir / 'session.wav'}.")
    finish_session(result.out_dir, args)
    return 0
