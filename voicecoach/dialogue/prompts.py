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
