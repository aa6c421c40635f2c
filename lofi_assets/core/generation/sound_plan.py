"""A sound plan for a prompt: what each role plays and how, read from the operator's words.

"nylon guitar over a soft boom bap beat", "music box melody under deep reverb, very quiet",
"walking bass and brushed snare in F major": per role (keys, bass, lead) the instrument, its
General MIDI program and its idiom (chords, arpeggio, strum, pad swell, ostinato, walking
line, drone, melody); the drum kit and feel; density, dynamics and structure words; the genre
palette that fills the roles nobody named; and the texture and effect words the sound stage
turns into layers and chains. Words are read by a lexicon; what it does not know is listed
(``unrecognised``), never guessed. A plan is plain data: ``to_dict`` goes into
``gap_songs.json`` and ``table`` into the asset's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from lofi_assets.core.generation.conditions import MOOD_WORDS, drums_from_text


class Role(StrEnum):
    keys = "keys"
    bass = "bass"
    lead = "lead"


class Idiom(StrEnum):
    chords = "chords"
    comping = "comping"
    arpeggio = "arpeggio"
    strum = "strum"
    pad_swell = "pad swell"
    ostinato = "ostinato"
    melody = "melody"
    walking = "walking line"
    drone = "drone"
    line = "bass line"


@dataclass(frozen=True)
class Instrument:
    name: str
    role: Role
    program: int  # General MIDI, 0-based
    idiom: Idiom
    words: str  # a regular expression over the prompt's lower-cased text
    alone: bool = False  # taken only when the clause names no other instrument ("arpeggios")


# What operators write, most specific first: "muted trumpet" before "trumpet", "synth bass"
# before "synth", "jazz guitar" before "guitar".
INSTRUMENTS: tuple[Instrument, ...] = (
    # keys
    Instrument("Rhodes", Role.keys, 4, Idiom.chords, r"\b(fender )?rhodes\b|\belectric piano\b|\be-?piano\b|\bep\b"),
    Instrument("Wurlitzer", Role.keys, 4, Idiom.chords, r"\bwurl(itzer|y|ie)\b"),
    Instrument("FM electric piano", Role.keys, 5, Idiom.chords, r"\b(fm|dx) (electric )?piano\b|\bdx7\b"),
    Instrument("felt piano", Role.keys, 0, Idiom.chords, r"\bfelt piano\b"),
    Instrument("upright piano", Role.keys, 0, Idiom.chords, r"\bupright piano\b"),
    Instrument("grand piano", Role.keys, 0, Idiom.chords, r"\b(grand )?piano\b"),
    Instrument("organ", Role.keys, 16, Idiom.chords, r"\b(hammond |drawbar |church )?organ\b"),
    Instrument("nylon guitar", Role.keys, 24, Idiom.arpeggio, r"\b(nylon|classical|acoustic|spanish) guitar\b"),
    Instrument("jazz guitar", Role.keys, 26, Idiom.comping, r"\bjazz guitar\b|\bhollow-?body\b"),
    Instrument("muted guitar", Role.keys, 28, Idiom.strum, r"\bmuted guitar\b|\bpalm[- ]muted\b"),
    Instrument("clean guitar", Role.keys, 27, Idiom.arpeggio, r"\b(clean |electric )?guitars?\b"),
    Instrument("strings", Role.keys, 48, Idiom.pad_swell, r"\bstrings?( section| ensemble| pad)?\b|\bviolins?\b"),
    Instrument("airy pad", Role.keys, 94, Idiom.pad_swell, r"\b(airy|halo|shimmering|glassy) (synth )?pads?\b"),
    Instrument("lush pad", Role.keys, 88, Idiom.pad_swell, r"\b(lush|dreamy|reverbed) (vaporwave |synth )?pads?\b"),
    Instrument(
        "warm pad",
        Role.keys,
        89,
        Idiom.pad_swell,
        r"\b(synth |analog(ue)? |warm |soft |smooth |deep |ambient |teal |pad )*pads?\b|\bpad (swells?|wash|layers?)\b",
    ),
    Instrument(
        "synth chords", Role.keys, 90, Idiom.chords, r"\bsynth (chords?|layers?|textures?|stabs?)\b|\bpolysynth\b"
    ),
    # bass
    Instrument(
        "upright bass", Role.bass, 32, Idiom.line, r"\b(upright|acoustic|double|stand-?up) bass\b|\bcontrabass\b"
    ),
    Instrument("fretless bass", Role.bass, 35, Idiom.line, r"\bfretless( bass)?\b"),
    Instrument(
        "synth bass",
        Role.bass,
        38,
        Idiom.line,
        r"\b(analog(ue)? )?(synth )?bass (pulse|synth)\b|\b(analog(ue)?|synth|moog|sub|808) (synth )?bass\b",
    ),
    Instrument("finger bass", Role.bass, 33, Idiom.line, r"\b(finger|electric|round|smooth|warm|deep)? ?bass\b"),
    # lead
    Instrument("music box", Role.lead, 10, Idiom.melody, r"\bmusic ?box\b"),
    Instrument("celesta", Role.lead, 8, Idiom.melody, r"\bceleste?a\b|\bglockenspiel\b"),
    Instrument("vibraphone", Role.lead, 11, Idiom.melody, r"\bvibraphone\b|\bvibes\b"),
    Instrument("marimba", Role.lead, 12, Idiom.ostinato, r"\bmarimba\b"),
    Instrument("kalimba", Role.lead, 108, Idiom.ostinato, r"\bkalimba\b|\bthumb piano\b|\bmbira\b"),
    Instrument("harp", Role.lead, 46, Idiom.arpeggio, r"\bharp\b"),
    Instrument("flute", Role.lead, 73, Idiom.melody, r"\bflutes?\b"),
    Instrument("saxophone", Role.lead, 65, Idiom.melody, r"\b(alto |tenor )?sax(ophone)?\b"),
    Instrument("muted trumpet", Role.lead, 59, Idiom.melody, r"\bmuted trumpet\b|\btrumpet-like\b"),
    Instrument("trumpet", Role.lead, 56, Idiom.melody, r"\btrumpet\b|\bflugelhorn\b"),
    Instrument("clarinet", Role.lead, 71, Idiom.melody, r"\bclarinet\b"),
    Instrument("synth arpeggio", Role.lead, 81, Idiom.arpeggio, r"\b(synth )?arp(eggio|eggios|eggiated)?s?\b", True),
    Instrument(
        "synth lead", Role.lead, 81, Idiom.melody, r"\b(synth|retrowave|80s|square|saw) leads?\b|\blead synth\b"
    ),
)

# Sound words that name a role but no instrument: the palette chooses ("soft keys", "synths");
# the kit's pieces, which the kit and feel words read; the key, which ``key_in_text`` reads.
GENERIC_WORDS = (
    r"\bkeys\b|\bsynths?\b|\bchords?\b|\bdrums?\b|\bpercussion\b|\bpercussive\b|\bbass ?line\b"
    r"|\bsnares?\b|\bkicks?\b|\b(hi-?)?hats?\b|\bcymbals?\b|\bin [a-g][b#♭♯]?m?\b|\b[a-g][b#♭♯]? (major|minor)\b"
)
WALKING_BASS = "upright bass"

# Idiom words: they change how the nearest instrument in the same clause plays.
IDIOM_WORDS: tuple[tuple[Idiom, str], ...] = (
    (Idiom.walking, r"\bwalking\b"),
    (Idiom.drone, r"\bdrones?\b"),
    (Idiom.strum, r"\bstrum(med|ming|s)?\b"),
    (Idiom.arpeggio, r"\barpeggi(o|os|ated)\b|\barps?\b|\bpicked\b"),
    (Idiom.comping, r"\bcomping\b"),
    (Idiom.pad_swell, r"\bswells?\b|\bswelling\b"),
    (Idiom.ostinato, r"\bostinato\b|\brepeating\b|\bloop(ed|ing)?\b"),
    (Idiom.melody, r"\bmelod(y|ies|ic)\b|\bmotif\b|\blead\b|\bline\b"),
    (Idiom.chords, r"\bchords?\b|\bvoicings?\b"),
)


class Kit(StrEnum):
    standard = "standard"
    brushes = "brushes"
    jazz = "jazz"
    electronic = "80s drum machine"
    none = "no drums"


# The General MIDI drum kit (the program on the drum channel) of each kit.
KIT_PROGRAMS = {Kit.standard: 0, Kit.brushes: 40, Kit.jazz: 32, Kit.electronic: 25, Kit.none: 0}

KIT_WORDS: tuple[tuple[Kit, str], ...] = (
    (Kit.brushes, r"\bbrush(ed|es)?\b"),
    (Kit.electronic, r"\bdrum machine\b|\b(80s|gated|808|909|linn)( reverb)? drums?\b|\bgated\b"),
    (Kit.jazz, r"\bjazz (drums|kit|beat)\b|\bride cymbal\b"),
)

# Feel words: how the drums play (the composer and the model's masks read these names).
FEEL_WORDS: dict[str, str] = {
    "boom bap": r"\bboom[- ]?bap\b|\bhip[- ]?hop\b|\bhead-?nod\b",
    "half time": r"\bhalf[- ]?time\b",
    "swing": r"\bswung\b|\bswing(ing|y)?\b",
    "rimshot": r"\brim ?shot\b|\bside ?stick\b|\bcross ?stick\b",
    "shaker": r"\bshakers?\b|\bmaracas\b",
    "lazy hats": r"\b(lazy|soft|loose) (hi-?)?hats?\b",
    "sleepy kick": r"\b(sleepy|slow|muted|soft) kick\b",
    "sparse": r"\balmost (no drums|beatless)\b|\bminimal (percussion|rhythm|beat)\b|\bsparse (drums|beat|percussion)\b",
    "fading beat": r"\bfading beat\b|\bbeat that fades\b",
}

DENSITY_WORDS: dict[str, str] = {
    "sparse": r"\bsparse\b|\bminimal(ist)?\b|\bspace between notes\b|\brestrained\b",
    "busy": r"\bbusy\b|\bdense\b|\bdriving\b",
}
DYNAMICS_WORDS: dict[str, str] = {
    "very quiet": r"\bvery quiet\b|\bwhisper\b",
    "quiet": r"\bquiet\b|\bhushed?\b|\bsoftened\b",
    "soft": r"\bsoft\b|\bgentle\b|\bmellow\b|\bmuted attack\b",
    "fading": r"\bfad(e|es|ing)\b|\bdissolv(e|es|ing)\b|\bwind(ing)?[- ]down\b",
}
STRUCTURE_WORDS: dict[str, str] = {
    "slow fade": r"\b(slow|final) fade\b|\bfade[- ](out|to silence)\b|\bdissolv(e|es|ing) (in)?to silence\b",
    "one last chord": r"\b(one )?last ([a-z]+ )?chord\b|\bfinal chord\b",
    "intro": r"\bintro(duction)?\b|\bopening\b",
    "outro": r"\boutro\b|\bcloser\b|\bending\b",
}

# Genre palettes, as the fixtures' plans mix them: the instruments a role gets when nobody
# named one, the kit, and the colour words the sound stage reads.
PALETTES: dict[str, dict] = {
    "lo-fi jazz": {
        "words": r"\bjazz(y|-influenced)?\b",
        "keys": "Rhodes",
        "bass": "upright bass",
        "lead": "vibraphone",
        "kit": Kit.brushes,
    },
    "synthwave": {
        "words": r"\b(synth|retro|dream)wave\b|\boutrun\b|\b80s\b",
        "keys": "warm pad",
        "bass": "synth bass",
        "lead": "synth arpeggio",
        "kit": Kit.electronic,
    },
    "vaporwave": {
        "words": r"\bvaporwave\b|\bslowed\b",
        "keys": "FM electric piano",
        "bass": "finger bass",
        "lead": "lush pad",
        "kit": Kit.standard,
        "effects": ("slowed", "chorus"),
    },
    "ambient": {
        "words": r"\bambient\b|\bdrone\b|\bsoundscape\b|\bsynthscape\b",
        "keys": "warm pad",
        "bass": "synth bass",
        "lead": "airy pad",
        "kit": Kit.none,
    },
    "lo-fi hip hop": {
        "words": r"\blo-?fi\b",
        "keys": "Rhodes",
        "bass": "finger bass",
        "lead": "vibraphone",
        "kit": None,  # the mood's kit (brushes for cozy, the standard kit for boom bap moods)
    },
}
PALETTE_ORDER = ("lo-fi jazz", "synthwave", "ambient", "vaporwave", "lo-fi hip hop")  # the first that matches

# Textures: what the sound stage lays under the music (recorded here, made there).
TEXTURE_WORDS: dict[str, str] = {
    "rain": r"\brain(y|fall| ambience| noise| textures?)?\b|\bdrizzle\b|\bdownpour\b|\bon the (glass|window|roof)\b",
    "thunder": r"\bthunder(storm)?\b",
    "vinyl crackle": r"\bvinyl\b|\bcrackle\b|\bsurface noise\b|\bdust(y)? record\b",
    "tape hiss": r"\b(tape |analog(ue)? )?hiss\b|\btape (hush|haze|noise|loops?)\b|\bwhite noise\b",
    "static": r"\bstatic\b|\bvhs\b|\bhaze\b",
    "hum": r"\bhum(ming)?\b|\bdrone tones\b|\bpower-?down tones\b",
    "wind": r"\bwind\b|\bair (movement|texture)\b|\bbreeze\b",
    "city": r"\bcity\b|\btraffic\b|\burban\b|\bstreet\b",
    "train": r"\btrain\b|\brails?\b|\bcarriage\b|\bstation\b",
    "café": r"\bcaf[eé]\b|\bcoffee[- ]shop\b|\bmurmur\b|\bchatter\b",
    "fireplace": r"\bfireplace\b|\bcrackling fire\b|\bembers\b",
    "ocean": r"\bocean\b|\bwaves\b|\bsea\b|\bshore\b",
    "birds": r"\bbirds?(ong)?\b",
    "night insects": r"\bcrickets?\b|\binsects?\b|\bcicadas?\b",
    "radio": r"\bradio( dial)?\b",
}
EFFECT_WORDS: dict[str, str] = {
    "long reverb": r"\b(deep|long|large|wide|foggy|lush|big|gated) reverb\b|\breverb(ed)? tails?\b|\breverbed\b",
    "reverb": r"\breverb\b",
    "delay": r"\bdelay\b|\becho(es)?\b",
    "tape wobble": r"\b(tape )?(wobble|wow|flutter|warble|warped)\b",
    "low-pass": r"\bmuffled\b|\bmuted\b|\bdistant\b|\bin the distance\b|\bfiltered\b|\bunder water\b|\bsoftened transients\b",
    "saturation": r"\bwarm(th)?\b|\b(tape )?saturat(ed|ion)\b|\b(analog(ue)?|tape) (drive|warmth)\b",
    "bit reduction": r"\bdusty\b|\blo-?res\b|\bbit ?crush(ed)?\b",
    "airy": r"\bairy\b|\bair\b|\bshimmer(ing)?\b",
    "chorus": r"\bchorus(ed)?\b",
    "tremolo": r"\btremolo\b",
    "sidechain": r"\bsidechain(ed)?\b|\bpumping\b",
    "slowed": r"\bslowed\b",
}

# Words that carry no sound (the prompt's grammar, time, place and feeling the mood reads).
_QUIET_WORDS = set(
    """a an and the with over under in into on of to for at by from into onto as but or nor not no
    only very almost just more less some all one two three last first then while its it's it this
    that slow slower fast steady mid-tempo midtempo tempo bpm beat beats groove rhythm rhythmic
    track piece song music sound sounds tone tones texture textures layer layers layered mood
    energy vibe feel flow motion movement calm cozy warm soft gentle mellow light subtle smooth
    lofi lo-fi lo fi style like sort kind bit little faint low high deep clean clear""".split()
)
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class PartPlan:
    role: str
    instrument: str
    program: int
    idiom: str
    words: str  # the prompt's words that chose it, or where it came from ("palette lo-fi jazz")
    named: bool  # True when the prompt named the instrument


@dataclass(frozen=True)
class DrumPlan:
    on: bool
    kit: str
    kit_program: int
    feel: tuple[str, ...]
    words: str
    chosen: bool = False  # the prompt named the kit, or a genre it named chose it (else the mood's kit plays)


@dataclass
class SoundPlan:
    prompt: str
    palette: str
    parts: dict[str, PartPlan]
    drums: DrumPlan
    density: tuple[str, ...] = ()
    dynamics: tuple[str, ...] = ()
    structure: tuple[str, ...] = ()
    textures: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    unrecognised: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)  # contradictions resolved, fallbacks

    def programs(self) -> dict[str, int]:
        return {role: part.program for role, part in self.parts.items()}

    def table(self) -> list[tuple[str, str]]:
        """Prompt words → what plays, a row each: the asset's metadata table."""
        rows = [(p.words, f"{p.role}: {p.instrument} (GM {p.program}), {p.idiom}") for p in self.parts.values()]
        d = self.drums
        kit = d.kit if d.chosen else "the mood's kit"
        rows.append((d.words, f"drums: {kit}" + (f", {', '.join(d.feel)}" if d.feel else "") if d.on else "no drums"))
        for label, values in (("density", self.density), ("dynamics", self.dynamics), ("structure", self.structure)):
            if values:
                rows.append((", ".join(values), label))
        if self.textures:
            rows.append((", ".join(self.textures), "texture layers (the sound stage)"))
        if self.effects:
            rows.append((", ".join(self.effects), "effects (the sound stage)"))
        if self.unrecognised:
            rows.append((", ".join(self.unrecognised), "not recognised (nothing guessed)"))
        return rows

    def to_dict(self) -> dict:
        data = asdict(self)
        data["parts"] = {role: asdict(part) for role, part in self.parts.items()}
        return data


