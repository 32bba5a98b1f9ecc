"""Saved voice profiles: what the detectors need to know a partner's voice, and never audio.

A profile is one JSON file per partner in the profile directory:
``--profile-dir``, else ``$VOICECOACH_PROFILE_DIR``, else
``$XDG_DATA_HOME/voicecoach/profiles`` (``~/.local/share/voicecoach/profiles``).
The directory is made 0700 and every file 0600 (written to a private temporary file,
then renamed, so a crash never leaves half a profile).

It holds the speaker d-vector (256 numbers), the frame model of the cepstra (mean,
inverse covariance and its log-determinant: 20 + 400 + 1 numbers), the calm baseline
statistics of the raised-voice detector (medians and spreads of level, pitch, tilt and
H1-H2), how much speech it rests on, when it was made and updated, and a format version.
No samples, spectra or transcripts: a profile cannot be played back.

Adaptation (`adapt`): after a session, speech the listener attributed to a partner with
high confidence (see `voicecoach.profile_adapt`) moves the d-vector and the baseline a
little, with the past's weight capped (``ADAPT_MAX_WEIGHT``): one session can move the
d-vector by at most a fifth of the way towards the new speech, and the baseline's
medians never more than half a spread above the enrolment's in the raised direction
(`Baseline.adapt`), so a string of heated sessions cannot teach it that shouting is calm.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import UserError
from voicecoach.perception.speakers import Baseline, FrameModel, VoiceProfile

log = logging.getLogger(__name__)

FORMAT = "voicecoach-voice-profile"
VERSION = 1
ADAPT_MAX_WEIGHT = 0.2  # the most one session's speech may weigh against the profile
_BASELINE_FIELDS = (
    "level_db",
    "pitch_st",
    "tilt_db",
    "pitch_range_st",
    "voiced_s",
    "h1h2_db",
    "level_sd",
    "pitch_sd",
    "tilt_sd",
    "h1h2_sd",
)


class ProfileError(UserError):
    """A profile that cannot be used (missing, damaged, from another version)."""


@dataclass
class StoredProfile:
    """A partner's voice as saved: a `VoiceProfile` plus its history."""

    voice: VoiceProfile
    speech_s: float  # seconds of speech the profile was learnt from (adaptation adds)
    created: str  # ISO date-time (UTC) of the enrolment
    updated: str  # ... of the last change
    sessions: int = 0  # sessions it adapted over
    source: str = ""  # "microphone" or "file"
    path: Path | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.voice.name


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def profile_dir(override: str | Path | None = None) -> Path:
    """Where profiles live: ``override`` (``--profile-dir``), else the settings file's
    ``profile_dir``, else ``$VOICECOACH_PROFILE_DIR``, else the user's data folder
    (``$XDG_DATA_HOME/voicecoach/profiles``). Not created here."""
    if override:
        return Path(override).expanduser()
    from voicecoach import config

    return config.profile_dir(config.load_settings())


def file_name(name: str) -> str:
    """The file for a partner's name: case-folded, anything but letters, digits, ``-``
    and ``_`` replaced, so every name maps to one plain file in the directory."""
    key = re.sub(r"[^\w-]+", "_", name.strip().casefold()).strip("_")
    if not key:
        raise ProfileError(f"{name!r} cannot name a voice profile: use letters or digits.")
    return f"{key}.json"


def _private_dir(directory: Path) -> Path:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # an existing directory is made private too
    except OSError as e:
        raise ProfileError(
            f"Cannot use {str(directory)!r} for voice profiles ({e.strerror}): give another "
            "with --profile-dir."
        ) from e
    return directory


def to_json(p: StoredProfile) -> dict[str, Any]:
    v = p.voice
    frames = None
    if v.frames is not None:
        frames = {
            "mean": _floats(v.frames.mean),
            "prec": [_floats(row) for row in v.frames.prec],
            "logdet": float(v.frames.logdet),
        }
    base: dict[str, Any] | None = None
    if v.baseline is not None:
        base = {k: float(getattr(v.baseline, k)) for k in _BASELINE_FIELDS}
        base["enrol"] = {k: float(x) for k, x in v.baseline.enrol.items()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": v.name,
        "created": p.created,
        "updated": p.updated,
        "speech_s": round(float(p.speech_s), 2),
        "sessions": int(p.sessions),
        "source": p.source,
        "embedding": _floats(v.embedding),
        "frame_model": frames,
        "baseline": base,
    }


def _floats(a: np.ndarray) -> list[float]:
    return [float(f"{x:.9g}") for x in np.asarray(a, dtype=np.float64).ravel()]


