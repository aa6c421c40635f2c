"""Library: the songs the channel already has. Each file is decoded and measured
(tempo, key, loudness, energy), described in text, and embedded for search.

Hands on: one analysis record and one embedding per song, and the catalog the planner
searches.
"""
