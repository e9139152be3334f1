"""ONNX file to tilewise graphs, one per batch size.

The file is read and checked once: every unsupported (op, node) is listed together
before any work. A graph is then built per batch size, with every shape concrete, so
the Shape/Gather/Slice/Concat chains of exports fold to constants at load time.
"""

from __future__ import annotations

import contextlib

from tilewise.errors import GraphError, InputError, TilewiseError, UnsupportedOpError
from tilewise.frontend.onnx_context import ImportContext
from tilewise.frontend.onnx_fold import SHAPE_ONLY, fold_node, fold_shape_op
from tilewise.frontend.onnx_nn import HANDLERS as NN_HANDLERS
from tilewise.frontend.onnx_resample import HANDLERS as RESAMPLE_HANDLERS
from tilewise.frontend.onnx_select import HANDLERS as SELECT_HANDLERS
from tilewise.frontend.onnx_tensor import HANDLERS as TENSOR_HANDLERS
from tilewise.ir.graph import Graph
from tilewise.limits import memory_limit

HANDLERS = {**NN_HANDLERS, **TENSOR_HANDLERS, **RESAMPLE_HANDLERS, **SELECT_HANDLERS}
MULTI_OUTPUT = ("Split", "TopK")  # ops whose every output is imported
FLOAT = 1  # onnx.TensorProto.FLOAT


def _attribute_problem(node, attrs: dict, used: set[str], consts: dict) -> str | None:
    """Attribute values tilewise cannot run, found without any shapes; `used` names every
    value something reads (an unread Dropout mask or MaxPool index output is fine)."""
    op = node.op_type
    if op == "Dropout" and len(node.input) > 2 and node.input[2]:  # opset 12+: an input
        training = consts.get(node.input[2])
        if training is None:
            return "training_mode from a graph input (inference runs Dropout as identity)"
        if bool(training):
            return "training_mode=True (inference runs Dropout as identity)"
    outputs = [node.output[0]] + [o for o in node.output[1:] if o in used]
    if op in ("Conv", "ConvTranspose", "MaxPool", "AveragePool"):
        rank = len(attrs.get("kernel_shape", attrs.get("strides", [0, 0])))
        if rank not in (1, 2):
            return f"{rank}-D {op} (1-D and 2-D are supported)"
    if op in ("MaxPool", "AveragePool") and set(attrs.get("dilations", [1])) != {1}:
        return f"dilations {attrs['dilations']}"
    mode = attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if op == "Pad" and mode not in ("constant", "edge", "reflect", "wrap"):
        return f"mode {mode!r} (constant, edge, reflect and wrap are supported)"
    if op == "Cast" and attrs.get("to") != FLOAT:
        return f"cast to type {attrs.get('to')} of a value (tilewise computes in float32)"
    if len(outputs) > 1 and op not in MULTI_OUTPUT:
        return f"output(s) {outputs[1:]} in use (only the first output is supported)"
    if op == "BatchNormalization" and attrs.get("training_mode", 0):
        return "training_mode=1"
    return None


@contextlib.contextmanager
def _malformed_is_an_error(model: OnnxModel):
    """The checks name what they know; a file wired some other way still gets an error
    naming it, never a traceback (found by fuzz/onnx_import.py)."""
    try:
        yield
    except TilewiseError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        raise TilewiseError(f"{model.path}: malformed model ({type(error).__name__}: "
                            f"{error})") from None  # fmt: skip


