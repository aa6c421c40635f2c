"""YouTube thumbnails: size and format, determinism, grades, text fitting, legibility, safe areas."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
from PIL import Image

from lofi_assets.core.publishing import thumbnail as th
from lofi_assets.core.publishing.thumbnail import (
    GRADES,
    HEIGHT,
    MAX_BYTES,
    STAMP_H,
    STAMP_W,
    TITLE_PX,
    WIDTH,
    ThumbnailError,
    contrast_ratio,
    default_font_path,
    fit_text,
    grade,
    legible_scrim,
    load_background,
    procedural_background,
    render_thumbnail,
    render_variants,
    verify_thumbnail,
)

TITLE = "Rainy Window Study Session"


def pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def mean_diff(a, b) -> float:
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


def write_bands(path, size, colours, axis):
    """An image split into equal bands of ``colours`` along ``axis`` (0: rows, 1: columns)."""
    w, h = size
    arr = np.zeros((h, w, 3), np.uint8)
    edges = np.linspace(0, size[1 - axis], len(colours) + 1).astype(int)
    for colour, lo, hi in zip(colours, edges[:-1], edges[1:]):
        if axis == 0:
            arr[lo:hi] = colour
        else:
            arr[:, lo:hi] = colour
    Image.fromarray(arr).save(path)


@pytest.mark.parametrize("name, fmt", [("thumb.jpg", "JPEG"), ("thumb.png", "PNG")])
def test_writes_a_1280x720_file_under_2_mb_in_the_format_of_its_suffix(tmp_path, name, fmt):
    info = render_thumbnail(tmp_path / name, TITLE, "lo-fi beats to study to", seed=1)
    with Image.open(tmp_path / name) as img:
        assert img.format == fmt and img.size == (WIDTH, HEIGHT) == (info.width, info.height)
    assert info.format == fmt and info.path == str(tmp_path / name)
    assert info.bytes == (tmp_path / name).stat().st_size < MAX_BYTES
    assert (info.quality is not None) == (fmt == "JPEG")
    assert info.background == "procedural" and info.grade == "warm" and info.variant == "A"
    assert verify_thumbnail(tmp_path / name) == []


def test_format_argument_and_suffix_must_agree(tmp_path):
    render_thumbnail(tmp_path / "plain", TITLE, fmt="png")
    with Image.open(tmp_path / "plain") as img:
        assert img.format == "PNG"
    with pytest.raises(ThumbnailError, match="suffix"):
        render_thumbnail(tmp_path / "x.png", TITLE, fmt="jpeg")
    with pytest.raises(ThumbnailError, match="format"):
        render_thumbnail(tmp_path / "x.webp", TITLE)


def test_background_is_deterministic_for_a_seed_and_differs_across_seeds():
    first = np.asarray(procedural_background(7))
    assert first.shape == (HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(first, np.asarray(procedural_background(7)))
    others = [np.asarray(procedural_background(s)) for s in range(4)]
    for a, b in itertools.combinations(others + [first], 2):
        assert mean_diff(a, b) > 5
    # within one palette the seed still moves the scene
    assert mean_diff(procedural_background(1, "dusk"), procedural_background(2, "dusk")) > 5
    assert first.std() > 20  # an actual picture, not a wash


def test_same_inputs_give_the_same_file(tmp_path):
    a = render_thumbnail(tmp_path / "a.jpg", TITLE, seed=3)
    b = render_thumbnail(tmp_path / "b.jpg", TITLE, seed=3)
    assert (tmp_path / "a.jpg").read_bytes() == (tmp_path / "b.jpg").read_bytes()
    assert a.title_lines == b.title_lines and a.contrast_ratio == b.contrast_ratio


def test_every_grade_changes_the_image_and_each_differently():
    base = procedural_background(3)
    graded = {name: np.asarray(grade(base, name)) for name in GRADES}
    assert {"warm", "cool", "vintage", "cyberpunk", "noir", "pastel"} <= set(graded)
    for name, arr in graded.items():
        assert arr.shape == (HEIGHT, WIDTH, 3)
        assert mean_diff(arr, base) > 3, name
        assert GRADES[name].description
    for (a, x), (b, y) in itertools.combinations(graded.items(), 2):
        assert mean_diff(x, y) > 2, (a, b)
    # the direction of each look: warm is redder than cool, noir nearly grey, pastel lifts blacks
    warm, cool = graded["warm"].astype(float), graded["cool"].astype(float)
    assert (warm[..., 0] - warm[..., 2]).mean() > (cool[..., 0] - cool[..., 2]).mean() + 10
    noir = graded["noir"].astype(float)
    assert np.abs(noir - noir.mean(axis=-1, keepdims=True)).mean() < 3
    assert np.percentile(graded["pastel"], 1) > np.percentile(np.asarray(base), 1) + 20


def test_unknown_grade_raises_value_error_listing_the_choices(tmp_path):
    with pytest.raises(ValueError, match="warm, cool, vintage, cyberpunk, noir, pastel"):
        grade(procedural_background(0), "sepia")
    with pytest.raises(ValueError, match="sepia"):
        render_thumbnail(tmp_path / "t.jpg", TITLE, grade="sepia")
    assert list(tmp_path.iterdir()) == []


def test_short_title_stays_on_one_line_at_full_size(tmp_path):
    info = render_thumbnail(tmp_path / "t.jpg", "Night Drive")
    assert info.title_lines == ("Night Drive",) and info.title_font_px == TITLE_PX[0]


def test_long_title_wraps_to_two_lines_and_shrinks(tmp_path):
    title = "Late Night Rainy Window Study Session with Soft Jazz Piano"
    info = render_thumbnail(tmp_path / "t.jpg", title, "chill beats")
    assert len(info.title_lines) == 2 and " ".join(info.title_lines) == title
    assert TITLE_PX[1] <= info.title_font_px < TITLE_PX[0]
    assert info.subtitle_font_px <= 0.6 * info.title_font_px  # the subtitle stays the smaller text
    fit = fit_text(title, default_font_path(), 900, 400, max_lines=2, max_px=120, min_px=30, what="title")
    assert len(fit.lines) == 2 and fit.width <= 900 and fit.height <= 400 and fit.px < 120


def test_text_that_cannot_fit_even_at_the_minimum_size_raises_naming_it(tmp_path):
    title = "lofi beats " * 30
    with pytest.raises(ThumbnailError, match=rf"title .*{len(title.strip())} characters"):
        render_thumbnail(tmp_path / "t.jpg", title)
    with pytest.raises(ThumbnailError, match="subtitle"):
        render_thumbnail(tmp_path / "t.jpg", TITLE, "a subtitle far too long for one line " * 4)
    with pytest.raises(ThumbnailError, match="text .* 40 characters"):
        fit_text("x" * 40, default_font_path(), 300, 100, max_lines=2, max_px=60, min_px=30)
    assert list(tmp_path.iterdir()) == []


def test_contrast_reaches_4_5_even_on_a_white_operator_background(tmp_path):
    white = tmp_path / "white.png"
    Image.new("RGB", (1600, 900), "white").save(white)
    for variant, look in (("A", "warm"), ("B", "pastel")):
        info = render_thumbnail(
            tmp_path / f"t{variant}.png", TITLE, "lo-fi beats", grade=look, background=white, variant=variant
        )
        assert info.contrast_ratio >= 4.5 and info.scrim_alpha > 0.3
        assert info.background == str(white)
    # the ratio reported is the one measured on the scrimmed pixels
    flat = np.full((HEIGHT, WIDTH, 3), 250, np.uint8)
    box = (100, 300, 700, 420)
    out, alpha, ratio = legible_scrim(flat, [(box, th.TITLE_RGB)])
    assert ratio >= 4.5 and alpha > 0
    assert contrast_ratio(th.TITLE_RGB, out[300:420, 100:700]) == pytest.approx(ratio)
    assert contrast_ratio((255, 255, 255), np.zeros((2, 2, 3), np.uint8)) == pytest.approx(21.0)


def test_no_scrim_where_the_art_is_already_dark():
    dark = np.full((HEIGHT, WIDTH, 3), 20, np.uint8)
    out, alpha, ratio = legible_scrim(dark, [((100, 300, 700, 420), th.TITLE_RGB)])
    assert alpha == 0 and ratio > 10
    np.testing.assert_array_equal(out, dark)


def test_operator_background_is_cover_cropped_to_1280x720(tmp_path):
    red, green, blue = (200, 30, 30), (30, 200, 30), (30, 30, 200)
    tall = tmp_path / "tall.png"  # 1:2 portrait: only the middle band survives a 16:9 cover crop
    write_bands(tall, (400, 800), [red, green, blue], axis=0)
    wide = tmp_path / "wide.jpg"  # 6:1 panorama: only the middle columns survive
    write_bands(wide, (3000, 500), [red, green, blue], axis=1)
    for path in (tall, wide):
        img = load_background(path)
        assert img.size == (WIDTH, HEIGHT) and img.mode == "RGB"
        arr = np.asarray(img, np.int16)
        assert np.abs(arr - np.asarray(green)).max() < 12, path.name
    info = render_thumbnail(tmp_path / "t.jpg", TITLE, background=tall)
    assert (info.width, info.height) == (WIDTH, HEIGHT) and info.background == str(tall)


def test_unreadable_background_raises_naming_the_file(tmp_path):
    bad = tmp_path / "cover-art.png"
    bad.write_bytes(b"this is not an image")
    with pytest.raises(ThumbnailError, match="cover-art.png"):
        render_thumbnail(tmp_path / "t.jpg", TITLE, background=bad)
    with pytest.raises(ThumbnailError, match="missing.jpg"):
        load_background(tmp_path / "missing.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover-art.png"]


def test_emoji_and_other_glyphs_the_font_lacks_are_dropped_and_reported(tmp_path):
    info = render_thumbnail(tmp_path / "t.jpg", "Rainy Window Study Session 🌧️", "café ☕ 雨")
    assert " ".join(info.title_lines) == "Rainy Window Study Session"
    assert "🌧" in info.dropped_chars and "雨" in info.dropped_chars
    assert "é" not in info.dropped_chars and "☕" not in info.dropped_chars  # DejaVu has these
    with pytest.raises(ThumbnailError, match="nothing the font"):
        render_thumbnail(tmp_path / "e.jpg", "🌧️🌙")


@pytest.mark.parametrize("variant, layout", [("A", "left"), ("B", "centre")])
def test_text_stays_inside_the_margins_and_out_of_the_duration_stamp(tmp_path, variant, layout):
    info = render_thumbnail(
        tmp_path / "t.png",
        "Late Night Rainy Window Study Session with Soft Jazz Piano",
        "lo-fi hip hop beats to relax and study to",
        grade="cyberpunk",
        seed=4,
        variant=variant,
    )
    assert info.layout == layout and set(info.text_boxes) == {"title", "subtitle"}
    for x0, y0, x1, y1 in info.text_boxes.values():
        assert x0 >= 0.05 * WIDTH and y0 >= 0.05 * HEIGHT and x1 <= 0.95 * WIDTH and y1 <= 0.95 * HEIGHT
        assert y1 <= HEIGHT - STAMP_H or x1 <= WIDTH - STAMP_W  # no overlap with the stamp corner
    # the corner itself is exactly the graded art: no text, shadow or scrim reaches it
    art = np.asarray(grade(procedural_background(4), "cyberpunk"), np.int16)
    out = pixels(tmp_path / "t.png")
    np.testing.assert_array_equal(out[-STAMP_H:, -STAMP_W:], art[-STAMP_H:, -STAMP_W:])
    assert mean_diff(out, art) > 2  # while the text did change the picture


def test_no_temporary_files_are_left_even_when_the_check_fails(tmp_path, monkeypatch):
    render_thumbnail(tmp_path / "ok.jpg", TITLE)
    monkeypatch.setattr(th.render, "verify_thumbnail", lambda path: ["boom"])  # the check as render calls it
    with pytest.raises(ThumbnailError, match="boom"):
        render_thumbnail(tmp_path / "bad.jpg", TITLE)
    assert sorted(os.listdir(tmp_path)) == ["ok.jpg"]


def test_variants_write_a_b_files_with_different_grades_and_layouts(tmp_path):
    infos = render_variants(tmp_path / "ab", TITLE, "lo-fi beats", grades=("warm", "cyberpunk", "noir"), seed=2)
    assert sorted(os.listdir(tmp_path / "ab")) == ["thumbnail_A.jpg", "thumbnail_B.jpg", "thumbnail_C.jpg"]
    assert [(i.variant, i.grade, i.layout) for i in infos] == [
        ("A", "warm", "left"),
        ("B", "cyberpunk", "centre"),
        ("C", "noir", "left"),
    ]
    assert all(i.seed == 2 and verify_thumbnail(i.path) == [] for i in infos)
    assert mean_diff(pixels(infos[0].path), pixels(infos[1].path)) > 10
    with pytest.raises(ValueError, match="unknown grade"):
        render_variants(tmp_path / "none", TITLE, grades=("warm", "nope"))
    assert not (tmp_path / "none").exists()


def test_operator_font_is_used_and_a_bad_one_is_refused(tmp_path):
    info = render_thumbnail(tmp_path / "t.jpg", TITLE, font=str(default_font_path()))
    assert info.title_font_px > 0
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"\0" * 100)
    with pytest.raises(ThumbnailError, match="broken.ttf"):
        render_thumbnail(tmp_path / "u.jpg", TITLE, font=bad)


def test_verify_flags_wrong_size_truncation_flatness_format_and_weight(tmp_path):
    rng = np.random.default_rng(0)
    small = tmp_path / "small.jpg"
    Image.fromarray(rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)).save(small)
    assert any("640×360" in p for p in verify_thumbnail(small))

    good = tmp_path / "good.jpg"
    render_thumbnail(good, TITLE)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert any("readable" in p for p in verify_thumbnail(truncated))

    flat = tmp_path / "flat.png"
    Image.new("RGB", (WIDTH, HEIGHT), (40, 40, 60)).save(flat)
    assert verify_thumbnail(flat) == ["a flat single colour"]

    gif = tmp_path / "t.gif"
    Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(gif)
    assert any("GIF" in p for p in verify_thumbnail(gif))

    heavy = tmp_path / "noise.png"  # full-resolution noise does not compress: ~2.7 MB
    Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(heavy, compress_level=1)
    assert any("limit" in p for p in verify_thumbnail(heavy))
    assert verify_thumbnail(tmp_path / "absent.jpg") == [f"{tmp_path / 'absent.jpg'} does not exist"]


def test_a_long_seo_title_falls_back_to_its_headline_which_fits():
    from lofi_assets.core.publishing.titles import headline_candidates

    title = "Rainy Dusk Coding Desk — 3 Hour Lo-Fi & Synthwave Deep Focus (Royalty Free)"
    candidates = headline_candidates(title)
    assert candidates == [
        title,
        "Rainy Dusk Coding Desk — 3 Hour Lo-Fi & Synthwave Deep Focus",
        "Rainy Dusk Coding Desk",
    ]
    assert headline_candidates("Sunday Morning Coffee") == ["Sunday Morning Coffee"]
    with pytest.raises(ThumbnailError, match="title does not fit"):
        fit_text(title, default_font_path(), 901, 457, max_lines=2, max_px=120, min_px=40, what="title")
    fit = fit_text(candidates[-1], default_font_path(), 901, 457, max_lines=2, max_px=120, min_px=40, what="title")
    assert fit.px >= 40


def test_a_five_phase_mood_arc_falls_back_to_its_first_and_last_phase_then_to_none(tmp_path):
    from lofi_assets.core.publishing.titles import subtitle_candidates

    arc = "Golden Hour Warmth → Dusk Focus Loop → Nightfall Dream State → Late Night Flow → Gentle Ending"
    assert subtitle_candidates(arc) == [arc, "Golden Hour Warmth → Gentle Ending", ""]
    assert subtitle_candidates("Calm → Focus") == ["Calm → Focus", ""]
    with pytest.raises(ThumbnailError, match="subtitle"):
        render_thumbnail(tmp_path / "whole.jpg", "Rainy Dusk Coding Desk", arc)
    info = render_thumbnail(tmp_path / "t.jpg", "Rainy Dusk Coding Desk", subtitle_candidates(arc)[1])
    assert info.contrast_ratio >= 4.5 and (tmp_path / "t.jpg").exists()
