"""Analyse a recording: the live Listener run over a file, its events as a plain dict.

This is deliberately not a second implementation: the audio is fed to the same
`Listener` the live session uses, one second at a time, so the numbers are the live ones.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.audio.files import AudioFile
from voicecoach.errors import UserError
from voicecoach.perception.diarize import discover
from voicecoach.perception.listener import Listener, ListenerConfig
from voicecoach.perception.stages.enrol import EnrolmentCache
from voicecoach.perception.stages.segment import finite_audio
from voicecoach.perception.types import Interruption, Overlap, RaisedVoice, Utterance
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

AudioLike = str | Path | np.ndarray

FEED_S = 1.0  # chunk fed per call; any size gives the same events


def _chunks(src: AudioLike, what: str) -> Iterator[np.ndarray]:
    """16 kHz mono float32 chunks from a path (the one reader `run --input` uses too,
    streamed) or an array."""
    if isinstance(src, np.ndarray):
        a = np.asarray(src, dtype=np.float32)
        if a.ndim != 1:
            raise UserError(f"The {what} array must be mono (1-D), got shape {a.shape}.")
        return iter([finite_audio(a)])
    return AudioFile(src).chunks()


def load_audio(src: AudioLike, what: str = "audio") -> np.ndarray:
    """16 kHz mono float32 from a path (any format ffmpeg/av decodes) or an array."""
    pieces = list(_chunks(src, what))
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def _ms(x: float) -> float:
    return round(float(x), 3)


def analyze(
    audio: AudioLike,
    *,
    calibration: AudioLike | None = None,
    enroll: dict[str, AudioLike] | None = None,
    config: ListenerConfig | None = None,
    enrolments: EnrolmentCache | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Run the Listener over ``audio``; see the module docstring for the result format.

    ``enroll``: partner name -> calm speech of that partner (path or array); their voices
    are then named. With ``calibration`` instead, one expected voice (speaker1) is
    calibrated on it. Without either, the voices are found on their own (`diarize`: a
    first pass over the recording clusters its d-vectors) and labelled speaker1,
    speaker2, ... in order of appearance; the enrolled pipeline then runs on them.
    ``enrolments``: a cache shared by calls that may enrol the same audio again (an
    evaluation), so its voice is learnt once. ``progress`` is told the seconds of audio
    analysed so far, after each chunk (of the last pass).
    """
    signal = _chunks(audio, "audio")  # opened (and checked) before any voice is learnt
    cfg = config or ListenerConfig()
    discovered = []
    if not enroll and calibration is None and cfg.attribute.auto_speakers:
        discovered = discover(lambda: _chunks(audio, "audio"))
        # The voices are all found up front: nobody else is to be invented on the way.
        cfg = dataclasses.replace(
            cfg, attribute=dataclasses.replace(cfg.attribute, auto_speakers=False)
        )
    listener = Listener(cfg, enrolments=enrolments)
    for profile in discovered:
        listener.bank.add(profile)
    try:
        if enroll:
            for name, src in enroll.items():
                listener.enroll(name, load_audio(src, f"enrolment audio for {name!r}"))
        elif calibration is not None:
            listener.calibrate(load_audio(calibration, "calibration"), single=True)
    except ValueError as exc:
        raise UserError(f"Could not learn a voice: {exc}.") from exc
    events = []
    step = int(FEED_S * SAMPLE_RATE)
    n = 0
    for chunk in signal:  # streamed: a long recording is never held whole
        for i in range(0, len(chunk), step):
            events.extend(listener.feed(chunk[i : i + step]))
        n += len(chunk)
        if progress is not None:
            progress(n / SAMPLE_RATE)
    events.extend(listener.flush())
    segments = [
        {"start": _ms(e.start), "end": _ms(e.end), "speaker": e.speaker}
        for e in events
        if isinstance(e, Utterance)
    ]
    segments.sort(key=lambda s: (s["start"], s["end"]))
    out_events: list[dict[str, Any]] = []
    for e in events:
        if isinstance(e, RaisedVoice):
            out_events.append(
                {
                    "type": "raised_voice",
                    "start": _ms(e.start),
                    "end": _ms(e.end),
                    "speaker": e.speaker,
                    "score": _ms(e.score),
                }
            )
        elif isinstance(e, Interruption):
            out_events.append(
                {
                    "type": "interruption",
                    "time": _ms(e.time),
                    "speaker": e.speaker,
                    "interrupted": e.interrupted,
                    "overlap": _ms(e.overlap),
                }
            )
        elif isinstance(e, Overlap):
            out_events.append({"type": "overlap", "start": _ms(e.start), "end": _ms(e.end)})
    out_events.sort(key=lambda ev: ev.get("start", ev.get("time", 0.0)))
    return {"duration": _ms(n / SAMPLE_RATE), "segments": segments, "events": out_events}


def _clock(t: float) -> str:
    m, s = divmod(float(t), 60.0)
    return f"{int(m)}:{s:06.3f}"


def format_report(result: dict[str, Any]) -> str:
    """Human-readable summary of an `analyze` result."""
    lines = [f"Duration {_clock(result['duration'])}"]
    talk: dict[str, float] = {}
    for s in result["segments"]:
        talk[s["speaker"]] = talk.get(s["speaker"], 0.0) + s["end"] - s["start"]
    if talk:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(talk.items()))
        lines.append(f"Speaking time: {parts}")
    else:
        lines.append("No speech found.")
    events = result["events"]
    raised = [e for e in events if e["type"] == "raised_voice"]
    inter = [e for e in events if e["type"] == "interruption"]
    over = [e for e in events if e["type"] == "overlap"]
    lines.append(
        f"{len(raised)} raised voice, {len(inter)} interruption(s), {len(over)} overlap(s)"
    )
    for e in events:
        if e["type"] == "raised_voice":
            lines.append(
                f"  {_clock(e['start'])}  raised voice: {e['speaker']} "
                f"(score {e['score']:.2f}, until {_clock(e['end'])})"
            )
        elif e["type"] == "interruption":
            lines.append(
                f"  {_clock(e['time'])}  interruption: {e['speaker']} cut in on "
                f"{e['interrupted']} ({e['overlap']:.1f} s overlap)"
            )
        else:
            lines.append(f"  {_clock(e['start'])}  overlap until {_clock(e['end'])}")
    lines.append("Segments:")
    for s in result["segments"]:
        lines.append(f"  {_clock(s['start'])}-{_clock(s['end'])}  {s['speaker']}")
    return "\n".join(lines)
