"""Conditioned generation with the MIDI model.

The prompt is ``BOS TempoBin Key Mood``; tokens are sampled with temperature, top-k and
top-p, and every sampled id is checked against :class:`TokenGrammar` (bars, increasing
positions, the lo-fi programs, at most four parts, each program's pitch range, the
requested tempo). A rejected id is removed and the draw repeated, which samples exactly
from the distribution restricted to valid ids without scoring the whole vocabulary every
step. The grammar also keeps an arrangement (one program a role, the roles each bar must
play, :func:`.arrangement.bar_roles`), and drum hits that leave the bar's two-bar loop
(:func:`.arrangement.groove_references`) are mostly redrawn. The piece follows a chord
chart (:class:`.harmony.ChordChart`, the mood's progressions in the requested key): a note
off it, a keys tone doubled, a keys chord left thinner than its voicing, or a lead phrase
cut off before two beats, on a short note or past four bars without a breath is mostly
redrawn (a keys tone outside the chord always is), and a thin chord or an unfinished phrase
is steered to go on. Keys and bass lean toward what they played the last time the same
chord sounded (:class:`RiffMemory`), so a part comes round again as a band's does. Bass and
lead decode as one voice each (legato), as the rules heard them. A drum or lead note is
judged as it opens, before its pitch: a note the rules would refuse once pitched is a dead
end the fallback would fill with a tom or an over-long phrase. A piece
longer than the context continues in bar-aligned windows: the prompt plus the most recent
whole bars, so the model always sees a bar from its start.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pretty_midi
import torch

from lofi_assets.core.generation.arrangement import KIT_PIECES, bar_roles, groove_references
from lofi_assets.core.generation.composer import BASS_PROGRAMS, KEYS_PROGRAMS, LEAD_PROGRAMS, compose, drum_kit
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.dataset import condition_ids, normalising_shift, transpose
from lofi_assets.core.generation.harmony import STEPS_PER_BEAT, Chord, ChordChart
from lofi_assets.core.generation.model import CheckpointError, LofiGPT, load_model
from lofi_assets.core.generation.tokens import (
    STEPS_PER_BAR,
    GrammarRules,
    GrammarState,
    TokenGrammar,
    decode_ids,
    load_tokenizer,
    tokenizer_digest,
)
from lofi_assets.core.music_keys import MusicKey

LOFI_PROGRAMS = frozenset((*KEYS_PROGRAMS, *BASS_PROGRAMS, *LEAD_PROGRAMS, -1))
# The role of each program decoding may choose: one program a role, chosen per role.
PROGRAM_ROLES = (
    *((p, "keys") for p in KEYS_PROGRAMS),
    *((p, "bass") for p in BASS_PROGRAMS),
    *((p, "lead") for p in LEAD_PROGRAMS),
    (-1, "drums"),
)
PROMPT_LENGTH = 4  # BOS and three conditioning tokens


class GenerationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_rejections: int = 64
    # nats added to the ids that start a note of a role the bar still needs, so a missing
    # lead or drum part comes in where the model likes it best rather than at the bar's end
    role_steer: float = 3.0
    # the chance that a drum hit off the bar's loop (or a loop hit skipped) is redrawn: below
    # 1, so the drums still vary a little, as a drummer's do (0.9 let busy boom-bap bars
    # drift once the chart and phrases also redraw: 22 of 24 sixteen-bar probes kept the
    # groove at 0.9, 24 of 24 at 0.97)
    groove_strictness: float = 0.97
    # the chance that a note off the chord chart (a wrong pitch, or one held into a chord
    # without it) is redrawn: a passing tone now and then is music, a clash every bar is not
    harmony_strictness: float = 0.95
    # the chance that the lead's phrase is cut off before it has lasted two beats (a lone
    # note), or on a note shorter than its typical one, is refused: the melody sings
    # phrases that come to rest, not scattered notes
    phrase_strictness: float = 0.9
    # the chance that moving on from a keys chord with fewer tones than its voicing is
    # refused: a dyad now and then is a shell voicing; held bar after bar it is no chord
    voicing_strictness: float = 0.9
    # nats added to a keys or bass note that repeats what the part played at the same point
    # of the same chord the last time it sounded: a band plays its part again when the
    # chords come round (a bonus, not a rule, so the part may still vary)
    riff_steer: float = 2.0
    # nats added to every id that begins a pitched note on the key's tonic (the chart still
    # decides where it may sound): without it long rootless voicings and time on the
    # mediant or subtonic make a Krumhansl–Schmuckler finder hear another key
    home_steer: float = 2.0

    def __post_init__(self):
        if self.temperature <= 0 or not 0 < self.top_p <= 1 or self.top_k < 1:
            raise ValueError("temperature must be > 0, top_p in (0, 1], top_k ≥ 1")
        if self.riff_steer < 0 or self.role_steer < 0 or self.home_steer < 0:
            raise ValueError("role_steer, riff_steer and home_steer must be ≥ 0")
        if not all(
            0 <= p <= 1
            for p in (self.groove_strictness, self.harmony_strictness, self.phrase_strictness, self.voicing_strictness)
        ):
            raise ValueError("the strictnesses must be in [0, 1]")


@dataclass
class GeneratedPiece:
    midi: pretty_midi.PrettyMIDI
    conditions: Conditions
    generator: str  # "model <checkpoint digest>" or "composer (fallback)"
    tokens: int = 0
    seconds: float = 0.0
    windows: int = 1
    rejections: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def _near(hit: tuple[int, int], hits: frozenset[tuple[int, int]]) -> bool:
    """A hit of the same kit piece within one grid step (as the groove measure counts)."""
    pos, piece = hit[0], KIT_PIECES.get(hit[1], "other")
    return any(abs(q - pos) <= 1 and KIT_PIECES.get(k, "other") == piece for q, k in hits)


def _loop_misses(hits: frozenset, reference: frozenset, position: int, closed: bool, until: int) -> int:
    """Hits off the loop plus loop hits that can no longer be played in this bar, counted
    before step ``until`` (after it the bar is free: a fill)."""
    off = sum(1 for h in hits if h[0] < until and not _near(h, reference))
    gone = sum(1 for r in reference if r[0] < until and (closed or r[0] + 1 < position) and not _near(r, hits))
    return off + gone


def groove_breaks(state: GrammarState, new: GrammarState, reference: frozenset | None, until: int = 48) -> bool:
    """Whether a step adds a drum hit the bar's loop does not have or passes one it has."""
    if not reference:
        return False
    if new.last == "Program" and new.program == -1 and new.position < until:
        # a drum note opens here: refused unless the loop still has a hit to play here, else
        # only a hit off the loop could follow (a dead end the fallback fills with toms)
        return not any(abs(r[0] - new.position) <= 1 and not _near(r, new.drum_hits) for r in reference)
    if new.bars == state.bars and new.position == state.position and new.drum_hits is state.drum_hits:
        return False  # no drum hit and no time passed: nothing to judge
    before = _loop_misses(state.drum_hits, reference, state.position, False, until)
    if new.bars > state.bars:  # the step closes the bar: judge the bar as it closed
        closed = new.drum_history[state.bars - 1] if state.bars else frozenset()
        return _loop_misses(closed, reference, 0, True, until) > before
    return _loop_misses(new.drum_hits, reference, new.position, False, until) > before


