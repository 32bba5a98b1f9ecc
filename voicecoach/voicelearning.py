"""A session's voices: what enrolment heard is checked before it is learnt, a voice the
enrolment missed is learnt from the conversation, and saved profiles adapt slowly.

- `VoiceLearning.answer`: an enrolment answer (or a piece of one) is learnt only if the
  check (`perception.enrolcheck`) finds one voice's speech in it, not the coach's echo and
  not the other partner again. Pieces too short to judge are kept until the answer is long
  enough; a refused answer is dropped, so the answer to the re-ask starts afresh.
- `VoiceLearning.overheard`: when one partner's voice is known and the other's is missing,
  speech nobody could name, passing the same check and clearly not the known partner's
  (cosine below ``not_theirs``, the listener's own "new voice" line), is collected until
  ``learn_after_s`` of it is heard: then it is learnt as the missing partner.
- `ProfileAdaptation`: speech attributed to a partner with a saved profile, outside a
  raised-voice episode, is kept (at most ``keep_s`` per partner, in memory only); at the
  end the windows whose d-vector is clearly that partner's (``sure``, ``lead``) move the
  saved profile a bounded step (`voicecoach.profiles.adapt`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voicecoach.dialogue.protocol import VoiceChecked
from voicecoach.perception.enrolcheck import TOO_LITTLE, EnrolmentCheck
from voicecoach.perception.types import Utterance
from voicecoach.profiles import ProfileStore, StoredProfile, adapt, new_profile
from voicecoach.timebase import SAMPLE_RATE

if TYPE_CHECKING:
    from voicecoach.perception.listener import Listener
    from voicecoach.session import Engine

log = logging.getLogger(__name__)


def known_voices(listener: Listener, but: str | None = None) -> dict[str, np.ndarray]:
    """d-vectors of the partners the listener has learnt (not ``but``)."""
    bank = listener.bank
    return {p.name: p.embedding for p in bank.profiles if p.enrolled and p.name != but}


class VoiceLearning:
    """Checks and learns the partners' voices during a session (see the module doc)."""

    def __init__(
        self,
        listener: Listener,
        partners: tuple[str, str],
        known: Iterable[str] = (),
        check: EnrolmentCheck | None = None,
        not_theirs: float = 0.45,
        learn_after_s: float = 4.0,
        coach_s: float = 6.0,
    ) -> None:
        self.listener = listener
        self.partners = partners
        self.check = check or EnrolmentCheck(embedder=listener.embedder)
        self.learned: set[str] = set(known)
        self._known_before = set(known)
        self._speech_s: dict[str, float] = {}
        self.not_theirs = not_theirs
        self.learn_after_s = learn_after_s
        self.coach_s = coach_s
        self._answer: dict[str, np.ndarray] = {}
        self._overheard: list[np.ndarray] = []
        self._overheard_s = 0.0
        self._coach: np.ndarray | None = None

    def coach_said(self, audio: np.ndarray) -> None:
        """The coach's latest line: an answer that only echoes it is not a voice."""
        self._coach = np.asarray(audio, np.float32)[-int(self.coach_s * SAMPLE_RATE) :]

    def answer(self, partner: str, audio: np.ndarray) -> VoiceChecked:
        """A piece of ``partner``'s enrolment answer; learnt if the answer so far passes."""
        prev = self._answer.get(partner)
        whole = audio if prev is None else np.concatenate([prev, audio])
        others = known_voices(self.listener, but=partner)
        v = self.check.judge(whole, others, self._coach)
        if not v.ok and prev is not None and v.reason != TOO_LITTLE:
            alone = self.check.judge(audio, others, self._coach)
            if alone.ok:  # what came before spoiled it (a noise, another voice)
                whole, v = audio, alone
        log.info("%s's enrolment answer: %s", partner, v.describe(partner))
        if v.ok:
            self._learn(partner, whole, v.heard.speech_s)
            self._answer[partner] = whole
        elif v.reason == TOO_LITTLE:
            self._answer[partner] = whole  # wait for the rest of the answer
        else:
            self._answer.pop(partner, None)  # asked again: the new answer starts afresh
        return VoiceChecked(0.0, partner, v.ok, v.reason, v.like)

    def overheard(
        self, u: Utterance, audio: np.ndarray, engine: Engine
    ) -> list[tuple[str, VoiceChecked]]:
        """Speech in the conversation: the missing partner's voice, once enough of it
        that is clearly not the known partner's has been heard."""
        missing = [m for m in engine.missing_voices if m not in self.learned]
        known = [p for p in self.partners if p in self.learned]
        if len(missing) != 1 or len(known) != 1 or u.speaker in self.partners:
            return []
        if u.end - u.start < 1.0:
            return []
        others = known_voices(self.listener, but=missing[0])
        v = self.check.judge(audio, others, self._coach)
        if not v.ok or max(v.heard.sims.values(), default=0.0) >= self.not_theirs:
            return []
        self._overheard.append(np.asarray(audio, np.float32))
        self._overheard_s += v.heard.speech_s
        if self._overheard_s < self.learn_after_s:
            return []
        whole = np.concatenate(self._overheard)
        self._overheard, self._overheard_s = [], 0.0
        v = self.check.judge(whole, others, self._coach)
        if not v.ok or max(v.heard.sims.values(), default=0.0) >= self.not_theirs:
            log.info("overheard speech not learnt as %s: %s", missing[0], v.reason)
            return []
        log.info("learning %s's voice from the conversation", missing[0])
        self._learn(missing[0], whole, v.heard.speech_s)
        return [(missing[0], VoiceChecked(0.0, missing[0], True))]

    def _learn(self, partner: str, audio: np.ndarray, speech_s: float) -> None:
        try:
            self.listener.enroll(partner, audio)
        except ValueError as e:  # the listener's own floor (never below the check's)
            log.warning("could not learn %s's voice: %s", partner, e)
            return
        self.learned.add(partner)
        self._speech_s[partner] = speech_s

    def learnt(self) -> dict[str, StoredProfile]:
        """The voices learnt in this session (not known before it), as profiles a later
        session can start with (in memory; saving them is the caller's choice)."""
        out = {}
        for name in sorted(self.learned - self._known_before):
            voice = self.listener.bank.get(name)
            if voice is not None:
                out[name] = new_profile(copy.deepcopy(voice), self._speech_s[name], "session")
        return out


