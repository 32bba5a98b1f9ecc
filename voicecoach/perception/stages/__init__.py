"""The listening stages, in the order the audio passes them (see `perception.listener`):
segment, embed, attribute, settle, strangers, turns (interruptions and overlap), heat
(raised voices, behind the voice gate), and enrol (voice profiles)."""
