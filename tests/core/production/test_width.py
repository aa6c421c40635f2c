import numpy as np
import pytest

from lofi_assets.core.audio_io import write_wav
from lofi_assets.core.production.loudness import ProgrammeMeter
from lofi_assets.core.production.master import Outputs, master_file
from lofi_assets.core.production.master_rules import CORRELATION_AIM, CORRELATION_RANGE, MAX_SIDE_GAIN_DB
from lofi_assets.core.production.render import correlation
from lofi_assets.core.production.width import StereoChunks, StereoSums, apply_side_gain, side_gain_for
from lofi_assets.demo.library import synthesize

RATE = 44100


def stereo(target_correlation: float, seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Music in the middle and independent noise on the side, at the side level that gives
    ``target_correlation`` (mid and side uncorrelated: (m² − s²) / (m² + s²))."""
    rng = np.random.default_rng(seed)
    mid = synthesize(80, "D minor", seconds, seed=seed).mean(axis=0)
    side = rng.standard_normal(mid.size).astype(np.float32)
    ratio = np.sqrt((1 - target_correlation) / (1 + target_correlation))
    side *= ratio * np.sqrt(np.mean(mid**2) / np.mean(side**2))
    return np.stack([mid + side, mid - side]).astype(np.float32) * 0.5


def sums_of(x: np.ndarray, block: int = 3000) -> StereoSums:
    chunks = StereoChunks()
    for a in range(0, x.shape[1], block):  # blocks that do not line up with the chunks
        chunks.add(a, x[:, a : a + block])
    return chunks.sums()


def test_the_aim_lies_inside_the_guard_inside_the_window_the_master_check_judges():
    from lofi_assets.core.production.master_rules import CORRELATION_GUARD

    lo, hi = CORRELATION_RANGE
    assert lo < CORRELATION_GUARD[0] < CORRELATION_AIM[0] < CORRELATION_AIM[1] < CORRELATION_GUARD[1] < hi


@pytest.mark.parametrize("wanted", [0.3, 0.6, 0.8, 0.97])
def test_sums_give_the_meters_correlation_at_any_side_gain(wanted):
    x = stereo(wanted, seed=3)
    meter = ProgrammeMeter(RATE)
    meter.add(x)
    assert sums_of(x).correlation() == pytest.approx(meter.result().correlation, abs=1e-6)
    for gain in (0.5, 1.7):
        assert sums_of(x).correlation(gain) == pytest.approx(correlation(apply_side_gain(x, gain)), abs=1e-5)


@pytest.mark.parametrize(("wanted", "edge"), [(0.55, 0), (0.96, 1)])
def test_a_programme_outside_the_aim_is_brought_to_its_nearer_edge(wanted, edge):
    x = stereo(wanted, seed=4)
    step = side_gain_for(sums_of(x))
    assert step.correlation_before == pytest.approx(wanted, abs=0.02)
    assert step.correlation_after == pytest.approx(CORRELATION_AIM[edge], abs=1e-4)
    assert (step.side_gain_db < 0) if edge == 0 else (step.side_gain_db > 0)  # narrowed, or widened
    steered = apply_side_gain(x, 10 ** (step.side_gain_db / 20))
    assert correlation(steered) == pytest.approx(CORRELATION_AIM[edge], abs=1e-4)


def test_inside_the_aim_nothing_moves_and_the_side_gain_is_bounded():
    inside = side_gain_for(sums_of(stereo(0.8, seed=5)))
    assert inside.side_gain_db == 0 and inside.correlation_after == inside.correlation_before
    # nearly mono: the most the master widens is MAX_SIDE_GAIN_DB, and it says where that lands
    nearly_mono = side_gain_for(sums_of(stereo(0.9999, seed=5)))
    assert nearly_mono.side_gain_db == pytest.approx(MAX_SIDE_GAIN_DB, abs=1e-6)
    assert nearly_mono.correlation_after > CORRELATION_AIM[1]
    # silence and exact mono have no side to move
    assert side_gain_for(StereoSums()).side_gain_db == 0
    assert StereoChunks().sums() == StereoSums()
    assert side_gain_for(sums_of(np.stack([np.ones(100), np.ones(100)]))).side_gain_db == 0


@pytest.mark.parametrize("wanted", [0.62, 0.95])
def test_the_master_lands_a_programme_outside_the_window_inside_it_and_reports_the_step(wanted, tmp_path):
    path = tmp_path / "wide.wav"
    write_wav(path, stereo(wanted, seconds=12.0, seed=6))
    report = master_file(path, Outputs(tmp_path / "m.wav"), "streaming")
    lo, hi = CORRELATION_RANGE
    assert lo <= report.measured.correlation <= hi
    assert report.width["correlation_before"] == pytest.approx(wanted, abs=0.03)
    assert report.width["side_gain_db"] != 0
    assert not report.misses


def test_chunks_weighted_by_a_gain_give_the_correlation_of_the_gained_programme():
    from lofi_assets.core.production.width import STEREO_CHUNK

    x = stereo(0.75, seed=7)
    chunks = StereoChunks()
    for a in range(0, x.shape[1], 5000):
        chunks.add(a, x[:, a : a + 5000])
    # a gain that holds the loud half of the programme down, constant over each chunk
    gains = np.where(np.arange(chunks.mm.size) % 2 == 0, 0.3, 1.0)
    gained = x * np.repeat(gains, STEREO_CHUNK)[: x.shape[1]]
    assert chunks.sums(gains**2).correlation() == pytest.approx(correlation(gained), abs=1e-6)
    assert chunks.sums().correlation() == pytest.approx(correlation(x), abs=1e-6)
