"""The engine's own lines (not from a script): holding the floor, re-prompts, commands.

Kept in one place so their tone can be reviewed together: calm, short, never judging.
"""

from __future__ import annotations

HOLD_FLOOR = "Let's let {floor} finish; you'll have your turn, {other}."
REPROMPT = "Take your time, {name}. I'm listening."
OFFER_PAUSE = "{name}, would you like to take a pause?"
NOT_CAUGHT = "Sorry, I didn't catch that. {question}"
SIMPLER_YESNO = "{name}, a simple yes or no is enough."
SIMPLER_CHOICE = "Please just say one word: {options}."
RESUME = "Thank you. Let's pick up where we left off."
TOO_HEATED = (
    "It keeps getting heated, and that's okay. Let's stop the exercise for today. "
    "Some time apart can help; you can come back to it when you both feel ready."
)
SAFETY_STOP = (
    "I'm going to stop the exercise here, because your safety matters most. "
    "There is some information on the screen."
)
STOP = "Okay, we'll stop here. Thank you both."
SLOWER = "Of course. I'll speak more slowly."
NO_SKIP_SAFETY = "This one matters, so I'll ask again. {question}"
BREATHE_IN = "Breathe in, slowly..."
BREATHE_OUT = "and out..."

# Learning a voice: asked again by name, kindly, saying what went wrong (at most twice).
ENROL_AGAIN = {
    "too_little": "{name}, I need a little more to learn your voice. Could you tell me a bit "
    "more about your day, in a few sentences?",
    "not_speech": "Sorry, {name}, I couldn't make out a voice there; maybe there was some "
    "noise. Could you tell me again how your day was?",
    "two_voices": "I heard more than one voice. {name}, just you this time, please: a few "
    "sentences about your day.",
    "echo": "I only heard my own voice come back. {name}, could you tell me about your day?",
    "same_voice": "That sounded like {like} again. {name}, could you tell me about your day "
    "in your own voice?",
}
VOICE_MISSING = (
    "I couldn't learn {name}'s voice yet, and that's okay. I'll keep learning it as you talk."
)
VOICE_MISSING_SHOWN = (
    "{name}'s voice is not learned yet: voicecoach keeps learning it from the conversation. "
    "Before the next session, `voicecoach enroll {name}` learns it once."
)
