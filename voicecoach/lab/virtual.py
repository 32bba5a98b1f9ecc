"""Headless virtual audio: a private PulseAudio with a virtual speaker and microphone.

Tests, `.ci/run` and benchmarks use it to drive the real sounddevice/PortAudio path on a
machine with no sound card. The daemon runs in user mode on a private socket under
``VC_AUDIO_DIR`` (default ``/tmp/voicecoach-audio-<uid>``) and provides:

- sink ``speaker`` (default output); what is played there is recorded from ``speaker.monitor``
- sink ``micfeed`` -> source ``virtmic`` (default input): whatever is played into ``micfeed``
  is what the application hears from its microphone
- optionally an echo path (``module-loopback speaker.monitor -> micfeed``), the way laptop
  speakers leak into the laptop microphone

PortAudio sees them through ALSA's pulse plugin as ``default``/``pulse`` and as the named
devices ``vc_speaker``, ``vc_virtmic``, ``vc_micfeed`` and ``vc_spkmon`` (speaker monitor).

Shell use::

    eval "$(python -m voicecoach.lab.virtual up)"   # starts it, prints export lines
    python -m voicecoach.lab.virtual down

Start it *before* ``import sounddevice`` (PortAudio scans devices at import) or call
:func:`rescan` afterwards.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicecoach.errors import UserError

log = logging.getLogger(__name__)

APT_PACKAGES = ("pulseaudio", "pulseaudio-utils", "libasound2-plugins", "libportaudio2")
"""Debian packages the harness needs (installed only on CI, or when VC_AUDIO_INSTALL=1)."""

SPEAKER_SINK = "speaker"
MICFEED_SINK = "micfeed"
MIC_SOURCE = "virtmic"
SPEAKER_MONITOR = "speaker.monitor"

# PortAudio (ALSA host API) device names the harness adds.
PA_SPEAKER = "vc_speaker"
PA_MIC = "vc_virtmic"
PA_MICFEED = "vc_micfeed"
PA_SPEAKER_MONITOR = "vc_spkmon"

_READY_TIMEOUT_S = 15.0  # a loaded 2-core CI machine can take seconds to start the daemon


class VirtualAudioUnavailable(UserError):
    """PulseAudio (or a package the harness needs) cannot be had on this machine."""


@dataclass(frozen=True)
class VirtualAudio:
    """A running virtual-audio daemon and the environment that reaches it."""

    dir: Path
    pid: int | None  # None when we attached to a daemon someone else started
    started: bool  # True when this call started the daemon (so the caller should stop it)

    @property
    def env(self) -> dict[str, str]:
        return _env_for(self.dir)


def default_dir() -> Path:
    return Path(os.environ.get("VC_AUDIO_DIR") or f"/tmp/voicecoach-audio-{os.getuid()}")


def _env_for(audio_dir: Path) -> dict[str, str]:
    return {
        "PULSE_SERVER": f"unix:{audio_dir}/native",
        # Replaces ALSA's search path: the system config plus our named test devices.
        "ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{audio_dir}/asoundrc",
    }


# ------------------------------------------------------------------ system packages


def missing_packages() -> list[str]:
    """Debian packages from APT_PACKAGES that look absent (checked by their files)."""
    missing = []
    if not shutil.which("pulseaudio"):
        missing.append("pulseaudio")
    if not shutil.which("pactl"):
        missing.append("pulseaudio-utils")
    if not glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so") and not glob.glob(
        "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so"
    ):
        missing.append("libasound2-plugins")
    if not glob.glob("/usr/lib/*/libportaudio.so.2") and not glob.glob(
        "/usr/lib/libportaudio.so.2"
    ):
        missing.append("libportaudio2")
    return missing


def _may_install() -> bool:
    # Only on CI (or when asked): on a desktop, installing pulseaudio can replace the
    # user's pipewire-pulse, which is not ours to change.
    asked = os.environ.get("VC_AUDIO_INSTALL", "") == "1" or bool(os.environ.get("CI"))
    return asked and os.geteuid() == 0 and shutil.which("apt-get") is not None


def ensure_packages(install: bool | None = None) -> None:
    """Make sure the harness's Debian packages are present, installing them if allowed.

    ``install=None`` installs only on CI (``CI`` set) or with ``VC_AUDIO_INSTALL=1``, as root.
    """
    missing = missing_packages()
    if not missing:
        return
    if install is None:
        install = _may_install()
    if not install:
        why = (
            "CI is set but the harness can only install as root with apt-get"
            if os.environ.get("CI")
            else "set VC_AUDIO_INSTALL=1 as root to let the harness install them"
        )
        raise VirtualAudioUnavailable(
            f"Virtual audio needs {' '.join(missing)}: run "
            f"`sudo apt-get install {' '.join(APT_PACKAGES)}` ({why})."
        )
    log.info("installing %s", " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        # A fresh container usually has no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if res.returncode != 0:
            raise VirtualAudioUnavailable(
                f"apt-get install {' '.join(APT_PACKAGES)} failed: {res.stderr.strip()[-300:]}"
            )
    still = missing_packages()
    if still:
        raise VirtualAudioUnavailable(f"After apt-get install, still missing: {' '.join(still)}.")


# ------------------------------------------------------------------ daemon


_PA_SCRIPT = """\
load-module module-native-protocol-unix socket={dir}/native auth-anonymous=1
load-module module-null-sink sink_name={speaker} rate=16000 channels=1 norewinds=1
load-module module-null-sink sink_name={micfeed} rate=16000 channels=1 norewinds=1
load-module module-remap-source source_name={mic} master={micfeed}.monitor
set-default-sink {speaker}
set-default-source {mic}
"""
# norewinds=1: without it the null sinks run with ~2 s latency and rewinds, a recorder on the
# monitor captures silence and a 1 s playback blocks for 2+ s.


def _asound_pcm(name: str, pulse_device: str, description: str) -> str:
    hint = f'hint {{ show on; description "{description}" }}'
    return f'pcm.{name} {{ type pulse; device "{pulse_device}"; {hint} }}\n'


def _write_config(audio_dir: Path) -> Path:
    audio_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    names = dict(speaker=SPEAKER_SINK, micfeed=MICFEED_SINK, mic=MIC_SOURCE)
    script = audio_dir / "voicecoach.pa"
    script.write_text(_PA_SCRIPT.format(dir=audio_dir, **names))
    (audio_dir / "asoundrc").write_text(
        _asound_pcm(PA_SPEAKER, SPEAKER_SINK, "voicecoach virtual speaker")
        + _asound_pcm(PA_MIC, MIC_SOURCE, "voicecoach virtual microphone")
        + _asound_pcm(PA_MICFEED, MICFEED_SINK, "voicecoach test: feed the virtual mic")
        + _asound_pcm(PA_SPEAKER_MONITOR, SPEAKER_MONITOR, "voicecoach test: speaker monitor")
    )
    return script


def pactl(*args: str, audio_dir: Path | None = None, check: bool = True) -> str:
    """Run ``pactl`` against the harness's daemon and return its stdout."""
    env = {**os.environ, **_env_for(audio_dir or default_dir())}
    res = subprocess.run(["pactl", *args], env=env, capture_output=True, text=True, timeout=10)
    if check and res.returncode != 0:
        raise RuntimeError(f"pactl {' '.join(args)} failed: {res.stderr.strip()}")
    return res.stdout


