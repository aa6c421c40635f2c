import logging

from lofi_assets.core.progress import PROGRESS_LOGGER, Progress, logged_to_progress


def test_progress_says_n_of_total_the_time_so_far_and_the_rest(caplog):
    lines = []
    with caplog.at_level(logging.INFO, logger=PROGRESS_LOGGER):
        progress = Progress("gap_songs rainy", 3, log=lines.append)
        progress.started -= 30  # 30 s have passed when the first song is done
        first = progress.step("a1_p1: score 0.900")
        progress.step("a1_p2")
        progress.step("a1_p3")
        last = progress.finish()
    assert lines[0] == "gap_songs rainy: 3 songs to go"
    assert first.startswith("gap_songs rainy 1/3: a1_p1: score 0.900 (30 s so far, about 6") and "s left)" in first
    assert "3/3: a1_p3" in lines[3] and "about 0 s left" in lines[3]
    assert last.startswith("gap_songs rainy: 3 of 3 songs in 30 s")
    assert [r.getMessage() for r in caplog.records] == lines  # the CLI's logger hears the same lines


def test_a_stage_logging_its_own_passes_reaches_the_progress_logger_with_its_name(caplog):
    lines = []
    with caplog.at_level(logging.INFO, logger=PROGRESS_LOGGER):
        logged_to_progress(lines.append, "track_master rainy")("pass 1 (trial): gain +3.0 dB")
    assert lines == ["pass 1 (trial): gain +3.0 dB"]
    assert [r.getMessage() for r in caplog.records] == ["track_master rainy: pass 1 (trial): gain +3.0 dB"]
