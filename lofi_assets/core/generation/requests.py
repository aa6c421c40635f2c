"""What to generate: conditions for a track's gaps (from its plan) and for a night's batch
(spread over moods, tempi and keys, fixed by the date), and generation of many pieces at
once, best of N, on several processes."""

from __future__ import annotations

import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from lofi_assets.core.generation.composer import MOOD_MODE, MOOD_STYLES
from lofi_assets.core.generation.conditions import (
    LOFI_TEMPO,
    MOODS,
    TEMPO_LIMITS,
    Conditions,
    mood_from_text,
)
from lofi_assets.core.generation.feedback import TEMPO_BANDS, allocate
from lofi_assets.core.generation.quality import REJECT_BELOW, score_midi
from lofi_assets.core.generation.sound_plan import PALETTE_ORDER, SoundPlan, sound_plan
from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.music_keys import key_in_text
from lofi_assets.core.planning.fill import take_letter

# Words people write in plans, and the mood each one speaks for.
COMMON_KEYS = {"major": ("C", "G", "F", "D"), "minor": ("Am", "Dm", "Em")}  # the brief's usual keys


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


@dataclass
class SongRequest:
    """One piece to make: where it goes and the conditions it is made with."""

    name: str
    conditions: Conditions
    prompt: str = ""
    arc: int | None = None
    number: int | None = None
    why: dict = field(default_factory=dict)
    take: int = 0  # 0 for a prompt's first piece; 1, 2… for its further takes (b, c…)
    plan: SoundPlan | None = None  # what the prompt asks each role to play (gap songs)

    @property
    def seconds(self) -> float:
        """How long the piece will play: its bars of 4/4 at its tempo."""
        return self.conditions.bars * 4 * 60 / self.conditions.tempo


def gap_requests(
    plan: TrackPlan,
    gaps: list[dict],
    bars: int | None = None,
    song_minutes: float | None = None,
    takes: dict[int, int] | None = None,
    meaning: Callable | None = None,
) -> list[SongRequest]:
    """Conditions for each gap: tempo within the arc's BPM range, the key the prompt (or
    the plan) names or a usual key of the mood's mode, the mood its words speak for.

    ``takes`` (per arc) asks for more pieces of each gap prompt: the same conditions and
    prompt, other seeds, named with a letter (``a1-p3a-…``, ``a1-p3b-…``); the first take
    is the piece a single take would be. ``meaning`` reads instruments the sound plan's
    lexicon does not (:class:`.instrument_meaning.InstrumentMeaning`)."""
    arcs = {a.number: a for a in plan.arcs}
    plan_text = " ".join(filter(None, [plan.mood_arc, plan.vibe, plan.theme, plan.title]))
    minutes = song_minutes or min(4.0, max(1.5, (plan.target_duration_min or 60) / max(1, len(plan.prompts))))
    out = []
    for gap in gaps:
        arc = arcs.get(gap.get("arc"))
        text = gap.get("text") or ""
        seed = _seed(plan.key, gap.get("arc"), gap.get("number"), text)
        rng = np.random.default_rng(seed)
        mood = mood_from_text(text, f"{arc.name} {arc.description}" if arc else "", plan_text) or "chill"
        lo, hi = (arc.bpm_min, arc.bpm_max) if arc and arc.bpm_min else (70.0, 85.0)
        hi = hi or lo
        tempo = float(np.clip(round(rng.uniform(lo, hi)), *TEMPO_LIMITS))
        key = key_in_text(text) or key_in_text(plan.description or "")
        key_text = None
        if key is None:
            key_text = str(rng.choice(COMMON_KEYS[MOOD_MODE[mood]]))
        length = bars or max(4, int(round(minutes * 60 * tempo / 240 / 4)) * 4)
        context = " ".join(filter(None, [f"{arc.name} {arc.description}" if arc else "", plan_text]))
        sound = sound_plan(text, mood, context, meaning)
        drums = sound.drums.on
        cond = Conditions.parse(tempo, key if key is not None else key_text, mood, length, seed % 1_000_000, drums)
        why = {
            "tempo": f"arc {gap.get('arc')} range {lo:g}–{hi:g} BPM",
            "mood": mood,
            "key": "named in the prompt or plan" if key is not None else f"usual {MOOD_MODE[mood]} key",
            "drums": "with drums" if drums else "no drums: the prompt asks for none",
        }
        slug = _slug(text)[:40] or "gap"
        count = max(1, (takes or {}).get(gap.get("arc"), 1))
        for take in range(count):
            letter = take_letter(take) if count > 1 else ""
            seeded = cond if take == 0 else replace(cond, seed=_seed(seed, "take", take) % 1_000_000)
            name = f"a{gap.get('arc')}-p{gap.get('number')}{letter}-{slug}"
            out.append(SongRequest(name, seeded, text, gap.get("arc"), gap.get("number"), why, take, sound))
    return out


