"""Shape inference over a whole graph; rejects illegal attributes and shapes by node."""

from __future__ import annotations

from tilewise.errors import GraphError, UnsupportedOpError
from tilewise.ir.attrs import AttrProblem, resolve
from tilewise.ir.graph import Graph, Node
from tilewise.ir.ops import SCHEMAS


def check_supported(graph: Graph) -> None:
    """List every op tilewise cannot run, all at once."""
    missing = [(n.op, n.name) for n in graph.nodes if n.op not in SCHEMAS]
    if missing:
        raise UnsupportedOpError(missing, source=f"graph '{graph.name}'")


def split_inputs(node: Node, attrs: dict) -> tuple[list[str], list[str]]:
    """(data inputs, parameter constants) of a node, by its schema."""
    schema = SCHEMAS[node.op]
    roles = schema.params(attrs)
    count = len(node.inputs) - len(roles) if schema.data_inputs == -1 else schema.data_inputs
    return node.inputs[:count], node.inputs[count : count + len(roles)]


def infer_shapes(graph: Graph, batch_size: int = 1) -> dict[str, tuple[int, ...]]:
    """Shape of every value at `batch_size`."""
    check_supported(graph)
    shapes = {name: (batch_size, *shape) for name, shape in graph.inputs.items()}
    for node in graph.nodes:
        schema = SCHEMAS[node.op]
        known = [shapes[name] for name in node.inputs if name in shapes]
        try:
            attrs = resolve(schema.attrs, node.attrs)
            data, params = split_inputs(node, attrs)
            missing = [n for n in data if n not in shapes and n not in graph.constants]
            if missing:
                raise AttrProblem(f"input value(s) {missing} are not produced before this node")
            data_shapes = [
                shapes[n] if n in shapes else tuple(graph.constants[n].shape) for n in data
            ]
            roles = schema.params(attrs)
            if len(params) != len(roles):
                raise AttrProblem(f"expects parameters {roles}, got {params}")
            if not data_shapes:
                raise AttrProblem("has no data input")
            try:
                out_shape = schema.infer(attrs, data_shapes)
            except (IndexError, KeyError, TypeError, ValueError, ZeroDivisionError) as error:
                # a file's graph can be wired in ways no schema anticipates: still its error
                raise AttrProblem(f"inputs do not fit {node.op} ({type(error).__name__}: "
                                  f"{error})") from None  # fmt: skip
            expected = schema.param_shapes(attrs, data_shapes[0]) if data_shapes else {}
            for role, name in zip(roles, params, strict=True):
                if name not in graph.constants:
                    raise AttrProblem(f"parameter '{name}' ({role}) has no value")
                have = tuple(graph.constants[name].shape)
                if role in expected and have != tuple(expected[role]):
                    raise AttrProblem(
                        f"parameter '{name}' ({role}) has shape {have}, expected {expected[role]}"
                    )
        except AttrProblem as problem:
            raise GraphError(node.name, node.op, known, str(problem)) from None
        shapes[node.output] = tuple(int(d) for d in out_shape)
    for output in graph.outputs:
        if output not in shapes:
            raise GraphError("<graph>", "output", [], f"output '{output}' is never produced")
    return shapes
