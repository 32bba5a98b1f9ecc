"""A satellite's --mic-command for the tests: raw 16 kHz 16-bit mono to stdout, at real
time. Silence until the file GO exists, then the recording (its start's wall time is
written to START), then silence forever (a mic command that ended would be restarted and
play the recording again). With a fourth argument, what the satellite's speaker plays (the
snd command's raw file) comes back into the microphone, as a room's echo does."""

import os
import sys
import time

import numpy as np

RATE, CHUNK = 16000, 1024


def main() -> None:
    raw_path, go_path, start_path = sys.argv[1:4]
    loop_path = sys.argv[4] if len(sys.argv) > 4 else None
    loop_pos = 0
    data = open(raw_path, "rb").read()
    out = sys.stdout.buffer
    silence = b"\0" * (2 * CHUNK)
    t0 = time.monotonic()
    k = 0
    pos = None
    while True:
        if pos is None and os.path.exists(go_path):
            pos = 0
            with open(start_path, "w") as fh:
                fh.write(repr(time.time()))
        if pos is not None and pos < len(data):
            piece = data[pos : pos + 2 * CHUNK]
            piece += b"\0" * (2 * CHUNK - len(piece))
            pos += 2 * CHUNK
        else:
            piece = silence
        if loop_path is not None and os.path.exists(loop_path):
            with open(loop_path, "rb") as fh:
                fh.seek(loop_pos)
                echo = fh.read(2 * CHUNK)
            echo = echo[: len(echo) // 2 * 2]
            loop_pos += len(echo)
            if echo:
                a = np.frombuffer(piece, "<i2").astype(np.int32)
                e = np.frombuffer(echo, "<i2").astype(np.int32)
                a[: len(e)] += (e * 7) // 10  # the speaker heard at -3 dB
                piece = np.clip(a, -32768, 32767).astype("<i2").tobytes()
        out.write(piece)
        out.flush()
        k += 1
        time.sleep(max(0.0, t0 + k * CHUNK / RATE - time.monotonic()))


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
