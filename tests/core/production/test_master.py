import tracemalloc

import numpy as np
import pytest
from pedalboard.io import AudioFile

from lofi_assets.core.audio_io import read_audio, write_wav
from lofi_assets.core.production.limiter import limiter_reduction_db
from lofi_assets.core.production.master import MasterMiss, Outputs, master_file, next_gain
from lofi_assets.core.production.master_rules import PRESETS, MasterError
from lofi_assets.core.production.verification import measure_file
from lofi_assets.demo.library import sparse_drums, synthesize

RATE = 44100


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "song.wav"
    write_wav(path, synthesize(75, "A minor", 12, seed=1) * 0.3)
    return path


@pytest.fixture(scope="module")
def mixed_song(tmp_path_factory):
    """A song with a finished mix's crest factor (PLR about 10 dB, not the raw synth's 22)."""
    path = tmp_path_factory.mktemp("in") / "mixed.wav"
    write_wav(path, np.tanh(4 * synthesize(75, "A minor", 12, seed=1)) * 0.25)
    return path


def outputs(folder, lossy=None):
    return Outputs(folder / "m24.wav", folder / "m16.wav", folder / lossy if lossy else None)


def test_streaming_master_meets_the_target_and_ceiling(song, tmp_path):
    report = master_file(song, outputs(tmp_path, "m.mp3"), "streaming")
    m = report.measured
    assert abs(m.integrated_lufs - -14.0) <= 0.05
    assert m.true_peak_dbtp <= -1.0
    assert m.clipped_samples == 0
    assert len(report.passes) <= 10 and report.passes[-1]["kind"] == "render"
    # The files say what the report says: re-read, re-measured, pyloudnorm agrees.
    again = measure_file(tmp_path / "m24.wav")
    assert again.integrated_lufs == pytest.approx(m.integrated_lufs, abs=0.01)
    assert again.true_peak_dbtp <= -1.0
    assert abs(report.verification["integrated_lufs"] - -14.0) < 0.15
    assert again.duration_s == pytest.approx(12.0, abs=0.01)
    with AudioFile(str(tmp_path / "m16.wav")) as fh:
        assert fh.file_dtype == "int16" and fh.samplerate == RATE
    with AudioFile(str(tmp_path / "m24.wav")) as fh:
        assert fh.file_dtype == "int24"
    assert report.lossy["duration_s"] == pytest.approx(12.0, abs=0.1)
    assert report.lossy["true_peak_dbtp"] < 0