_BY_NAME = {i.name: i for i in INSTRUMENTS}


def palette_in_text(*texts: str) -> str | None:
    """The genre palette the words name (the first of :data:`PALETTE_ORDER` that any text
    matches), or None."""
    joined = " ".join(texts).lower()
    return next((n for n in PALETTE_ORDER if re.search(PALETTES[n]["words"], joined)), None)


def _clauses(text: str) -> list[str]:
    """The prompt split where its ideas change: commas, "+", "and", "with", "over", "under"."""
    parts = re.split(r",|;|\+|—|–|\s-\s|\s(?:and|with|over|under|beneath|into|plus)\s", text)
    return [p.strip() for p in parts if p.strip()]


def _found(patterns: dict[str, str], text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in patterns.items() if re.search(pattern, text))


def sound_plan(prompt: str, mood: str = "chill", context: str = "", meaning: Callable | None = None) -> SoundPlan:
    """The plan for ``prompt`` (the arc's and the track's words in ``context`` choose the
    palette when the prompt names none). Explicit negations win ("no drums" over "boom bap")
    and the plan says so. ``meaning`` (an :class:`.instrument_meaning.InstrumentMeaning`)
    reads a clause the lexicon finds no instrument in by what it means ("a lonely oboe")."""
    text = prompt.lower()
    parts: dict[str, PartPlan] = {}
    notes: list[str] = []
    read_by_meaning: set[str] = set()
    for clause in _clauses(text):
        # per role, the most specific instrument the clause names: "nylon guitar" over
        # "guitar", "synth leads" over "synth"
        found: dict[Role, tuple[int, int, Instrument]] = {}
        for order, inst in enumerate(INSTRUMENTS):
            if m := re.search(inst.words, clause):
                rank = (len(m.group(0).strip()), -order)
                if inst.role not in found or rank > found[inst.role][:2]:
                    found[inst.role] = (*rank, inst)
        if any(not inst.alone for *_, inst in found.values()):
            found = {role: f for role, f in found.items() if not f[2].alone}
        words = clause
        if not found and meaning is not None and _unrecognised(clause) and not _leaves_to_palette(clause):
            match = meaning(clause)
        else:
            match = None
        if match is not None:
            found = {match.instrument.role: (0, 0, match.instrument)}
            words = f"{clause} (by meaning, {match.similarity:.2f})"
            read_by_meaning.update(_unrecognised(clause))
        for role, (*_, inst) in found.items():
            if role.value in parts:
                continue
            idiom = next((i for i, pattern in IDIOM_WORDS if re.search(pattern, clause) and _fits(role, i)), inst.idiom)
            if idiom == Idiom.walking and inst.name == "finger bass":
                inst = _BY_NAME[WALKING_BASS]  # a walking bass named no further is the jazz player's
            parts[role.value] = PartPlan(role.value, inst.name, inst.program, idiom.value, words, True)

    palette_name = palette_in_text(text) or palette_in_text(context)
    palette_recognised = palette_name is not None
    if palette_name is None:
        palette_name = "lo-fi hip hop"
        if not parts and not any(re.search(p, text) for p in [*FEEL_WORDS.values(), *(p for _, p in KIT_WORDS)]):
            notes.append(f"no instrument, kit or genre recognised: the {mood} mood's lo-fi palette plays")
    palette = PALETTES[palette_name]
    for role in Role:
        if role.value not in parts:
            inst = _BY_NAME[palette[role.value]]
            parts[role.value] = PartPlan(
                role.value, inst.name, inst.program, inst.idiom.value, f"palette {palette_name}", False
            )

    drums_on = drums_from_text(prompt)
    if not drums_on and (m := re.search(r"\balmost (no drums|beatless)\b", text)):
        notes.append(f"'{m.group(0)}' is played as no drums: sparse drums are not played yet")
    feel = _found(FEEL_WORDS, text)
    kit_words = [(kit, m) for kit, pattern in KIT_WORDS if (m := re.search(pattern, text))]
    kit = kit_words[0][0] if kit_words else palette["kit"] or Kit.standard
    if kit == Kit.none and (feel or kit_words) and drums_on:
        kit = Kit.standard  # an ambient palette, but the prompt asks for a beat
    if not drums_on or (kit == Kit.none and "sparse" not in feel):
        asked = [f for f in feel if f != "sparse"] + [k.value for k, _ in kit_words]
        if asked and not drums_on:
            notes.append(f"'{', '.join(asked)}' and no drums: the negation wins, no drums")
        drum_plan = DrumPlan(False, Kit.none.value, 0, (), _words(r"\bno[ -]\w+|\bbeatless\b|\bambient\b", text))
    else:
        if kit == Kit.none:
            kit = Kit.standard
        chosen = bool(kit_words) or (palette_recognised and palette["kit"] is not None)
        said = [m.group(0) for _, m in kit_words] + [
            m.group(0) for pattern in FEEL_WORDS.values() if (m := re.search(pattern, text))
        ]
        drum_plan = DrumPlan(True, kit.value, KIT_PROGRAMS[kit], feel, ", ".join(said), chosen)

    density = _found(DENSITY_WORDS, text)
    dynamics = _found(DYNAMICS_WORDS, text)
    structure = _found(STRUCTURE_WORDS, text)
    textures = _found(TEXTURE_WORDS, text)
    effects = tuple(dict.fromkeys(_found(EFFECT_WORDS, text) + tuple(palette.get("effects", ()))))
    if "long reverb" in effects and "reverb" in effects:
        effects = tuple(e for e in effects if e != "reverb")
    unrecognised = tuple(w for w in _unrecognised(text) if w not in read_by_meaning)
    return SoundPlan(
        prompt=prompt,
        palette=palette_name,
        parts=parts,
        drums=drum_plan,
        density=density,
        dynamics=dynamics,
        structure=structure,
        textures=textures,
        effects=effects,
        unrecognised=unrecognised,
        notes=notes,
    )