def loop_model(loops: tuple[tuple[int, int] | None, ...], history: tuple[frozenset, ...], bar: int) -> int:
    """The bar whose drums bar ``bar`` repeats: the one its loop names, unless that bar holds
    fewer than half the hits of the bar just before (a loop-setting bar the drummer all but
    sat out), which then serves instead, unless it is a fill. Without this a near-empty
    bar is copied every other bar to the end: a groove that never settles."""
    model = loops[bar][0]  # type: ignore[index]
    before = bar - 1
    fill = before < len(loops) and loops[before] is not None and loops[before][1] < STEPS_PER_BAR  # type: ignore[index]
    if before != model and 0 <= before < len(history) and not fill and 2 * len(history[model]) < len(history[before]):
        return before
    return model


MIN_PHRASE = 2 * STEPS_PER_BEAT  # a phrase lasts two beats or more
BREATH = STEPS_PER_BEAT  # a rest of a beat ends a phrase
MAX_PHRASE = 16 * STEPS_PER_BEAT  # and one comes within four bars


def grammar_step(state: GrammarState) -> int:
    """Where a stream stands, in steps from the piece's start (a new bar stands at its start)."""
    return max(state.bars - 1, 0) * STEPS_PER_BAR + max(state.position, 0)


@dataclass
class LeadPhrase:
    """The lead's phrase so far: where it began, where its last note ends (in steps) and
    its notes' durations as they will sound: a note ends where the next begins (the lead is
    one voice) and none rings past the piece's ``end``."""

    start: int | None = None
    end: int = -1
    durations: list[int] = field(default_factory=list)
    last_start: int = -1
    piece_end: int | None = None

    def add(self, step: int, duration: int) -> None:
        if self.piece_end is not None:
            duration = max(min(duration, self.piece_end - step), 0)
        if self.start is None or step - self.end >= BREATH:
            self.start, self.durations = step, []
        elif step < self.end and self.durations:  # legato: the last note stops here
            self.durations[-1] = step - self.last_start
        self.end = step + duration
        self.last_start = step
        self.durations.append(duration)

    def short(self) -> bool:
        return self.start is not None and self.end - self.start < MIN_PHRASE

    def open(self) -> bool:
        """Whether the phrase could not end here: it is too short, or its last note is
        shorter than its typical note (a phrase comes to rest on a held note, a cadence)."""
        if self.start is None:
            return False
        return self.short() or self.durations[-1] < statistics.median(self.durations)

    def cut_by(self, before: GrammarState, after: GrammarState, role_of: dict[int, str] | None = None) -> bool:
        """Whether moving from ``before`` to ``after`` rests a beat after a phrase that
        could not end there (the end of the piece counts too), or begins a lead note that
        draws the phrase past four bars without a breath or that the piece's end cuts short
        of a cadence (``role_of`` names the lead's program)."""
        if role_of:
            late = [(step, d) for step, program, _, d in after.timed if role_of.get(program) == "lead"]
            onsets = [step for step, program, _ in after.begun if role_of.get(program) == "lead"]
            if after.last == "Program" and role_of.get(after.program) == "lead":  # type: ignore[arg-type]
                onsets.append(grammar_step(after))  # a note opens, its pitch still to come
            if self.start is not None and any(
                onset - self.end < BREATH and onset + STEPS_PER_BEAT - self.start > MAX_PHRASE for onset in onsets
            ):
                return True  # a phrase breathes within four bars (judged as a note opens: a pitched one must be given its duration)
            if self.piece_end is not None and any(step + d > self.piece_end for step, d in late):
                ahead = replace(self, durations=list(self.durations))
                for step, d in late:
                    ahead.add(step, d)
                if ahead.open():
                    return True
        if not self.open():
            return False
        then = grammar_step(before) - self.end
        now = grammar_step(after) - self.end if after.last != "EOS" else BREATH
        return then < BREATH <= now


