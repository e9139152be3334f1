"""The Ray engine: Ray Data holds the inputs, `map_batches` runs a classifier class on an
actor pool (each actor loads and compiles the model once, with as many threads as CPUs it
was given), and writes the Parquet parts. Actors that die are restarted and their batches
retried (Ray Data's default for actor pools: max_restarts=-1, max_task_retries=-1), so
every input still appears exactly once."""

from __future__ import annotations

from tilewise.batch.inputs import Item
from tilewise.batch.rows import Options


class RayClassifier:
    """Constructed once per actor by Ray Data."""

    def __init__(
        self, model_spec: str, options: Options, threads: int, input_shape: tuple[int, ...] | None
    ) -> None:
        from tilewise.batch.rows import Classifier

        self.options = options
        self.classifier = Classifier(model_spec, options, threads, input_shape)

    def __call__(self, batch: dict):
        import pyarrow as pa

        from tilewise.batch.rows import decode, schema

        items = [
            Item(str(key), bytes(data) or None)
            for key, data in zip(batch["key"], batch["data"], strict=True)
        ]
        rows = self.classifier.rows(items, [decode(item, self.options) for item in items])
        return pa.Table.from_pylist(rows, schema=schema())


def run_ray(
    items: list[Item],
    model_spec: str,
    options: Options,
    out: str,
    actors: int | None,
    threads_per_actor: int,
    address: str | None,
    input_shape: tuple[int, ...] | None,
) -> dict:
    import ray

    from tilewise.errors import TilewiseError

    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
    available = int(ray.cluster_resources().get("CPU", 0))
    actors = actors or max(1, available // threads_per_actor)
    if actors * threads_per_actor > available:
        raise TilewiseError(
            f"{actors} actor(s) x {threads_per_actor} thread(s) need "
            f"{actors * threads_per_actor} CPUs; the cluster has {available}"
        )
    records = [{"key": item.key, "data": item.data or b""} for item in items]
    dataset = ray.data.from_items(records, override_num_blocks=max(1, actors * 4))
    result = dataset.map_batches(
        RayClassifier,
        fn_constructor_args=(model_spec, options, threads_per_actor, input_shape),
        batch_size=options.batch_size,
        concurrency=actors,
        num_cpus=threads_per_actor,
        batch_format="numpy",
    )
    result.write_parquet(out)
    return {
        "rows": len(items),
        "errors": _errors(out, {item.key for item in items}),
        "actors": actors,
        "threads_per_actor": threads_per_actor,
    }


def _errors(out: str, keys: set[str]) -> int:
    import pyarrow.parquet as pq

    table = pq.read_table(out, columns=["path", "error"])
    paths, errors = table.column("path").to_pylist(), table.column("error").to_pylist()
    return sum(1 for p, e in zip(paths, errors, strict=True) if p in keys and e is not None)
