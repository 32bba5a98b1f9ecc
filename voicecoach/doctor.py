"""`voicecoach doctor`: check the whole setup, and say how to fix each problem.

Each check gives "ok", "warn" (works, but not as well as it could) or "fail" (voicecoach
cannot do its job), with what it found and, for a problem, the fix. Nothing is changed,
prepared or downloaded: the doctor only looks (the microphone check listens for 3 s).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.errors import UserError

log = logging.getLogger(__name__)

MIC_CHECK_S = 3.0
SPEECH_DBFS = -45.0  # a voice at arm's length reads well above this; silence well below
QUIET_DBFS = -60.0  # below this the microphone is muted or not the one in use
MIN_FREE_MB = 500.0  # a few hours of sessions, reports and the model cache


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail"
    detail: str
    fix: str = ""


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def check_portaudio() -> Check:
    from voicecoach.audio.devicelist import import_sounddevice

    try:
        sd = import_sounddevice()
    except UserError as exc:
        return Check("PortAudio", "fail", "not found", str(exc))
    return _ok("PortAudio", sd.get_portaudio_version()[1])


def check_devices() -> list[Check]:
    from voicecoach.audio.devicelist import resolve_device

    out = []
    for kind, label, fix in (
        (
            "input",
            "microphone",
            "Connect a microphone (or start PulseAudio/PipeWire); without one, "
            "`voicecoach run --input talk.wav` coaches a recording.",
        ),
        (
            "output",
            "speakers",
            "Connect speakers or headphones; without them, add --output coach.wav to write "
            "the coach's voice to a file.",
        ),
    ):
        try:
            dev = resolve_device(None, kind)  # type: ignore[arg-type]
        except UserError as exc:
            out.append(Check(label, "fail", str(exc).split(":")[0], fix))
        else:
            out.append(_ok(label, f"{dev.name} ({dev.hostapi})"))
    return out


def mic_level(seconds: float = MIC_CHECK_S, device: str | None = None) -> float:
    """The loudest 0.3 s of ``seconds`` from the microphone, dBFS (RMS)."""
    from voicecoach.audio.devices import MicSource
    from voicecoach.timebase import SAMPLE_RATE

    heard: list[np.ndarray] = []
    n = 0
    with MicSource(device) as mic:
        for chunk in mic.chunks():
            heard.append(np.asarray(chunk, dtype=np.float32))
            n += len(chunk)
            if n >= seconds * SAMPLE_RATE:
                break
    audio = np.concatenate(heard) if heard else np.zeros(1, np.float32)
    win = int(0.3 * SAMPLE_RATE)
    usable = len(audio) // win * win
    if usable == 0:
        return float(10 * np.log10(np.mean(audio**2) + 1e-12))
    rms = np.sqrt(np.mean(audio[:usable].reshape(-1, win) ** 2, axis=1))
    return float(20 * np.log10(rms.max() + 1e-9))


def check_mic_level(say: Callable[[str], None], device: str | None = None) -> Check:
    say(f"Microphone check: say something for {MIC_CHECK_S:.0f} seconds...")
    try:
        level = mic_level(device=device)
    except UserError as exc:
        return Check("microphone level", "fail", str(exc), "See the microphone check above.")
    detail = f"loudest {level:.0f} dBFS"
    if level < QUIET_DBFS:
        return Check(
            "microphone level",
            "fail",
            detail + " (nothing heard)",
            "Unmute the microphone or raise its input volume (e.g. pavucontrol), or pick "
            "another one with `voicecoach run --device NAME` (`voicecoach devices`).",
        )
    if level < SPEECH_DBFS:
        return Check(
            "microphone level",
            "warn",
            detail + " (quiet)",
            "Move the laptop closer to you both, or raise the microphone's input volume.",
        )
    return _ok("microphone level", detail)


def check_models() -> list[Check]:
    from voicecoach.speech import models as m
    from voicecoach.speech.tts import DEFAULT_VOICE, find_voices

    reinstall = "Run ./setup.sh again (it reinstalls the model packages and prepares them)."
    out = []
    # Whisper base: shipped in two parts and joined once into the cache (prepare).
    try:
        parts, extras_dir = m._base_sources()
    except UserError as exc:
        out.append(Check("Whisper base", "fail", str(exc), reinstall))
    else:
        sizes = {"model.bin": sum(p.stat().st_size for p in parts)}
        sizes.update({e: (extras_dir / e).stat().st_size for e in m._BASE_EXTRAS})
        out.append(_prepared("Whisper base", m.cache_dir() / "whisper-base", sizes))
    try:
        tiny = m.whisper_model_dir("tiny.en", progress=False)
        out.append(_ok("Whisper tiny.en", str(tiny)))
    except UserError as exc:
        out.append(Check("Whisper tiny.en", "warn", str(exc), reinstall))
    voices = find_voices()
    if DEFAULT_VOICE in voices:
        out.append(_ok("coach's voice", f"{DEFAULT_VOICE}: {voices[DEFAULT_VOICE][0]}"))
    else:
        out.append(Check("coach's voice", "fail", f"{DEFAULT_VOICE} is not installed", reinstall))
    return out


def _prepared(name: str, target: Path, sizes: dict[str, int]) -> Check:
    """A model joined into the cache: complete, and its full sha256 still the one recorded
    when it was made (a disk error or a half-copied cache shows here)."""
    from voicecoach.speech.models import _damage

    prepare = "Run `python -m voicecoach.prepare` (./setup.sh does): it (re)builds it."
    damage = _damage(target, sizes, full=True)
    if damage is None:
        return _ok(name, f"{target} (checksum matches)")
    if damage.startswith("no manifest") and not (target / "model.bin").exists():
        return Check(name, "warn", f"not prepared yet in {target}", prepare)
    return Check(name, "fail", f"{target} is damaged: {damage}", prepare)


def check_disk(where: Path) -> Check:
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_mb = shutil.disk_usage(probe).free / 1e6
    detail = f"{free_mb:,.0f} MB free at {probe}"
    if free_mb < MIN_FREE_MB:
        return Check("free disk", "warn", detail, "Free some disk space, or set another log_dir.")
    return _ok("free disk", detail)


def check_echo() -> Check:
    from voicecoach.audio.echo import EchoCanceller

    backend = EchoCanceller().backend
    if backend == "none":
        return Check(
            "echo canceller",
            "warn",
            "not available: the coach may hear itself, and you cannot talk over it",
            "Reinstall the pip package pywebrtc-audio (./setup.sh), or use headphones.",
        )
    return _ok("echo canceller", backend)


def check_settings() -> tuple[Check, object | None]:
    from voicecoach.config import config_path, load_settings

    try:
        settings = load_settings()
    except UserError as exc:
        return Check(
            "settings", "fail", str(exc), "Fix that line, or `voicecoach config set`."
        ), None
    where = config_path()
    detail = str(where) if where.is_file() else f"defaults ({where} not created)"
    return _ok("settings", detail), settings


def check_profiles(profile_dir: Path) -> Check:
    if not profile_dir.is_dir():
        return _ok("voice profiles", "none saved (the coach learns your voices each session)")
    files = [p for p in profile_dir.iterdir() if p.is_file()]
    loose = [p.name for p in [profile_dir, *files] if p.stat().st_mode & 0o077]
    if loose:
        return Check(
            "voice profiles",
            "warn",
            f"readable by others: {', '.join(loose)}",
            f"chmod 700 {profile_dir} and chmod 600 the files in it (they describe voices).",
        )
    try:
        from voicecoach.profiles import ProfileStore  # type: ignore[import-not-found]
    except ImportError:  # profiles not in this version: the files are only listed
        return _ok("voice profiles", f"{len(files)} file(s) in {profile_dir}")
    found = ProfileStore(profile_dir).all()
    bad = [(path, err) for path, err in found if isinstance(err, Exception)]
    if bad:
        path, err = bad[0]
        return Check(
            "voice profiles",
            "fail",
            f"{path.name}: {err}",
            "Learn that voice again with `voicecoach enroll NAME`, or remove it with "
            "`voicecoach forget NAME`.",
        )
    names = ", ".join(p.name for _, p in found if not isinstance(p, Exception)) or "none"
    return _ok("voice profiles", f"{names} in {profile_dir}")


def check_satellite(uri: str) -> Check:
    from voicecoach.satellite.probe import probe

    r = probe(uri)
    if r.ok:
        return _ok("satellite", f"{r.name or uri}: {r.audio_s_per_s:.2f} s of audio per second")
    status = "fail" if not r.reachable or not r.chunks_per_s else "warn"
    return Check("satellite", status, f"{uri}: {r.problems[0]}", "; ".join(r.problems[1:]))


def run_checks(
    *, mic: bool = True, say: Callable[[str], None] = print, satellite: str | None = None
) -> list[Check]:
    settings_check, settings = check_settings()
    checks = [check_portaudio()]
    if checks[0].status == "ok":
        devices = check_devices()
        checks += devices
        if mic and devices[0].status == "ok":
            checks.append(check_mic_level(say))
    checks += check_models()
    checks.append(check_echo())
    log_dir = getattr(settings, "log_dir", None) or Path.home()
    checks.append(check_disk(Path(log_dir)))
    checks.append(settings_check)
    if settings is not None:
        from voicecoach.config import profile_dir

        checks.append(check_profiles(profile_dir(settings)))  # type: ignore[arg-type]
    if satellite:
        checks.append(check_satellite(satellite))
    return checks


MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def format_checks(checks: Iterable[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(f"[{MARK[c.status]}] {c.name}: {c.detail}")
        if c.fix and c.status != "ok":
            lines.append(f"       fix: {c.fix}")
    return "\n".join(lines)


def broken(checks: Iterable[Check]) -> bool:
    return any(c.status == "fail" for c in checks)