def is_running(audio_dir: Path | None = None) -> bool:
    """True when a daemon answers on the harness socket and has our sinks."""
    audio_dir = audio_dir or default_dir()
    if not (audio_dir / "native").exists() or not shutil.which("pactl"):
        return False
    try:
        sinks = pactl("list", "short", "sinks", audio_dir=audio_dir, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return SPEAKER_SINK in sinks and MICFEED_SINK in sinks


def _read_pid(audio_dir: Path) -> int | None:
    try:
        return int((audio_dir / "pa.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def start(
    audio_dir: Path | str | None = None,
    *,
    echo: bool = False,
    install: bool | None = None,
    export: bool = True,
) -> VirtualAudio:
    """Bring the virtual devices up (idempotent) and point this process at them.

    Reuses a daemon already answering in ``audio_dir``. ``export`` sets ``PULSE_SERVER`` and
    ``ALSA_CONFIG_PATH`` in ``os.environ`` so PortAudio, opened after this, finds the devices.
    Raises :class:`VirtualAudioUnavailable` when PulseAudio cannot be had.
    """
    audio_dir = Path(audio_dir) if audio_dir is not None else default_dir()
    ensure_packages(install)
    script = _write_config(audio_dir)
    if export:
        os.environ.update(_env_for(audio_dir))
    if is_running(audio_dir):
        log.info("virtual audio already running in %s", audio_dir)
        va = VirtualAudio(audio_dir, _read_pid(audio_dir), started=False)
    else:
        va = _spawn(audio_dir, script)
    if echo:
        load_echo_loopback(audio_dir=audio_dir)
    return va


def _spawn(audio_dir: Path, script: Path) -> VirtualAudio:
    (audio_dir / "native").unlink(missing_ok=True)
    # A private HOME/XDG dir keeps the daemon away from any user's PulseAudio state.
    env = {
        **os.environ,
        "HOME": str(audio_dir),
        "XDG_RUNTIME_DIR": str(audio_dir),
        "XDG_CONFIG_HOME": str(audio_dir),
    }
    env.pop("PULSE_SERVER", None)
    cmd = [
        "pulseaudio",
        "-n",
        "-F",
        str(script),
        "--daemonize=no",
        "--use-pid-file=no",
        "--exit-idle-time=-1",
        f"--log-target=file:{audio_dir}/pa.log",
    ]
    # Its own session, so it outlives `virtual up` and is not hit by the terminal's Ctrl-C.
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    (audio_dir / "pa.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if is_running(audio_dir):
            log.info("virtual audio up in %s (pid %d)", audio_dir, proc.pid)
            return VirtualAudio(audio_dir, proc.pid, started=True)
        time.sleep(0.05)
    tail = ""
    logfile = audio_dir / "pa.log"
    if logfile.exists():
        tail = logfile.read_text(errors="replace")[-800:]
    if proc.poll() is None:
        proc.kill()
    raise VirtualAudioUnavailable(f"PulseAudio did not start in {audio_dir}: {tail.strip()}")


def _is_our_daemon(pid: int, audio_dir: Path) -> bool:
    # Only ever signal the pulseaudio we started for this directory (pids get reused).
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        bool(cmdline)
        and cmdline[0].endswith(b"pulseaudio")
        and any(str(audio_dir).encode() in part for part in cmdline)
    )


def stop(audio_dir: Path | str | None = None) -> None:
    """Stop the daemon started in ``audio_dir`` (by its pid file). Idempotent."""
    audio_dir = Path(audio_dir) if audio_dir is not None else default_dir()
    pid = _read_pid(audio_dir)
    if pid is not None and _is_our_daemon(pid, audio_dir):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        try:  # reap it when it is our child (pytest); harmless otherwise
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        log.info("virtual audio stopped (pid %d)", pid)
    (audio_dir / "pa.pid").unlink(missing_ok=True)
    (audio_dir / "native").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# ------------------------------------------------------------------ echo path


def load_echo_loopback(
    latency_ms: int = 60, volume: float = 1.0, audio_dir: Path | None = None
) -> int:
    """Feed the speaker back into the microphone (``speaker.monitor -> micfeed``).

    Returns the module index (for :func:`unload_module`). ``volume`` (0..1, linear) scales
    the echo, e.g. 0.5 for a -6 dB leak.
    """
    out = pactl(
        "load-module",
        "module-loopback",
        f"source={SPEAKER_MONITOR}",
        f"sink={MICFEED_SINK}",
        f"latency_msec={latency_ms}",
        "source_dont_move=true",
        "sink_dont_move=true",
        audio_dir=audio_dir,
    )
    module = int(out.strip())
    if volume != 1.0:
        inputs = json.loads(pactl("-f", "json", "list", "sink-inputs", audio_dir=audio_dir))
        for sink_input in inputs:
            if str(sink_input.get("owner_module")) == str(module):
                # PulseAudio's percent scale is cubic; dB is unambiguous.
                db = f"{20 * math.log10(max(volume, 1e-5)):.2f}dB"
                pactl("set-sink-input-volume", str(sink_input["index"]), db, audio_dir=audio_dir)
    log.info("echo loopback loaded (module %d, %d ms, volume %.2f)", module, latency_ms, volume)
    return module


def unload_module(module: int, audio_dir: Path | None = None) -> None:
    pactl("unload-module", str(module), audio_dir=audio_dir, check=False)


# ------------------------------------------------------------------ PortAudio


def rescan() -> None:
    """Make an already imported sounddevice see the current devices.

    PortAudio enumerates devices once, at initialisation (sounddevice import); no stream
    may be open while this runs.
    """
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


# ------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voicecoach.lab.virtual",
        description="Start/stop headless virtual audio devices (PulseAudio null sinks).",
    )
    parser.add_argument("command", choices=["up", "down", "env", "status"])
    parser.add_argument("--dir", type=Path, default=None, help="default: $VC_AUDIO_DIR")
    parser.add_argument("--echo", action="store_true", help="also loop the speaker into the mic")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    audio_dir = args.dir or default_dir()
    try:
        if args.command == "up":
            start(audio_dir, echo=args.echo)
        elif args.command == "down":
            stop(audio_dir)
            return 0
        elif args.command == "status":
            running = is_running(audio_dir)
            print(f"virtual audio in {audio_dir}: {'running' if running else 'not running'}")
            return 0 if running else 1
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # `up` and `env` print shell exports, for eval "$(python -m voicecoach.lab.virtual up)".
    for key, value in _env_for(audio_dir).items():
        print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


class Recorder:
    """Records a PortAudio input (e.g. the speaker's monitor), noting the wall time each
    block arrived: the measuring end of the device tests and `voicecoach bench`."""

    def __init__(self, device: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        import numpy as np
        import sounddevice as sd

        self._np = np
        self.clock = clock
        self.blocks: list[tuple[float, Any]] = []
        self.overflows = 0
        self.stream = sd.InputStream(
            device=device,
            samplerate=16_000,
            channels=1,
            dtype="float32",
            blocksize=160,
            latency=0.05,
            callback=self._cb,
        )

    def _cb(self, data: Any, frames: int, t: Any, status: Any) -> None:
        self.overflows += bool(status.input_overflow)
        self.blocks.append((self.clock(), data[:, 0].copy()))

    def __enter__(self) -> Recorder:
        self.stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()

    def audio(self) -> Any:
        blocks = list(self.blocks)
        np = self._np
        return np.concatenate([b for _, b in blocks]) if blocks else np.zeros(0, np.float32)

    def arrival(self, sample: int) -> float:
        """Clock time at which captured sample ``sample`` reached us."""
        end = 0
        for t, b in list(self.blocks):
            end += len(b)
            if sample < end:
                return t - (end - 1 - sample) / 16_000
        raise IndexError(sample)
