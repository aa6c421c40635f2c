"""Production: MIDI rendered with a soundfont and given lo-fi colour, stems separated
with demucs, songs sequenced into the long mix, and the mix mastered to its loudness
target with meters that check it.

Hands on: audio files (rendered songs, stems, the mix, the master) and their reports.
"""