@pytest.fixture(scope="module")
def drums_alone(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "drums.wav"
    write_wav(path, sparse_drums(120, 8, seed=2))
    return path


@pytest.mark.parametrize("name", ["streaming", "cd", "club", "vinyl"])
def test_sparse_percussive_input_reaches_every_preset(drums_alone, tmp_path, name):
    """Drums over a pad 40 dB down: with a slow release alone the limiter held the pad down
    after every hit and the master stuck near −20 LUFS whatever the gain."""
    preset = PRESETS[name]
    report = master_file(drums_alone, outputs(tmp_path, "m.mp3"), name, verify=False)
    assert abs(report.measured.integrated_lufs - preset.target_lufs) <= 0.1
    assert report.measured.true_peak_dbtp <= preset.ceiling_dbtp
    assert report.lossy["true_peak_dbtp"] <= preset.ceiling_dbtp  # the encoder's overshoot rendered away
    assert not report.misses and (tmp_path / "m24.wav").exists()
    assert measure_file(tmp_path / "m.mp3").true_peak_dbtp <= preset.ceiling_dbtp


def test_a_master_that_misses_is_not_written(drums_alone, tmp_path):
    with pytest.raises(MasterMiss, match="drums.wav: the master misses: loudness") as caught:
        master_file(drums_alone, outputs(tmp_path, "m.mp3"), "streaming", max_passes=1)
    report = caught.value.report
    assert report.misses and report.measured.integrated_lufs < -15  # one pass at the first guess
    assert report.files == {}
    assert list(tmp_path.iterdir()) == []  # neither the real names nor the staged ones


def test_loudness_by_span_reads_each_stretch_of_a_file(tmp_path):
    from lofi_assets.core.production.verification import loudness_by_span

    quiet, loud = synthesize(75, "A minor", 6, seed=1) * 0.1, synthesize(80, "C", 6, seed=2) * 0.4
    path = tmp_path / "two.wav"
    write_wav(path, np.concatenate([quiet, loud], axis=1))
    first, second, whole = loudness_by_span(path, [(0.0, 6.0), (6.0, 12.0), (0.0, 12.0)], block=1 << 13)
    assert second - first == pytest.approx(
        20 * np.log10(4) + (measure_file_of(loud) - measure_file_of(quiet * 4)), abs=0.05
    )
    assert first < whole < second


def measure_file_of(samples):
    from lofi_assets.core.production.loudness import measure

    return measure(samples, RATE).integrated_lufs


def test_songs_matched_in_the_mix_come_out_of_the_limiter_even(tmp_path):
    """A bare drum song between two dense ones, all at −18 LUFS in the mix: the limiter
    holds the peaky one down 3–4 LU more, unless the spans are evened out."""
    from lofi_assets.core.production.loudness import measure
    from lofi_assets.core.production.verification import loudness_by_span

    def at(x, lufs):
        return x * np.float32(10 ** ((lufs - measure(x, RATE).integrated_lufs) / 20))

    dense = np.tanh(4 * synthesize(75, "Am", 8, seed=1)) * 0.25
    mix = tmp_path / "mix.wav"
    write_wav(mix, np.concatenate([at(dense, -18), at(sparse_drums(100, 8, seed=1), -18), at(dense, -18)], axis=1))
    spans = [(0.0, 8.0), (8.0, 16.0), (16.0, 24.0)]

    def spread(**kw):
        report = master_file(mix, outputs(tmp_path), "streaming", verify=False, **kw)
        levels = loudness_by_span(tmp_path / "m24.wav", spans)
        assert abs(report.measured.integrated_lufs + 14) <= 0.1
        return max(levels) - min(levels), report

    uneven, _ = spread()
    even, report = spread(even_spans=spans)
    assert uneven > 2.5 and even < 1.5
    assert report.span_gains_db[1] > 3 and report.span_gains_db[0] == report.span_gains_db[2] == 0


def test_sixteen_bit_export_is_dithered(song, tmp_path):
    master_file(song, outputs(tmp_path), "streaming", verify=False)
    a, b = read_audio(tmp_path / "m24.wav"), read_audio(tmp_path / "m16.wav")
    error = (b - a) * 32768
    # TPDF dither: error spans about ±1.5 LSB with zero mean (plain rounding stays within ±0.5).
    assert np.abs(error).max() > 0.6
    assert abs(float(error.mean())) < 0.05


@pytest.mark.parametrize("name", ["cd", "vinyl", "club"])
def test_other_presets_reach_their_targets(mixed_song, tmp_path, name):
    preset = PRESETS[name]
    report = master_file(mixed_song, outputs(tmp_path), name, verify=False)
    assert abs(report.measured.integrated_lufs - preset.target_lufs) <= 0.05
    assert report.measured.true_peak_dbtp <= preset.ceiling_dbtp


def test_silence_is_refused_not_amplified(tmp_path):
    path = tmp_path / "silence.wav"
    write_wav(path, np.zeros((2, RATE * 3), np.float32))
    with pytest.raises(MasterError, match="silence.wav: silent"):
        master_file(path, outputs(tmp_path))
    assert not (tmp_path / "m24.wav").exists()


def test_nearly_silent_input_needs_too_much_gain(tmp_path):
    path = tmp_path / "whisper.wav"
    write_wav(path, synthesize(75, "C", 5, seed=2) * 10 ** (-50 / 20))
    with pytest.raises(MasterError, match="whisper.wav: .* would need"):
        master_file(path, outputs(tmp_path))


def test_nan_and_empty_and_corrupt_files_are_named(tmp_path):
    bad = tmp_path / "nan.wav"
    x = synthesize(75, "C", 3, seed=3)
    x[0, RATE] = np.nan
    with AudioFile(str(bad), "w", RATE, 2, bit_depth=32) as fh:
        fh.write(x)
    with pytest.raises(MasterError, match="nan.wav: NaN or infinite samples from 1.000 s"):
        master_file(bad, outputs(tmp_path))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MasterError, match="empty.wav: the file is empty"):
        master_file(empty, outputs(tmp_path))
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(MasterError, match="junk.mp3"):
        master_file(junk, outputs(tmp_path))
    assert not list(tmp_path.glob("m*.wav"))


def test_clipped_input_comes_out_under_the_ceiling(tmp_path):
    path = tmp_path / "clipped.wav"
    write_wav(path, np.clip(synthesize(75, "C", 8, seed=4) * 4, -1, 1))
    report = master_file(path, outputs(tmp_path), verify=False)
    assert report.input.clipped_samples > 0
    assert report.measured.true_peak_dbtp <= -1.0 and report.measured.clipped_samples == 0


@pytest.mark.parametrize("rate", [22050, 48000, 96000])
def test_other_rates_and_mono_are_resampled(tmp_path, rate):
    t = np.arange(rate * 4) / rate
    tone = (0.2 * np.sin(2 * np.pi * 1000 * t) * np.minimum(1, np.minimum(t, t[-1] - t) / 0.1)).astype(np.float32)
    path = tmp_path / f"mono{rate}.wav"
    with AudioFile(str(path), "w", rate, 1, bit_depth=24) as fh:
        fh.write(tone[None])
    report = master_file(path, outputs(tmp_path), verify=False)
    assert report.input.rate == rate and report.input.channels == 1
    out = read_audio(tmp_path / "m24.wav")
    assert out.shape[1] == pytest.approx(4 * RATE, abs=2)
    spectrum = np.abs(np.fft.rfft(out[0, RATE : 3 * RATE]))
    assert np.argmax(spectrum) * RATE / (2 * RATE) == pytest.approx(1000, abs=1)  # the tone stays at 1 kHz
    assert report.measured.correlation == pytest.approx(1.0, abs=1e-3)


