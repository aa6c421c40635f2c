"""The moving scene: every palette moves, and the loop's last frame leads into its first as
any frame leads into the next."""

import numpy as np
import pytest

from lofi_assets.core.publishing.scene_loop import SceneError, palette_for, render_loop, scene_frames, weather_in_text
from lofi_assets.core.publishing.thumbnail.scene import PALETTES


@pytest.mark.parametrize("palette", ["night", "sunset", "dusk"])  # rain; motes under a clear sky; stars
def test_a_loop_moves_and_closes_on_itself(palette):
    frames = np.stack(list(scene_frames(7, palette, seconds=1.0, fps=12))).astype(np.float32)
    assert frames.shape == (12, 720, 1280, 3)
    steps = [np.abs(frames[i + 1] - frames[i]).mean() for i in range(len(frames) - 1)]
    seam = np.abs(frames[0] - frames[-1]).mean()
    assert min(steps) > 0.01  # every frame moves
    assert seam <= 1.25 * max(steps)  # the join is no bigger a change than the scene's own


def test_the_scene_is_the_thumbnails_palette_and_bad_requests_are_refused(tmp_path):
    assert palette_for(3) == (list(PALETTES)[3], list(PALETTES.values())[3])  # as the thumbnail picks it
    with pytest.raises(SceneError, match="unknown palette 'plaid'"):
        palette_for(3, "plaid")
    with pytest.raises(SceneError, match="1–120 s"):
        render_loop(3, tmp_path / "loop.mp4", seconds=500)
    assert not (tmp_path / "loop.mp4").exists()


def test_the_plans_words_choose_the_weather(tmp_path):
    assert weather_in_text("Rainy Window Study Session", "soft piano, light rain on the glass") == "rain"
    assert weather_in_text("Starlit rooftop", "") == "stars"
    assert weather_in_text("Sunday morning coffee") is None
    loop = render_loop(2, tmp_path / "loop.mp4", palette="sunset", seconds=1.0, weather="rain")
    assert (loop.palette, loop.weather) == ("sunset", "rain")
    with pytest.raises(SceneError, match="unknown weather 'hail'"):
        render_loop(2, tmp_path / "x.mp4", seconds=1.0, weather="hail")
