"""The satellite as a session's audio source and sink.

Both outlive a session: ``voicecoach serve`` runs one session after another over the same
link, so ``close()`` here leaves the link open; the service closes it when it stops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from voicecoach.satellite.link import SatelliteLink

log = logging.getLogger(__name__)

POLL_S = 0.25
"""How often a waiting source looks up from the link's queue (to notice a stop)."""


class SatelliteSource:
    """The satellite's microphone: 16 kHz mono float32 chunks, the coach's echo gated."""

    def __init__(self, link: SatelliteLink) -> None:
        self.link = link
        self.name = f"satellite {link.settings.uri}"

    def chunks(self) -> Iterator[np.ndarray]:
        self.link.start()
        while not self.link.closed:
            audio = self.link.read(POLL_S)
            if audio is not None:
                yield audio

    def interrupt(self) -> None:
        pass  # ends when the link closes; a stop is seen within POLL_S

    def close(self) -> None:
        pass  # the link serves the next session too


class SatelliteSink:
    """The satellite's speaker: each line is sent as audio-start / chunks / audio-stop."""

    def __init__(self, link: SatelliteLink) -> None:
        self.link = link
        self.name = f"satellite {link.settings.uri}"

    def play(self, t: float, audio: np.ndarray) -> None:
        # A live edge: the line plays as soon as the satellite has it, like a speaker.
        self.link.play(np.asarray(audio, dtype=np.float32))

    def stop(self, t: float) -> None:
        self.link.stop_playing()

    def drain(self) -> None:
        pass  # a line is the satellite's to play once sent

    def interrupt(self) -> None:
        pass  # never waits

    def close(self) -> None:
        pass  # the link serves the next session too
