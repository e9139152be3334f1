"""`tilewise serve` over HTTP on loopback: the v2 endpoints, a real v2 client from PyPI
(tritonclient), dynamic batching under 64 concurrent requests, bad requests, SIGTERM."""

from __future__ import annotations

import json
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from graphs import uniform

import tilewise

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
pytest.importorskip("prometheus_client")
http = pytest.importorskip("tritonclient.http")
from serving import ServerProcess  # noqa: E402

from tilewise.runtime.batching import split_batch  # noqa: E402
from tilewise.serve.config import ServeConfig  # noqa: E402

MAX_BATCH = 8
SHAPE = (3, 32, 32)  # the zoo's "tiny" network


@pytest.fixture(scope="module")
def server():
    with ServerProcess(
        "tiny", "--max-batch", str(MAX_BATCH), "--max-delay-ms", "20", "--threads", "2"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def plans():
    """The served model's own plans, to compare answers with bit for bit."""
    model = tilewise.runtime.loaded.LoadedModel(tilewise.zoo.get("tiny"), threads=2)
    return {size: model.compile(size) for size in ServeConfig(max_batch=MAX_BATCH).batch_sizes()}


def _expected(plans, x: np.ndarray) -> np.ndarray:
    """What the server computes for a batch of len(x): its sum of compiled sizes."""
    parts, start = [], 0
    for size in split_batch(len(x), sorted(plans)):
        parts.append(plans[size](x[start : start + size]))
        start += size
    return np.concatenate(parts)


def _json_body(x: np.ndarray) -> bytes:
    """One image as a v2 request with JSON data."""
    tensor = {"name": "data", "shape": list(x.shape), "datatype": "FP32",
              "data": x.ravel().tolist()}  # fmt: skip
    return json.dumps({"inputs": [tensor]}).encode()


def _binary_body(x: np.ndarray) -> tuple[bytes, dict]:
    """One image as a v2 request with binary tensor data, and its header."""
    tensor = {"name": "data", "shape": list(x.shape), "datatype": "FP32",
              "parameters": {"binary_data_size": x.nbytes}}  # fmt: skip
    header = json.dumps({"inputs": [tensor]}).encode()
    return header + x.tobytes(), {"Inference-Header-Content-Length": str(len(header))}


def _metric(server, name: str) -> dict[str, float]:
    _, text = server.get("/metrics")
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith(name)
    }


def test_batch_sizes_compiled_and_split():
    assert ServeConfig(max_batch=12).batch_sizes() == [1, 2, 4, 8, 12]
    assert split_batch(11, [1, 2, 4, 8]) == [8, 2, 1]
    assert split_batch(24, [1, 2, 4, 8, 12]) == [12, 12]


def test_health_and_metadata_endpoints(server):
    assert server.get("/v2/health/live") == (200, {"live": True})
    assert server.get("/v2/health/ready") == (200, {"ready": True})
    status, meta = server.get("/v2")
    assert status == 200 and meta["name"] == "tilewise" and meta["version"] == tilewise.__version__
    status, model = server.get("/v2/models/tiny")
    assert status == 200
    assert model["inputs"] == [{"name": "data", "datatype": "FP32", "shape": [-1, *SHAPE]}]
    assert model["outputs"] == [{"name": "softmax", "datatype": "FP32", "shape": [-1, 1000]}]
    assert server.get("/v2/models/tiny/versions/1") == (200, model)
    assert server.get("/v2/models/tiny/ready") == (200, {"name": "tiny", "ready": True})
    assert server.get("/v2/models/resnet") == (
        404,
        {"error": "unknown model 'resnet'; serving: tiny"},
    )
    assert server.get("/v2/models/tiny/versions/2/ready") == (
        404,
        {"error": "model 'tiny' has no version '2' (only '1')"},
    )


@pytest.mark.parametrize("binary", [True, False])
def test_triton_client_gets_exact_answers(server, plans, binary, rng):
    client = http.InferenceServerClient(f"127.0.0.1:{server.port}")
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("tiny")
    assert client.get_model_metadata("tiny")["inputs"][0]["shape"] == [-1, *SHAPE]
    for count in (1, 3, 11):  # 11 > max batch: split over two batches
        x = uniform(rng, (count, *SHAPE), -3, 3)
        tensor = http.InferInput("data", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=binary)
        wanted = http.InferRequestedOutput("softmax", binary_data=binary)
        result = client.infer("tiny", [tensor], outputs=[wanted], request_id=f"r{count}")
        assert result.get_response()["id"] == f"r{count}"
        got = result.as_numpy("softmax")
        expected = _expected(plans, x[:8]) if count == 11 else _expected(plans, x)
        if count == 11:
            expected = np.concatenate([expected, _expected(plans, x[8:])])
        np.testing.assert_array_equal(got, expected)


