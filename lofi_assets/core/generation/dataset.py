"""The tokenized corpus: every manifest piece encoded once, with its conditioning ids and
the indices where its bars begin, stored as one ``.npz``."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pretty_midi

from lofi_assets.core.generation.conditions import Conditions, key_name
from lofi_assets.core.generation.corpus import CorpusEntry
from lofi_assets.core.generation.tokens import TokenGrammar, encode_midi
from lofi_assets.core.generation.training import Piece, TokenData
from lofi_assets.core.music_keys import MusicKey, parse_key


def condition_ids(tokenizer, entry: CorpusEntry | Conditions) -> list[int]:
    cond = (
        entry
        if isinstance(entry, Conditions)
        else Conditions.parse(min(max(entry.tempo, 40.0), 200.0), entry.key, entry.mood)
    )
    return [tokenizer.vocab[t] for t in cond.condition_tokens()]


def normalising_shift(key: MusicKey) -> int:
    """Semitones that move a key to C major or A minor, the nearer way (−6…+5)."""
    target = 9 if key.minor else 0
    return (target - key.tonic + 6) % 12 - 6


def transpose(midi: pretty_midi.PrettyMIDI, semitones: int) -> pretty_midi.PrettyMIDI:
    """Every pitched note moved by ``semitones`` (drums stay), in place."""
    for inst in midi.instruments:
        if not inst.is_drum:
            for note in inst.notes:
                note.pitch = int(np.clip(note.pitch + semitones, 0, 127))
    return midi


def encode_corpus(tokenizer, folder: Path, entries: list[CorpusEntry], normalise_keys: bool = True) -> TokenData:
    """Encode every piece. With ``normalise_keys`` each piece is first transposed to C major
    or A minor and conditioned on that key, so the model learns one major and one minor
    key twelve times as well; generation transposes back to the requested key."""
    grammar = TokenGrammar(tokenizer)
    pieces = []
    for entry in entries:
        path = Path(folder) / entry.path
        if normalise_keys:
            key = parse_key(entry.key)
            shift = normalising_shift(key)
            source = transpose(pretty_midi.PrettyMIDI(str(path)), shift)
            entry = replace(entry, key=key_name(MusicKey((key.tonic + shift) % 12, key.minor)))
        else:
            source = path
        ids = np.asarray(encode_midi(tokenizer, source), dtype=np.int32)
        if len(ids) == 0:
            continue
        starts = np.flatnonzero(np.isin(ids, list(grammar.bar_start_ids))).astype(np.int32)
        pieces.append(Piece(entry.piece_id, condition_ids(tokenizer, entry), ids, starts))
    return TokenData(pieces, grammar.bos, grammar.eos, grammar.pad, len(tokenizer), normalise_keys)


def token_data_bytes(data: TokenData) -> bytes:
    lengths = np.array([len(p.ids) for p in data.pieces], dtype=np.int64)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        ids=np.concatenate([p.ids for p in data.pieces]) if data.pieces else np.zeros(0, np.int32),
        lengths=lengths,
        conditions=np.array([p.condition_ids for p in data.pieces], dtype=np.int32).reshape(-1, 3),
        piece_ids=np.array([p.piece_id for p in data.pieces]),
        special=np.array([data.bos, data.eos, data.pad, data.vocab_size]),
        key_normalised=np.array([data.key_normalised]),
    )
    return buffer.getvalue()


def load_token_data(path: Path, bar_start_ids: set[int] | None = None) -> TokenData:
    with np.load(path) as z:
        ids, lengths, conds, names = z["ids"], z["lengths"], z["conditions"], z["piece_ids"]
        bos, eos, pad, vocab = (int(v) for v in z["special"])
        normalised = bool(z["key_normalised"][0]) if "key_normalised" in z else False
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    bar_ids = np.array(sorted(bar_start_ids or []), dtype=np.int32)
    pieces = []
    for i, name in enumerate(names):
        piece_ids = ids[offsets[i] : offsets[i + 1]]
        starts = np.flatnonzero(np.isin(piece_ids, bar_ids)).astype(np.int32) if len(bar_ids) else np.array([0])
        pieces.append(Piece(str(name), conds[i].tolist(), piece_ids, starts))
    return TokenData(pieces, bos, eos, pad, vocab, normalised)
