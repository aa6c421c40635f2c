import dagster as dg

from lofi_assets.demo.library import synthesize, write_audio
from resources import StorageResource
from sensors.library_sensor import library_songs_sensor


def tick(instance, root, cursor=None):
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"storage": StorageResource(root=str(root))}
    ) as context:
        result = library_songs_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_songs_become_partitions_and_duplicates_are_refused(data_dir):
    lib = data_dir / "library"
    song = write_audio(lib / "1_1_12a.wav", synthesize(70, "Am", 3, seed=1))
    write_audio(lib / "late_rain.mp3", synthesize(68, "C minor", 3, seed=2))
    (lib / "dup.wav").write_bytes(song.read_bytes())
    with dg.instance_for_test() as instance:
        first = tick(instance, data_dir)
        assert sorted(r.partition_key for r in first.run_requests) == ["1-1-12a", "late-rain"]
        assert instance.get_dynamic_partitions("songs") == ["1-1-12a", "late-rain"]
        second = tick(instance, data_dir, first.cursor)
        assert second.run_requests == [] and second.skip_reason
        write_audio(lib / "2_4_12a.flac", synthesize(76, "F", 3, seed=3))
        third = tick(instance, data_dir, second.cursor)
        assert [r.partition_key for r in third.run_requests] == ["2-4-12a"]