@dataclass
class ProfileAdaptation:
    """Collects confidently attributed calm speech of partners with saved profiles and
    folds it into their profiles at the end of the session (bounded, see profiles.adapt)."""

    profiles: Mapping[str, StoredProfile]
    store: ProfileStore
    keep_s: float = 90.0  # audio kept in memory per partner (never written)
    min_s: float = 1.5  # utterances shorter than this are not used
    sure: float = 0.6  # a window's cosine to its partner's voice ...
    lead: float = 0.15  # ... and its lead over the other partner's
    _audio: dict[str, list[tuple[float, float, np.ndarray]]] = field(default_factory=dict)
    _heated: list[tuple[str, float, float]] = field(default_factory=list)

    def heard(self, u: Utterance, speaker: str) -> None:
        if u.speaker not in self.profiles or speaker != u.speaker or u.end - u.start < self.min_s:
            return
        kept = self._audio.setdefault(u.speaker, [])
        if sum(len(a) for a in kept) < self.keep_s * SAMPLE_RATE:
            kept.append((u.start, u.end, np.asarray(u.audio, np.float32)))

    def logged(self, record: dict[str, Any]) -> None:
        """An event-log record (a log watcher): raised voices mark heated stretches, whose
        speech never teaches the calm profile."""
        if record.get("type") == "detect" and record.get("kind") == "raised_voice":
            t = float(record["t"])
            self._heated.append((str(record.get("speaker")), t - 5.0, t + 3.0))

    def finish(self, listener: Listener) -> list[str]:
        """Adapt and save; the names of the profiles that changed."""
        changed = []
        voices = known_voices(listener)
        for name, stored in self.profiles.items():
            calm = [
                a
                for (s, e, a) in self._audio.get(name, [])
                if not any(n == name and s < t1 and e > t0 for n, t0, t1 in self._heated)
            ]
            emb, secs = self._confident(listener, name, calm, voices)
            prof = listener.bank.get(name)
            base = None
            if prof is not None and prof.baseline is not None and stored.voice.baseline:
                # The session's own (already bounded) refinement of the calm register,
                # weighing at most ADAPT_MAX_WEIGHT against the saved one.
                base = copy.copy(prof.baseline)
                base.voiced_s = min(base.voiced_s, 0.25 * min(stored.voice.baseline.voiced_s, 30.0))
            if emb is None:
                base = None  # nothing confidently theirs was heard: leave it as it was
            if adapt(stored, emb, secs, base):
                self.store.save(stored)
                changed.append(name)
                log.info("adapted %s's voice profile on %.1f s of speech", name, secs)
        return changed

    def _confident(
        self, listener: Listener, name: str, clips: list[np.ndarray], voices: dict[str, np.ndarray]
    ) -> tuple[np.ndarray | None, float]:
        own = voices.get(name)
        if own is None or not clips:
            return None, 0.0
        others = [v for k, v in voices.items() if k != name]
        embs, secs = [], 0.0
        for clip in clips:
            e = listener.embedder.embed(clip, max_windows=4)
            mine = float(e @ own)
            best_other = max((float(e @ v) for v in others), default=-1.0)
            if mine >= self.sure and mine - best_other >= self.lead:
                embs.append(e)
                secs += len(clip) / SAMPLE_RATE
        if not embs:
            return None, 0.0
        mean = np.mean(embs, axis=0)
        return mean / (np.linalg.norm(mean) + 1e-12), secs


