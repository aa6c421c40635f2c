import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lofi_assets.core.ingest.plan import youtube_tags_length
from lofi_assets.core.ingest.plan_parser import parse_track_plan
from lofi_assets.core.publishing.chapters import format_timestamp, youtube_chapters
from lofi_assets.core.publishing.metadata import VideoMetadata, build_metadata, validate
from lofi_assets.core.publishing.upload_slots import publish_time
from lofi_assets.core.publishing.youtube_limits import MetadataError, fit_tags, shorten
from tests.conftest import SAMPLE_NOTION

SAMPLES = sorted(SAMPLE_NOTION.glob("*.md"))
AUTUMN = date(2026, 11, 20)
TIMESTAMP = re.compile(r"^(?:\d+:)?\d{2}:\d{2} ")


def load(path, key="track-key"):
    return parse_track_plan(path.read_text(encoding="utf-8"), key=key, source=path.name)


def sample(name):
    return load(next(p for p in SAMPLES if p.name.startswith(name)))


def mix_chapters(plan, song_s=185.0, crossfade_s=6.0):
    """Chapters as the mix writes them: one per prompt, mid-crossfade, unchecked prompts generated."""
    names = {a.number: a.name for a in plan.arcs}
    return [
        {
            "start_s": 0.0 if i == 0 else round(i * (song_s - crossfade_s) + crossfade_s / 2, 2),
            "arc": p.arc,
            "arc_name": names[p.arc],
            "song_id": f"song-{i}",
            "title": p.text,
            "kind": "library" if p.checked else "generated",
            "play": 1,
        }
        for i, p in enumerate(plan.prompts)
    ]


def chapter(start_s, song_id, arc_name="Warm Lamp", kind="library"):
    return {
        "start_s": start_s,
        "arc": 1,
        "arc_name": arc_name,
        "song_id": song_id,
        "title": f"Song {song_id}",
        "kind": kind,
        "play": 1,
    }


def build(plan, chapters=None, **kwargs):
    chapters = mix_chapters(plan) if chapters is None else chapters
    kwargs.setdefault("duration_s", 60 * 60.0)
    kwargs.setdefault("when", AUTUMN)
    return build_metadata(plan, chapters, **kwargs)


def timestamp_lines(description):
    return [line for line in description.splitlines() if TIMESTAMP.match(line)]


# -- the sample plans ------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem[:24])
def test_sample_plans_give_valid_metadata(path):
    plan = load(path)
    chapters = mix_chapters(plan)
    duration = len(chapters) * 179.0 + 6
    meta = build(plan, chapters, duration_s=duration, channel_name="Static Dreamscapes")

    assert validate(meta) == []
    assert meta.title == plan.title and len(meta.title) <= 100
    assert meta.chapters_ok and len(meta.chapters) >= 3
    starts = [s for s, _ in meta.chapters]
    assert starts[0] == 0 and all(b - a >= 10 for a, b in zip(starts, starts[1:]))
    lines = timestamp_lines(meta.description)
    assert len(lines) == len(meta.chapters)
    assert lines[0].startswith("00:00 ") or lines[0].startswith("0:00:00 ")
    assert lines[0] == f"{format_timestamp(0, duration >= 3600)} {meta.chapters[0][1]}"
    assert " — " in lines[0]  # 'Arc name — Song title'
    assert len(meta.description.encode("utf-8")) <= 5000
    assert "<" not in meta.description and ">" not in meta.description
    assert meta.description.splitlines()[-1] == " ".join(plan.visible_hashtags)
    if plan.description:
        assert meta.description.startswith(plan.description.strip() + "\n\n")
    assert "Tracklist" in meta.description
    assert "Static Dreamscapes" in meta.description
    assert "AI-generated" in meta.description and meta.contains_synthetic_media
    assert meta.tags == plan.hidden_tags and youtube_tags_length(meta.tags) <= 500
    assert 2 <= len(meta.variants) <= 3 and meta.variants[0] == meta.title
    assert len({v.casefold() for v in meta.variants}) == len(meta.variants)
    assert all(len(v) <= 100 for v in meta.variants)
    assert meta.category_id == "10" and meta.made_for_kids is False
    again = VideoMetadata.from_dict(json.loads(json.dumps(meta.to_dict())))
    assert again == meta