@dataclass
class RiffMemory:
    """What keys and bass played over each chord of the chart, by the step within the
    chord: the pitches begun at each offset the last time that chord sounded, and those of
    the time it sounds now."""

    roles: frozenset[str] = frozenset({"keys", "bass"})
    last: dict[tuple[str, Chord], dict[int, frozenset[int]]] = field(default_factory=dict)
    now: dict[tuple[str, Chord], tuple[int, dict[int, frozenset[int]]]] = field(default_factory=dict)

    def add(self, role: str, step: int, pitch: int, chart: ChordChart) -> None:
        if role not in self.roles:
            return
        start, _, chord = chart.span(step)
        began, played = self.now.get((role, chord), (None, {}))
        if began != start:  # the chord comes round again: its last time is the one before
            if began is not None:
                self.last[(role, chord)] = played
            played = {}
            self.now[(role, chord)] = (start, played)
        offset = step - start
        played[offset] = played.get(offset, frozenset()) | {pitch}

    def echoes(self, new: GrammarState, chart: ChordChart, role_of: dict[int, str]) -> bool:
        """Whether a step begins a note its part played at this point of this chord last time."""
        for step, program, pitch in new.begun:
            role = role_of.get(program)
            if role in self.roles:
                start, _, chord = chart.span(step)
                if pitch in self.last.get((role, chord), {}).get(step - start, ()):
                    return True
        return False


