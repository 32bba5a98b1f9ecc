"""`voicecoach enroll NAME`: learn a partner's voice once, from the microphone or a file."""

from __future__ import annotations

import argparse
import logging

import numpy as np

from voicecoach.cli.options import add_profile_dir
from voicecoach.dialogue import prompts
from voicecoach.errors import UserError

NAME = "enroll"
HELP = "learn a partner's voice once (microphone or --from FILE) and save it as a profile"
EXAMPLES = [
    "voicecoach enroll Alex",
    "voicecoach enroll Sam --from sam.wav",
    "voicecoach enroll Alex --prompt print --force",
]

log = logging.getLogger(__name__)

PROMPT = "{name}, so I can learn your voice, please tell me in a few sentences how your day was."
ATTEMPTS = 3  # the first ask and at most two kind re-asks


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the partner's name, as used with run --partners")
    p.add_argument("--from", dest="source", metavar="FILE", help="a recording of that partner")
    p.add_argument("--device", help="microphone: name (or part of it) or index")
    p.add_argument("--output-device", help="speakers for the spoken prompt")
    p.add_argument(
        "--prompt",
        choices=["speak", "print"],
        default="speak",
        help="speak the request (default) or only print it",
    )
    p.add_argument("--voice", default="en_US-joe-medium", help="the coach's Piper voice")
    p.add_argument("--force", action="store_true", help="replace an existing profile")
    add_profile_dir(p)


def main(args: argparse.Namespace) -> int:
    from voicecoach.learnvoice import VoiceRefused, learn_voice
    from voicecoach.perception.enrolcheck import EnrolmentCheck
    from voicecoach.profiles import ProfileStore, file_name

    name = args.name.strip()
    file_name(name)  # a name no file can hold fails before anyone speaks
    store = ProfileStore(args.profile_dir)
    if store.has(name) and not args.force:
        raise UserError(
            f"{name} already has a voice profile ({store.path(name)}): add --force to "
            f"replace it, or `voicecoach forget {name}` first."
        )
    others = {
        p.name: p.voice.embedding
        for _, p in store.all()
        if not isinstance(p, Exception) and p.name.casefold() != name.casefold()
    }
    check = EnrolmentCheck()
    if args.source:
        from voicecoach.perception.analyze import load_audio

        audio = load_audio(args.source, f"recording of {name}")
        profile = learn_voice(name, audio, source="file", others=others, check=check)
    else:
        asker = _Asker(args)
        line = PROMPT.format(name=name)
        for attempt in range(ATTEMPTS):
            audio = asker.ask(line)
            try:
                profile = learn_voice(
                    name, audio, source="microphone", others=others, check=check, coach=asker.said
                )
                break
            except VoiceRefused as e:
                v = e.verdict
                print(f"  ({v.describe(name)})", flush=True)
                if attempt == ATTEMPTS - 1:
                    raise VoiceRefused(
                        f"Could not learn {name}'s voice after {ATTEMPTS} tries: "
                        f"{v.describe(name)}. Try a quieter room, or --from a recording.",
                        v,
                    ) from None
                again = prompts.ENROL_AGAIN
                line = again.get(v.reason, again["too_little"]).format(name=name, like=v.like)
        asker.close()
    path = store.save(profile)
    print(f"Learned {name}'s voice from {profile.speech_s:.1f} s of speech: {path}")
    return 0


class _Asker:
    """Asks on the speakers (or the screen) and records the answer from the microphone."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.device = args.device
        self.sink = None
        self.voice = None
        self.said: np.ndarray | None = None  # the request as played (its echo is not a voice)
        if args.prompt == "speak":
            from voicecoach.audio.devices import SpeakerSink
            from voicecoach.speech.tts import PiperSpeaker

            self.sink = SpeakerSink(args.output_device)
            self.voice = PiperSpeaker(args.voice)

    def ask(self, line: str) -> np.ndarray:
        from voicecoach.audio.answer import record_answer
        from voicecoach.audio.devices import MicSource

        print(f"Coach: {line}", flush=True)
        if self.sink is not None and self.voice is not None:
            self.said = self.voice.render(line)
            self.sink.play(0.0, self.said)
            # Listen only once the request has played: the microphone would hear it.
            self.sink.drain()
        mic = MicSource(self.device, queue_s=30.0)
        print("Listening...", flush=True)
        return record_answer(mic)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
