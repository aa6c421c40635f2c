"""The MIDI vocabulary: miditok REMI with programs, tempos, 4/4 bars and 16 velocities,
conditioning tokens (tempo bin, key, mood) as special tokens, and BPE over the corpus.

A training or generation sequence is ``BOS TempoBin_x Key_y Mood_z`` followed by REMI
ids (BPE-merged within bars) and, at the end of a piece, ``EOS``. :class:`TokenGrammar`
knows the base tokens behind every merged id, which is what constrained decoding needs.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pretty_midi

from lofi_assets.core.generation.conditions import condition_vocabulary

BEAT_RES = {(0, 4): 12, (4, 8): 4}  # 1/12 beat: straight and swung sixteenths and triplets
SPECIAL = ["PAD", "BOS", "EOS"]
PAD, BOS, EOS = "PAD_None", "BOS_None", "EOS_None"


class TokenizerError(ValueError):
    pass


def new_tokenizer():
    from miditok import REMI, TokenizerConfig

    config = TokenizerConfig(
        use_programs=True,
        use_tempos=True,
        use_time_signatures=True,
        num_velocities=16,
        beat_res=BEAT_RES,
        tempo_range=(40, 200),
        num_tempos=33,
        time_signature_range={4: [4]},
        special_tokens=SPECIAL + condition_vocabulary(),
    )
    return REMI(config)


def train_tokenizer(midi_paths: list[Path], vocab_size: int = 3000):
    """A REMI tokenizer with BPE learned from the corpus (merges never cross a bar)."""
    if not 500 <= vocab_size <= 8000:
        raise TokenizerError(f"vocab_size {vocab_size}: expected 500–8000 (2–4k is the design)")
    tokenizer = new_tokenizer()
    tokenizer.train(vocab_size=vocab_size, model="BPE", files_paths=list(midi_paths))
    return tokenizer


def load_tokenizer(path: Path):
    from miditok import REMI

    path = Path(path)
    if not path.is_file():
        raise TokenizerError(f"no tokenizer at {path}")
    try:
        tokenizer = REMI(params=path)
    except Exception as exc:  # miditok raises several types for a bad file
        raise TokenizerError(f"tokenizer {path} cannot be loaded: {exc}") from exc
    missing = [t for t in condition_vocabulary() + [BOS, EOS, PAD] if t not in tokenizer.vocab]
    if missing:
        raise TokenizerError(f"tokenizer {path} lacks the conditioning tokens {missing[:5]}…")
    return tokenizer


def tokenizer_digest(path: Path) -> str:
    """What a checkpoint records of its tokenizer, so a mismatched pair is refused."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def encode_midi(tokenizer, source: Path | pretty_midi.PrettyMIDI) -> list[int]:
    """REMI ids (BPE-merged) of a MIDI file or object, without the conditioning prefix."""
    from symusic import Score

    if isinstance(source, pretty_midi.PrettyMIDI):
        buffer = io.BytesIO()
        source.write(buffer)
        score = Score.from_midi(buffer.getvalue())
    else:
        score = Score(str(source))
    seq = tokenizer.encode(score)
    return list(seq.ids)


def decode_ids(
    tokenizer, ids: list[int], tempo: float | None = None, legato: frozenset[int] = frozenset()
) -> pretty_midi.PrettyMIDI:
    """MIDI from REMI ids (special tokens dropped); ``tempo`` sets the exact tempo, since
    the token's tempo is quantised to 5 BPM. The pitched programs in ``legato`` play one
    voice: a note that still sounds when the next begins stops there (else a note struck
    again while it rings would be cut by the first one's note-off)."""
    from symusic import Score, Tempo

    special = set(tokenizer.special_tokens_ids)
    body = [i for i in ids if i not in special]
    score: Score = tokenizer.decode(body)
    if tempo is not None:
        score.tempos = [Tempo(0, float(tempo))]
    for track in score.tracks:
        if not track.is_drum and track.program in legato:
            track.notes.sort(key=lambda n: n.time)
            for note, after in zip(track.notes, list(track.notes)[1:]):
                if after.time > note.time and note.time + note.duration > after.time:
                    note.duration = after.time - note.time
    midi = pretty_midi.PrettyMIDI(io.BytesIO(score.dumps_midi()))
    for inst in midi.instruments:  # miditok names tracks by program; name the part instead
        inst.name = "drums" if inst.is_drum else pretty_midi.program_to_instrument_name(inst.program)
    return midi


# --- the grammar behind constrained decoding ---------------------------------------

# Comfortable ranges by General MIDI family (program // 8), so decoding never puts a bass
# line in the treble or a flute in the sub-bass.
FAMILY_RANGES = {
    0: (36, 96),
    1: (48, 96),
    2: (36, 96),
    3: (40, 88),
    4: (24, 60),
    5: (36, 96),
    6: (36, 96),
    7: (48, 96),
    8: (52, 96),
    9: (52, 100),
    10: (36, 96),
    11: (36, 96),
    12: (36, 96),
    13: (48, 96),
    14: (36, 96),
    15: (36, 96),
}


