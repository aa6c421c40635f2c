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


def test_a_song_analysed_with_the_same_content_is_not_requested_again(data_dir):
    # `make demo` analysed the song; the sensor, starting with no cursor, must not ask for
    # it again, but must once the file's content changes.
    from lofi_assets.assets.library import library_song

    lib = data_dir / "library"
    song = write_audio(lib / "late_rain.wav", synthesize(68, "C minor", 3, seed=2))
    write_audio(lib / "dawn.wav", synthesize(70, "Am", 3, seed=1))
    storage = StorageResource(root=str(data_dir))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("songs", ["late-rain", "dawn"])
        assert dg.materialize(
            [library_song], partition_key="late-rain", instance=instance, resources={"storage": storage}
        ).success
        first = tick(instance, data_dir)
        assert [r.partition_key for r in first.run_requests] == ["dawn"]

        write_audio(song, synthesize(72, "C minor", 3, seed=5))
        changed = tick(instance, data_dir)
        assert sorted(r.partition_key for r in changed.run_requests) == ["dawn", "late-rain"]
