"""What the listening pipeline reports: small dataclasses on media time.

Every event carries ``t``: the media time (s) at which the pipeline *decided* it, which
is never earlier than the content it describes. Content times (``start``, ``end``,
``time``) are seconds from the start of the audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNKNOWN = "unknown"


@dataclass(frozen=True)
class VoiceStart:
    """Someone started talking (VAD onset); ``speaker`` is a first guess, maybe UNKNOWN."""

    t: float  # s, decision time
    start: float  # s, onset of the speech
    speaker: str = UNKNOWN


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech ended by silence, with its audio for transcription."""

    t: float  # s, decision time (end + the silence needed to decide it ended)
    start: float  # s
    end: float  # s
    speaker: str  # partner name, speakerN, or UNKNOWN (never forced)
    audio: np.ndarray = field(repr=False, compare=False)  # float32, 16 kHz mono
    level_db: float | None = None  # median level of its voiced frames, dBFS (None: unvoiced)
    pitch_hz: float | None = None  # median pitch of its voiced frames

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Pause:
    """The open utterance so far, while its speaker is silent (not an event: what
    `Listener.pause` reports, for transcribing a turn speculatively before it ends)."""

    start: float  # s, the utterance's onset
    end: float  # s, its speech so far ends here (as the Utterance would if it closed now)
    voiced_end: float  # s, end of its last voiced frame: later if the speaker went on
    silent_s: float  # s of silence since then
    speaker: str
    audio: np.ndarray = field(repr=False, compare=False)  # float32, start..end


@dataclass(frozen=True)
class RaisedVoice:
    """A partner's voice rose well above their own calm baseline, sustained."""

    t: float  # s, decision time
    start: float  # s, onset of the raised stretch
    end: float  # s, end of the raised stretch known at decision time
    speaker: str
    score: float  # 0..1, how far above baseline


@dataclass(frozen=True)
class Interruption:
    """``speaker`` started talking while ``interrupted`` still had the floor."""

    t: float  # s, decision time
    time: float  # s, onset of the interrupting speech
    speaker: str  # who cut in
    interrupted: str  # who had the floor
    overlap: float  # s both talked


@dataclass(frozen=True)
class Overlap:
    """Both partners talking at once."""

    t: float  # s, decision time
    start: float  # s
    end: float  # s


PerceptionEvent = VoiceStart | Utterance | RaisedVoice | Interruption | Overlap
