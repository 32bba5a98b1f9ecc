"""voicecoach: an offline voice coach for couples in a hard conversation.

It listens, notices when a conversation heats up (raised voices, talking over each
other), offers a calm pause, asks whether everyone feels safe, and guides an
Imago-style dialogue. It is not therapy and never pretends to be.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "analyze"]


def analyze(audio: Any, *, calibration: Any = None, enroll: Any = None) -> dict:
    """Run the live listening pipeline on a file or array; see `voicecoach.perception.analyze`."""
    # Imported lazily so `import voicecoach` stays cheap (no numpy/onnx at import).
    from voicecoach.perception.analyze import analyze as _analyze

    return _analyze(audio, calibration=calibration, enroll=enroll)