def test_memory_stays_bounded_by_the_block_not_the_programme(tmp_path):
    peaks = {}
    for seconds in (15, 60):
        path = tmp_path / f"long{seconds}.wav"
        write_wav(path, synthesize(80, "F", seconds, seed=5) * 0.3)
        tracemalloc.start()
        master_file(path, outputs(tmp_path), block=1 << 14, verify=False)
        peaks[seconds] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # Four times the programme, about the same memory: the scratch lives on disk.
    assert peaks[60] < 1.2 * peaks[15]
    assert peaks[60] < 60 * RATE * 2 * 4 / 2


RESIDENT_SCRIPT = """
import resource, sys
from pathlib import Path
from lofi_assets.core.production.master import Outputs, master_file
folder = Path(sys.argv[1])
master_file(folder / "long.wav", Outputs(folder / "m24.wav"), verify=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_resident_memory_does_not_grow_with_the_programme(tmp_path):
    """Resident memory, not Python's allocations: a memory-mapped scratch counts every
    page it touched (a 3-hour programme's is 8 GB); the scratch read by blocks does not."""
    import subprocess
    import sys

    peaks = {}
    for seconds in (20, 200):
        folder = tmp_path / str(seconds)
        folder.mkdir()
        write_wav(folder / "long.wav", np.tile(synthesize(80, "F", 20, seed=5) * 0.3, seconds // 20))
        run = subprocess.run(
            [sys.executable, "-c", RESIDENT_SCRIPT, str(folder)], capture_output=True, text=True, check=True
        )
        peaks[seconds] = int(run.stdout.split()[-1])
    scratch_bytes = 180 * RATE * (2 * 4 + 4 + 4)  # the extra 180 s of audio, power and envelope
    assert peaks[200] - peaks[20] < scratch_bytes / 3, peaks


def test_limiter_never_lets_a_sample_over_and_releases_slowly():
    env = np.full(2000, -20.0)
    env[1000] = 0.0  # one 0 dB peak; ceiling −6
    reduction = limiter_reduction_db(env, -6.0, lookahead=50, release_per_sample=0.01)
    assert np.all(env - reduction <= -6.0 + 1e-9)
    assert reduction[1000] == pytest.approx(6.0)
    assert reduction[950] >= 0  # ramped in ahead of the peak
    assert reduction[1100] > 0 and reduction[1700] < 1e-9  # released at 0.01 dB a sample


def test_deep_reductions_release_fast_and_shallow_ones_slowly():
    def reductions(peak_db):
        env = np.full(12000, -30.0)
        env[1000] = peak_db  # one peak over a −6 dB ceiling
        slow = limiter_reduction_db(env, -6.0, lookahead=50, release_per_sample=0.001)
        both = limiter_reduction_db(env, -6.0, lookahead=50, release_per_sample=0.001, release_tau=2000.0)
        assert np.all(env - both <= -6.0 + 1e-9)  # never a sample over
        return slow, both

    slow, both = reductions(10.0)  # 16 dB over: the exponential release wins
    assert both[1000] == pytest.approx(16.0)
    assert slow[9000] > 7 and both[9000] < 0.5
    slow, both = reductions(-5.0)  # 1 dB over: under the crossover (0.001 × 2000 = 2 dB), linear as before
    assert both[1500] == pytest.approx(slow[1500]) == pytest.approx(0.5, abs=0.06)


def test_secant_step():
    assert next_gain([(10.0, -2.0)]) == 12.0
    # Loudness rose 0.5 LU for 1 dB of gain (a limiter at work): the step doubles, and
    # is stretched by half again since both points fell short.
    assert next_gain([(10.0, -2.0), (11.0, -1.5)]) == pytest.approx(15.5)
    assert next_gain([(10.0, -2.0), (12.0, 1.0)]) == pytest.approx(11 + 1 / 3)  # bracketed: plain secant


def test_meters_and_encoders_cancelled_midway_leave_nothing_named(tmp_path):
    # A failing verification cancels the independent meter and the lossy encoder that run
    # beside it: their processes end and no lossy file takes its name.
    from lofi_assets.core.production.lossy import LossyEncoder
    from lofi_assets.core.production.verification import Ebur128

    wav = write_wav(tmp_path / "m.wav", synthesize(80, "F", 20, seed=2) * 0.3)
    Ebur128(wav).cancel()
    fed = LossyEncoder(None, tmp_path / "fed.mp3")
    fed.feed(synthesize(80, "F", 2, seed=2).astype("float32"))
    fed.cancel()
    from_file = LossyEncoder(wav, tmp_path / "file.mp3")
    from_file.cancel()
    assert not (tmp_path / "fed.mp3").exists() and not (tmp_path / "file.mp3").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m.wav"]

    streamed = LossyEncoder(None, tmp_path / "ok.mp3")
    streamed.feed(synthesize(80, "F", 3, seed=2).astype("float32"))
    streamed.close()
    figures = streamed.wait()
    assert figures["duration_s"] == pytest.approx(3.0, abs=0.1) and (tmp_path / "ok.mp3").exists()
