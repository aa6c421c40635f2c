"""Generation: new songs as MIDI. The conditions vocabulary, the rule-based composer
(teacher and fallback), the corpus, the REMI tokenizer, the GPT model and its training,
conditioned sampling, the quality scorer, and what to make for a track's gaps or a
night's batch (steered by the audience feedback bandit).

Hands on: scored MIDI files with their conditions.
"""