def from_json(d: Any, where: str) -> StoredProfile:
    """A profile from its JSON; ProfileError (one sentence) for anything wrong."""
    fix = f"remove it with `voicecoach forget` and enrol again ({where})"
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ProfileError(f"This is not a voicecoach voice profile: {fix}.")
    version = d.get("version")
    if version != VERSION:
        raise ProfileError(
            f"The voice profile of {d.get('name', '?')} has format version {version!r}, "
            f"this voicecoach reads version {VERSION}: {fix}."
        )
    try:
        name = str(d["name"])
        emb = np.asarray(d["embedding"], dtype=np.float64)
        if emb.ndim != 1 or len(emb) < 8 or not np.all(np.isfinite(emb)):
            raise ValueError("bad embedding")
        emb = emb / (np.linalg.norm(emb) + 1e-12)
        frames = None
        if d.get("frame_model") is not None:
            fm = d["frame_model"]
            mean = np.asarray(fm["mean"], dtype=np.float64)
            prec = np.asarray(fm["prec"], dtype=np.float64)
            if prec.shape != (len(mean), len(mean)) or not np.all(np.isfinite(prec)):
                raise ValueError("bad frame model")
            frames = FrameModel(mean, prec, float(fm["logdet"]))
        base = None
        if d.get("baseline") is not None:
            b = d["baseline"]
            values: dict[str, Any] = {k: float(b[k]) for k in _BASELINE_FIELDS}
            base = Baseline(**values)
            base.enrol = {str(k): float(x) for k, x in b.get("enrol", {}).items()}
        voice = VoiceProfile(name, emb, frames, base, enrolled=True)
        return StoredProfile(
            voice,
            speech_s=float(d.get("speech_s", 0.0)),
            created=str(d.get("created", "")),
            updated=str(d.get("updated", d.get("created", ""))),
            sessions=int(d.get("sessions", 0)),
            source=str(d.get("source", "")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ProfileError(f"The voice profile is damaged ({e}): {fix}.") from e


class ProfileStore:
    """The profile directory: save, load, list and forget partners' voices."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.dir = profile_dir(directory)

    def path(self, name: str) -> Path:
        return self.dir / file_name(name)

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def save(self, profile: StoredProfile) -> Path:
        _private_dir(self.dir)
        path = self.path(profile.name)
        data = json.dumps(to_json(profile), indent=1).encode()
        # mkstemp creates the file 0600: the profile is never readable by others, not
        # even for the moment before a chmod.
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise ProfileError(f"Could not save the voice profile {str(path)!r}: {e}.") from e
        profile.path = path
        log.info("saved the voice profile of %s to %s", profile.name, path)
        return path

    def load(self, name: str) -> StoredProfile:
        path = self.path(name)
        if not path.is_file():
            raise ProfileError(
                f"There is no voice profile for {name} in {str(self.dir)!r}: "
                f"`voicecoach enroll {name}` makes one."
            )
        return self._read(path)

    def _read(self, path: Path) -> StoredProfile:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ProfileError(
                f"The voice profile {str(path)!r} cannot be read ({type(e).__name__}): remove "
                "it with `voicecoach forget` and enrol again."
            ) from e
        p = from_json(d, str(path))
        p.path = path
        return p

    def load_if_any(self, name: str) -> StoredProfile | None:
        return self.load(name) if self.has(name) else None

    def all(self) -> list[tuple[Path, StoredProfile | ProfileError]]:
        """Every profile file, read (or the error reading it), sorted by file name."""
        if not self.dir.is_dir():
            return []
        out: list[tuple[Path, StoredProfile | ProfileError]] = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                out.append((path, self._read(path)))
            except ProfileError as e:
                out.append((path, e))
        return out

    def forget(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise ProfileError(f"There is no voice profile for {name} in {str(self.dir)!r}.")
        path.unlink()
        log.info("forgot the voice profile of %s", name)
        return path

    def forget_all(self) -> list[Path]:
        paths = sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []
        for p in paths:
            p.unlink()
        return paths


def new_profile(voice: VoiceProfile, speech_s: float, source: str) -> StoredProfile:
    now = _now()
    return StoredProfile(voice, speech_s=speech_s, created=now, updated=now, source=source)


def adapt(
    stored: StoredProfile,
    embedding: np.ndarray | None,
    embedding_s: float,
    baseline: Baseline | None,
) -> bool:
    """Fold a session's confidently attributed speech into a saved profile (bounded; see
    the module docstring). ``embedding``: the mean d-vector of that speech, resting on
    ``embedding_s`` seconds; ``baseline``: its calm statistics. True if it changed."""
    v = stored.voice
    changed = False
    if embedding is not None and embedding_s > 0:
        w = min(ADAPT_MAX_WEIGHT, embedding_s / (embedding_s + max(stored.speech_s, 1.0)))
        mixed = (1 - w) * v.embedding + w * np.asarray(embedding, dtype=np.float64)
        v.embedding = mixed / (np.linalg.norm(mixed) + 1e-12)
        stored.speech_s += embedding_s
        changed = True
    if baseline is not None and v.baseline is not None:
        v.baseline.adapt(baseline)
        changed = True
    if changed:
        stored.sessions += 1
        stored.updated = _now()
    return changed
