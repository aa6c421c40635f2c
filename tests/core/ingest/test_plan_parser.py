import time

import pytest

from lofi_assets.core.ingest.page_text import decode_page_bytes
from lofi_assets.core.ingest.plan import validate_plan_dict
from lofi_assets.core.ingest.plan_parser import PlanParseError, parse_track_plan
from tests.conftest import SAMPLE_NOTION


def parse(text: str, key: str = "test-page", **kwargs):
    return parse_track_plan(text, key=key, source=f"{key}.md", **kwargs)


# -- the shared fixtures: real pages from a working channel -------------------------------

# What a person reading each page lists: arcs with their BPM ranges and prompt counts.
FIXTURES = {
    "28e433e57885803caa17c6a48fcd4198": (
        [("Rainy Entry", None, 3), ("Cozy Flow", None, 3), ("Dreamy Focus", None, 3), ("Night Fade", None, 3)],
        "rainy neon night lo-fi beat, soft ambient rain, warm analog pads, slow tempo, cozy city atmosphere",
    ),
    "291433e57885806792f6e0aa1ac46418": (
        [
            ("Golden Hour Warmth", None, 3),
            ("Dusk Focus Loop", None, 4),
            ("Nightfall Dream State", None, 4),
            ("Late Night Flow", None, 4),
            ("Gentle Ending", None, 3),
        ],
        "warm lo-fi synthwave, soft sunset glow, analog pads, slow tempo, cozy coding atmosphere, relaxed beat",
    ),
    "293433e5788580459a0adbe61113fc73": (
        [
            ("First Light", None, 3),
            ("Flow Drive", None, 3),
            ("Daybreak Clarity", None, 3),
            ("Reflective Return", None, 3),
        ],
        "soft ambient lofi intro, warm synth pads, analog hiss, pre-dawn calm",
    ),
    "293433e57885807ab72edea95328d5b0": (
        [
            ("Urban Rainfall", None, 3),
            ("Deep Focus Flow", None, 4),
            ("Midnight Stillness", None, 3),
            ("Vaporwave Dreamfade", None, 3),
        ],
        "ambient vaporwave hum with soft rain textures and slow city rhythm",
    ),
    "293433e5788580b8b868fd7acd0abe31": (
        [("Urban Twilight", None, 3), ("Focus Flow", None, 4), ("Midnight Calm", None, 3), ("Dreamlike Fade", None, 3)],
        "ambient vaporwave hum, low analog tone, slow city rhythm",
    ),
    "2a8433e57885807c9393da50e905fe0d": (
        [
            ("VHS Static Haze", None, 3),
            ("Focused System Check", None, 4),
            ("Deep Nostalgia", None, 3),
            ("Tape Loop Calm", None, 3),
        ],
        "ambient vaporwave drone, slow tempo, dominant VHS static and tape hiss textures, low analogue synth pads",
    ),
    "2a8433e5788580ae8965c2b6eb22d5a6": (
        [
            ("Pre-Dawn Quiet", None, 4),
            ("Early Focus Flow", None, 4),
            ("Blue-Hour Momentum", None, 3),
            ("Citylight Fade", None, 3),
        ],
        "Soft ambient pads, no drums, subtle analog warmth, cold blue tone",
    ),
    "2a8433e5788580b38210f405dafd42f1": (
        [("Quiet Glow", None, 3), ("Dreamwave Pulse", None, 3), ("Bedroom Stillness", None, 3), ("Hazy Fade", None, 3)],
        "ambient pad + soft rain textures",
    ),
    "2c2433e5788580d59ae5e3c7cda39e57": (
        [
            ("Rain Ambience", (45, 55), 3),
            ("Steady Focus Flow", (60, 70), 4),
            ("Midnight Clarity", (70, 78), 3),
            ("Vaporwave Fadeout", (45, 60), 3),
        ],
        "ambient vaporwave pads + soft rain textures, slow drift, muted attack, no drums, warm analog hiss",
    ),
    "2c8433e5788580599853cd5b9c19da70": (
        [
            ("Neon Rain Calm", (50, 60), 3),
            ("Retro Tech Pulse", (60, 72), 4),
            ("Deep Focus Drift", (68, 76), 3),
            ("Vaporwave Fade", (50, 60), 3),
        ],
        "soft ambient pads with light rain textures, warm analog drift, muted low-end movement",
    ),
}