def test_metadata_is_deterministic():
    plan = sample("Rainy")
    assert build(plan).to_dict() == build(plan).to_dict()


def test_use_case_variant_reads_like_a_search_title():
    meta = build(sample("Rainy"), duration_s=3600.0)
    assert "1 Hour of Rainy Lofi for Studying 🌧️ Rain on the Glass" in meta.variants
    assert any("Autumn" in v for v in meta.variants)


# -- generated titles ---------------------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["", "Untitled", "New page", "track-key"])
@pytest.mark.parametrize(
    ("name", "when", "use", "season"),
    [
        ("Rainy", date(2026, 11, 20), "Studying", "Autumn"),
        ("Rainy", date(2026, 1, 5), "Studying", "Winter"),
        ("midnight", date(2026, 7, 1), "Sleeping", "Summer"),
        ("sunday", date(2026, 4, 12), "Relaxing", "Spring"),
    ],
)
def test_generated_title_names_use_case_and_season(placeholder, name, when, use, season):
    plan = sample(name)
    plan.title = placeholder
    meta = build(plan, when=when)
    assert use in meta.title and season in meta.title
    assert len(meta.title) <= 100 and meta.variants[0] == meta.title
    assert len(set(meta.variants)) == len(meta.variants) >= 2
    assert any("title generated" in n for n in meta.notes)


def test_page_without_a_title_gets_a_generated_one():
    text = "## 🌙 Night Rain (BPM 60–66)\n- [x] 1. sleepy piano in the rain\n- [ ] 2. slow pad for sleeping\n"
    plan = parse_track_plan(text, key="abc123", source="x.md")
    assert plan.title == "abc123"
    meta = build(
        plan, [chapter(0, "a"), chapter(200, "b"), chapter(400, "c")], duration_s=600.0, when=date(2026, 12, 24)
    )
    assert "Winter" in meta.title and "Sleeping" in meta.title and "abc123" not in meta.title


def test_shorten_cuts_at_a_word_boundary():
    text = "Rainy Autumn Lofi for Studying " + "very " * 30 + "(1 Hour)"
    short = shorten(text, 100)
    assert len(short) <= 100 and text.startswith(short) and short.endswith("very")
    assert shorten("Cozy Beats (A Long Subtitle Here)", 20) == "Cozy Beats"


# -- limits -------------------------------------------------------------------------------


def _title_101(plan):
    plan.title = "x" * 101


def _tags_501(plan):
    plan.hidden_tags = [f"{n:02d}" + "t" * 97 for n in range(5)]  # 5 × 99 + 4 commas = 499
    plan.hidden_tags[-1] += "tt"


def _tag_lt(plan):
    plan.hidden_tags = ["lofi", "a<b"]


def _copy_gt(plan):
    plan.description = "Rain on the glass -> warm lamp > deep focus"


def _copy_too_long(plan):
    plan.description = "é" * 2501  # 5002 bytes


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_title_101, "title (from the plan) is 101 characters (YouTube allows 100)"),
        (_tags_501, "tags (hidden tags of the plan) take 501 characters"),
        (_tag_lt, "tag 'a<b' contains '<' or '>' (YouTube rejects them)"),
        (_copy_gt, "description copy (from the plan) contains '<' or '>'"),
        (_copy_too_long, "description copy (from the plan) is 5002 bytes"),
    ],
)
def test_each_limit_raises_naming_the_field(spoil, expected):
    plan = sample("Rainy")
    spoil(plan)
    with pytest.raises(MetadataError) as err:
        build(plan)
    assert expected in str(err.value)


def test_tags_of_exactly_500_pass():
    plan = sample("Rainy")
    plan.hidden_tags = [f"{n:02d}" + "t" * 97 for n in range(5)]
    plan.hidden_tags[-1] += "t"
    assert youtube_tags_length(plan.hidden_tags) == 500
    assert build(plan).tags == plan.hidden_tags


def test_every_problem_is_listed():
    plan = sample("Rainy")
    _title_101(plan)
    _tag_lt(plan)
    _copy_gt(plan)
    with pytest.raises(MetadataError) as err:
        build(plan)
    assert len(err.value.problems) == 3
    assert "3 problems" in str(err.value)


