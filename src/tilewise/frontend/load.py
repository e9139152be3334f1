"""tilewise.load: a model file (MXNet checkpoint, or ONNX) to a runnable model."""

from __future__ import annotations

import re
from pathlib import Path

from tilewise.errors import GraphError, TilewiseError
from tilewise.frontend.mxnet_params import read_ndarray_list, split_params
from tilewise.frontend.mxnet_symbol import read_symbol, symbol_to_graph
from tilewise.ir.graph import Graph
from tilewise.ir.verify import infer_shapes
from tilewise.runtime.loaded import LoadedModel

DEFAULT_INPUT_SHAPE = (3, 224, 224)


def _mxnet_files(path: str, epoch: int | None) -> tuple[Path, Path]:
    prefix = path[: -len("-symbol.json")] if path.endswith("-symbol.json") else path
    symbol = Path(f"{prefix}-symbol.json")
    if not symbol.exists():
        raise TilewiseError(f"{path}: no such model (looked for {symbol})")
    if epoch is not None:
        params = Path(f"{prefix}-{epoch:04d}.params")
        if not params.exists():
            raise TilewiseError(f"{symbol}: no parameters for epoch {epoch} ({params} is missing)")
        return symbol, params
    pattern = re.compile(re.escape(Path(prefix).name) + r"-(\d{4,})\.params$")
    found = sorted((int(m.group(1)), p) for p in symbol.parent.iterdir()
                   if (m := pattern.match(p.name)))  # fmt: skip
    if not found:
        raise TilewiseError(f"{symbol}: no {Path(prefix).name}-NNNN.params file beside it")
    return symbol, found[-1][1]


class MxnetCheckpoint:
    """A symbol and its parameters, read once; graphs built per per-sample shape. Without
    input_shape= the shape comes from the data (3x224x224 is only the default plan)."""

    def __init__(self, path: str, epoch: int | None, input_shape: tuple[int, ...] | None) -> None:
        self.symbol_path, params_path = _mxnet_files(path, epoch)
        arrays = read_ndarray_list(params_path)
        if not isinstance(arrays, dict):
            raise TilewiseError(f"{params_path}: the arrays have no names; not a checkpoint")
        self.symbol = read_symbol(self.symbol_path)
        self.params = split_params(arrays)
        self.reshapes = input_shape is None
        self.default_shape = tuple(input_shape or DEFAULT_INPUT_SHAPE)
        self._default = None
        self._default = self.build(1, self.default_shape)  # built once: passes copy it
        self.input_name, self.output_names = self._default.input_name, self._default.outputs
        self.input_names = [self.input_name]

    def build(self, batch_size: int, sample_shape: tuple[int, ...]) -> Graph:
        if self._default is not None and tuple(sample_shape) == self.default_shape:
            return self._default
        try:
            graph = symbol_to_graph(self.symbol, self.params, str(self.symbol_path),
                                    tuple(sample_shape))  # fmt: skip
            infer_shapes(graph, 1)
        except GraphError as error:
            raise error.located(str(self.symbol_path)) from None
        except TilewiseError:
            raise
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
            # the checks name what they know; a file wired some other way still gets an
            # error naming it, never a traceback
            raise TilewiseError(f"{self.symbol_path}: malformed symbol "
                                f"({type(error).__name__}: {error})") from None  # fmt: skip
        return graph


def load_graph(path: str, epoch: int | None = None, input_shape: tuple[int, ...] | None = None,
               batch_size: int = 1) -> Graph:  # fmt: skip
    """The graph of a model file, its shapes verified for the given per-sample input shape.
    An ONNX graph is built for `batch_size` (its shape arithmetic folds at load)."""
    path = str(path)
    if path.endswith(".onnx"):
        from tilewise.frontend.onnx_import import onnx_to_graph

        return onnx_to_graph(path, input_shape, batch_size)
    checkpoint = MxnetCheckpoint(path, epoch, input_shape)
    return checkpoint.build(batch_size, checkpoint.default_shape)


def load(path: str, epoch: int | None = None, input_shape: tuple[int, ...] | None = None,
         threads: int | None = None, algo: str = "auto",
         max_plans: int = 8) -> LoadedModel:  # fmt: skip
    """Load an ONNX file ('model.onnx') or an MXNet checkpoint ('prefix' or
    'prefix-symbol.json', with 'prefix-NNNN.params': the given `epoch`, else the latest).
    `input_shape` (per sample) fixes the shape; without it, dimensions the file leaves
    free (and an MXNet checkpoint's, 3x224x224 by default) follow the data: a plan per
    batch size and shape, the `max_plans` most recently used kept."""
    if str(path).endswith(".onnx"):
        from tilewise.frontend.onnx_import import OnnxModel

        source = OnnxModel(path, input_shape)
    else:
        source = MxnetCheckpoint(str(path), epoch, input_shape)
    return LoadedModel(source, threads=threads, algo=algo, max_plans=max_plans)


def load_named(source: str, input_shape: tuple[int, ...] | None = None, threads: int | None = None,
               algo: str = "auto") -> tuple[str, LoadedModel]:  # fmt: skip
    """A zoo network name, an ONNX file or an MXNet checkpoint prefix -> (its name: the
    network, or the file's stem; the loaded model)."""
    from tilewise import zoo

    if source in zoo.names():
        return source, LoadedModel(zoo.get(source), threads=threads, algo=algo)
    if not (Path(source).exists() or Path(f"{source}-symbol.json").exists()):
        raise TilewiseError(f"{source}: no such model file, MXNet checkpoint or zoo network "
                            f"(zoo: {', '.join(zoo.names())})")  # fmt: skip
    name = Path(source).name.removesuffix(".onnx").removesuffix("-symbol.json")
    return name, load(source, input_shape=input_shape, threads=threads, algo=algo)
