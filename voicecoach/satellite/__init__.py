"""A Wyoming satellite (a small speaker device in the room) as voicecoach's ears and mouth.

``link`` holds the connection (its own thread and event loop: pings, reconnection, the
echo gate), ``audio`` the session's source and sink on top of it, ``probe`` the checks
``voicecoach doctor --satellite`` makes.
"""
