"""Buffers planned by liveness, calls that allocate only their result, threads."""

import tracemalloc

import numpy as np
import pytest
from graphs import single_op, uniform
from reference import relative_error

import tilewise
from tilewise import Graph, Node
from tilewise.plan.memory import StepIO, assign_buffers


def test_chain_reuses_two_buffers():
    shapes = {"x": (1, 10), "a": (1, 10), "b": (1, 10), "c": (1, 10), "d": (1, 10)}
    steps = [StepIO(["x"], "a", False, False), StepIO(["a"], "b", False, False),
             StepIO(["b"], "c", False, False), StepIO(["c"], "d", False, False)]  # fmt: skip
    buffer_of, sizes = assign_buffers(steps, shapes, ["x"], ["d"])
    assert len(sizes) == 2
    assert buffer_of["a"] == buffer_of["c"] != buffer_of["b"] == buffer_of["d"]


def test_inplace_step_takes_its_dying_input_but_never_the_graph_input():
    shapes = {"x": (1, 4), "a": (1, 4), "b": (1, 4)}
    steps = [StepIO(["x"], "a", True, False), StepIO(["a"], "b", True, False)]
    buffer_of, sizes = assign_buffers(steps, shapes, ["x"], ["b"])
    assert sizes == [4]
    assert buffer_of["a"] == buffer_of["b"]


def test_inplace_input_picks_which_dying_input_the_output_takes():
    shapes = {k: (1, 4) for k in "xabcd"}
    steps = [StepIO(["x"], "a", False, False), StepIO(["x"], "b", False, False),
             StepIO(["a", "b"], "c", True, False, inplace_input=1),
             StepIO(["c", "a"], "d", True, False, inplace_input=1)]  # fmt: skip
    buffer_of, _ = assign_buffers(steps, shapes, ["x"], ["d"])
    assert buffer_of["c"] == buffer_of["b"] != buffer_of["a"]
    assert buffer_of["d"] == buffer_of["a"]  # a's last reader: d may take it
    steps[3] = StepIO(["c", "c"], "d", True, False, inplace_input=1)  # read twice: never
    buffer_of, _ = assign_buffers(steps, shapes, ["x"], ["d"])
    assert buffer_of["d"] != buffer_of["c"]


def test_value_with_a_later_reader_is_kept_alive():
    shapes = {k: (1, 4) for k in "xabc"}
    steps = [StepIO(["x"], "a", False, False), StepIO(["a"], "b", False, False),
             StepIO(["b", "a"], "c", False, False)]  # fmt: skip
    buffer_of, _ = assign_buffers(steps, shapes, ["x"], ["c"])
    assert len({buffer_of["a"], buffer_of["b"], buffer_of["c"]}) == 3


def test_resnet_buffers_are_far_fewer_than_layers():
    model = tilewise.compile(tilewise.zoo.get("resnet-18"))
    buffers = {id(v.base) for v in model._views.values()}
    assert len(buffers) <= 4 < len(model.steps)


def test_call_allocates_only_its_result():
    model = tilewise.compile(tilewise.zoo.get("resnet-18"), batch_size=2)
    x = uniform(np.random.default_rng(0), (2, 3, 224, 224))
    model(x)
    tracemalloc.start()
    model(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result_bytes = 2 * 1000 * 4
    assert peak < result_bytes + 64 * 1024, peak


@pytest.fixture
def numba_allocations():
    """Numba's own allocation counter (tracemalloc cannot see inside kernels)."""
    from numba.core.runtime import _nrt_python, rtsys

    was_on = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()

    def count(call) -> tuple[int, int]:
        before = rtsys.get_allocation_stats()
        call()
        after = rtsys.get_allocation_stats()
        return after.alloc - before.alloc, after.free - before.free

    yield count
    if not was_on:
        _nrt_python.memsys_disable_stats()


def _allocations_per_step(model, x, count) -> dict:
    model(x)
    per_step = {}
    for step, args, out in zip(model._work, model._args, model._outs, strict=True):
        allocated, freed = count(lambda s=step, a=args, o=out: s.operator.run(a, o, model._scratch))
        assert allocated == freed, f"{step.name} leaks Numba memory"
        # transform algorithms run their kernels once per chunk of images, by design
        chunk = getattr(getattr(step.operator, "impl", None), "chunk", x.shape[0])
        per_step[step.name, model.describe(step)["algorithm"]] = allocated / -(-x.shape[0] // chunk)
    return per_step


def _depthwise_graph(rng):
    attrs = {"kernel": (3, 3), "stride": (1, 1), "pad": (1, 1), "num_group": 8, "num_filter": 8}
    consts = {"w": uniform(rng, (8, 1, 3, 3)), "b": uniform(rng, (8,))}
    return Graph("dw", "data", (8, 40, 40), [Node("dw", "Convolution", ["data", "w", "b"], attrs)],
                 consts, "dw")  # fmt: skip


@pytest.mark.parametrize("case", ["resnet-18", "depthwise-direct", "nchwc-depthwise"])
def test_kernels_allocate_nothing_per_image(case, numba_allocations, rng):
    """Each array handed to a kernel costs Numba one small wrapper per call (at most 16 per
    step and chunk of images: a Winograd chunk makes three kernel calls with 14 arrays); a
    kernel that allocated per image or per channel would count 32 or more."""
    graph = tilewise.zoo.get(case) if case == "resnet-18" else _depthwise_graph(rng)
    model = tilewise.compile(graph, batch_size=4, algo="auto" if case == "resnet-18" else case)
    per_step = _allocations_per_step(model, uniform(rng, (4, *graph.input_shape)),
                                     numba_allocations)  # fmt: skip
    assert max(per_step.values()) <= 16, per_step


def test_repeated_calls_give_identical_results_and_fresh_arrays():
    model = tilewise.compile(tilewise.zoo.get("alexnet"))
    x = uniform(np.random.default_rng(1), (1, 3, 224, 224))
    first, second = model(x), model(x)
    assert first is not second
    np.testing.assert_array_equal(first, second)


def test_thread_setting_reaches_numba_and_blas():
    import numba
    from threadpoolctl import threadpool_info

    tilewise.compile(tilewise.zoo.get("resnet-18"), threads=1)
    assert numba.get_num_threads() == 1
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    tilewise.set_threads(None)
    assert numba.get_num_threads() == tilewise.runtime.threads.default_threads()


@pytest.fixture
def two_threads():
    """2 threads for the test, the default afterwards: other tests expect every core."""
    tilewise.set_threads(2)
    yield
    tilewise.set_threads(None)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])  # Winograd's, FFT's