STEPS_PER_BAR = 4 * BEAT_RES[(0, 4)]  # positions in a 4/4 bar


def duration_steps(value: str) -> int:
    """A Duration token's value (``beats.ticks.resolution``) in 1/12-beat steps."""
    beats, ticks, resolution = (int(v) for v in value.split("."))
    return beats * BEAT_RES[(0, 4)] + ticks * BEAT_RES[(0, 4)] // resolution


def pitch_range(program: int) -> tuple[int, int]:
    return (27, 87) if program < 0 else FAMILY_RANGES[program // 8]


@dataclass
class GrammarState:
    """Where a REMI stream stands: the last base token's type, the current program,
    position within the bar and bars begun so far, and which roles have played."""

    last: str = "Start"
    program: int | None = None
    position: int = -1
    bars: int = 0
    programs: frozenset[int] = field(default_factory=frozenset)
    tokens_in_bar: int = 0
    at_position: tuple[int, ...] = ()  # the program of each note begun at this position
    roles_in_bar: frozenset[str] = field(default_factory=frozenset)  # roles that began a note this bar
    roles_last_bar: frozenset[str] = field(default_factory=frozenset)
    drum_hits: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (position, drum key) this bar
    drum_history: tuple[frozenset[tuple[int, int]], ...] = ()  # the drum hits of every bar closed so far
    sounding: frozenset[tuple[int, int]] = frozenset()  # (program, pitch) begun at this position
    # Notes as (step from the piece's start, program, pitch[, duration in steps]): the one
    # awaiting its duration, and those the last token began and gave a duration, which is
    # what a harmonic check of that token reads.
    pending: tuple[int, int, int] | None = None
    begun: tuple[tuple[int, int, int], ...] = ()
    timed: tuple[tuple[int, int, int, int], ...] = ()


_NEXT = {
    "Start": {"Bar"},
    "Bar": {"TimeSig"},
    "TimeSig": {"Position", "Bar"},
    "Position": {"Tempo", "Program"},
    "Tempo": {"Program"},
    "Program": {"Pitch", "PitchDrum"},
    "Pitch": {"Velocity"},
    "PitchDrum": {"Velocity"},
    "Velocity": {"Duration"},
    "Duration": {"Program", "Position", "Bar", "EOS"},
}


@dataclass(frozen=True)
class GrammarRules:
    """What a valid piece is. With ``roles`` (program → role) decoding also keeps an
    arrangement: one program for each role, single notes in the ``mono_roles``, and in each
    bar the roles of ``required`` (indexed by bar) and, in this bar or the one before, those
    of ``required_either``."""

    bars: int  # the piece ends after this many bars
    tempo_token: str | None = None  # the only Tempo token allowed, when fixed
    programs: frozenset[int] | None = None  # allowed programs (-1 is drums)
    max_parts: int = 4
    max_tokens_per_bar: int = 240
    roles: tuple[tuple[int, str], ...] = ()
    mono_roles: frozenset[str] = frozenset()
    required: tuple[frozenset[str], ...] = ()
    required_either: tuple[frozenset[str], ...] = ()
    silent: tuple[frozenset[str], ...] = ()  # roles that may not play in the bar
    max_notes_at_once: dict[str, int] = field(default_factory=dict)  # notes a role begins at one position

    @property
    def role_of(self) -> dict[int, str]:
        return dict(self.roles)

    def needs(self, bar: int, in_bar: frozenset[str], last_bar: frozenset[str]) -> frozenset[str]:
        """The roles bar ``bar`` (0-based) still needs before it may close."""
        out: frozenset[str] = frozenset()
        if bar < len(self.required):
            out = self.required[bar] - in_bar
        if bar < len(self.required_either):
            out = out | (self.required_either[bar] - in_bar - last_bar)
        return out


class TokenGrammar:
    """The base tokens behind each id and the rules of a valid REMI-with-programs stream."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        size = len(tokenizer)
        id_to_bytes = {v: k for k, v in tokenizer.vocab_model.items()} if tokenizer.is_trained else {}
        base_inv = {v: k for k, v in tokenizer.vocab.items()}
        self.parts: list[tuple[tuple[str, str], ...]] = []
        for i in range(size):
            tokens = tokenizer._vocab_learned_bytes_to_tokens.get(id_to_bytes[i], []) if id_to_bytes else []
            if not tokens:  # special tokens keep their base id and have no learned bytes
                tokens = [base_inv[i]] if i in base_inv else []
            self.parts.append(tuple(tuple(t.split("_", 1)) for t in tokens))  # type: ignore[misc]
        self.bos = tokenizer.vocab[BOS]
        self.eos = tokenizer.vocab[EOS]
        self.pad = tokenizer.vocab[PAD]
        self.bar_start_ids = {i for i, p in enumerate(self.parts) if p and p[0][0] == "Bar"}
        self._role_maps: dict[tuple, dict[int, str]] = {}
        # the program of the first note each id begins, for steering toward a missing role
        self.first_program: list[int | None] = [
            next((int(v) for k, v in p if k == "Program"), None) for p in self.parts
        ]

    def advance(self, state: GrammarState, token_id: int, rules: GrammarRules) -> GrammarState | None:
        """The state after ``token_id``, or None when the token breaks a rule."""
        last, program, position, bars = state.last, state.program, state.position, state.bars
        programs, count = state.programs, state.tokens_in_bar
        at_position, in_bar, last_bar = state.at_position, state.roles_in_bar, state.roles_last_bar
        drum_hits, drum_history = state.drum_hits, state.drum_history
        sounding, pending, begun, timed = state.sounding, state.pending, [], []
        role_of = self._role_maps.get(rules.roles)
        if role_of is None:
            role_of = self._role_maps[rules.roles] = rules.role_of
        if not self.parts[token_id]:
            return None
        for kind, value in self.parts[token_id]:
            if kind not in _NEXT.get(last, ()):
                return None
            needed = rules.needs(bars - 1, in_bar, last_bar) if bars else frozenset()
            if kind in ("EOS", "Bar") and needed and count + 4 <= rules.max_tokens_per_bar:
                return None  # the bar that closes here must have had its roles
            if kind == "EOS":
                if bars != rules.bars:
                    return None
            elif kind == "Bar":
                if bars >= rules.bars:
                    return None
                if bars:
                    drum_history = (*drum_history, drum_hits)
                bars, position, count = bars + 1, -1, 0
                in_bar, last_bar, at_position, drum_hits = frozenset(), in_bar, (), frozenset()
                sounding = frozenset()
            elif kind == "TimeSig":
                if value != "4/4":
                    return None
            elif kind == "Position":
                pos = int(value)
                if pos <= position:
                    return None
                position, at_position, sounding = pos, (), frozenset()
            elif kind == "Tempo":
                if rules.tempo_token is not None and f"Tempo_{value}" != rules.tempo_token:
                    return None
            elif kind == "Program":
                program = int(value)
                if rules.programs is not None and program not in rules.programs:
                    return None
                if program not in programs:
                    if len(programs) >= rules.max_parts:
                        return None
                    role = role_of.get(program)
                    if role is not None and any(role_of.get(p) == role for p in programs):
                        return None  # one program a role: no second bass, no second lead
                    programs = programs | {program}
                role = role_of.get(program)
                if bars and bars - 1 < len(rules.silent) and role in rules.silent[bars - 1]:
                    return None
                if needed and role not in needed and count + 4 + 5 * len(needed) > rules.max_tokens_per_bar:
                    return None  # the rest of a bar is kept for the roles it still needs
                if role in rules.mono_roles and program in at_position:
                    return None  # a bass line or a melody plays one note at a time
                if at_position.count(program) >= rules.max_notes_at_once.get(role, 128):
                    return None  # a hand plays a chord of five at most; a drummer hits four at once
                at_position = (*at_position, program)
                if role is not None:
                    in_bar = in_bar | {role}
            elif kind in ("Pitch", "PitchDrum"):
                if (kind == "PitchDrum") != (program == -1):
                    return None
                lo, hi = pitch_range(program if program is not None else 0)
                if not lo <= int(value) <= hi or (program, int(value)) in sounding:
                    return None  # out of the instrument's range, or a note struck twice at once
                sounding = sounding | {(program, int(value))}
                if kind == "PitchDrum":
                    drum_hits = drum_hits | {(position, int(value))}
                else:
                    pending = ((bars - 1) * STEPS_PER_BAR + position, program, int(value))
                    begun.append(pending)
            elif kind == "Duration":
                if pending is not None:
                    timed.append((*pending, duration_steps(value)))
                    pending = None
            elif kind != "Velocity":
                return None  # special tokens never appear inside a piece
            # A full bar takes no new note (a note is four tokens, five with its position):
            # the next bar line or the end must come.
            if (kind == "Position" and count + 5 > rules.max_tokens_per_bar) or (
                kind == "Program" and count + 4 > rules.max_tokens_per_bar
            ):
                return None
            last = kind
            count += 1
        return GrammarState(
            last,
            program,
            position,
            bars,
            programs,
            count,
            at_position,
            in_bar,
            last_bar,
            drum_hits,
            drum_history,
            sounding,
            pending,
            tuple(begun),
            tuple(timed),
        )

    def base_tokens(self, ids: list[int]) -> list[str]:
        return [f"{k}_{v}" for i in ids for k, v in self.parts[i]]