# Every pattern the plan reads; a word inside a match of any of them is recognised (a second
# genre word is read too, though the first chose the palette).
LEXICON: tuple[str, ...] = (
    *(i.words for i in INSTRUMENTS),
    *(p for _, p in IDIOM_WORDS),
    GENERIC_WORDS,
    *(p["words"] for p in PALETTES.values()),
    *(p for _, p in KIT_WORDS),
    *FEEL_WORDS.values(),
    *(
        p
        for table in (DENSITY_WORDS, DYNAMICS_WORDS, STRUCTURE_WORDS, TEXTURE_WORDS, EFFECT_WORDS)
        for p in table.values()
    ),
)
_MOOD_PREFIXES = tuple(w.strip() for words in MOOD_WORDS.values() for w in words)


def _unrecognised(text: str) -> tuple[str, ...]:
    """The words of ``text`` no lexicon entry reads, the mood does not read and that carry sound."""
    covered = [m.span() for pattern in LEXICON for m in re.finditer(pattern, text)]
    return tuple(
        dict.fromkeys(
            m.group(0)
            for m in _WORD.finditer(text)
            if m.group(0) not in _QUIET_WORDS
            and not m.group(0).startswith(_MOOD_PREFIXES)  # the mood reads it
            and not any(a < m.end() and m.start() < b for a, b in covered)  # read as part of a phrase
        )
    )


def _leaves_to_palette(clause: str) -> bool:
    """Whether a clause names a role or a genre but no instrument ("warm analog synths",
    "hypnotic lo-fi synthwave"): the palette chooses, and meaning does not second-guess it."""
    return bool(re.search(GENERIC_WORDS, clause)) or palette_in_text(clause) is not None


def _fits(role: Role, idiom: Idiom) -> bool:
    """Which idioms a role can take: a bass walks or drones, never strums."""
    allowed = {
        Role.bass: {Idiom.walking, Idiom.drone, Idiom.arpeggio, Idiom.line},
        Role.keys: {Idiom.chords, Idiom.comping, Idiom.arpeggio, Idiom.strum, Idiom.pad_swell, Idiom.drone},
        Role.lead: {Idiom.melody, Idiom.arpeggio, Idiom.ostinato},
    }
    return idiom in allowed[role]


def _words(pattern: str, text: str) -> str:
    return ", ".join(m.group(0) for m in re.finditer(pattern, text))
