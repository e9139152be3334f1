"""The peer: onnxruntime served the way a user would without tilewise, Ray Serve with
@serve.batch, answering the same v2 binary infer request as `tilewise serve`.

    python benchmarks/serving/ray_peer.py MODEL.onnx --port 8100 --threads 2 \\
        --max-batch 16 --max-delay-ms 5

Serves POST /v2/models/peer/infer until SIGTERM; prints "ready" when it answers."""

from __future__ import annotations

import argparse
import json
import signal
import time

import numpy as np


def build_app(onnx_path: str, threads: int, max_batch: int, delay_s: float):
    from ray import serve
    from starlette.requests import Request
    from starlette.responses import Response

    @serve.deployment(ray_actor_options={"num_cpus": 1}, max_ongoing_requests=1024)
    class OnnxRuntimeModel:
        def __init__(self) -> None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(
                onnx_path, options, providers=["CPUExecutionProvider"]
            )
            self.input = self.session.get_inputs()[0].name
            self.output = self.session.get_outputs()[0].name
            self.predict.set_max_batch_size(max_batch)
            self.predict.set_batch_wait_timeout_s(delay_s)

        @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.005)
        async def predict(self, images: list[np.ndarray]) -> list[np.ndarray]:
            outputs = self.session.run(None, {self.input: np.concatenate(images)})[0]
            return [outputs[i : i + 1] for i in range(len(images))]

        async def __call__(self, request: Request) -> Response:
            body = await request.body()
            length = int(request.headers["inference-header-content-length"])
            header = json.loads(body[:length])
            x = np.frombuffer(body[length:], np.float32).reshape(header["inputs"][0]["shape"])
            y = await self.predict(x)
            raw = y.astype("<f4").tobytes()
            out = {
                "model_name": "peer",
                "outputs": [
                    {
                        "name": self.output,
                        "datatype": "FP32",
                        "shape": list(y.shape),
                        "parameters": {"binary_data_size": len(raw)},
                    }
                ],
            }
            text = json.dumps(out).encode()
            return Response(text + raw, headers={"Inference-Header-Content-Length": str(len(text))})

    return OnnxRuntimeModel.bind()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("onnx")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--max-delay-ms", type=float, default=5.0)
    args = parser.parse_args()

    import ray
    from ray import serve

    ray.init(num_cpus=args.threads, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": args.port})
    app = build_app(args.onnx, args.threads, args.max_batch, args.max_delay_ms / 1000)
    serve.run(app, name="peer", route_prefix="/v2/models/peer/infer")
    print("ready", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.2)
    serve.shutdown()
    ray.shutdown()


if __name__ == "__main__":
    main()
