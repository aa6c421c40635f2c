import dagster as dg

from lofi_assets.demo.library import synthesize, write_audio
from lofi_assets.partitions import partition_batches
from resources import StorageResource
from sensors.library_sensor import library_songs_sensor, song_run_requests


def requested(instance, result):
    """Every song the tick asked to analyse, whether its run is one song or a range."""
    order = instance.get_dynamic_partitions("songs")
    keys = []
    for request in result.run_requests:
        if request.partition_key:
            keys.append(request.partition_key)
        else:
            first, last = (
                order.index(request.tags[f"dagster/asset_partition_range_{end}"]) for end in ("start", "end")
            )
            keys.extend(order[first : last + 1])
    return sorted(keys)


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
        assert requested(instance, first) == ["1-1-12a", "late-rain"]
        assert instance.get_dynamic_partitions("songs") == ["1-1-12a", "late-rain"]
        second = tick(instance, data_dir, first.cursor)
        assert second.run_requests == [] and second.skip_reason
        write_audio(lib / "2_4_12a.flac", synthesize(76, "F", 3, seed=3))
        third = tick(instance, data_dir, second.cursor)
        assert requested(instance, third) == ["2-4-12a"]


def test_a_song_analysed_with_the_same_content_is_not_requested_again(data_dir):
    # `make demo` analysed the song; the sensor, starting with no cursor, must not ask for
    # it again, but must once the file's content changes.
    from lofi_assets.assets.library import library_songs
    from resources import EmbedderResource

    lib = data_dir / "library"
    song = write_audio(lib / "late_rain.wav", synthesize(68, "C minor", 3, seed=2))
    write_audio(lib / "dawn.wav", synthesize(70, "Am", 3, seed=1))
    storage = StorageResource(root=str(data_dir))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("songs", ["late-rain", "dawn"])
        assert dg.materialize(
            [library_songs],
            selection=["library_song"],
            partition_key="late-rain",
            instance=instance,
            resources={"storage": storage, "embedder": EmbedderResource()},
        ).success
        first = tick(instance, data_dir)
        assert requested(instance, first) == ["dawn"]

        write_audio(song, synthesize(72, "C minor", 3, seed=5))
        changed = tick(instance, data_dir)
        assert requested(instance, changed) == ["dawn", "late-rain"]


def test_songs_are_requested_in_batches_of_consecutive_partitions():
    order = [f"s{i:02d}" for i in range(12)]
    # s03 was analysed with the same content: the batches go around it.
    runs = [(k, f"{k}@digest") for k in order if k != "s03"]
    requests = song_run_requests(order, runs, parallel_runs=2)
    spans = [
        (r.partition_key,)
        if r.partition_key
        else tuple(r.tags[f"dagster/asset_partition_range_{e}"] for e in ("start", "end"))
        for r in requests
    ]
    assert spans == [("s00", "s02"), ("s04", "s09"), ("s10", "s11")]
    assert len({r.run_key for r in requests}) == 3
    assert [len(b) for b in partition_batches(order, order[:5], 2)] == [2, 2, 1]
    # a big import: equal batches, a multiple of the cores, none over SONGS_PER_RUN
    many = [f"n{i:03d}" for i in range(515)]
    sizes = [int(r.tags["lofi/songs"]) for r in song_run_requests(many, [(k, k) for k in many], parallel_runs=2)]
    assert sizes == [86] * 5 + [85]
    # one song alone is a plain partition run, keyed by its content
    (single,) = song_run_requests(order, [("s07", "s07@abc")], parallel_runs=2)
    assert single.partition_key == "s07" and single.run_key == "s07@abc"
