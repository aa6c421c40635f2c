import numpy as np
import pytest

from lofi_assets.core.production.disk_array import DiskArray


def test_slices_read_back_what_was_written_and_start_as_zeros(tmp_path):
    array = DiskArray(tmp_path / "a.f32", np.float32, (1000, 2))
    assert array.shape == (1000, 2) and len(array) == 1000 and array.size == 2000
    assert not array[:].any()
    values = np.arange(600, dtype=np.float32).reshape(300, 2)
    array[100:400] = values
    np.testing.assert_array_equal(array[100:400], values)
    np.testing.assert_array_equal(array[0:100], 0)
    assert (tmp_path / "a.f32").stat().st_size == 1000 * 2 * 4


def test_augmented_assignment_writes_through_and_slices_clip_at_the_end(tmp_path):
    array = DiskArray(tmp_path / "b.f32", np.float32, 10)
    array[:] = np.ones(10)
    array[2:5] *= 3
    array[8:50] += 1  # past the end: clipped as a numpy slice would be
    np.testing.assert_array_equal(array[:], [1, 1, 3, 3, 3, 1, 1, 1, 2, 2])
    assert array[20:30].size == 0
    array[4:4] = np.zeros(0)  # an empty write is nothing


def test_a_slice_is_a_copy_not_a_view(tmp_path):
    array = DiskArray(tmp_path / "c.f32", np.float32, 4)
    part = array[0:4]
    part[:] = 7
    assert not array[:].any()


def test_only_contiguous_slices(tmp_path):
    array = DiskArray(tmp_path / "d.f32", np.float32, 4)
    with pytest.raises(TypeError, match="contiguous"):
        array[::2]
    with pytest.raises(TypeError, match="contiguous"):
        array[3] = 1.0


def test_close_can_remove_the_file(tmp_path):
    array = DiskArray(tmp_path / "e.f32", np.float32, 4)
    array.close(remove=True)
    assert not (tmp_path / "e.f32").exists()