FULL_VOICING = 4  # the composer voices four tones (fewer where the chord has fewer)


@dataclass
class KeysHand:
    """The pitch classes the keys have begun at the current step."""

    step: int = -1
    pcs: frozenset[int] = frozenset()

    def add(self, step: int, pitch: int) -> None:
        if step != self.step:
            self.step, self.pcs = step, frozenset()
        self.pcs = self.pcs | {pitch % 12}

    def doubles(self, new: GrammarState, role_of: dict[int, str]) -> bool:
        """Whether a step doubles a pitch class the hand already plays here (a voicing
        spreads its tones; a doubled one thins it)."""
        return any(
            role_of.get(program) == "keys" and step == self.step and pitch % 12 in self.pcs
            for step, program, pitch in new.begun
        )

    def left_thin(self, state: GrammarState, new: GrammarState, chart: ChordChart, role_of: dict[int, str]) -> bool:
        """Whether a step moves on from a keys chord begun here with fewer tones than a
        pianist voices of it (a dyad held through a bar reads as no chord at all)."""
        if state.bars == 0 or grammar_step(state) != self.step or not self.pcs:
            return False
        if new.bars == state.bars and new.position == state.position:
            return False  # still at this step: the chord may yet fill in
        pcs = self.pcs | {p % 12 for st, prog, p in new.begun if st == self.step and role_of.get(prog) == "keys"}
        return len(pcs) < min(FULL_VOICING, len(chart.voicing(self.step)))

    def thin(self, state: GrammarState, chart: ChordChart | None = None) -> bool:
        """Whether the chord begun here has fewer tones than a pianist voices of it."""
        full = min(FULL_VOICING, len(chart.voicing(self.step))) if chart is not None else 3
        return grammar_step(state) == self.step and 0 < len(self.pcs) < full


def harmony_breaks(
    new: GrammarState,
    chart: ChordChart | None,
    role_of: dict[int, str],
    hand: KeysHand | None = None,
) -> bool:
    """Whether a step begins a note off the chord chart, holds one into a chord without it,
    or doubles a tone of the keys' chord."""
    if chart is None:
        return False
    if hand is not None and hand.doubles(new, role_of):
        return True
    return any(not chart.fits(role_of.get(program, ""), step, pitch) for step, program, pitch in new.begun) or any(
        not chart.rings_true(role_of.get(program, ""), step, pitch, duration)
        for step, program, pitch, duration in new.timed
    )


def keys_clash(new: GrammarState, chart: ChordChart | None, role_of: dict[int, str]) -> bool:
    """Whether a step begins a keys note outside the chord, or holds one into a chord
    without it (always refused: unlike a bass or lead passing tone, a held wrong tone in the
    chord is heard as a mistake)."""
    if chart is None:
        return False
    return any(chart.clashes(role_of.get(program, ""), step, pitch) for step, program, pitch in new.begun) or any(
        chart.clashes(role_of.get(program, ""), step, pitch, duration) for step, program, pitch, duration in new.timed
    )


def candidates(logits: torch.Tensor, s: Sampling) -> tuple[torch.Tensor, torch.Tensor]:
    """The ids sampling may draw and their probabilities: the ``top_k`` most likely after
    temperature, cut to the smallest set reaching ``top_p``, renormalised. Sampling the
    few candidates rather than a vocabulary-sized vector keeps each draw cheap."""
    values, ids = torch.topk(logits.float(), min(s.top_k, logits.numel()))  # sorted, most likely first
    probs = torch.softmax(values / s.temperature, dim=-1)
    if s.top_p < 1.0:
        keep = int((torch.cumsum(probs, 0) - probs <= s.top_p).sum())  # the smallest set reaching top_p
        ids, probs = ids[:keep], probs[:keep]
    return ids, probs / probs.sum()


