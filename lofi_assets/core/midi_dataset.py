"""The tokenized corpus: every manifest piece encoded once, with its conditioning ids and
the indices where its bars begin, stored as one ``.npz``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .conditions import Conditions
from .midi_corpus import CorpusEntry
from .midi_tokens import TokenGrammar, encode_midi
from .midi_training import Piece, TokenData


def condition_ids(tokenizer, entry: CorpusEntry | Conditions) -> list[int]:
    cond = entry if isinstance(entry, Conditions) else Conditions.parse(
        min(max(entry.tempo, 40.0), 200.0), entry.key, entry.mood)
    return [tokenizer.vocab[t] for t in cond.condition_tokens()]


def encode_corpus(tokenizer, folder: Path, entries: list[CorpusEntry]) -> TokenData:
    grammar = TokenGrammar(tokenizer)
    pieces = []
    for entry in entries:
        ids = np.asarray(encode_midi(tokenizer, Path(folder) / entry.path), dtype=np.int32)
        if len(ids) == 0:
            continue
        starts = np.flatnonzero(np.isin(ids, list(grammar.bar_start_ids))).astype(np.int32)
        pieces.append(Piece(entry.piece_id, condition_ids(tokenizer, entry), ids, starts))
    return TokenData(pieces, grammar.bos, grammar.eos, grammar.pad, len(tokenizer))


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
    )
    return buffer.getvalue()


def load_token_data(path: Path, bar_start_ids: set[int] | None = None) -> TokenData:
    with np.load(path) as z:
        ids, lengths, conds, names = z["ids"], z["lengths"], z["conditions"], z["piece_ids"]
        bos, eos, pad, vocab = (int(v) for v in z["special"])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    bar_ids = np.array(sorted(bar_start_ids or []), dtype=np.int32)
    pieces = []
    for i, name in enumerate(names):
        piece_ids = ids[offsets[i]:offsets[i + 1]]
        starts = np.flatnonzero(np.isin(piece_ids, bar_ids)).astype(np.int32) if len(bar_ids) else np.array([0])
        pieces.append(Piece(str(name), conds[i].tolist(), piece_ids, starts))
    return TokenData(pieces, bos, eos, pad, vocab)