def prepare_voices(
    partners: tuple[str, str] | None,
    enroll: list[tuple[str, str]],
    profile_dir: str | Path | None,
) -> tuple[tuple[str, str], dict[str, StoredProfile], dict[str, StoredProfile], ProfileStore]:
    """The partners of a `run` and the voices known before it starts: ``--enroll NAME=FILE``
    (this session only), else each partner's saved profile if there is one. Returns
    (partners, every known voice, the saved ones among them, the store)."""
    from voicecoach.errors import UserError
    from voicecoach.learnvoice import VoiceRefused, learn_voice
    from voicecoach.perception.analyze import load_audio

    names = [n for n, _ in enroll]
    if len({n.casefold() for n in names}) != len(names):
        raise UserError(
            "Each --enroll needs a different name, e.g. --enroll Alex=a.wav --enroll Sam=s.wav."
        )
    if partners is None:
        if len(names) == 2:
            partners = (names[0], names[1])
        elif len(names) > 2:
            raise UserError("A session has two partners: give --enroll twice at most.")
        elif names:
            raise UserError(
                f"--enroll names one partner ({names[0]}): add --partners "
                f"{names[0]},OTHER or a second --enroll."
            )
        else:
            partners = ("Alex", "Sam")  # no settings at all (library use)
    for n in names:
        if n not in partners:
            raise UserError(
                f"--enroll {n}=... is not one of the partners {partners[0]},{partners[1]}."
            )
    store = ProfileStore(profile_dir)
    voices: dict[str, StoredProfile] = {}
    for name, path in enroll:
        audio = load_audio(path, f"enrolment recording of {name}")
        others = {k: v.voice.embedding for k, v in voices.items()}
        try:
            voices[name] = learn_voice(name, audio, source="file", others=others)
        except VoiceRefused as e:
            raise UserError(
                f"Could not learn {name}'s voice from {path}: {e.verdict.describe(name)}."
            ) from e
    saved: dict[str, StoredProfile] = {}
    for name in partners:
        if name not in voices:
            stored = store.load_if_any(name)
            if stored is not None:
                voices[name] = saved[name] = stored
                log.info("%s's voice from the saved profile %s", name, stored.path)
    return partners, voices, saved, store