@pytest.mark.parametrize(
    "a_shape,b_shape,transposed_b",
    [
        ((1152, 192), (192, 49), False),  # taller than wide: rows split
        ((96, 16), (16, 1254), False),  # wider than tall: columns split
        ((64, 32), (5, 32, 50), False),  # one weight, a stack of images
        ((5, 64, 32), (5, 32, 50), False),  # Winograd's products per frequency
        ((1, 64, 32), (1, 32, 50), False),  # a stack shorter than the threads
        ((20, 4096), (4096, 300), True),  # FullyConnected: its weight read transposed
        ((1, 3000), (3000, 700), False),  # one row
        ((8, 8), (8, 8), False),  # too small to split at all
    ],
)
def test_split_matrix_products_are_exact(a_shape, b_shape, transposed_b, dtype, monkeypatch,
                                        two_threads):  # fmt: skip
    from tilewise.kernels import matmul as gemm

    monkeypatch.setattr(gemm, "SMALL_FLOPS", 10_000)
    rng = np.random.default_rng(0)
    a, b = uniform(rng, a_shape), uniform(rng, b_shape)
    if dtype == np.complex64:
        a = (a + 1j * uniform(rng, a_shape)).astype(dtype)
        b = (b + 1j * uniform(rng, b_shape)).astype(dtype)
    if transposed_b:  # a column-major view, as BLAS reads FullyConnected's weight
        b = np.ascontiguousarray(b.T).T
    expected = a.astype(np.complex128) @ b.astype(np.complex128)
    out = np.full(expected.shape, np.nan, dtype)
    gemm.matmul(a, b, out=out)
    assert relative_error(out, expected) <= 1e-6


def test_products_on_column_slices_leave_the_rest_of_out_alone(two_threads):
    """A part of the split is a strided view: BLAS must write only its columns."""
    from tilewise.kernels import matmul as gemm

    rng = np.random.default_rng(1)
    a, b = uniform(rng, (64, 300)), uniform(rng, (300, 4000))
    out = np.full((64, 5000), 7.0, np.float32)
    gemm.matmul(a, b[:, 1000:3000], out=out[:, 500:2500])
    expected = a.astype(np.float64) @ b[:, 1000:3000].astype(np.float64)
    assert relative_error(out[:, 500:2500], expected) <= 1e-6
    assert (out[:, :500] == 7.0).all() and (out[:, 2500:] == 7.0).all()


def test_first_call_says_when_it_compiles_kernels(monkeypatch, caplog, rng):
    from tilewise.runtime import model as model_module

    g = single_op("Activation", (1, 3, 4, 4), rng, act_type="relu")
    x = uniform(rng, (1, 3, 4, 4))
    monkeypatch.setattr(model_module, "uncached_kernels", lambda: ["activation.act_only"])
    monkeypatch.setattr(model_module, "SLOW_STEP_SECONDS", 0.0)  # every step looks slow
    with caplog.at_level("INFO", logger="tilewise"):
        tilewise.compile(g)(x)
    assert "compiling kernels (first run only; cached on disk afterwards)" in caplog.text
    assert "[1/1] layer (Activation)" in caplog.text
    assert "kernels compiled in" in caplog.text
    caplog.clear()
    monkeypatch.setattr(model_module, "uncached_kernels", lambda: [])
    with caplog.at_level("INFO", logger="tilewise"):
        model = tilewise.compile(g)
        model(x)
        model(x)
    assert [r.message for r in caplog.records if r.name == "tilewise"] == []


def test_the_cache_check_sees_every_kernel_module(monkeypatch):
    from tilewise.runtime import first_use

    monkeypatch.setattr(first_use.os.path, "exists", lambda path: False)  # an empty cache
    missing = set(first_use.uncached_kernels())
    expected = {"nchwc_generated.conv_c16_job", "launch.run_jobs", "blocked.to_blocked",
                "winograd_generated.input_f4", "pool.max_pool", "im2col.im2col"}  # fmt: skip
    assert expected <= missing