@pytest.mark.parametrize("page_id", sorted(FIXTURES))
def test_shared_fixture_parses_as_a_person_reads_it(shared_notion_docs, page_id):
    expected_arcs, first_prompt = FIXTURES[page_id]
    text = (shared_notion_docs / f"{page_id}.md").read_text(encoding="utf-8")
    plan = parse(text, key=page_id)

    assert [(a.name, (a.bpm_min, a.bpm_max) if a.bpm_min else None) for a in plan.arcs] == [
        (name, bpm) for name, bpm, _ in expected_arcs
    ]
    assert [len(plan.prompts_in_arc(a.number)) for a in plan.arcs] == [n for _, _, n in expected_arcs]
    total = sum(n for _, _, n in expected_arcs)
    assert [p.number for p in plan.prompts] == list(range(1, total + 1))
    assert plan.prompts[0].text == first_prompt
    # The post-upload checklist is never read as prompts.
    assert not any("chapter" in p.text.lower() or "thumbnail" in p.text.lower() for p in plan.prompts)
    assert plan.title and plan.target_duration_min in (60.0, 120.0, 180.0)
    assert plan.visible_hashtags and plan.hidden_tags and plan.hidden_tags_fit
    assert validate_plan_dict(plan.to_dict()) == []


def test_fixture_details(shared_notion_docs):
    def load(page_id):
        return parse((shared_notion_docs / f"{page_id}.md").read_text(encoding="utf-8"), key=page_id)

    rainy_desk = load("2c2433e5788580d59ae5e3c7cda39e57")
    assert rainy_desk.track_number == 21
    assert rainy_desk.anchor_phrase == "neon rain calm — deep, steady focus under soft rainfall"
    assert rainy_desk.prompt_suffix == "vaporwave synthwave lofi"
    assert rainy_desk.exclusions == ["saxophone", "brass", "solos", "jazz leads"]
    assert rainy_desk.upload_schedule == "Wednesday @ 10 AM ET"
    assert all(p.anchor_phrase == "vaporwave synthwave lofi" and p.checked for p in rainy_desk.prompts)
    assert not any("vaporwave synthwave lofi" in p.text for p in rainy_desk.prompts)

    city = load("293433e5788580b8b868fd7acd0abe31")  # unnumbered to-dos, suffix stated in a sentence
    assert city.prompt_suffix == "rainy neon studio vibes"
    assert city.prompts[-1].text == "analog fade-out with subtle background noise, complete stillness"

    dawn = load("293433e5788580459a0adbe61113fc73")  # a "Revised" copy follows the plan
    assert dawn.track_number == 11
    assert dawn.title == "Dawn Drive 🚗 LoFi Synthwave Mix"
    assert dawn.visible_hashtags == ["#LoFi", "#Synthwave", "#FocusMusic", "#Sunrise", "#RoyaltyFree"]
    assert [p.checked for p in dawn.prompts_in_arc(3)] == [True, True, False]
    assert dawn.arcs[0].description == "Gentle Awakening"

    reflections = load("2a8433e5788580b38210f405dafd42f1")  # anchor phrase written as a heading
    assert reflections.anchor_phrase == "soft rain memory — intimate, quiet, emotional dreamwave"
    assert reflections.target_duration_min == 120.0

    first = load("28e433e57885803caa17c6a48fcd4198")
    assert first.mood_arc == "Rainy Entry → Cozy Flow → Dreamy Focus → Night Fade"
    assert first.description.startswith("Rain falls softly outside")
    assert "Image Prompt" not in first.description
    assert any("no BPM range" in w for w in first.warnings)


# -- the project's own samples -----------------------------------------------------------


def test_sample_notion_export_form():
    path = next(SAMPLE_NOTION.glob("Rainy Window Study Session *.md"))
    plan = parse(path.read_text(encoding="utf-8"), key="4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b")
    assert plan.title == "Rainy Window Study Session"
    assert (plan.track_number, plan.status, plan.target_duration_min) == (12, "Planned", 60.0)
    assert plan.last_edited == "2026-11-18T21:42:00"
    assert [(a.emoji, a.name, a.bpm_min, a.bpm_max) for a in plan.arcs] == [
        ("🌧️", "Grey Afternoon", 68, 74),
        ("🕯️", "Warm Lamp", 72, 78),
        ("📚", "Deep Focus", 74, 80),
        ("🌙", "Night Rain", 62, 70),
    ]
    # Prompts inside a toggle (children indented four spaces) belong to their arc.
    assert [p.number for p in plan.prompts_in_arc(3)] == [7, 8, 9]
    assert plan.arcs[2].description == ""
    assert plan.prompts[0].text == "slow Rhodes chords with brushed drums and soft rain, Dm9 to G13"
    assert plan.prompts[0].anchor_phrase == "rain on the glass"
    assert len(plan.prompts) == 11 and plan.warnings == []


