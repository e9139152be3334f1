"""The command line: bench table and JSON rows, one-line errors with exit status 2."""

import json
import re
from pathlib import Path

import pytest

import tilewise
from tilewise.cli import main

FAST = ["--min-time", "0", "--min-runs", "1", "--warmup", "0"]  # warm-up still 0.5 s


def test_bench_prints_table_and_appends_json(tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    args = ["bench", "--network", "alexnet", "--batch-sizes", "1,3", "--threads", "1",
            "--json", str(out), *FAST]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "images/sec" in text and "ms/batch" in text
    assert "1 threads" in text
    assert "cold start in a new process (alexnet, batch 1)" in text
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["network"], r["batch_size"], r["threads"]) for r in rows] == [
        ("alexnet", 1, 1),
        ("alexnet", 3, 1),
    ]
    assert all(r["images_per_sec"] > 0 and r["cpu"] and r["numpy"] for r in rows)
    assert main([*args, "--no-cold-start"]) == 0
    assert len(out.read_text().splitlines()) == 4  # appended, not overwritten


@pytest.mark.parametrize(
    "args, message",
    [
        (["bench", "--network", "resnet-51"], "unknown network(s) resnet-51; choose from: all"),
        (["bench", "--batch-sizes", "1,0"], "--batch-sizes must be comma-separated positive"),
        (["bench", "--batch-sizes", "a"], "--batch-sizes must be comma-separated positive"),
        (["bench", "--algo", "fastest"], "unknown algo 'fastest'"),
        (["profile", "nonet"], "unknown network(s) nonet"),
    ],
)
def test_errors_are_one_line_with_status_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tilewise: error: ") and message in err
    assert "\n" not in err


def test_bad_thread_count_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--threads", "0"])
    assert info.value.code == 2
    assert "must be a positive integer" in capsys.readouterr().err


