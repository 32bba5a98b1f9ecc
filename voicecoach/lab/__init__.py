"""The lab: what measures, simulates or rehearses voicecoach, apart from the product.

bench (latency, speed, memory), evaluate (detector numbers on a data directory),
cuestats (raised-voice cue statistics), acoustics (a simulated living room), testaudio
(generated speech and tones), partners (simulated partner voices), rehearse (driving the
dialogue engine with scripted replies) and virtual (headless PulseAudio devices).
No runtime module imports this package; the demo and the user commands eval and bench do.
"""
