"""Which audio devices exist, and which one a name or index means (through PortAudio).

`voicecoach devices` lists them, `doctor` checks them, and the microphone and speaker
(`voicecoach.audio.devices`) open the device a flag names. A missing PortAudio, no
device at all, and a name that fits none or several are each a UserError saying what
to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from voicecoach.errors import UserError

Kind = Literal["input", "output"]


def import_sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio into a UserError."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError("PortAudio library not found")
        raise UserError(
            "The PortAudio library is missing: install it with "
            "`sudo apt-get install libportaudio2` (Debian/Ubuntu) and try again."
        ) from exc
    return sounddevice


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool
    default_output: bool

    def has(self, kind: Kind) -> bool:
        return (self.max_input_channels if kind == "input" else self.max_output_channels) > 0


def list_devices() -> list[DeviceInfo]:
    """Every audio device PortAudio knows (empty when there are none)."""
    sd = import_sounddevice()
    try:
        raw = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise UserError(f"Could not list audio devices ({exc}): check the sound system.") from exc
    out = []
    for dev in raw:
        out.append(
            DeviceInfo(
                index=int(dev["index"]),
                name=str(dev["name"]),
                hostapi=str(hostapis[dev["hostapi"]]["name"]),
                max_input_channels=int(dev["max_input_channels"]),
                max_output_channels=int(dev["max_output_channels"]),
                default_samplerate=float(dev["default_samplerate"]),
                default_input=int(dev["index"]) == default_in,
                default_output=int(dev["index"]) == default_out,
            )
        )
    return out


def format_devices(devices: list[DeviceInfo] | None = None) -> str:
    """A table for `voicecoach devices`: index, in/out channels, name, defaults marked."""
    devices = list_devices() if devices is None else devices
    if not devices:
        return "No audio devices found."
    lines = []
    for d in devices:
        mark = ("<" if d.default_input else " ") + (">" if d.default_output else " ")
        lines.append(
            f"{mark} {d.index:3d}  in {d.max_input_channels:2d}  out {d.max_output_channels:2d}"
            f"  {d.name} ({d.hostapi})"
        )
    lines.append("(< default input, > default output)")
    return "\n".join(lines)


def resolve_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """Find a device by index, exact name or unique name substring (case-insensitive).

    ``None`` means the system default for ``kind``. Raises UserError naming the devices
    that exist when nothing (or more than one device) matches.
    """
    devices = list_devices()
    usable = [d for d in devices if d.has(kind)]
    if not usable:
        raise UserError(
            f"No audio {kind} device found: connect a "
            f"{'microphone' if kind == 'input' else 'speaker or headphones'} "
            "(or start PulseAudio/PipeWire) and try again."
        )
    names = ", ".join(repr(d.name) for d in usable)
    if spec is None or spec == "":
        default = [d for d in usable if (d.default_input if kind == "input" else d.default_output)]
        if default:
            return default[0]
        raise UserError(f"There is no default audio {kind}: pick one with --device ({names}).")
    if isinstance(spec, int) or str(spec).strip().isdigit():
        index = int(spec)
        for d in usable:
            if d.index == index:
                return d
        raise UserError(f"No audio {kind} device with index {index}; devices: {names}.")
    wanted = str(spec).strip().lower()
    exact = [d for d in usable if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in usable if wanted in d.name.lower()]
    if len(partial) > 1:
        # Windows lists one card under several host APIs (MME, WASAPI...): prefer the
        # host API the system defaults use.
        default_api = {d.hostapi for d in devices if d.default_input or d.default_output}
        preferred = [d for d in partial if d.hostapi in default_api]
        partial = preferred if len(preferred) == 1 else partial
    if len(partial) == 1:
        return partial[0]
    if partial:
        matches = ", ".join(repr(d.name) for d in partial)
        raise UserError(f"Audio {kind} device {spec!r} is ambiguous ({matches}): be more exact.")
    raise UserError(f"No audio {kind} device named {spec!r}; devices that exist: {names}.")