def test_plain_json_without_outputs(server, plans, rng):
    x = uniform(rng, (2, *SHAPE))
    # nested lists, as the protocol allows
    payload = {
        "inputs": [{"name": "data", "shape": [2, *SHAPE], "datatype": "FP32", "data": x.tolist()}]
    }
    status, answer = server.post_json("/v2/models/tiny/infer", payload)
    assert status == 200 and answer["model_name"] == "tiny"
    (output,) = answer["outputs"]
    assert output["name"] == "softmax" and output["shape"] == [2, 1000]
    got = np.array(output["data"], np.float32).reshape(2, 1000)
    np.testing.assert_array_equal(got, _expected(plans, x))


def test_64_concurrent_single_images_are_batched_and_routed(server, plans, rng):
    images = uniform(rng, (64, *SHAPE), -3, 3)
    alone = np.concatenate([plans[1](images[i : i + 1]) for i in range(64)])
    before = _metric(server, "tilewise_batch_size")

    def send(i: int) -> np.ndarray:
        client = http.InferenceServerClient(f"127.0.0.1:{server.port}")
        tensor = http.InferInput("data", [1, *SHAPE], "FP32")
        tensor.set_data_from_numpy(images[i : i + 1])
        return client.infer("tiny", [tensor]).as_numpy("softmax")

    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(send, range(64)))
    for i, answer in enumerate(answers):
        # batch plans may order sums differently: equal to 1e-6, and far from any other image
        assert np.abs(answer[0] - alone[i]).max() <= 1e-6 * np.abs(alone[i]).max()
        others = np.abs(alone - answer[0]).max(axis=1)
        assert np.argmin(others) == i
    after = _metric(server, "tilewise_batch_size")
    batches = (
        after['tilewise_batch_size_count{model="tiny"}']
        - before['tilewise_batch_size_count{model="tiny"}']
    )
    singles = (
        after['tilewise_batch_size_bucket{le="1.0",model="tiny"}']
        - before['tilewise_batch_size_bucket{le="1.0",model="tiny"}']
    )
    assert batches < 64 and singles < batches, (batches, singles)  # some batches of 2+


def test_metrics_and_access_log(server, rng):
    x = uniform(rng, (1, *SHAPE))
    payload = _json_body(x)
    before = _metric(server, "tilewise_requests_total")['tilewise_requests_total{model="tiny"}']
    assert server.post_json("/v2/models/tiny/infer", payload)[0] == 200
    metrics = _metric(server, "tilewise_")
    assert metrics['tilewise_requests_total{model="tiny"}'] == before + 1
    for name in ("queue_seconds", "compute_seconds", "batch_size"):
        assert metrics[f'tilewise_{name}_count{{model="tiny"}}'] >= 1
    assert 'tilewise_queue_depth{model="tiny"}' in metrics
    time.sleep(0.2)
    log = [line for line in server.lines if "POST /v2/models/tiny/infer 200" in line]
    assert re.search(r"images=1 batch=\d+ queue=[\d.]+ms compute=[\d.]+ms total=", log[-1])


def _bad_requests(x):
    good = {"name": "data", "shape": [1, *SHAPE], "datatype": "FP32", "data": x.ravel().tolist()}
    return [
        (
            b"{not json",
            400,
            "request body is not valid JSON: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1)",
        ),
        (
            {"inputs": [{**good, "shape": [1, 3, 32, 31]}]},
            400,
            "input 'data': shape [1, 3, 32, 31] does not match the model's [-1, 3, 32, 32]",
        ),
        (
            {"inputs": [{**good, "datatype": "INT64"}]},
            400,
            "input 'data': datatype 'INT64' not supported; the model takes FP32",
        ),
        (
            {"inputs": [{**good, "data": good["data"][:-1]}]},
            400,
            "input 'data': 3071 values for shape [1, 3, 32, 32] (needs 3072)",
        ),
        (
            {"inputs": [{**good, "data": ["a"] * 3072}]},
            400,
            "input 'data': 'data' is not a (nested) list of numbers",
        ),
        (
            {"inputs": [{**good, "name": "image"}]},
            400,
            "model 'tiny' takes one input, 'data'; got ['image']",
        ),
        (
            {"inputs": [good], "outputs": [{"name": "logits"}]},
            400,
            "model 'tiny' has one output, 'softmax'; got 'logits'",
        ),
        ({"inputs": good}, 400, "request must be a JSON object with an 'inputs' list"),
    ]


def test_bad_requests_get_clear_errors_and_the_server_stays_up(server, plans, rng):
    x = uniform(rng, (1, *SHAPE))
    for payload, status, message in _bad_requests(x):
        assert server.post_json("/v2/models/tiny/infer", payload) == (status, {"error": message})
    assert server.post_json("/v2/models/resnet/infer", {"inputs": []}) == (
        404,
        {"error": "unknown model 'resnet'; serving: tiny"},
    )
    # binary data that does not match its declared size
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "data",
                    "shape": [1, *SHAPE],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": 3072 * 4},
                }
            ]
        }
    ).encode()
    status, body, _ = server.request(
        "POST",
        "/v2/models/tiny/infer",
        header + b"\0" * 100,
        {"Inference-Header-Content-Length": str(len(header))},
    )
    assert status == 400 and json.loads(body) == {
        "error": "input 'data': binary_data_size 12288 but only 100 bytes follow the JSON header"
    }
    # a client that goes away halfway through its body
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(
            b"POST /v2/models/tiny/infer HTTP/1.1\r\nHost: x\r\n"
            b'Content-Length: 100000\r\n\r\n{"inputs": ['
        )
    status, answer = server.post_json("/v2/models/tiny/infer", _json_body(x))
    assert status == 200
    np.testing.assert_array_equal(
        np.array(answer["outputs"][0]["data"], np.float32), plans[1](x).ravel()
    )
    assert server.get("/v2/health/ready")[0] == 200