def test_tags_are_deduplicated_case_insensitively_in_order():
    plan = sample("Rainy")
    plan.hidden_tags = ["Lofi", "study music", "lofi", " Study  Music ", "rain"]
    assert build(plan).tags == ["Lofi", "study music", "rain"]


def test_fit_tags_is_explicit_and_keeps_order():
    tags = [f"tag number {n}" for n in range(60)] + ["a<b", "tag number 1"]
    fitted = fit_tags(tags)
    assert youtube_tags_length(fitted) <= 500
    assert fitted == tags[: len(fitted)] and "a<b" not in fitted
    assert fit_tags(["one", "two", "three"], limit=7) == ["one", "two"]


def test_generated_text_is_made_safe():
    plan = sample("Rainy")
    chapters = [chapter(0, "a"), chapter(200, "b"), chapter(400, "c")]
    chapters[1]["title"] = "Dm9 -> G13 <intro>"
    meta = build(plan, chapters, duration_s=600.0)
    assert "<" not in meta.description and ">" not in meta.description
    assert "Dm9 → G13" in meta.description


def test_too_many_hashtags_are_cut_to_fifteen():
    plan = sample("Rainy")
    plan.visible_hashtags = [f"#tag{n}" for n in range(20)] + ["#Tag1", "#not valid", "<x>"]
    meta = build(plan)
    last = meta.description.splitlines()[-1].split()
    assert last == [f"#tag{n}" for n in range(15)]
    assert any("hashtag" in n for n in meta.notes)


# -- chapters -----------------------------------------------------------------------------


def test_close_chapters_are_merged_keeping_the_first():
    chapters = [
        chapter(0, "a"),
        chapter(4.5, "b"),
        chapter(200.2, "c"),
        chapter(209.9, "d"),
        chapter(400, "e"),
        chapter(400.5, "f"),
        chapter(600, "g"),
        chapter(895, "h"),
    ]
    kept, notes = youtube_chapters(chapters, 900.0)
    assert [s for s, _ in kept] == [0, 200, 400, 600]
    assert kept[1][1] == "Warm Lamp — Song c"
    assert any("merged" in n for n in notes)
    assert any("last 10 s" in n for n in notes)


def test_same_song_playing_on_is_one_chapter_and_first_starts_at_zero():
    chapters = [chapter(2.0, "a"), chapter(180, "a"), chapter(360, "b"), chapter(540, "c")]
    kept, notes = youtube_chapters(chapters, 720.0)
    assert [s for s, _ in kept] == [0, 360, 540]
    assert any("00:00" in n for n in notes)


def test_only_two_chapters_means_no_timestamps():
    plan = sample("Rainy")
    meta = build(plan, [chapter(0, "a"), chapter(300, "b", kind="generated")], duration_s=600.0)
    assert meta.chapters_ok is False and meta.chapters == []
    assert timestamp_lines(meta.description) == []
    assert any("chapters_ok False" in n for n in meta.notes)
    assert "1. Song a (Warm Lamp)" in meta.description  # the tracklist still names the songs
    assert validate(meta) == []


def test_merging_can_leave_too_few_chapters():
    plan = sample("Rainy")
    meta = build(plan, [chapter(0, "a"), chapter(5, "b"), chapter(300, "c"), chapter(305, "d")], duration_s=600.0)
    assert meta.chapters_ok is False and timestamp_lines(meta.description) == []


def test_hour_long_videos_use_hours_in_timestamps():
    plan = sample("Rainy")
    chapters = [chapter(0, "a"), chapter(1800, "b"), chapter(3725.4, "c")]
    meta = build(plan, chapters, duration_s=5400.0)
    assert timestamp_lines(meta.description) == [
        "0:00:00 Warm Lamp — Song a",
        "0:30:00 Warm Lamp — Song b",
        "1:02:05 Warm Lamp — Song c",
    ]
    short = build(plan, [chapter(0, "a"), chapter(60, "b"), chapter(125, "c")], duration_s=600.0)
    assert timestamp_lines(short.description)[-1] == "02:05 Warm Lamp — Song c"


