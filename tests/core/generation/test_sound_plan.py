import pytest

from lofi_assets.core.generation.sound_plan import INSTRUMENTS, sound_plan


def named(plan) -> dict[str, tuple[str, int, str]]:
    return {role: (p.instrument, p.program, p.idiom) for role, p in plan.parts.items() if p.named}


@pytest.mark.parametrize(
    ("prompt", "role", "instrument", "program", "idiom"),
    [
        ("nylon guitar over a soft boom bap beat", "keys", "nylon guitar", 24, "arpeggio"),
        ("music box melody under deep reverb, very quiet", "lead", "music box", 10, "melody"),
        ("walking bass and brushed snare in F major", "bass", "upright bass", 32, "walking line"),
        ("slow Rhodes chords with brushed drums and soft rain", "keys", "Rhodes", 4, "chords"),
        ("keys like an old Wurly, lazy hats", "keys", "Wurlitzer", 4, "chords"),
        ("Fender Rhodes comping, rimshot", "keys", "Rhodes", 4, "comping"),
        ("gentle kalimba over a soft pad", "lead", "kalimba", 108, "ostinato"),
        ("muted trumpet-like synth lead, warm and round", "lead", "muted trumpet", 59, "melody"),
        ("airy synth pad, no drums, slow chord swells", "keys", "airy pad", 94, "pad swell"),
        ("warm bass drone with rain on the roof", "bass", "finger bass", 33, "drone"),
        ("fretless bass under a felt piano", "bass", "fretless bass", 35, "bass line"),
        ("strummed clean guitar and shaker", "keys", "clean guitar", 27, "strum"),
        ("subtle arp melody over a drum machine groove", "lead", "synth arpeggio", 81, "arpeggio"),
        ("analog synth bass pulse", "bass", "synth bass", 38, "bass line"),
        ("a harp under the rain", "lead", "harp", 46, "arpeggio"),
        ("clarinet melody, vibes", "lead", "clarinet", 71, "melody"),
    ],
)
def test_instrument_words_choose_the_role_program_and_idiom(prompt, role, instrument, program, idiom):
    assert named(sound_plan(prompt))[role] == (instrument, program, idiom)


def test_the_most_specific_words_win_and_a_generic_arpeggio_goes_to_the_named_instrument():
    plan = sound_plan("soft guitar arpeggio, tape wobble, sleepy groove")
    assert named(plan) == {"keys": ("clean guitar", 27, "arpeggio")}
    assert named(sound_plan("bright synth leads over soft layered pads"))["lead"][0] == "synth lead"


def test_kit_and_feel_words():
    plan = sound_plan("dusty boom bap at half time, rimshot, lazy hats and a sleepy kick")
    assert plan.drums.on and plan.drums.kit == "standard"
    assert set(plan.drums.feel) == {"boom bap", "half time", "rimshot", "lazy hats", "sleepy kick"}
    brushes = sound_plan("walking bass and brushed snare")
    assert brushes.drums.kit == "brushes" and brushes.drums.kit_program == 40
    assert sound_plan("clean 80s drum machine, gated reverb drums").drums.kit == "80s drum machine"
    almost = sound_plan("sparse piano and rain, almost no drums")
    assert not almost.drums.on and any("played as no drums" in n for n in almost.notes)
    assert sound_plan("sparse drums under a Rhodes").drums.feel == ("sparse",)


def test_an_explicit_negation_wins_and_is_said():
    plan = sound_plan("no drums, just a boom bap feel with brushes")
    assert not plan.drums.on and plan.drums.kit == "no drums"
    assert any("negation wins" in n for n in plan.notes)


def test_genre_palettes_fill_the_roles_nobody_named():
    jazz = sound_plan("soft lo-fi jazz-influenced chords, relaxed rainy mood")
    assert jazz.palette == "lo-fi jazz"
    assert (jazz.parts["keys"].instrument, jazz.parts["bass"].instrument) == ("Rhodes", "upright bass")
    assert jazz.drums.kit == "brushes" and not jazz.parts["keys"].named
    synthwave = sound_plan("hypnotic lo-fi synthwave, steady mid-tempo beat")
    assert synthwave.palette == "synthwave" and synthwave.parts["bass"].program == 38
    assert synthwave.drums.kit == "80s drum machine" and synthwave.parts["lead"].idiom == "arpeggio"
    vapor = sound_plan("slowed vaporwave chords")
    assert vapor.palette == "vaporwave" and {"slowed", "chorus"} <= set(vapor.effects)
    ambient = sound_plan("minimal ambient lo-fi, deep pads, floating late-night calm")
    assert ambient.palette == "ambient" and not ambient.drums.on
    # the arc's or the track's words choose when the prompt names no genre
    assert sound_plan("warm chords", context="Neon synthwave night").palette == "synthwave"


def test_textures_effects_density_dynamics_and_structure_are_recorded():
    plan = sound_plan("music box melody under deep reverb, very quiet, light rain and vinyl crackle")
    assert set(plan.textures) == {"rain", "vinyl crackle"}
    assert "long reverb" in plan.effects and "reverb" not in plan.effects
    assert "very quiet" in plan.dynamics
    fade = sound_plan("final slow fade, rails and rain only, one last chord")
    assert {"slow fade", "one last chord"} <= set(fade.structure) and {"rain", "train"} <= set(fade.textures)
    assert "tape wobble" in sound_plan("tape wow and flutter").effects


def test_nothing_recognised_gets_the_mood_palette_and_says_so_and_unknown_words_are_listed():
    plan = sound_plan("quixotic zephyr", mood="dreamy")
    assert plan.palette == "lo-fi hip hop" and all(not p.named for p in plan.parts.values())
    assert any("dreamy mood" in n for n in plan.notes)
    assert plan.unrecognised == ("quixotic", "zephyr")
    assert sound_plan("nylon guitar over a soft boom bap beat").unrecognised == ()


def test_the_plan_reads_as_a_table_and_as_data():
    plan = sound_plan("nylon guitar over a soft boom bap beat, light rain")
    rows = dict((what, words) for words, what in plan.table())
    assert rows["keys: nylon guitar (GM 24), arpeggio"] == "nylon guitar"
    assert any(what.startswith("drums: the mood's kit, boom bap") for what in rows)
    assert rows["texture layers (the sound stage)"] == "rain"
    data = plan.to_dict()
    assert data["parts"]["keys"]["program"] == 24 and tuple(data["drums"]["feel"]) == ("boom bap",)
    assert plan.programs() == {"keys": 24, "bass": 33, "lead": 11}


def test_every_instrument_of_the_issue_has_an_entry():
    names = {i.name for i in INSTRUMENTS}
    for wanted in (
        "Rhodes",
        "Wurlitzer",
        "felt piano",
        "upright piano",
        "grand piano",
        "organ",
        "music box",
        "celesta",
        "vibraphone",
        "marimba",
        "kalimba",
        "harp",
        "nylon guitar",
        "jazz guitar",
        "clean guitar",
        "muted guitar",
        "warm pad",
        "strings",
        "flute",
        "saxophone",
        "muted trumpet",
        "clarinet",
        "synth lead",
        "synth arpeggio",
        "upright bass",
        "finger bass",
        "fretless bass",
        "synth bass",
    ):
        assert wanted in names
    assert all(0 <= i.program <= 127 for i in INSTRUMENTS)
