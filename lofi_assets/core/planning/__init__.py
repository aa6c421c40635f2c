"""Planning: a track's prompts matched against the library by a multi-factor score and
one global assignment; every prompt left over is a gap with its reason.

Hands on: the playlist (reused songs and gaps, per arc).
"""