def prompt_request(
    text: str,
    bars: int = 32,
    seed: int = 0,
    tempo: float | None = None,
    key: str | None = None,
    mood: str | None = None,
    meaning: Callable | None = None,
) -> SongRequest:
    """One prompt as ``gap_songs`` would ask for it (a one-arc, one-prompt plan through
    ``gap_requests``), with explicit ``tempo``, ``key`` and ``mood`` overriding what the words
    give; ``seed`` varies the piece."""
    from lofi_assets.core.ingest.plan import Arc, Prompt

    plan = TrackPlan(key="prompt", title="", source="prompt", arcs=[Arc(1, "prompt")], prompts=[Prompt(1, 1, text)])
    (request,) = gap_requests(plan, [{"arc": 1, "number": 1, "text": text}], bars=bars, meaning=meaning)
    c = request.conditions
    cond = Conditions.parse(
        tempo if tempo is not None else c.tempo,
        key if key is not None else c.key,
        mood if mood is not None else c.mood,
        bars,
        c.seed + seed,
        c.drums,
    )
    return replace(request, conditions=cond)


def nightly_requests(
    day: str,
    count: int = 50,
    bars: int = 48,
    mood_weights: dict[str, float] | None = None,
    tempo_weights: dict[str, float] | None = None,
    palette_weights: dict[str, float] | None = None,
) -> list[SongRequest]:
    """A night's batch: moods in turn (order shuffled by the date), tempo stratified over
    the mood's usual range, key from the mood's mode, and a genre palette each (in turn,
    their order shuffled by the date) whose sound plan voices the piece. The same date
    gives the same batch.

    With weights from the channel report (:mod:`.feedback`), moods and palettes are
    allotted in proportion to their weights and each piece's tempo band is drawn by the
    tempo weights (uniform within the band) instead of around the mood's usual tempo."""
    ordinal = date.fromisoformat(day).toordinal()
    rng = np.random.default_rng(ordinal)
    order = _allotted(list(MOODS), count, mood_weights, rng)
    bands = list(TEMPO_BANDS)
    band_p = None
    if tempo_weights:
        band_p = np.array([max(0.0, tempo_weights.get(b, 0.0)) for b in bands])
        band_p = band_p / band_p.sum() if band_p.sum() > 0 else None
    palettes = _allotted(list(PALETTE_ORDER), count, palette_weights, np.random.default_rng([ordinal, 1]))
    out = []
    for i, mood in enumerate(order):
        style = MOOD_STYLES[mood]
        lo, hi = LOFI_TEMPO
        if band_p is not None:
            band_lo, band_hi = TEMPO_BANDS[bands[int(rng.choice(len(bands), p=band_p))]]
            tempo = float(np.clip(round(rng.uniform(band_lo, band_hi - 1)), lo, hi))
        else:
            centre = {
                "peaceful": 66,
                "melancholic": 68,
                "uplifting": 86,
                "dreamy": 62,
                "cozy": 76,
                "chill": 78,
                "focused": 82,
                "nostalgic": 72,
            }[mood]
            tempo = float(np.clip(round(centre + rng.uniform(-8, 8)), lo, hi))
        mode = "major" if rng.random() < style.major_share else "minor"
        key = str(rng.choice(COMMON_KEYS[mode] + (("Bb", "Eb") if mode == "major" else ("Cm", "Gm", "F#m"))))
        plan = sound_plan(palettes[i], mood)
        cond = Conditions.parse(tempo, key, mood, bars, _seed(day, i) % 1_000_000, plan.drums.on)
        name = f"{day}-{i:03d}-{mood}-{cond.key_name.replace('#', 's')}-{tempo:g}-{_slug(palettes[i])}"
        out.append(SongRequest(name, cond, palettes[i], why={"palette": palettes[i]}, plan=plan))
    return out


def _allotted(arms: list[str], count: int, weights: dict[str, float] | None, rng: np.random.Generator) -> list[str]:
    """``count`` arms: in turn (their order shuffled), or allotted by ``weights`` and
    shuffled."""
    rng.shuffle(arms)
    if not weights:
        return [arms[i % len(arms)] for i in range(count)]
    counts = allocate({a: weights.get(a, 0.0) for a in arms}, count)
    order = [a for a in arms for _ in range(counts[a])]
    rng.shuffle(order)
    return order


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- generating many -----------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorSpec:
    """How to build a generator in any process: a checkpoint and tokenizer, or the composer."""

    checkpoint: str | None
    tokenizer: str | None
    composer: bool = False
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95

    def build(self):
        # torch comes with the generator: a worker process pays for it, the planner does not.
        from lofi_assets.core.generation.generate import ComposerGenerator, ModelGenerator

        if self.composer:
            return ComposerGenerator()
        return ModelGenerator.from_files(Path(self.checkpoint), Path(self.tokenizer))

    def sampling(self):
        from lofi_assets.core.generation.generate import Sampling

        return Sampling(self.temperature, self.top_k, self.top_p)


