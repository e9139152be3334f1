"""batch-predict on Ray: a local Ray and a two-node cluster on this machine give the local
engine's rows; an actor killed mid-run is restarted and no input is lost or doubled."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pq = pytest.importorskip("pyarrow.parquet")
pil = pytest.importorskip("PIL.Image")
data = pytest.importorskip("skimage.data")

from test_batch import TINY, _rows, photos  # noqa: E402, F401  (photos: a fixture)

from tilewise.batch import predict  # noqa: E402
from tilewise.batch.rows import Options  # noqa: E402


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _same_rows(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        assert got[key]["top_indices"] == row["top_indices"], key
        assert got[key]["error"] == row["error"], key
        assert got[key]["top_probabilities"] == pytest.approx(row["top_probabilities"], rel=1e-6)


def test_local_ray_gives_the_local_engines_rows(photos, tmp_path, local_ray):  # noqa: F811
    predict("tiny", str(photos), str(tmp_path / "local"), options=TINY)
    summary = predict(
        "tiny", str(photos), str(tmp_path / "ray"), options=TINY, engine="ray", threads=1, actors=2
    )
    assert summary["actors"] == 2 and summary["errors"] == 3
    _same_rows(_rows(tmp_path / "ray"), _rows(tmp_path / "local"))


def test_two_node_cluster_gives_the_local_engines_rows(photos, tmp_path):  # noqa: F811
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, log_to_driver=False)
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        predict("tiny", str(photos), str(tmp_path / "local"), options=TINY)
        summary = predict(
            "tiny", str(photos), str(tmp_path / "ray"), options=TINY, engine="ray", threads=1
        )
        assert summary["actors"] == 2  # one per node's CPU
        _same_rows(_rows(tmp_path / "ray"), _rows(tmp_path / "local"))
    finally:
        ray.shutdown()
        cluster.shutdown()


def _many_images(folder, count: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    source = data.astronaut()
    for i in range(count):
        top, left = rng.integers(0, 300, 2)
        pil.fromarray(source[top : top + 200, left : left + 200]).save(folder / f"{i:04d}.jpg")


def _map_workers() -> list[int]:
    """Ray names actor processes after their class: ray::MapWorker(MapBatches(...))."""
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if any("MapWorker" in part for part in (p.info["cmdline"] or []))
    ]


def test_a_killed_actor_is_restarted_and_nothing_is_lost(tmp_path, local_ray):
    images = tmp_path / "images"
    images.mkdir()
    _many_images(images, 240)
    options = Options(batch_size=4)
    killed: list[int] = []
    finished = threading.Event()

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            workers = _map_workers()
            if workers:
                time.sleep(3)  # model compiled, batches under way
                assert not finished.is_set(), "the job ended before the kill"
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.2)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    started = time.monotonic()
    summary = predict(
        "resnet-18",
        str(images),
        str(tmp_path / "out"),
        options=options,
        engine="ray",
        threads=2,
        actors=1,
    )
    finished.set()
    killer.join()
    assert time.monotonic() - started > 3
    assert killed, "no actor was alive to kill"
    rows = _rows(tmp_path / "out")  # fails on any input written twice
    assert sorted(rows) == sorted(str(p) for p in images.glob("*.jpg"))
    assert summary["errors"] == 0 and all(len(r["top_indices"]) == 5 for r in rows.values())