def test_sample_quoted_style():
    plan = parse((SAMPLE_NOTION / "sunday-morning-coffee.md").read_text(encoding="utf-8"))
    assert plan.track_number == 13
    assert plan.exclusions == ["vocals", "heavy 808s"]
    assert [(p.number, p.checked, p.anchor_phrase) for p in plan.prompts_in_arc(1)] == [
        (1, True, None),
        (2, True, "kettle steam"),
        (3, False, None),
    ]
    assert plan.prompts[0].text == "bright Rhodes chords with a lazy swing and a coffee-shop murmur"


def test_sample_unnumbered_todos_with_anchor_names():
    plan = parse((SAMPLE_NOTION / "midnight-train-home.md").read_text(encoding="utf-8"))
    assert plan.target_duration_min == 90.0
    assert [p.anchor_phrase for p in plan.prompts_in_arc(1)] == ["platform_hum", "rails_rhythm", "roof_rain"]
    assert plan.prompts[0].text == "distant station hum, soft pad, slow kick"
    # A child of a prompt ("alternative: ...") is not a prompt.
    assert len(plan.prompts) == 9
    assert plan.arcs[0].description == "Footsteps fade, the train pulls in"


# -- edge cases --------------------------------------------------------------------------


def test_prompts_in_a_toggle_after_an_unnumbered_todo_are_kept():
    plan = parse("""# Night Bus

Duration: 30 min

## Late Stop (BPM 70–76)

- [ ] soft Rhodes chords over brushed drums
- Toggle alternates
    - [ ] nylon guitar arpeggio with light rain
    - [ ] music box melody, very quiet
- [ ] walking bass and rimshot snare
    - alternative: try it in E minor
""")
    assert [p.text for p in plan.prompts] == [
        "soft Rhodes chords over brushed drums",
        "nylon guitar arpeggio with light rain",
        "music box melody, very quiet",
        "walking bass and rimshot snare",
    ]
    assert not [w for w in plan.warnings if "note" in w]  # a bullet note is a note


def test_a_todo_under_a_prompt_is_read_as_its_note_and_the_plan_says_so():
    plan = parse("""# Night Bus

Duration: 30 min

## Late Stop (BPM 70–76)

- [ ] soft Rhodes chords over brushed drums
    - [ ] the same with a flute on top
- [ ] walking bass and rimshot snare
""")
    assert len(plan.prompts) == 2
    (warning,) = [w for w in plan.warnings if "note" in w]
    assert "line 8" in warning and "the same with a flute on top" in warning


def test_plain_headings_at_any_level_and_numbered_prompts():
    plan = parse("""# Late Shift

Duration: 30 min

##### Dawn (60-70 bpm)
1. warm Rhodes
2. soft rain

###### Night
1) sleepy bass
""")
    assert [(a.name, a.bpm_min, a.bpm_max) for a in plan.arcs] == [("Dawn", 60, 70), ("Night", None, None)]
    assert [p.number for p in plan.prompts] == [1, 2, 1]
    assert any("duplicate prompt number 1" in w for w in plan.warnings)
    assert any("arc 2 'Night' has no BPM range" in w for w in plan.warnings)
    assert plan.prompts[2].checked is None


def test_toggle_arcs_holding_prompts():
    plan = parse("""# Toggles

- 🌅 Dawn (BPM 60–66)
    - [x]  1. first light on the keys
    - [ ]  2. birds and a soft kick
- 💫 Drift (BPM 66–70)
    - [x]  3. slow pads
""")
    assert [(a.emoji, a.name) for a in plan.arcs] == [("🌅", "Dawn"), ("💫", "Drift")]
    assert [p.arc for p in plan.prompts] == [1, 1, 2]


def test_nested_toggles_keep_their_prompts():
    # Notion's export: an arc toggle holding a "Prompts" toggle holding the to-dos.
    plan = parse("""# Nested

- Phase 1 — Rainy Entry (BPM 70–75)
    Soft opening, rain on the glass.
    - Prompts
        - [ ] 1. rainy neon night beat
        - [ ] 2. vaporwave textures
- Phase 2 — Flow (BPM 72–76)
    - [x] 3. groove
""")
    assert [a.name for a in plan.arcs] == ["Rainy Entry", "Flow"]
    assert [(p.arc, p.number) for p in plan.prompts] == [(1, 1), (1, 2), (2, 3)]
    assert plan.arcs[0].description == "Soft opening, rain on the glass."