class OnnxModel:
    """A parsed ONNX file; `graph(batch_size)` builds the tilewise graph for one batch."""

    def __init__(self, source, input_shape: tuple[int, ...] | None = None) -> None:
        self.path = str(getattr(getattr(source, "graph", None), "name", "") or source)
        with _malformed_is_an_error(self):
            self._parse(source, input_shape)

    def _parse(self, source, input_shape: tuple[int, ...] | None) -> None:
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError:
            raise TilewiseError("loading ONNX needs the onnx package: pip install onnx") from None
        from onnx import TensorProto

        from tilewise.frontend import onnx_checks

        external_base = None
        if isinstance(source, onnx.ModelProto):
            model, self.path = source, source.graph.name or "model"
        else:
            self.path = external_base = str(source)
            model = self._read(onnx, self.path)
        body = model.graph
        if not body.node:
            raise TilewiseError(f"{self.path}: the model has no nodes (empty or truncated file)")
        onnx_checks.check_versions(model, self.path)
        onnx_checks.check_graph(body, self.path)
        limit = memory_limit()
        for tensor in body.initializer:
            onnx_checks.check_tensor(tensor, self.path, limit)
            if tensor.data_location == TensorProto.EXTERNAL:
                if external_base is None:
                    raise TilewiseError(f"{self.path}: initializer '{tensor.name}' has external "
                                        "data; load the model from its file")  # fmt: skip
                onnx_checks.read_external(tensor, external_base)
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          13)  # fmt: skip
        self.nodes = list(body.node)
        self.attrs = [
            {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in self.nodes
        ]
        self.consts = {t.name: numpy_helper.to_array(t) for t in body.initializer}
        self._check_supported({n for node in body.node for n in node.input}
                              | {o.name for o in body.output})  # fmt: skip
        inputs = [i for i in body.input if i.name not in self.consts]
        shadowed = [i.name for i in body.input if i.name in self.consts]
        if not inputs and shadowed:  # IR < 4 lists weights as inputs; here nothing is left
            raise TilewiseError(f"{self.path}: every graph input is also an initializer "
                                f"({', '.join(shadowed)}): nothing is left to feed")  # fmt: skip
        if not inputs:
            raise TilewiseError(f"{self.path}: the graph has no input")
        self.input_dims = {i.name: self._input_dims(i) for i in inputs}
        self.input_names = list(self.input_dims)
        self.input_name = self.input_names[0]
        dims = self.file_dims = self.input_dims[self.input_name]
        # without input_shape=, a shape the file leaves free is taken from the data
        self.reshapes = input_shape is None
        if input_shape:
            self.default_shape = tuple(input_shape)
        else:
            self.default_shape = None if None in dims[1:] else tuple(dims[1:])
        self.output_names = [o.name for o in body.output]
        # tilewise computes in float32; indices and flags are cast to the declared type
        self.output_dtypes = {
            o.name: onnx.helper.tensor_dtype_to_np_dtype(o.type.tensor_type.elem_type)
            for o in body.output
            if o.type.tensor_type.elem_type not in (FLOAT, 0)
        }

    def _input_dims(self, value) -> list[int | None]:
        """The file's dimensions of one float32 graph input (None where it leaves them free)."""
        tensor_type = value.type.tensor_type
        if tensor_type.elem_type != FLOAT:
            raise TilewiseError(f"{self.path}: input '{value.name}' has element type "
                                f"{tensor_type.elem_type}; tilewise takes float32 (1)")  # fmt: skip
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
        if not dims:
            raise TilewiseError(f"{self.path}: input '{value.name}' has no shape")
        return dims

    def extra_shapes(self) -> dict[str, tuple[int, ...]] | None:
        """Per-sample shapes of the inputs after the first, if the file fixes them all."""
        dims = {name: d[1:] for name, d in self.input_dims.items() if name != self.input_name}
        if any(None in d for d in dims.values()):
            return None
        return {name: tuple(d) for name, d in dims.items()}

    @staticmethod
    def _read(onnx, path: str):
        try:
            return onnx.load(path, load_external_data=False)  # read, checked, in onnx_checks
        except FileNotFoundError:
            raise TilewiseError(f"{path}: no such file") from None
        except Exception as error:  # protobuf DecodeError and others
            raise TilewiseError(
                f"{path}: not a readable ONNX model ({type(error).__name__})"
            ) from None

    def _check_supported(self, used: set[str]) -> None:
        known = set(self.consts)
        problems = []
        for node, attrs in zip(self.nodes, self.attrs, strict=True):
            inputs = [n for n in node.input if n]
            if node.op_type in SHAPE_ONLY or all(n in known for n in inputs):
                known.update(node.output)  # folds to a constant at load
                continue
            label = node.name or node.output[0]
            if node.op_type not in HANDLERS:
                problems.append((node.op_type, label))
            elif (problem := _attribute_problem(node, attrs, used, self.consts)) is not None:
                problems.append((f"{node.op_type} with {problem}", label))
        if problems:
            raise UnsupportedOpError(problems, source=self.path)

    def graph(self, batch_size: int) -> Graph:
        """The graph for `batch_size` at the default per-sample shape."""
        if self.default_shape is None:
            raise TilewiseError(f"{self.path}: input '{self.input_name}' has shape "
                                f"{self.file_dims}; give input_shape= for the dimensions after "
                                "the batch, or call the loaded model with data")  # fmt: skip
        return self.build(batch_size, self.default_shape)

    def build(self, batch_size: int, sample_shape: tuple[int, ...],
              extra_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:  # fmt: skip
        """The graph for one batch size and per-sample shape (`extra_shapes`: those of the
        inputs after the first), every shape known; constants folded. A shape the file
        fixes must be matched."""
        shapes = {self.input_name: tuple(sample_shape)}
        extra = extra_shapes if extra_shapes is not None else self.extra_shapes()
        if extra is None or set(extra) != set(self.input_names[1:]):
            raise InputError(f"{self.path}: the model has inputs {self.input_names}; give "
                             "every one's shape (run it with a feed for each)")  # fmt: skip
        shapes.update({name: tuple(shape) for name, shape in extra.items()})
        for name, shape in shapes.items():
            fixed = self.input_dims[name][1:]
            fits = len(fixed) == len(shape) and all(
                f is None or f == s for f, s in zip(fixed, shape, strict=True)
            )
            if not fits and (self.reshapes or name != self.input_name):
                raise InputError(
                    f"{self.path}: input '{name}' has shape "
                    f"{self.input_dims[name]}; got per-sample shape {shape}"
                )
        with _malformed_is_an_error(self):
            return self._graph(batch_size, shapes)

    def _graph(self, batch_size: int, shapes: dict[str, tuple[int, ...]]) -> Graph:
        fixed = {d[0] for d in self.input_dims.values()} - {None}
        if not fixed or fixed == {batch_size}:
            return self._build(batch_size, shapes)
        try:
            return self._build(batch_size, shapes)
        except TilewiseError as error:
            raise InputError(f"{self.path} fixes the batch at {min(fixed)}; batch {batch_size} "
                             f"does not fit: {error}") from None  # fmt: skip

    @staticmethod
    def _handle(ctx: ImportContext, node, attrs: dict) -> None:
        """The op's handler; a file wired in ways it does not expect (an attribute missing,
        an input list too short) still gets an error naming the file and node."""
        try:
            HANDLERS[node.op_type](ctx, node, attrs)
        except TilewiseError:
            raise
        except KeyError as error:
            raise ctx.fail(f"required attribute or input {error} is missing") from None
        except (IndexError, TypeError, ValueError, ZeroDivisionError) as error:
            raise ctx.fail(f"attributes or inputs do not fit {node.op_type} "
                           f"({type(error).__name__}: {error})") from None  # fmt: skip

    def _build(self, batch_size: int, shapes: dict[str, tuple[int, ...]]) -> Graph:
        graph = Graph(self.path.rsplit("/", 1)[-1], self.input_name, shapes[self.input_name])
        graph.extra_inputs = {n: s for n, s in shapes.items() if n != self.input_name}
        ctx = ImportContext(graph, dict(self.consts), batch_size, self.opset, self.path)
        for node, attrs in zip(self.nodes, self.attrs, strict=True):
            ctx.onnx_node = node
            inputs = [n for n in node.input if n]
            missing = [n for n in inputs if n not in ctx.consts and n not in ctx.shapes]
            if missing:
                raise ctx.fail(f"input(s) {missing} are not produced before this node")
            if node.op_type in SHAPE_ONLY:
                ctx.consts[node.output[0]] = fold_shape_op(node, attrs, ctx.shape(node.input[0]))
            elif all(n in ctx.consts for n in inputs):
                values = [ctx.consts[n] if n else None for n in node.input]
                try:
                    outputs = fold_node(node, values, self.opset)
                except Exception as error:  # the reference evaluator's own message
                    raise ctx.fail(f"constant folding failed: {error}") from None
                ctx.consts.update(zip(node.output, outputs, strict=False))
            else:
                self._handle(ctx, node, attrs)
        for name in self.output_names:
            if name not in ctx.shapes:
                raise GraphError("<graph>", "output", [], f"output '{name}' is a constant or "
                                 "never produced; nothing to run")  # fmt: skip
        graph.output_name, *graph.extra_outputs = self.output_names
        return graph


def onnx_to_graph(path, input_shape: tuple[int, ...] | None = None, batch_size: int = 1) -> Graph:
    """Read `path` (or an onnx.ModelProto) with the onnx package: the graph for one batch."""
    return OnnxModel(path, input_shape).graph(batch_size)