class ModelGenerator:
    """The product's generator: a trained :class:`LofiGPT` and its tokenizer."""

    def __init__(
        self, model: LofiGPT, tokenizer, name: str = "model", device: str = "cpu", key_normalised: bool = False
    ):
        self.model = model.eval()
        self.key_normalised = key_normalised  # trained in C major / A minor: transpose to the request
        self.tokenizer = tokenizer
        self.grammar = TokenGrammar(tokenizer)
        self.name = name
        self.device = device
        self.tempo_tokens = {float(t.split("_")[1]): t for t in tokenizer.vocab if t.startswith("Tempo_")}
        roles = self.role_of = dict(PROGRAM_ROLES)
        # ids that begin a note of a role at the current position (no Position first)
        self.role_note_ids = {
            role: torch.tensor(
                [
                    i
                    for i, parts in enumerate(self.grammar.parts)
                    if parts and parts[0][0] == "Program" and roles.get(int(parts[0][1])) == role
                ],
                dtype=torch.long,
            )
            for role in set(roles.values())
        }
        # each id's first pitched note (drum notes are PitchDrum), and the ids by its pitch class
        first_pitch = [next((int(v) for k, v in parts if k == "Pitch"), None) for parts in self.grammar.parts]
        self.pitched_ids = frozenset(i for i, p in enumerate(first_pitch) if p is not None)
        self.pitch_class_ids = {
            pc: torch.tensor([i for i, p in enumerate(first_pitch) if p is not None and p % 12 == pc], dtype=torch.long)
            for pc in range(12)
        }
        self.role_ids = {
            role: torch.tensor(
                [i for i, p in enumerate(self.grammar.first_program) if roles.get(p) == role], dtype=torch.long
            )
            for role in set(roles.values())
        }

    @classmethod
    def from_files(cls, checkpoint: Path, tokenizer_path: Path, device: str = "cpu") -> ModelGenerator:
        if not Path(checkpoint).is_file():
            raise CheckpointError(f"no checkpoint at {checkpoint}")
        tokenizer = load_tokenizer(tokenizer_path)
        digest = tokenizer_digest(tokenizer_path)
        model, payload = load_model(checkpoint, digest, len(tokenizer), device)
        return cls(
            model,
            tokenizer,
            name=f"model {Path(checkpoint).name}@{digest[:8]}",
            device=device,
            key_normalised=bool(payload["extra"].get("key_normalised", False)),
        )

    def rules(self, cond: Conditions) -> GrammarRules:
        nearest = min(self.tempo_tokens, key=lambda t: abs(t - cond.tempo))
        # A bar must fit in half the context, so a sliding window always holds whole bars
        # (the corpus's densest bar is about 200 base tokens).
        per_bar = min(240, (self.model.cfg.context - PROMPT_LENGTH) // 2)
        plan = bar_roles(cond.bars, cond.drums)
        return GrammarRules(
            bars=cond.bars,
            tempo_token=self.tempo_tokens[nearest],
            programs=LOFI_PROGRAMS if cond.drums else LOFI_PROGRAMS - {-1},
            max_tokens_per_bar=per_bar,
            roles=PROGRAM_ROLES,
            mono_roles=frozenset({"bass", "lead"}),
            max_notes_at_once={"keys": 5, "drums": 4},
            required=plan.required,
            required_either=plan.either,
            silent=plan.silent,
        )

    def _sample(
        self,
        logits: torch.Tensor,
        state: GrammarState,
        rules: GrammarRules,
        s: Sampling,
        gen: torch.Generator,
        loops: tuple[tuple[int, int] | None, ...] = (),
        chart: ChordChart | None = None,
        phrase: LeadPhrase | None = None,
        hand: KeysHand | None = None,
        riffs: RiffMemory | None = None,
    ) -> tuple[int, GrammarState, int]:
        bar = state.bars - 1
        loop = loops[bar] if 0 <= bar < len(loops) else None
        reference, until = None, 48
        if loop is not None and loop[0] < len(state.drum_history):
            reference, until = state.drum_history[loop_model(loops, state.drum_history, bar)], loop[1]
        needed = rules.needs(state.bars - 1, state.roles_in_bar, state.roles_last_bar) if state.bars else ()
        steer = set(needed)
        if phrase is not None and phrase.open() and grammar_step(state) - phrase.end < BREATH:
            steer.add("lead")  # a phrase of a note or two, or one left hanging, goes on
        if steer and s.role_steer:
            logits = logits.clone()
            for role in steer:
                logits[self.role_ids[role]] += s.role_steer
        if hand is not None and chart is not None and hand.thin(state, chart) and s.role_steer:
            logits = logits.clone()
            logits[self.role_note_ids["keys"]] += s.role_steer  # another note of this chord

        rules_kept = (
            (lambda new: groove_breaks(state, new, reference, until), s.groove_strictness),
            (lambda new: harmony_breaks(new, chart, self.role_of, hand), s.harmony_strictness),
            (lambda new: phrase is not None and phrase.cut_by(state, new, self.role_of), s.phrase_strictness),
            (
                lambda new: hand is not None and chart is not None and hand.left_thin(state, new, chart, self.role_of),
                s.voicing_strictness,
            ),
        )

        def breaks(new: GrammarState) -> tuple[bool, ...]:
            return tuple(rule(new) for rule, _ in rules_kept)

        # Each soft rule holds for this step with its strictness, decided once a step: were
        # it drawn again at each rejected draw, a step that redraws many times (a lead
        # steered on, a chord filled in) would let a broken loop through far more often.
        enforced = [rule for rule, p in rules_kept if float(torch.rand(1, generator=gen)) < p]
        enforced.append(lambda new: keys_clash(new, chart, self.role_of))
        if chart is not None and s.home_steer:
            # before the nucleus is cut: a tonic the model holds unlikely must still be able
            # to come in (weighing only the likely ids left rootless voicings untouched)
            logits = logits.clone()
            logits[self.pitch_class_ids[chart.tonic]] += s.home_steer
        ids, probs = candidates(logits, s)
        advanced: dict[int, GrammarState | None] = {}
        if riffs is not None and chart is not None and s.riff_steer and riffs.last:
            # the part played here last time is more likely now: weigh the candidates that
            # echo it (each advanced once; the draws below reuse it)
            echo = torch.ones_like(probs)
            for k, token in enumerate(ids.tolist()):
                if token not in self.pitched_ids:
                    continue  # begins no pitched note: nothing to echo
                new = advanced[token] = self.grammar.advance(state, token, rules)
                if new is not None and new.begun and riffs.echoes(new, chart, self.role_of):
                    echo[k] = math.exp(s.riff_steer)
            probs = probs * echo
            probs = probs / probs.sum()
        for attempt in range(s.max_rejections):
            if float(probs.sum()) <= 0:
                break
            pick = int(torch.multinomial(probs, 1, generator=gen))
            token = int(ids[pick])
            new = advanced[token] if token in advanced else self.grammar.advance(state, token, rules)
            if new is not None and not any(rule(new) for rule in enforced):
                return token, new, attempt
            probs[pick] = 0.0
        # Nothing fits among the likely ids: the most likely id of all that keeps every
        # rule, else the one that breaks the least (the chart first, then the loop, then
        # the phrase, then the voicing), else the most likely the grammar allows.
        fallback: dict[tuple[bool, ...], tuple[int, GrammarState, int]] = {}
        for token in torch.argsort(logits, descending=True).tolist():
            new = self.grammar.advance(state, token, rules)
            if new is not None:
                groove, harmony, cut, thin = breaks(new)
                if not (groove or harmony or cut or thin):
                    return token, new, s.max_rejections
                off_chart = harmony and harmony_breaks(new, chart, self.role_of)
                fallback.setdefault((off_chart, groove, harmony, cut, thin), (token, new, s.max_rejections))
        if fallback:
            return fallback[min(fallback)]
        raise GenerationError(f"no valid continuation after {state}")

    @torch.inference_mode()
    def generate(self, cond: Conditions, sampling: Sampling = Sampling()) -> GeneratedPiece:
        started = time.perf_counter()
        rules = self.rules(cond)
        loops = groove_references(cond.bars) if cond.drums else ()
        shift = normalising_shift(cond.key) if self.key_normalised else 0
        asked = replace(cond, key=MusicKey((cond.key.tonic + shift) % 12, cond.key.minor))
        # the request's own chart (the composer's for these conditions), moved into the key
        # decoding runs in: a chart chosen for the normalised key would be another progression
        chart = ChordChart.for_conditions(cond).transposed(shift) if sampling.harmony_strictness else None
        prompt = [self.grammar.bos, *condition_ids(self.tokenizer, asked)]
        gen = torch.Generator().manual_seed(cond.seed)
        context = self.model.cfg.context
        limit = cond.bars * rules.max_tokens_per_bar + 1
        ids: list[int] = []
        bar_starts: list[int] = []
        state = GrammarState()
        phrase, hand, riffs = LeadPhrase(piece_end=cond.bars * STEPS_PER_BAR), KeysHand(), RiffMemory()
        windows, rejections = 1, 0
        cache = self.model.new_cache()
        logits, _ = self.model(torch.tensor([prompt], device=self.device), cache)
        while len(ids) < limit:
            token, state, rejected = self._sample(
                logits[0, -1], state, rules, sampling, gen, loops, chart, phrase, hand, riffs
            )
            rejections += rejected
            for step, program, _, duration in state.timed:
                if self.role_of.get(program) == "lead":
                    phrase.add(step, duration)
            for step, program, pitch in state.begun:
                if self.role_of.get(program) == "keys":
                    hand.add(step, pitch)
                if chart is not None:
                    riffs.add(self.role_of.get(program, ""), step, pitch, chart)
            if token == self.grammar.eos:
                break
            if token in self.grammar.bar_start_ids:
                bar_starts.append(len(ids))
            ids.append(token)
            if cache.length + 1 > context:
                # Slide: the prompt and the most recent whole bars filling half the context.
                keep = next((b for b in bar_starts if len(ids) - b <= context // 2), bar_starts[-1])
                window = prompt + ids[keep:]
                cache.reset()
                logits, _ = self.model(torch.tensor([window], device=self.device), cache)
                windows += 1
            else:
                logits, _ = self.model(torch.tensor([[token]], device=self.device), cache)
        if state.bars < cond.bars:
            raise GenerationError(f"generation stopped after {state.bars} of {cond.bars} bars")
        # bass and lead are one voice each: a note ends where the next begins, as the phrase
        # and chart rules heard it
        one_voice = frozenset(p for p, role in PROGRAM_ROLES if role in rules.mono_roles)
        midi = transpose(decode_ids(self.tokenizer, ids, tempo=cond.tempo, legato=one_voice), -shift)
        end = cond.bars * 240.0 / cond.tempo  # the piece is exactly its bars: last notes end with it
        for inst in midi.instruments:
            if inst.is_drum:
                inst.program = drum_kit(cond.mood)  # the tokens carry no kit: the feel's kit
            for note in inst.notes:
                note.end = min(note.end, end)
            inst.notes = [n for n in inst.notes if n.end - n.start > 1e-3]
        if not any(i.notes for i in midi.instruments):
            raise GenerationError("the model produced no notes")
        return GeneratedPiece(
            midi,
            cond,
            self.name,
            tokens=len(ids),
            seconds=time.perf_counter() - started,
            windows=windows,
            rejections=rejections,
            ids=ids,
        )


class ComposerGenerator:
    """The labelled fallback: the rule-based composer, used only when configured."""

    name = "composer (fallback)"

    def generate(self, cond: Conditions, sampling: Sampling = Sampling()) -> GeneratedPiece:
        started = time.perf_counter()
        midi = compose(cond)
        return GeneratedPiece(midi, cond, self.name, seconds=time.perf_counter() - started)