def test_a_toggle_inside_a_heading_arc_holds_prompts_and_is_no_arc():
    plan = parse("""### Phase 1 — Rainy Entry (BPM 70–75)
A calm opening.
- ▶ Prompts 1–2
    - [x] 1. rainy neon night beat
    - [x] 2. vaporwave textures
- 🎵 Prompts 3–4
    - [ ] 3. tape hiss and a soft kick
    - [ ] 4. slow Rhodes
### Phase 2 — Flow (BPM 72–76)
- [ ] 5. groove
""")
    assert [a.name for a in plan.arcs] == ["Rainy Entry", "Flow"]
    assert [p.arc for p in plan.prompts] == [1, 1, 1, 1, 2]
    assert not [w for w in plan.warnings if "arc" in w or "prompt" in w]


def test_a_prompts_toggle_makes_plain_lines_inside_it_prompts():
    plan = parse("""### Phase 1 — Rainy Entry (BPM 70–75)
- Song prompts (click to open)
    - rainy neon night beat, soft rain
        - alternative: no rain
    - "vaporwave textures, mellow drums"
- Prompt 3
    slow Rhodes under tape hiss
### Phase 2 — Flow (BPM 72–76)
- Notes
    - keep it slow
- [ ] 4. groove
""")
    assert [(p.arc, p.text) for p in plan.prompts] == [
        (1, "rainy neon night beat, soft rain"),
        (1, "vaporwave textures, mellow drums"),
        (1, "slow Rhodes under tape hiss"),
        (2, "groove"),
    ]
    assert plan.prompts[2].number == 3


def test_checklist_after_prompts_is_not_read_as_prompts():
    plan = parse("""## Phase 1 — Start (BPM 70–75)
- [x] 1. one
- [x] 2. two
## Publishing
- [ ] 3. Upload thumbnail
- [ ] Add chapters
""")
    assert [p.text for p in plan.prompts] == ["one", "two"]


def test_overview_table_and_hidden_tags_over_youtube_limit():
    tags = ", ".join(f"long tag number {i}" for i in range(40))
    plan = parse(f"""| Field | Value |
|---|---|
| Title | Table Title |
| Duration | 2 hours |
### Hidden Tags
{tags}
### Phase 1 — Only (BPM 70–80)
- [ ] 1. a prompt
""")
    assert plan.title == "Table Title" and plan.target_duration_min == 120
    assert not plan.hidden_tags_fit and plan.hidden_tags_length > 500
    assert any("YouTube allows 500" in w for w in plan.warnings)


def test_reversed_bpm_range_is_read_low_to_high_with_a_warning():
    plan = parse("## Phase 1 — Calm (BPM 80–70)\n- [ ] 1. a prompt\n")
    assert (plan.arcs[0].bpm_min, plan.arcs[0].bpm_max) == (70, 80)
    assert any("reversed" in w for w in plan.warnings)


def test_page_without_prompts_fails_naming_the_page():
    with pytest.raises(PlanParseError, match="page no-prompts.*no arcs"):
        parse("# Just notes\n\nSome text about the mix.\n- a bullet\n", key="no-prompts")
    with pytest.raises(PlanParseError, match="page empty-arcs.*no prompts"):
        parse("## Phase 1 — A (BPM 60–70)\nnothing yet\n## Phase 2 — B (BPM 60–70)\n", key="empty-arcs")


def test_prompts_with_no_arc_heading_are_reported():
    with pytest.raises(PlanParseError, match="2 prompt line"):
        parse("## Music arc structure\n- [ ] 1. a\n- [ ] 2. b\n", key="orphans")


def test_empty_and_binary_pages_fail_clearly():
    with pytest.raises(PlanParseError, match="is empty"):
        decode_page_bytes(b"  \n", "page x")
    with pytest.raises(PlanParseError, match="not a text file"):
        decode_page_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "page junk.md")
    with pytest.raises(PlanParseError, match="not UTF-8"):
        decode_page_bytes(bytes(range(128, 256)) * 4, "page latin.md")
    with pytest.raises(PlanParseError, match="is empty"):
        parse("   \n\n")


def test_ten_thousand_line_page_parses_in_linear_time():
    lines = ["# Long page", ""]
    for arc in range(1, 101):
        lines.append(f"## Phase {arc} — Part {arc} (BPM 60–70)")
        lines.extend(f"- [ ] {(arc - 1) * 50 + i}. prompt {i} of arc {arc} — anchor" for i in range(1, 51))
        lines.extend(f"- a note line {i}" for i in range(49))
    assert len(lines) >= 10_000
    started = time.perf_counter()
    plan = parse("\n".join(lines))
    elapsed = time.perf_counter() - started
    assert len(plan.arcs) == 100 and len(plan.prompts) == 5000
    assert elapsed < 10  # generous: quadratic behaviour would take minutes