def test_tracklist_lists_each_song_once_in_order():
    plan = sample("Rainy")
    chapters = [chapter(0, "a"), chapter(200, "b"), chapter(400, "a"), chapter(600, "c", arc_name="Night Rain")]
    meta = build(plan, chapters, duration_s=900.0)
    block = meta.description.split("Tracklist\n")[1].split("\n\n")[0]
    assert block.splitlines() == ["1. Song a (Warm Lamp)", "2. Song b (Warm Lamp)", "3. Song c (Night Rain)"]


def test_a_long_description_drops_the_tracklist_first():
    plan = sample("Rainy")
    plan.description = "Rain on the glass. " * 100  # 1900 bytes
    chapters = [chapter(i * 60.0, f"s{i}") for i in range(30)]
    for c in chapters:
        c["title"] = "a long descriptive prompt line about rain, lamps and old Rhodes chords"
    meta = build(plan, chapters, duration_s=1800.0)
    assert len(meta.description.encode("utf-8")) <= 5000
    assert "Tracklist" not in meta.description
    assert meta.chapters_ok and len(timestamp_lines(meta.description)) == 30
    assert meta.description.splitlines()[-1] == " ".join(plan.visible_hashtags)
    assert any("tracklist left out" in n for n in meta.notes)


def test_copy_that_nearly_fills_the_description_keeps_the_copy_whole():
    plan = sample("Rainy")
    plan.description = "x" * 4990
    meta = build(plan)
    assert meta.description.startswith(plan.description)
    assert len(meta.description.encode("utf-8")) <= 5000
    assert not meta.chapters_ok


# -- synthetic media and credits ----------------------------------------------------------


def test_synthetic_media_follows_the_songs():
    plan = sample("Rainy")
    library = [chapter(0, "a"), chapter(200, "b"), chapter(400, "c", kind="instrumental")]
    meta = build(plan, library, duration_s=600.0)
    assert meta.contains_synthetic_media is False and "AI-generated" not in meta.description
    assert "Music from this channel's song library; mixed and mastered by the pipeline." in meta.description
    assert build(plan, library, duration_s=600.0, synthetic=True).contains_synthetic_media is True
    generated = [
        chapter(0, "a", kind="generated"),
        chapter(200, "b", kind="generated"),
        chapter(400, "c", kind="generated"),
    ]
    meta = build(plan, generated, duration_s=600.0, channel_name="Static Dreamscapes")
    assert meta.contains_synthetic_media is True
    assert "Music composed and produced by Static Dreamscapes' own models" in meta.description
    assert "This video contains AI-generated music." in meta.description


# -- the request ----------------------------------------------------------------------------


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_request_body_is_the_videos_insert_body():
    meta = build(sample("Rainy"), language="en-GB")
    body = meta.request_body(now=NOW)
    assert set(body) == {"snippet", "status"}
    assert body["snippet"] == {
        "title": meta.title,
        "description": meta.description,
        "tags": meta.tags,
        "categoryId": "10",
        "defaultLanguage": "en-GB",
        "defaultAudioLanguage": "en-GB",
    }
    assert body["status"] == {
        "privacyStatus": "private",
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
        "license": "youtube",
        "embeddable": True,
    }


