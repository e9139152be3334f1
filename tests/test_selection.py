"""Which algorithm each layer gets, why, and tuning by measurement."""

import json
from pathlib import Path

import numpy as np
import pytest
from graphs import single_op, uniform
from reference import execute, relative_error

import tilewise
from tilewise.conv.registry import ALGORITHMS, applicable
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION
from tilewise.plan.select import select_convolution


def _attrs(**given):
    return resolve(CONVOLUTION.attrs, {"num_filter": 64, **given})


@pytest.mark.parametrize(
    "given, in_shape, expected",
    [
        ({"kernel": (1, 1)}, (1, 64, 56, 56), {"direct-1x1", "im2col-gemm", "nchwc-direct"}),
        ({"kernel": (3, 3), "stride": (2, 2)}, (1, 64, 56, 56), {"im2col-gemm", "nchwc-direct"}),
        ({"kernel": (3, 3), "dilate": (2, 2)}, (1, 64, 56, 56), {"im2col-gemm", "nchwc-direct"}),
        ({"kernel": (3, 3), "num_group": 2}, (1, 64, 56, 56), {"im2col-gemm"}),
        ({"kernel": (3, 3), "num_group": 64}, (1, 64, 56, 56),
         {"depthwise-direct", "nchwc-depthwise", "im2col-gemm"}),
        ({"kernel": (3, 3), "pad": (1, 1)}, (1, 64, 56, 56),
         {"winograd-f2", "winograd-f4", "winograd-f6", "fft8", "fft16", "im2col-gemm",
          "nchwc-direct", "nchwc-winograd-f2", "nchwc-winograd-f4"}),
        ({"kernel": (3, 3), "pad": (3, 3)}, (1, 64, 56, 56),
         {"fft8", "fft16", "im2col-gemm", "nchwc-direct"}),
        ({"kernel": (5, 5), "pad": (2, 2)}, (1, 64, 27, 27),
         {"fft8", "fft16", "im2col-gemm", "nchwc-direct"}),
        ({"kernel": (1, 7), "pad": (0, 3)}, (1, 64, 17, 17),
         {"fft8", "fft16", "im2col-gemm", "nchwc-direct"}),
        ({"kernel": (11, 11)}, (1, 3, 224, 224), {"fft16", "im2col-gemm", "nchwc-direct"}),
    ],
)  # fmt: skip
def test_applicability_rules(given, in_shape, expected):
    assert {a.name for a in applicable(_attrs(**given), in_shape)} == expected


def test_auto_takes_winograd_for_wide_3x3_and_blocked_direct_for_strided():
    attrs = _attrs(kernel=(3, 3), pad=(1, 1), num_filter=256)
    choice, reason = select_convolution(attrs, (16, 256, 28, 28), (16, 256, 28, 28), "auto", 2)
    assert choice.name.startswith("nchwc-winograd")
    assert "estimated" in reason and "faster than im2col-gemm" in reason
    strided = _attrs(kernel=(3, 3), pad=(1, 1), stride=(2, 2))
    choice, reason = select_convolution(strided, (1, 64, 56, 56), (1, 64, 28, 28), "auto", 2)
    assert choice.name == "nchwc-direct"
    assert "faster than im2col-gemm" in reason


def test_gemm_is_the_plain_path_everywhere():
    model = tilewise.compile(tilewise.zoo.get("inception-bn"), algo="gemm")
    algorithms = {layer["algorithm"] for layer in model.layers() if layer["op"] == "Convolution"}
    assert algorithms == {"direct-1x1", "im2col-gemm"}


def test_vgg_auto_uses_fast_algorithms_and_says_why():
    model = tilewise.compile(tilewise.zoo.get("vgg-16"), batch_size=2)
    convs = [layer for layer in model.layers() if layer["op"] == "Convolution"]
    # 3 input channels: transforms do not pay; the blocked kernel reads NCHW in place
    assert convs[0]["algorithm"] == "nchwc-direct"
    fast = [c for c in convs if c["algorithm"].startswith(("winograd", "fft", "nchwc-winograd"))]
    assert len(fast) >= 10
    assert all(c["reason"] for c in convs)


@pytest.mark.parametrize("algo", [a for a in ALGORITHMS if a not in ("im2col-gemm",)])
def test_forced_algorithm_runs_or_falls_back(algo, rng):
    g = single_op("Convolution", (2, 6, 13, 11), rng,
                  {"weight": uniform(rng, (5, 6, 3, 3)), "bias": uniform(rng, (5,))},
                  kernel=(3, 3), pad=(1, 1), num_filter=5, act="relu")  # fmt: skip
    x = uniform(rng, (2, 6, 13, 11))
    model = tilewise.compile(g, batch_size=2, algo=algo)
    (layer,) = [row for row in model.layers() if row["op"] == "Convolution"]
    reorders = [row for row in model.layers() if row["op"] == "Reorder"]
    fall_back = ("direct-1x1", "depthwise-direct", "nchwc-depthwise", "nchwc-winograd-f4-1x3")
    blocked = ALGORITHMS[algo].blocked and algo not in fall_back
    assert len(reorders) == (1 if blocked else 0)  # blocked output to NCHW
    if algo in fall_back:  # a dense 3x3: none of these apply
        assert layer["algorithm"] == "im2col-gemm"
        assert "does not apply" in layer["reason"]
    else:
        assert layer["algorithm"] == algo and "forced" in layer["reason"]
    expected = np.maximum(execute(g, x), 0)  # the fused activation
    assert relative_error(model(x), expected) <= ALGORITHMS[layer["algorithm"]].error_limit


