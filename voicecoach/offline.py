"""Keep every library offline: voicecoach never touches the network.

Called once at start-up, before faster-whisper / huggingface_hub are imported, so that
a missing local model fails at once with our own message instead of trying a hub.
"""

from __future__ import annotations

import os

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def enforce_offline() -> None:
    for key, value in _OFFLINE_ENV.items():
        os.environ[key] = value
