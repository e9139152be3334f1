"""The whole `bench --compare` pipeline on the tiny network with onnxruntime."""

import json

import numpy as np
import pytest

import tilewise
from tilewise.cli import main

pytest.importorskip("onnxruntime")
pytest.importorskip("matplotlib")


def test_compare_pipeline(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["bench", "--network", "tiny", "--batch-sizes", "1,2", "--compare",
            "onnxruntime,openvino", "--algo", "auto,gemm", "--rounds", "2", "--min-time", "0",
            "--threads", "1", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "tiny (median over rounds, min-max)" in text
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    runtimes = {"tilewise-auto", "tilewise-gemm", "onnxruntime"}
    if "openvino: skipped" not in text:
        runtimes.add("openvino")
    expected = {(r, b, n) for r in runtimes for b in (1, 2) for n in (1, 2)}
    assert {(r["runtime"], r["batch_size"], r["round"]) for r in rows} == expected
    for row in rows:
        assert row["network"] == "tiny" and row["threads"] == 1
        assert row["images_per_sec"] > 0 and row["version"] and row["cpu"]
        assert row["reference"] == "tilewise-auto"
        assert row["max_rel_diff"] <= 1e-5, row
    _recompute_onnxruntime_difference(rows, tmp_path / "cache")
    report = (out / "report.md").read_text()
    assert "![tiny](tiny.png)" in report and "threads: 1" in report
    assert (out / "tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # redraw from the saved rows into another folder
    again = tmp_path / "again"
    assert main(["report", str(out / "results.jsonl"), "--out", str(again)]) == 0
    assert (again / "tiny.png").exists() and (again / "report.md").exists()


def test_compare_runs_a_model_file_in_every_runtime(tmp_path, capsys):
    """--model: tilewise loads the same ONNX file the peers run (no zoo graph involved)."""
    from tilewise.frontend.onnx_export import export_onnx

    model = tmp_path / "little.onnx"
    export_onnx(tilewise.zoo.get("tiny"), str(model))
    out = tmp_path / "run"
    args = ["bench", "--model", str(model), "--batch-sizes", "2", "--compare", "onnxruntime",
            "--rounds", "1", "--min-time", "0", "--threads", "1", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    assert "little.onnx (median over rounds, min-max)" in capsys.readouterr().out
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["runtime"] for r in rows} == {"tilewise-auto", "onnxruntime"}
    assert all(r["network"] == "little.onnx" for r in rows)
    assert rows[1]["max_rel_diff"] <= 1e-5  # onnxruntime against tilewise on the file
    assert main(["bench", "--model", str(tmp_path / "m-symbol.json"), "--compare",
                 "onnxruntime"]) == 2  # fmt: skip
    assert "is not an .onnx file" in capsys.readouterr().err


def test_a_failing_reference_leaves_the_peers_measured(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TILEWISE_MEMORY_LIMIT", "1000")  # tilewise's workers cannot compile
    out = tmp_path / "run"
    args = ["bench", "--network", "tiny", "--batch-sizes", "1", "--compare", "onnxruntime",
            "--rounds", "1", "--min-time", "0", "--threads", "1", "--out", str(out)]  # fmt: skip
    main(args)
    text = capsys.readouterr().out
    assert "tilewise-auto on tiny: failed:" in text and "TILEWISE_MEMORY_LIMIT" in text
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["runtime"] for r in rows] == ["onnxruntime"]
    assert np.isnan(rows[0]["max_rel_diff"])  # no reference output to compare with


def test_unknown_peer_and_bad_results_file(tmp_path, capsys):
    assert main(["bench", "--network", "tiny", "--compare", "tensorflow"]) == 2
    assert "unknown peer(s) tensorflow" in capsys.readouterr().err
    bad = tmp_path / "results.jsonl"
    bad.write_text("{not json\n")
    assert main(["report", str(bad)]) == 2
    assert "line 1 is not JSON" in capsys.readouterr().err


def _recompute_onnxruntime_difference(rows: list[dict], cache) -> None:
    """The reported accuracy, recomputed here: onnxruntime on the exported file and tilewise
    on the zoo graph, fed the worker's input (uniform(-1, 1), seeded by the batch size)."""
    import onnxruntime as ort

    (onnx_file,) = (cache / "tilewise" / "onnx").glob("tiny-*.onnx")
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    graph = tilewise.zoo.get("tiny")
    for batch in (1, 2):
        x = np.random.default_rng(batch).uniform(-1, 1, (batch, *graph.input_shape))
        x = x.astype(np.float32)
        theirs = session.run(None, {session.get_inputs()[0].name: x})[0].astype(np.float64)
        mine = tilewise.compile(graph, batch_size=batch, threads=1)(x).astype(np.float64)
        expected = np.abs(theirs - mine).max() / np.abs(mine).max()
        reported = [r["max_rel_diff"] for r in rows
                    if r["runtime"] == "onnxruntime" and r["batch_size"] == batch]  # fmt: skip
        assert expected > 0  # two engines never agree to the last bit on a whole network
        np.testing.assert_allclose(reported, expected, rtol=1e-3)