def test_body_limit_and_full_queue_answer_at_once(rng):
    x = uniform(rng, (1, *SHAPE))
    payload = _json_body(x)
    # 0.05 MiB: one image as JSON (about 60 KB) is over it; the queue holds one request
    args = ["tiny", "--max-body-mb", "0.05", "--queue", "1", "--max-delay-ms", "1500"]
    with ServerProcess(*args) as server:
        status, body, _ = server.request("POST", "/v2/models/tiny/infer", payload)
        assert status == 413 and b"over the 52428-byte limit (--max-body-mb)" in body
        binary, headers = _binary_body(x)
        first = ThreadPoolExecutor(1).submit(
            server.request, "POST", "/v2/models/tiny/infer", binary, headers
        )
        time.sleep(0.5)  # the first waits 1.5 s for company in the queue
        started = time.monotonic()
        status, body, _ = server.request("POST", "/v2/models/tiny/infer", binary, headers)
        assert status == 503 and time.monotonic() - started < 1.0
        assert json.loads(body) == {
            "error": "model 'tiny': queue full (1 requests waiting); try again later"
        }
        assert first.result()[0] == 200
        assert server.get("/v2/health/ready")[0] == 200


def test_sigterm_answers_every_request_in_flight(rng):
    x = uniform(rng, (1, *SHAPE))
    payload = _json_body(x)
    server = ServerProcess("tiny", "--max-batch", "64", "--max-delay-ms", "1000")
    try:
        pool = ThreadPoolExecutor(8)
        answers = [
            pool.submit(server.request, "POST", "/v2/models/tiny/infer", payload) for _ in range(8)
        ]
        time.sleep(0.4)  # all eight are waiting in the queue
        assert server.terminate() == 0
        assert [a.result()[0] for a in answers] == [200] * 8
    finally:
        server.stop()


def _photo() -> bytes:
    """A real photograph (scikit-image's coffee cup), as JPEG bytes."""
    import io

    data = pytest.importorskip("skimage.data")
    pil = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    pil.fromarray(data.coffee()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _expected_top5(plans, photo: bytes) -> list[tuple]:
    """`tilewise predict`'s preprocessing and top 5, for the tiny network's 32x32 input."""
    import io

    from PIL import Image

    from tilewise.imagenet import CROP, RESIZE, preprocess, probabilities, top_k

    x = preprocess(Image.open(io.BytesIO(photo)), round(32 * RESIZE / CROP), 32)[None]
    return top_k(probabilities(plans[1](x))[0], 5)


def test_classify_an_image(server, plans):
    photo = _photo()
    status, body, _ = server.request("POST", "/v2/models/tiny/classify", photo)
    answer = json.loads(body)
    assert status == 200 and answer["model"] == "tiny"
    got = [(c["index"], c["name"], c["probability"]) for c in answer["top"]]
    expected = _expected_top5(plans, photo)
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert [g[2] for g in got] == pytest.approx([e[2] for e in expected], rel=1e-5)
    assert answer["server_ms"] >= answer["compute_ms"] > 0
    status, body, _ = server.request("POST", "/v2/models/tiny/classify", b"not an image")
    assert status == 400
    assert json.loads(body) == {
        "error": "12 bytes: not a readable image (unknown format, or not an image)"
    }


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_page_classifies_a_dropped_photo_in_a_real_browser(server, plans, tmp_path):
    """Debian's Chromium, driven by Playwright: pick a photo on the page, read the table."""
    import os

    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium (.ci/run does)")
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(_photo())
    expected = _expected_top5(plans, photo.read_bytes())
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            assert page.locator("#model option").all_inner_texts() == ["tiny"]
            page.set_input_files("#file", str(photo))
            page.wait_for_selector("#rows tr:nth-child(5)", timeout=30_000)
            names = page.locator("#rows td.name").all_inner_texts()
            shown = [float(t) for t in page.locator("#rows td.p").all_inner_texts()]
            timing = page.locator("#timing").inner_text()
        finally:
            browser.close()
    assert names == [f"{name} ({index})" for index, name, _ in expected]
    assert shown == pytest.approx([p for _, _, p in expected], abs=6e-5)
    assert re.fullmatch(
        r"server [\d.]+ ms \(queue [\d.]+ ms, compute [\d.]+ ms, batch of 1\)", timing
    )
