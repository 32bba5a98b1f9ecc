"""Speech to text for one partner's utterance, with faster-whisper on the CPU.

One small class per backend (like wyoming-faster-whisper). The model comes from an
installed package (see `voicecoach.speech.models`); nothing is downloaded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from voicecoach.offline import enforce_offline
from voicecoach.speech.models import whisper_model_dir
from voicecoach.speech.trust import (
    cut_loops,
    fits_speech,
    looks_looped,
    loop_is_all,
    strip_repeat,
    too_few_words,
)
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

BEAM_SIZE = 1
"""Greedy decoding: the fastest, and on the dev clips base/greedy stayed within a few
points of base/beam 5 (benchmarks/stt_short_encode.py); turns here are short."""

NO_SPEECH_PROB = 0.6
"""Whisper's own "this window is silence" probability above which we drop the text
(the value openai/whisper uses), unless the decoder was confident (LOGPROB_FLOOR)."""

LOGPROB_FLOOR = -1.0
"""Average token log-probability below which a high no-speech probability wins."""


@dataclass(frozen=True)
class EncoderWindow:
    """How much of Whisper's 30 s input the encoder computes for one utterance.

    The encoder sees max(clip + ``pad_s``, ``min_s``) seconds of log-mel frames (zero
    frames past the clip, as faster-whisper pads, or with ``pad_audio`` the waveform is
    padded so the tail is real log-mel silence). With ``context_s`` the encoder output is
    then continued to ``context_s`` seconds with the (cached) encoding of zero frames, so
    the decoder sees speech followed by a long silence, as in training, for the cost of
    decoding against it but not of encoding it.
    """

    min_s: float = 0.0
    pad_s: float = 1.0
    pad_audio: bool = False
    context_s: float | None = None


MEASURED_WINDOWS: dict[str, EncoderWindow] = {
    "tiny.en": EncoderWindow(min_s=0.0, pad_s=0.5, context_s=30.0),
    "base": EncoderWindow(min_s=5.0, pad_s=1.0),
}
"""The default ``window`` per model (see `WhisperTranscriber`), chosen with
benchmarks/stt_window.py. Models not listed take the padded 30 s path."""

MAX_TOKENS_PER_SECOND = 6.0
"""Upper bound on tokens per second of speech, used to stop a looping decoder early."""

_MAX_FRAMES = 3000  # Whisper's 30 s window: longer clips take faster-whisper's own path
_FRAMES_PER_SECOND = 100  # mel hop of 10 ms

# Texts Whisper emits on near-silence/noise (learned from subtitle credits). Only dropped
# when the no-speech probability is also elevated, so a real "Thank you." survives.
_HALLUCINATIONS = {
    "you",
    "thank you",
    "thank you.",
    "thanks for watching",
    "thanks for watching!",
    "thank you for watching",
    "thank you for watching.",
    "bye",
    "bye.",
    ".",
    "...",
}
_HALLUCINATION_NO_SPEECH = 0.2


class WhisperTranscriber:
    """Transcribes one utterance (16 kHz mono float32) to English text.

    ``window``: how much of Whisper's 30 s input the encoder computes (`EncoderWindow`).
    "auto" (default) takes the model's measured policy from `MEASURED_WINDOWS`; None is
    faster-whisper's standard path, which pads every clip to 30 s so a 2 s turn costs as
    much as 30 s. Clips longer than 30 s minus the padding always take that path, and so
    does any short-window result that still cannot be trusted once its repetition loop
    is cut (`trust.looks_looped`, `trust.cut_loops`).

    Measured with benchmarks/stt_window.py (147 utterances cut by the app's webrtcvad
    segmenter, 0.3-7.6 s, median 2.0 s: 48 RAVDESS sentences with their real text, 56
    partner lines spoken by joe/mia with known text, 43 LibriSpeech pieces scored against a
    pseudo-reference, base/beam 5/padded). Word error rate % ravdess / partners / libri,
    CPU seconds per second of speech (all threads), redone-on-30-s count:

    - tiny.en padded 30 s:                3.5 / 3.8 / 7.8, 0.63 CPU s/s
    - tiny.en clip + 0.5 s, 30 s context: 3.5 / 3.8 / 7.7, 0.16 CPU s/s, 0 redone  <- default
    - tiny.en clip + 1 s, no context:     4.5 / 4.3 / 6.6, 0.34 CPU s/s, 49 redone (loops)
    - base padded 30 s:                   3.1 / 5.1 / 3.0, 1.47 CPU s/s
    - base max(clip + 1 s, 5 s):          3.1 / 5.3 / 4.8, 0.44 CPU s/s, 15 redone  <- default
    - base max(clip + 1 s, 10 s):         12.8 / 5.6 / 2.8, 0.54 CPU s/s (drops short clips)
    - base clip + 1 s, 30 s context:      17.7 / 18.7 / 18.9 (the splice that suits tiny.en
      makes base return nothing for many short clips)
    - base clip + 1 s, no context:        5.6 / 6.1 / 5.5, 0.81 CPU s/s, 58 redone

    Why short windows loop (issue #19): past the last word the decoder meets the window's
    zero padding and, not finding the end, says the last word or the sentence again until
    the token cap ("Kids are talking by the door door door ...", "This war is over
    existence. This war is over existence. ..."). The prompt was not the cause (no
    previous text is given) and the cap only bounds the loop. The loop test was right,
    the remedy costly: each loop was redone on the 30 s window (~950 ms). The words
    before the loop are the utterance, so the loop is now cut to its first saying
    (`trust.cut_loops`) and the 30 s path is left for output that still cannot be
    trusted: on 48 tuning clips (RAVDESS actors 1-2, speechocean762 train voices) 3
    loops cut, 0 redone (before: 3 redone, 4.7-5.2 s each at load 11).

    On a short window base tends to say the utterance twice, or its tail ("... did I get
    it? Did I get it?"); `trust.strip_repeat` keeps the first saying (same WER as a 30 s rerun
    of those clips, which cost 22 instead of 15 reruns and 0.47 CPU s/s). Its
    pseudo-reference WER on LibriSpeech rises 1.8 points. An earlier verdict that short
    windows drop final words came from a token cap that CTranslate2 halves (see
    `_transcribe_window`), not from the window. Wall time on a Piper line of 1.0 / 3.3 /
    4.1 s, 2 threads, machine at load 5.6 on 2 cores (so ~2x slower than idle): tiny.en
    338 / 566 / 641 ms (padded 1823 / 1910 / 1967 ms); base 831 / 911 / 987 ms (padded
    3929 / 4182 / 4213 ms). Wall ~= CPU there: the other core was busy with other work.
    """

    def __init__(
        self,
        model: str = "base",
        *,
        cpu_threads: int = 2,
        window: EncoderWindow | Literal["auto"] | None = "auto",
        beam_size: int = BEAM_SIZE,
        progress: bool = True,
    ) -> None:
        enforce_offline()  # before faster_whisper pulls in huggingface_hub
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.name = model
        if window == "auto":
            window = MEASURED_WINDOWS.get(model)
        # Benchmarks may swap it on one loaded model (it is read per call).
        self.window: EncoderWindow | None = window
        self._silence: np.ndarray | None = None  # encoder output of 30 s of zero frames
        self.beam_size = beam_size
        self.fallbacks = 0  # short-window results redone on the 30 s window (loops)
        self.loops_cut = 0  # short-window loops cut to their first saying (no rerun)
        path = whisper_model_dir(model, progress=progress)
        log.info("loading Whisper %s from %s", model, path)
        self.model = WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )
        self._tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language="en",
        )
        # Same suppression as faster-whisper's defaults (suppress_tokens=[-1]).
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]) or [])
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]

    @property
    def short_encode(self) -> bool:
        """True when the encoder sees less than Whisper's 30 s window (for reports)."""
        return self.window is not None

    # ------------------------------------------------------------------ public

    def transcribe(self, audio: np.ndarray) -> str:
        """Text of ``audio`` (stripped), or "" when it holds no speech.

        Every transcript is checked against the audio (`voicecoach.speech.trust`): a
        repetition loop is said once, and no more words are kept than the speech under
        them can carry."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        speech_s = self._speech_s(audio) if audio.size >= SAMPLE_RATE // 10 else 0.0
        if speech_s <= 0.0:
            return ""
        window = self.window
        short = None
        if (
            window is not None
            and audio.size < (_MAX_FRAMES / _FRAMES_PER_SECOND - window.pad_s) * SAMPLE_RATE
        ):
            short = self._transcribe_window(audio, window, speech_s)
        text, no_speech, logprob = short or self._transcribe_padded(audio)
        return _clean(fits_speech(cut_loops(text), speech_s), no_speech, logprob)

    # ------------------------------------------------------------------ internals

    def _speech_s(self, audio: np.ndarray) -> float:
        """Seconds of speech in ``audio`` by Silero VAD (shipped inside faster-whisper,
        ~8 ms/clip). A gate: Whisper invents "Thank you." on noise, so audio without
        speech never reaches it; and a bound: words need speech under them
        (`trust.fits_speech`). The whole clip is transcribed (vad_filter would splice
        out pauses)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        chunks = get_speech_timestamps(audio, VadOptions(min_speech_duration_ms=120))
        return sum(c["end"] - c["start"] for c in chunks) / SAMPLE_RATE

    def _transcribe_padded(self, audio: np.ndarray) -> tuple[str, float, float]:
        segments, _info = self.model.transcribe(
            audio,
            language="en",
            task="transcribe",
            beam_size=self.beam_size,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            # We judge silence ourselves (below) so the logic is identical on both paths.
            no_speech_threshold=None,
        )
        texts: list[str] = []
        no_speech = 0.0
        logprobs: list[float] = []
        for seg in segments:
            texts.append(seg.text)
            no_speech = max(no_speech, seg.no_speech_prob)
            logprobs.append(seg.avg_logprob)
        logprob = float(np.mean(logprobs)) if logprobs else 0.0
        return "".join(texts), no_speech, logprob

    def _transcribe_window(
        self, audio: np.ndarray, window: EncoderWindow, speech_s: float
    ) -> tuple[str, float, float] | None:
        """Decode from the clip-length encoder output; None when the result cannot be
        trusted even with its loop cut (then the caller redoes it on the 30 s window)."""
        import ctranslate2

        fx = self.model.feature_extractor
        feats = fx(audio)[:, :-1]  # (80, frames); last frame is the STFT's padding
        frames = max(
            feats.shape[1] + round(window.pad_s * _FRAMES_PER_SECOND),
            round(window.min_s * _FRAMES_PER_SECOND),
        )
        frames += frames % 2  # the encoder's conv stride is 2
        frames = min(frames, _MAX_FRAMES)
        if window.pad_audio:
            # Pad the waveform, as openai/whisper does, so the tail is real log-mel silence.
            tail = np.zeros(frames * fx.hop_length - audio.size, dtype=np.float32)
            feats = fx(np.concatenate([audio, tail]))[:, :frames]
        # Zero frames past the features, as faster-whisper's own pad_or_trim pads to 3000.
        padded = np.zeros((feats.shape[0], frames), dtype=np.float32)
        padded[:, : min(feats.shape[1], frames)] = feats[:, :frames]
        max_tokens = min(
            self.model.max_length // 2 - len(self._prompt),
            int(MAX_TOKENS_PER_SECOND * audio.size / SAMPLE_RATE) + 8,
        )
        storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(padded[None]))
        encoded = self.model.model.encode(storage)
        if window.context_s is not None and frames < window.context_s * _FRAMES_PER_SECOND:
            encoded = self._with_silence(encoded, round(window.context_s * _FRAMES_PER_SECOND))
        result = self.model.model.generate(
            encoded,
            [self._prompt],
            beam_size=self.beam_size,
            # A short window can send the decoder into a loop ("Chapter 1 Chapter 1 ...")
            # on a clip cut mid-word; no one says more than ~6 tokens/s, so cap it there.
            # CTranslate2's Whisper generates at most max_length // 2 tokens (whisper.cc:
            # min(max_length / 2, max_length - prompt)), hence the 2x: with max_length =
            # prompt + max_tokens it silently cut sentences short ("... but it was [fine]").
            max_length=2 * max_tokens,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        tokens = result.sequences_ids[0]
        # As faster-whisper recovers the average log-prob (length_penalty=1).
        logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        # A short window often makes the decoder say the utterance, or its last words,
        # twice; the first saying matched the 30 s transcript on every such benchmark
        # clip, so keep it rather than pay for a 30 s rerun.
        text = strip_repeat(self._tokenizer.decode(tokens))
        capped = len(tokens) >= max_tokens
        if looks_looped(text) or capped:
            # Past the last word the decoder sees the window's padding and, not finding
            # the end, says the last word or sentence again until the token cap ("by the
            # door door door ..."). The words before the loop are the utterance: on the
            # tuning clips the loop's first saying was the 30 s path's transcript too.
            cut = cut_loops(text)
            trusted = (
                cut != text
                and bool(cut)
                and not loop_is_all(text)
                and fits_speech(cut, speech_s) == cut
            )
            if not trusted:
                log.debug("short encode looped (%d tokens): 30 s window", len(tokens))
                self.fallbacks += 1
                return None
            log.debug("short encode looped (%d tokens): kept %r", len(tokens), cut)
            self.loops_cut += 1
            text = cut
        if too_few_words(text, speech_s):
            # The decoder stopped after a word or two of a longer utterance.
            log.debug("short encode heard %r in %.1f s of speech: 30 s window", text, speech_s)
            self.fallbacks += 1
            return None
        return text, float(result.no_speech_prob), float(logprob)

    def _with_silence(self, encoded: object, frames: int) -> object:
        """``encoded`` continued to ``frames`` mel frames with the encoder's output for
        zero frames (what the 30 s path's padding encodes to), so the decoder sees speech
        followed by a long silence, as in training, without encoding that silence."""
        import ctranslate2

        if self._silence is None:
            zeros = np.zeros((1, self.model.model.n_mels, _MAX_FRAMES), np.float32)
            silence = self.model.model.encode(ctranslate2.StorageView.from_array(zeros))
            self._silence = np.array(silence)
        head = np.array(encoded)
        out = self._silence[:, : min(frames, _MAX_FRAMES) // 2].copy()
        out[:, : head.shape[1]] = head
        return ctranslate2.StorageView.from_array(out)


def _clean(text: str, no_speech: float, logprob: float) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return ""
    if no_speech > NO_SPEECH_PROB and logprob < LOGPROB_FLOOR:
        log.debug("dropped %r: no_speech=%.2f logprob=%.2f", text, no_speech, logprob)
        return ""
    if text.lower() in _HALLUCINATIONS and no_speech > _HALLUCINATION_NO_SPEECH:
        log.debug("dropped likely hallucination %r (no_speech=%.2f)", text, no_speech)
        return ""
    return text
