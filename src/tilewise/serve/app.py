"""The HTTP application (Starlette): the v2 endpoints, /metrics, and a page for people."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files

import numpy as np
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tilewise.errors import TilewiseError
from tilewise.runtime.threads import set_threads
from tilewise.serve.batcher import Batcher, Overloaded, Timing
from tilewise.serve.config import ServeConfig
from tilewise.serve.metrics import Metrics
from tilewise.serve.models import ServedModel
from tilewise.serve.protocol import ProtocolError, encode_infer, parse_infer
from tilewise.version import __version__

log = logging.getLogger("tilewise.serve")
access = logging.getLogger("tilewise.serve.access")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Server:
    """State shared by the routes: the models, their batchers, one compute thread."""

    def __init__(self, models: list[ServedModel], config: ServeConfig) -> None:
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise TilewiseError(f"two models share a name: {names}; name them with NAME=PATH")
        self.models = {m.name: m for m in models}
        self.config = config
        self.metrics = Metrics(config.max_batch)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="tilewise-compute")
        self.batchers: dict[str, Batcher] = {}
        self.warming: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return all(m.ready for m in self.models.values())

    async def start(self) -> None:
        for name, served in self.models.items():
            self.batchers[name] = Batcher(served, self.config, self.executor, self.metrics)
            self.batchers[name].start()
        self.warming = asyncio.create_task(self._warm())

    async def _warm(self) -> None:
        loop = asyncio.get_running_loop()
        sizes = self.config.batch_sizes()
        await loop.run_in_executor(self.executor, set_threads, self.config.threads)
        for served in self.models.values():
            await loop.run_in_executor(self.executor, served.warm, sizes)
        log.info("ready: %s, batch sizes %s", ", ".join(self.models), sizes)

    async def stop(self) -> None:
        if self.warming:
            self.warming.cancel()
        for batcher in self.batchers.values():
            await batcher.stop()
        self.executor.shutdown(wait=True)

    def model(self, request: Request) -> ServedModel:
        name = request.path_params["name"]
        if name not in self.models:
            raise ProtocolError(404, f"unknown model '{name}'; serving: {', '.join(self.models)}")
        version = request.path_params.get("version")
        if version not in (None, "1"):
            raise ProtocolError(404, f"model '{name}' has no version '{version}' (only '1')")
        return self.models[name]

    async def body(self, request: Request) -> bytes:
        """The request body, refused past the limit without reading it all."""
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ProtocolError(
                413,
                f"request body of {declared} bytes is over the {limit}-byte limit (--max-body-mb)",
            )
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ProtocolError(
                    413, f"request body over the {limit}-byte limit (--max-body-mb)"
                )
            chunks.append(chunk)
        body = b"".join(chunks)
        encoding = request.headers.get("content-encoding", "identity").lower()
        if encoding in ("gzip", "deflate"):
            body = self._inflate(body, encoding, limit)
        elif encoding != "identity":
            raise ProtocolError(400, f"Content-Encoding '{encoding}' not supported (gzip, deflate)")
        return body

    @staticmethod
    def _inflate(body: bytes, encoding: str, limit: int) -> bytes:
        inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error as error:
            raise ProtocolError(400, f"body is not valid {encoding}: {error}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ProtocolError(413, f"decompressed body over the {limit}-byte limit")
        return out

    async def compute(self, served: ServedModel, images: np.ndarray) -> tuple[np.ndarray, Timing]:
        if not served.ready:
            raise ProtocolError(503, f"model '{served.name}' is not ready yet (compiling)")
        self.metrics.requests.labels(served.name).inc()
        try:
            return await self.batchers[served.name].infer(images)
        except Overloaded as error:
            raise ProtocolError(503, str(error)) from None
        except TilewiseError as error:
            raise ProtocolError(500, f"model '{served.name}' failed: {error}") from None


def _log(
    request: Request, status: int, started: float, images: int = 0, timing: Timing | None = None
) -> None:
    total = (time.perf_counter() - started) * 1000
    detail = ""
    if timing:
        detail = (
            f" images={images} batch={timing.batch} queue={timing.queue_seconds * 1000:.1f}ms"
            f" compute={timing.compute_seconds * 1000:.1f}ms"
        )
    access.info("%s %s %d%s total=%.1fms", request.method, request.url.path, status, detail, total)


def create_app(models: list[ServedModel], config: ServeConfig | None = None) -> Starlette:
    server = Server(models, config or ServeConfig())

    def failed(request: Request, error: ProtocolError, started: float) -> JSONResponse:
        name = request.path_params.get("name", "")
        if name in server.models:
            server.metrics.failures.labels(name, str(error.status)).inc()
        _log(request, error.status, started)
        return _error(error.status, error.message)

    async def live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def ready(request: Request) -> Response:
        if server.ready:
            return JSONResponse({"ready": True})
        return _error(503, "models are still compiling")

    async def metadata(request: Request) -> Response:
        return JSONResponse(
            {"name": "tilewise", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    async def model_metadata(request: Request) -> Response:
        try:
            return JSONResponse(server.model(request).metadata())
        except ProtocolError as error:
            return _error(error.status, error.message)

    async def model_ready(request: Request) -> Response:
        try:
            served = server.model(request)
        except ProtocolError as error:
            return _error(error.status, error.message)
        if served.ready:
            return JSONResponse({"name": served.name, "ready": True})
        return _error(503, f"model '{served.name}' is not ready yet (compiling)")

    async def infer(request: Request) -> Response:
        started = time.perf_counter()
        try:
            served = server.model(request)
            body = await server.body(request)
            parsed = parse_infer(
                body, request.headers.get("inference-header-content-length"), served
            )
            outputs, timing = await server.compute(served, parsed.images)
            content, headers = encode_infer(served, parsed, outputs)
        except ProtocolError as error:
            return failed(request, error, started)
        except ClientDisconnect:
            _log(request, 499, started)
            return Response(status_code=499)
        _log(request, 200, started, len(parsed.images), timing)
        return Response(content, headers=headers)

    async def classify(request: Request) -> Response:
        started = time.perf_counter()
        try:
            served = server.model(request)
            if not served.is_image_classifier:
                raise ProtocolError(
                    400,
                    f"model '{served.name}' is not an image classifier "
                    f"(input {list(served.input_shape)})",
                )
            image = _preprocess(await server.body(request), served)
            outputs, timing = await server.compute(served, image[None])
        except ProtocolError as error:
            return failed(request, error, started)
        except ClientDisconnect:
            _log(request, 499, started)
            return Response(status_code=499)
        from tilewise.imagenet import class_names, probabilities, top_k

        names = class_names() if served.output_shape == (1000,) else []
        top = top_k(probabilities(outputs)[0], 5, names)
        _log(request, 200, started, 1, timing)
        return JSONResponse(
            {
                "model": served.name,
                "top": [{"index": i, "name": n, "probability": p} for i, n, p in top],
                "queue_ms": timing.queue_seconds * 1000,
                "compute_ms": timing.compute_seconds * 1000,
                "batch": timing.batch,
                "server_ms": (time.perf_counter() - started) * 1000,
            }
        )

    async def metrics(request: Request) -> Response:
        return Response(
            generate_latest(server.metrics.registry), headers={"content-type": CONTENT_TYPE_LATEST}
        )

    async def page(request: Request) -> Response:
        html = files("tilewise.serve").joinpath("page.html").read_text(encoding="utf-8")
        classifiers = [n for n, m in server.models.items() if m.ready and m.is_image_classifier]
        options = "".join(f'<option value="{n}">{n}</option>' for n in classifiers)
        return HTMLResponse(html.replace("<!--MODELS-->", options))

    model_paths = ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"]
    routes = [
        Route("/", page),
        Route("/metrics", metrics),
        Route("/v2", metadata),
        Route("/v2/health/live", live),
        Route("/v2/health/ready", ready),
        Route("/v2/models/{name}/classify", classify, methods=["POST"]),
    ]
    for path in model_paths:
        routes += [
            Route(path, model_metadata),
            Route(path + "/ready", model_ready),
            Route(path + "/infer", infer, methods=["POST"]),
        ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await server.start()
        yield
        await server.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = server
    return app


def _preprocess(body: bytes, served: ServedModel) -> np.ndarray:
    """Image bytes as `tilewise predict` prepares them, cropped to the model's input."""
    from tilewise.imagenet import CROP, RESIZE, preprocess

    crop = served.input_shape[1]
    if served.input_shape[2] != crop:
        raise ProtocolError(
            400,
            f"model '{served.name}' input {list(served.input_shape)} is "
            "not square; send tensors to /infer",
        )
    try:
        return preprocess(io.BytesIO(body), round(crop * RESIZE / CROP), crop)
    except TilewiseError as error:
        status = 413 if "image refused" in str(error) else 400
        raise ProtocolError(status, f"{len(body)} bytes: {str(error).split(': ', 1)[1]}") from None