@dataclass
class Made:
    """A finished piece: the best candidate's MIDI bytes, its score and how it was made."""

    name: str
    conditions: dict
    generator: str
    midi: bytes
    score: dict
    candidates: list[float]
    seconds: float
    tokens: int
    error: str | None = None
    voiced: dict = field(default_factory=dict)  # what each role plays after the plan's voicing

    def summary(self) -> str:
        """One line: the piece, its score and how long it took."""
        if self.error:
            return f"{self.name}: failed ({self.error})"
        verdict = "" if self.approved else ", not approved"
        return f"{self.name}: score {self.score.get('combined', 0):.3f}{verdict}, {self.seconds:.0f} s"

    @property
    def approved(self) -> bool:
        # the scorer's verdict: at least REJECT_BELOW and every arrangement rule kept
        return self.error is None and bool(self.score.get("approved"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.midi).hexdigest()


_WORKER: dict = {}


def _init_worker(spec: GeneratorSpec) -> None:
    import torch

    torch.set_num_threads(1)  # one core a process: processes scale, threads on tiny matmuls do not
    _WORKER["generator"] = spec.build()
    _WORKER["sampling"] = spec.sampling()


def _make(args: tuple[SongRequest, int, float, float | None]) -> Made:
    import dataclasses

    from lofi_assets.core.generation.voicing import voice

    request, candidates, min_score, good_enough = args
    generator, sampling = _WORKER["generator"], _WORKER["sampling"]
    best, best_score, scores, seconds, tokens, error = None, None, [], 0.0, 0, None
    # N candidates; while the best is still not approved or below the bar, up to 3N before
    # giving up. An approved candidate (all arrangement rules kept) beats any that is not.
    for j in range(3 * candidates):
        if j >= candidates and best_score is not None and best_score.approved and best_score.combined >= min_score:
            break
        cond = dataclasses.replace(request.conditions, seed=request.conditions.seed * 100 + j)
        try:
            piece = generator.generate(cond, sampling)
        except Exception as exc:  # one bad candidate loses only itself
            error = f"{type(exc).__name__}: {exc}"
            continue
        seconds += piece.seconds
        tokens += piece.tokens
        score = score_midi(piece.midi, cond.key, drums=cond.drums)
        scores.append(score.combined)
        if best_score is None or (score.approved, score.combined) > (best_score.approved, best_score.combined):
            best, best_score = piece, score
        if good_enough is not None and score.approved and score.combined >= good_enough:
            break  # approved and at the target: more candidates would cost more than they could add
    if best is None:
        return Made(
            request.name,
            request.conditions.to_dict(),
            getattr(generator, "name", "?"),
            b"",
            {},
            scores,
            seconds,
            tokens,
            error or "no candidate",
        )
    # judged as the generator made it, then voiced by the plan (instruments and idioms)
    voiced = voice(best.midi, request.plan) if request.plan is not None else {}
    buffer = io.BytesIO()
    best.midi.write(buffer)
    return Made(
        request.name,
        best.conditions.to_dict(),
        best.generator,
        buffer.getvalue(),
        best_score.to_dict(),
        scores,
        round(seconds, 3),
        tokens,
        voiced=voiced,
    )


def make_songs(
    spec: GeneratorSpec,
    requests: list[SongRequest],
    candidates: int = 1,
    workers: int | None = None,
    min_score: float = REJECT_BELOW,
    done: Callable[[Made], None] | None = None,
    good_enough: float | None = None,
) -> list[Made]:
    """Each request's best of ``candidates`` (more, up to three times as many, while none
    reaches ``min_score``), on ``workers`` processes (default: all cores), in the requests'
    order; ``done`` hears of each piece as it is finished (in the order they finish). With
    ``good_enough`` the candidates stop at the first approved one scoring at least that."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(requests)))
    jobs = [(r, candidates, min_score, good_enough) for r in requests]
    tell = done or (lambda made: None)
    if workers == 1:
        import torch

        threads = torch.get_num_threads()
        try:
            _init_worker(spec)
            out = []
            for job in jobs:
                out.append(_make(job))
                tell(out[-1])
            return out
        finally:
            torch.set_num_threads(threads)
    import multiprocessing

    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(spec,)
    ) as pool:
        futures = {pool.submit(_make, job): i for i, job in enumerate(jobs)}
        results: list[Made | None] = [None] * len(jobs)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            tell(results[futures[future]])
        return results
