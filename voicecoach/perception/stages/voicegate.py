"""Voice gate: only frames that sound like a human voice may count as a raised voice.

A 3 s 1 kHz beep (a microwave, a phone), an alarm, a buzzer or a whistle is loud and
bright, exactly what vocal effort looks like to the raised-voice cues (pitch, spectral
tilt, H1-H2), so before this gate such a beep over a partner's speech, or alone in a
solo recording, raised the alarm. A voiced frame counts as voice only if

1. it is harmonic like a voice: at least ``min_harmonics`` partials of its pitch within
   ``harmonic_range_db`` of the strongest below ``harmonic_top_hz``. Pure tones, sine
   beeps, sine alarms, sirens and chirps have one (measured on RAVDESS clips of four
   actors, every emotion: 98-100 % of voiced frames have three or more; generated sine
   beeps, alarms, sirens and chirps: 0-15 %);
2. its pitch glides like a voice over the last ``window_s`` of harmonic frames: the
   median frame-to-frame change is at least ``min_glide_st_per_s``. Machines hold a
   pitch and jump (square-wave buzzers, two-tone alarms: at most 1.0 st/s at the 95th
   percentile); voices never stop moving (RAVDESS, every actor and emotion: 4.7 st/s at
   the 5th percentile; Piper speech 2.8; the lab's synthetic vowels 2.6);
3. its level moves over that window (syllables): a standard deviation of at least
   ``min_level_sd_db`` (RAVDESS 3.5 dB and more at the 5th percentile, synthetic vowels
   1.6 dB; a siren, a buzzer or a held tone 0-0.2 dB).

What passes it is still only a candidate: the frame must also belong to a speaker with a
calm baseline (an enrolled partner, or a voice the listener learnt), and must be well
above that baseline. Known limits: a gliding, syllabic sound with a voice's harmonics
(a dog's bark low enough for the pitch tracker, singing, a recorded voice on TV) passes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from voicecoach.perception.speakers import semitones
from voicecoach.perception.stages.frames import Frame
from voicecoach.timebase import FRAME_S, FRAME_SAMPLES, SAMPLE_RATE, frame_count

_N_FFT = 2048  # 7.8 Hz bins: the partials of a deep voice stay apart
_FREQS = np.fft.rfftfreq(_N_FFT, 1.0 / SAMPLE_RATE)
_HANN = np.hanning(FRAME_SAMPLES + 2)[1:-1]


@dataclass(frozen=True)
class VoiceGateSettings:
    min_harmonics: int = 3
    harmonic_range_db: float = 30.0
    harmonic_top_hz: float = 5000.0
    harmonic_width: float = 0.15  # a partial is searched within this fraction of f0
    window_s: float = 1.0
    min_glide_st_per_s: float = 1.5
    min_level_sd_db: float = 1.0
    min_judged_s: float = 0.15  # harmonic frames the window needs before the movement
    # is judged


def harmonics(pcm: np.ndarray, f0_hz: float, settings: VoiceGateSettings) -> int:
    """How many partials of ``f0_hz`` stand within the range of the strongest."""
    if f0_hz <= 0:
        return 0
    spec = np.abs(np.fft.rfft(np.asarray(pcm, np.float64) * _HANN, _N_FFT)) ** 2 + 1e-20
    peaks = []
    for k in range(1, int(settings.harmonic_top_hz // f0_hz) + 1):
        near = np.abs(_FREQS - k * f0_hz) <= settings.harmonic_width * f0_hz
        peaks.append(10 * np.log10(spec[near].max()))
    top = max(peaks)
    return sum(p > top - settings.harmonic_range_db for p in peaks)


class VoiceGate:
    """Frame by frame, in media-time order: does this voiced frame sound like a voice?"""

    def __init__(self, settings: VoiceGateSettings | None = None) -> None:
        self.cfg = settings or VoiceGateSettings()
        self._recent: deque[tuple[int, float, float]] = deque()  # (frame, st, level_db)

    def step(self, fr: Frame) -> bool:
        cfg = self.cfg
        if fr.f0_hz <= 0 or harmonics(fr.pcm, fr.f0_hz, cfg) < cfg.min_harmonics:
            return False
        self._recent.append((fr.idx, float(semitones(fr.f0_hz)), fr.level_db))
        while self._recent[0][0] <= fr.idx - frame_count(cfg.window_s):
            self._recent.popleft()
        if len(self._recent) < frame_count(cfg.min_judged_s):
            return True  # too few to judge the movement: a harmonic onset has the benefit
            # of the doubt (refusing it cost 13 % of angry speech frames, those at the
            # start of each phrase; a machine's first frames alone are too few to alarm)
        idx = np.array([r[0] for r in self._recent])
        st = np.array([r[1] for r in self._recent])
        level = np.array([r[2] for r in self._recent])
        steps = np.abs(np.diff(st))[np.diff(idx) == 1]
        if len(steps) == 0 or float(np.median(steps)) / FRAME_S < cfg.min_glide_st_per_s:
            return False
        return float(np.std(level)) >= cfg.min_level_sd_db