def test_profile_lists_every_layer_with_layout_and_algorithm(capsys):
    assert main(["profile", "alexnet", "--repeat", "1", "--threads", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = tilewise.compile(tilewise.zoo.get("alexnet"), threads=2)
    views = ("Flatten", "Dropout", "_copy", "Reshape")  # no work: not timed, not listed
    for layer in [row for row in model.layers() if row["op"] not in views]:
        (line,) = [t for t in lines if t.split()[:1] == [layer["name"]]]
        assert layer["layout"] in line.split() and layer["op"] in line.split()
        if layer["algorithm"]:
            assert layer["algorithm"] in line.split()
    reorders = sum(layer["op"] == "Reorder" for layer in model.layers())
    assert any(t.startswith(f"{reorders} reorder(s)") for t in lines)
    assert "GFLOP/s overall" in lines[-1]


def test_profile_shows_each_winograd_phase_with_its_rate(capsys):
    assert main(["profile", "resnet-18", "--algo", "nchwc-winograd-f4", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (line,) = [t for t in lines if t.startswith("stage1_unit1_conv2 ")]
    # the products report GFLOP/s and GB/s, the transforms GB/s (numbers > 0)
    assert re.search(r"input transform [\d.]+ \([\d.]+ GB/s\)", line)
    assert re.search(r"products [\d.]+ \([1-9]\d* GFLOP/s, [\d.]+ GB/s\)", line)
    assert re.search(r"output transform [\d.]+ \([\d.]+ GB/s\)", line)


def test_bench_and_profile_a_checkpoint(capsys):
    model = str(Path(__file__).parent / "data" / "mxnet" / "resnet50_w8")
    args = ["bench", "--model", model, "--input-shape", "3,64,64", "--batch-sizes", "2", *FAST]
    assert main(args) == 0
    assert "resnet50_w8      2" in capsys.readouterr().out
    assert main(["profile", "--model", model, "--input-shape", "3,64,64", "--repeat", "1"]) == 0
    assert "stage1_unit1_conv2" in capsys.readouterr().out
    assert main(["bench", "--model", model, "--input-shape", "3,x"]) == 2
    assert "--input-shape must be comma-separated" in capsys.readouterr().err


def test_predict_errors_name_the_file(tmp_path, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("PIL")
    import tilewise
    from tilewise.frontend.onnx_export import export_onnx

    model = tmp_path / "tiny.onnx"
    export_onnx(tilewise.zoo.get("tiny"), str(model))
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    assert main(["predict", str(model), str(text)]) == 2
    assert f"{text}: not a readable image" in capsys.readouterr().err
    assert main(["predict", str(model), str(text), "--crop", "300"]) == 2
    assert "crop 300 is larger than the resized short side 256" in capsys.readouterr().err


def test_networks_lists_the_zoo(capsys):
    assert main(["networks"]) == 0
    assert capsys.readouterr().out.split() == sorted(tilewise.zoo.names())


def test_bench_tune_measures_once_then_reuses(tmp_path, monkeypatch, capsys):
    tuning = tmp_path / "tuning.json"
    monkeypatch.setenv("TILEWISE_TUNING_FILE", str(tuning))
    args = ["bench", "--network", "tiny", "--algo", "tune", "--batch-sizes", "2",
            "--threads", "1", "--no-cold-start", *FAST]  # fmt: skip
    assert main(args) == 0
    assert "algo=tune" in capsys.readouterr().out
    records = json.loads(tuning.read_text())
    convs = [n for n in tilewise.zoo.get("tiny").nodes if n.op == "Convolution"]
    assert 0 < len(records) <= len(convs)
    for key, record in records.items():
        assert json.loads(key)[1:3] == [1, "float32"] and json.loads(key)[-1] == 2
        assert record["best"] in record["seconds"]
        assert record["seconds"][record["best"]] == min(record["seconds"].values())
    saved = tuning.read_text()
    assert main(args) == 0  # every layer found: nothing measured, file untouched
    assert tuning.read_text() == saved


def _three_class_model(tmp_path) -> str:
    """Logits = the per-channel means of the preprocessed image."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["g"]),
             helper.make_node("Flatten", ["g"], ["y"])]  # fmt: skip
    graph = helper.make_graph(
        nodes, "means", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])  # fmt: skip
    path = tmp_path / "means.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return str(path)


@pytest.mark.parametrize("bgr", [False, True])
def test_predict_options_reach_the_model(tmp_path, capsys, bgr):
    pil = pytest.importorskip("PIL.Image")
    import numpy as np

    model = _three_class_model(tmp_path)
    image = tmp_path / "solid.png"
    pil.new("RGB", (20, 12), (200, 100, 40)).save(image)
    labels = tmp_path / "labels.txt"
    labels.write_text("red\ngreen\nblue\n")
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 0.125)
    options = ["--resize", "10", "--crop", "8", "--top", "3", "--labels", str(labels),
               "--mean", "0.1,0.2,0.3", "--std", "0.5,0.25,0.125"]  # fmt: skip
    args = ["predict", model, str(image), *options]
    assert main(args + (["--bgr"] if bgr else [])) == 0
    lines = capsys.readouterr().out.splitlines()
    rgb = np.array([200, 100, 40]) / 255
    channels = rgb[::-1] if bgr else rgb  # mean and std apply to the channels as fed
    logits = (channels - mean) / std
    probabilities = np.exp(logits) / np.exp(logits).sum()
    order = np.argsort(-probabilities)
    expected = [f"{rank}. {['red', 'green', 'blue'][i]}" for rank, i in enumerate(order, 1)]
    assert [line.split()[0] + " " + line.split()[1] for line in lines[1:]] == expected
    assert [float(line.split()[2]) for line in lines[1:]] == pytest.approx(
        probabilities[order], abs=6e-5
    )


WITHOUT_EXTRAS = """
import sys
BLOCKED = {"uvicorn", "starlette", "prometheus_client", "pyarrow", "ray", "tqdm", "onnx",
           "onnxruntime", "matplotlib", "tritonclient", "PIL", "torch"}

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)

sys.meta_path.insert(0, Block())
from tilewise.cli import main
assert main(["networks"]) == 0
assert main(["serve", "tiny"]) == 2
assert main(["batch-predict", "tiny", ".", "--out", "o"]) == 2
"""


def test_the_core_install_runs_without_any_extra():
    """`pip install tilewise` alone: every command imports, and the ones that need an
    extra say which (the quick start's `tilewise bench` must never need one)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (
        "tilewise: error: serving needs the serve extra (prometheus_client is missing): "
        "pip install 'tilewise[serve]'"
    ) in done.stderr
    assert "batch-predict needs pyarrow: pip install 'tilewise[batch]'" in done.stderr