def test_tune_measures_once_then_reuses_the_file(tmp_path, rng, monkeypatch):
    path = tmp_path / "tuning.json"
    g = single_op("Convolution", (1, 16, 20, 20), rng, {"weight": uniform(rng, (16, 16, 3, 3))},
                  kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=True)  # fmt: skip
    first = tilewise.compile(g, algo="tune", tuning_file=str(path))
    records = json.loads(path.read_text())
    (record,) = records.values()
    assert set(record["seconds"]) >= {"im2col-gemm", "winograd-f4"}
    assert record["best"] == first.layers()[0]["algorithm"]
    assert "tuned" in first.layers()[0]["reason"]
    key = json.loads(next(iter(records)))
    assert key[1:3] == [first.threads, "float32"] and key[-1] == 1
    # a doctored record is obeyed, and nothing is timed: the second compile only reads
    slowest = max(record["seconds"], key=record["seconds"].get)
    record["best"] = slowest
    path.write_text(json.dumps(records))

    def no_timing(*args, **kwargs):
        raise AssertionError("the second compile measured again")

    monkeypatch.setattr("tilewise.plan.tuning._time", no_timing)
    second = tilewise.compile(g, algo="tune", tuning_file=str(path))
    assert slowest != first.layers()[0]["algorithm"]
    assert [r["algorithm"] for r in second.layers() if r["op"] == "Convolution"] == [slowest]


def test_tune_rejects_algorithms_over_the_tolerance(tmp_path, rng):
    g = single_op("Convolution", (1, 16, 20, 20), rng, {"weight": uniform(rng, (16, 16, 3, 3))},
                  kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=True)  # fmt: skip
    path = tmp_path / "tuning.json"
    model = tilewise.compile(g, algo="tune", tolerance=1e-9, tuning_file=str(path))
    (record,) = json.loads(path.read_text()).values()
    assert "winograd-f6" in record["rejected"]
    assert model.layers()[0]["algorithm"] == "im2col-gemm"
    assert "rejected for error" in model.layers()[0]["reason"]


def _tuned_conv(rng):
    return single_op("Convolution", (1, 8, 12, 12), rng, {"weight": uniform(rng, (8, 8, 3, 3))},
                     kernel=(3, 3), pad=(1, 1), num_filter=8, no_bias=True)  # fmt: skip


@pytest.mark.parametrize("content, warning", [
    ("{not json", "ignoring the tuning file"),
    ("[1, 2]", "not a JSON object"),
    ('{"k": {"best": "no-such-algorithm", "seconds": {}}}', "1 malformed record(s)"),
    ('{"k": {"best": "im2col-gemm", "seconds": {"im2col-gemm": "fast"}}}',
     "1 malformed record(s)"),
])  # fmt: skip
def test_corrupt_tuning_file_is_ignored_with_a_warning(content, warning, tmp_path, rng, caplog):
    path = tmp_path / "tuning.json"
    path.write_text(content)
    with caplog.at_level("WARNING", logger="tilewise"):
        model = tilewise.compile(_tuned_conv(rng), algo="tune", tuning_file=str(path))
    assert warning in caplog.text
    assert "tuned" in model.layers()[0]["reason"]
    records = json.loads(path.read_text())  # rewritten whole: valid JSON, measured records
    assert all(r["best"] in r["seconds"] for r in records.values())


def test_a_record_naming_an_algorithm_the_layer_cannot_use_is_measured_again(tmp_path, rng):
    path = tmp_path / "tuning.json"
    graph = single_op("Convolution", (1, 8, 12, 12), rng, {"weight": uniform(rng, (8, 8, 5, 5))},
                      kernel=(5, 5), stride=(2, 2), num_filter=8, no_bias=True)  # fmt: skip
    tilewise.compile(graph, algo="tune", tuning_file=str(path))
    records = json.loads(path.read_text())
    (record,) = records.values()
    record["best"] = "winograd-f4"  # stride 2: Winograd does not apply
    record["seconds"]["winograd-f4"] = 0.0
    path.write_text(json.dumps(records))
    model = tilewise.compile(graph, algo="tune", tuning_file=str(path))
    assert model.layers()[0]["algorithm"] != "winograd-f4"


def test_concurrent_tuners_leave_a_valid_file_with_every_record(tmp_path, rng):
    """Processes tuning different layers at once: atomic writes, records merged."""
    import subprocess
    import sys

    path = tmp_path / "tuning.json"
    script = (
        f"import sys, numpy as np, tilewise; sys.path.insert(0, {str(Path(__file__).parent)!r});"
        "from graphs import single_op, uniform; rng = np.random.default_rng(0);"
        "c = int(sys.argv[1]);"
        "g = single_op('Convolution', (1, c, 10, 10), rng,"
        " {'weight': uniform(rng, (c, c, 3, 3))}, kernel=(3, 3), pad=(1, 1), num_filter=c,"
        " no_bias=True);"
        f"tilewise.compile(g, algo='tune', tuning_file={str(path)!r})"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(c)]) for c in (4, 6, 8, 10)]
    assert [w.wait(300) for w in workers] == [0, 0, 0, 0]
    records = json.loads(path.read_text())
    assert sorted(json.loads(k)[3][0] for k in records) == [4, 6, 8, 10]
    assert not list(tmp_path.glob("*.tmp"))