def test_publish_at_is_private_and_rfc3339_utc():
    meta = build(sample("Rainy"))
    when = datetime(2026, 11, 27, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    status = meta.request_body(publish_at=when, now=NOW)["status"]
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == "2026-11-27T17:00:00Z"


@pytest.mark.parametrize(
    ("privacy", "publish_at", "expected"),
    [
        ("public", NOW + timedelta(days=1), "needs privacy status 'private'"),
        ("private", NOW - timedelta(minutes=1), "not in the future"),
        ("private", datetime(2026, 12, 1, 18, 0), "no time zone"),
        ("secret", None, "privacy status 'secret'"),
    ],
)
def test_bad_schedules_raise(privacy, publish_at, expected):
    meta = build(sample("Rainy"))
    with pytest.raises(MetadataError, match=expected):
        meta.request_body(privacy, publish_at, now=NOW)


def test_hand_edited_metadata_is_validated_before_a_request():
    data = build(sample("Rainy")).to_dict()
    data["title"] = "y" * 120
    data["tags"] = data["tags"] + ["x>y"]
    data["description"] += "\n<b>bold</b>"
    meta = VideoMetadata.from_dict(data)
    problems = validate(meta)
    assert "title is 120 characters (YouTube allows 100)" in problems
    assert "tag 'x>y' contains '<' or '>' (YouTube rejects them)" in problems
    assert "description contains '<' or '>' (YouTube rejects them)" in problems
    with pytest.raises(MetadataError, match="title is 120 characters"):
        meta.request_body(now=NOW)


def test_hand_edited_chapters_must_still_follow_the_rules():
    data = build(sample("Rainy")).to_dict()
    data["chapters"][1][0] = 3
    assert any(p.startswith("chapters:") for p in validate(VideoMetadata.from_dict(data)))
    with pytest.raises(MetadataError, match="unknown field 'titel'"):
        VideoMetadata.from_dict({**data, "titel": "typo"})


# -- publishing time ---------------------------------------------------------------------------


def test_next_friday_1800_local_across_the_end_of_summer_time():
    berlin = ZoneInfo("Europe/Berlin")
    before = publish_time("Friday 18:00 local", datetime(2026, 10, 20, 9, 0, tzinfo=berlin), "Europe/Berlin")
    assert before == datetime(2026, 10, 23, 18, 0, tzinfo=berlin)
    assert before.utcoffset() == timedelta(hours=2) and before.astimezone(UTC).hour == 16
    after = publish_time("Friday 18:00 local", datetime(2026, 10, 24, 9, 0, tzinfo=berlin), "Europe/Berlin")
    assert after == datetime(2026, 10, 30, 18, 0, tzinfo=berlin)
    assert (after.hour, after.utcoffset()) == (18, timedelta(hours=1)) and after.astimezone(UTC).hour == 17


def test_publish_time_in_new_york_across_its_dst_change():
    got = publish_time("Friday 18:00 local", datetime(2026, 10, 31, 12, 0, tzinfo=UTC), "America/New_York")
    assert got.isoformat() == "2026-11-06T18:00:00-05:00"


def test_publish_time_same_day_and_exactly_at_the_hour():
    london = ZoneInfo("Europe/London")
    friday_noon = datetime(2026, 11, 27, 12, 0, tzinfo=london)
    assert publish_time("Friday 18:00 local", friday_noon, "Europe/London") == friday_noon.replace(hour=18)
    friday_six = friday_noon.replace(hour=18)
    assert publish_time("Friday 18:00 local", friday_six, "Europe/London") == friday_six + timedelta(days=7)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("Saturday @ 18:00", "2026-11-21T18:00:00+00:00"),
        ("Friday @ 7:30 PM ET", "2026-11-21T00:30:00+00:00"),
        ("Wednesday @ 10 AM ET", "2026-11-25T15:00:00+00:00"),
        ("Sundays 9am", "2026-11-22T09:00:00+00:00"),
        ("Friday", "2026-11-20T18:00:00+00:00"),
        ("2026-11-27 18:00", "2026-11-27T18:00:00+00:00"),
        ("2026-12-01", "2026-12-01T18:00:00+00:00"),
        ("Monday 09:00 Europe/Berlin", "2026-11-23T08:00:00+00:00"),
        ("18:00", "2026-11-20T18:00:00+00:00"),
    ],
)
def test_publish_time_reads_the_plans_schedules(schedule, expected):
    got = publish_time(schedule, NOW, "Europe/London")
    assert got is not None and got.tzinfo is not None
    assert got.isoformat() == expected


@pytest.mark.parametrize(
    "schedule",
    [None, "", "  ", "TBD", "2026-11-01 18:00", "Friday 25:00", "2026-02-30", "Friday 20h", "every 2nd Friday"],
)
def test_publish_time_is_none_when_it_cannot_say(schedule):
    assert publish_time(schedule, NOW, "Europe/London") is None


def test_publish_time_moves_a_skipped_wall_time_forward():
    got = publish_time("Sunday 02:30", datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "Europe/Berlin")
    assert got.isoformat() == "2026-03-29T03:30:00+02:00"
