"""MXNet symbol JSON (`prefix-symbol.json`) to a tilewise graph, without MXNet.

Both layouts are read: MXNet >= 0.9 ("attrs"; inputs [node, index, version]) and the older
one ("param" for op parameters, "attr" for user attributes; inputs [node, index]).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tilewise.errors import TilewiseError, UnsupportedOpError
from tilewise.ir.graph import Graph, Node

# MXNet op names and aliases -> tilewise ops (which use MXNet's canonical names)
OPS = {
    **{op: op for op in ("Convolution", "FullyConnected", "Pooling", "Activation", "LeakyReLU",
                         "BatchNorm", "LRN", "Concat", "Flatten", "Dropout", "SoftmaxOutput",
                         "softmax", "SoftmaxActivation", "Reshape", "clip", "broadcast_add",
                         "broadcast_mul", "elemwise_add", "_copy")},
    "_Plus": "elemwise_add",
    "_plus": "elemwise_add",
    "broadcast_plus": "broadcast_add",
    "identity": "_copy",
    "flatten": "Flatten",
    "concat": "Concat",
    "reshape": "Reshape",
    "Softmax": "SoftmaxOutput",
}  # fmt: skip
LABEL_INPUT_OPS = ("SoftmaxOutput",)  # their second input is a training label


def _attributes(node: dict, source: str) -> dict:
    parts = [node.get(key, {}) for key in ("attr", "param", "attrs")]
    if not all(isinstance(part, dict) for part in parts):
        raise TilewiseError(f"{source}: node '{node['name']}': attributes are not an object")
    raw = {k: v for part in parts for k, v in part.items()}
    # MXNet writes every attribute as a string; a number is read as its text
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()
            if not k.startswith("__")}  # fmt: skip


def symbol_to_graph(symbol: dict, params: dict[str, np.ndarray], source: str,
                    input_shape: tuple[int, ...]) -> Graph:  # fmt: skip
    """Build the graph; `params` are the checkpoint's arrays by bare name."""
    if not isinstance(symbol, dict):
        raise TilewiseError(f"{source}: not an MXNet symbol file (not a JSON object)")
    nodes = symbol.get("nodes")
    heads = symbol.get("heads")
    if not isinstance(nodes, list) or not heads:
        raise TilewiseError(f"{source}: not an MXNet symbol file (no 'nodes' and 'heads')")
    _check_structure(nodes, heads, source)
    unsupported = [(n.get("op"), n.get("name")) for n in nodes
                   if n.get("op") != "null" and n.get("op") not in OPS]  # fmt: skip
    if unsupported:
        raise UnsupportedOpError(unsupported, source=source)
    names = [n["name"] for n in nodes]
    readers: dict[int, list[tuple[str, int]]] = {}
    for node in nodes:
        for position, ref in enumerate(node.get("inputs", [])):
            readers.setdefault(ref[0], []).append((node.get("op"), position))
    labels = {i for i, uses in readers.items() if nodes[i]["op"] == "null"
              and all(op in LABEL_INPUT_OPS and pos == 1 for op, pos in uses)}  # fmt: skip
    data = [i for i, n in enumerate(nodes) if n["op"] == "null" and n["name"] not in params
            and i not in labels]  # fmt: skip
    if len(data) != 1:
        found = ", ".join(names[i] for i in data) or "none"
        raise TilewiseError(f"{source}: expected one input without parameters, found: {found}")
    missing_params = [names[i] for i in readers if nodes[i]["op"] == "null"
                      and i not in labels and i != data[0] and names[i] not in params]  # fmt: skip
    if missing_params:
        raise TilewiseError(f"{source}: no values in the params file for {missing_params}")
    graph = Graph(Path(source).name.replace("-symbol.json", ""), names[data[0]],
                  tuple(input_shape))  # fmt: skip
    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = []
        for position, ref in enumerate(node.get("inputs", [])):
            if position == 1 and OPS[node["op"]] in LABEL_INPUT_OPS:
                continue
            if len(ref) > 1 and ref[1] != 0:
                raise TilewiseError(
                    f"{source}: node '{node['name']}' ({node['op']}) reads output {ref[1]} of "
                    f"'{names[ref[0]]}'; only first outputs are supported at inference"
                )
            inputs.append(names[ref[0]])
        graph.nodes.append(Node(node["name"], OPS[node["op"]], inputs, _attributes(node, source)))
    used = {i for n in graph.nodes for i in n.inputs}
    graph.constants = {k: np.asarray(v, np.float32) for k, v in params.items() if k in used}
    graph.output_name = names[heads[0][0]]
    return graph


def _reference(ref, source: str, where: str, count: int) -> int:
    if not (isinstance(ref, list) and ref and isinstance(ref[0], int)
            and not isinstance(ref[0], bool)):  # fmt: skip
        raise TilewiseError(f"{source}: {where}: input reference {ref!r} is not [node, index]")
    if not 0 <= ref[0] < count:
        raise TilewiseError(f"{source}: {where}: refers to node {ref[0]}; the file has "
                            f"nodes 0-{count - 1}")  # fmt: skip
    return ref[0]


def _check_structure(nodes: list, heads: list, source: str) -> None:
    """Every node a named op; every reference to an earlier node (the file lists nodes in
    order, so a reference to itself or a later node is a cycle); names unique."""
    seen: dict[str, int] = {}
    for index, node in enumerate(nodes):
        if not (isinstance(node, dict) and isinstance(node.get("op"), str)
                and isinstance(node.get("name"), str)):  # fmt: skip
            raise TilewiseError(f"{source}: node {index} is not an object with 'op' and 'name'")
        where = f"node '{node['name']}' ({node['op']})"
        if node["name"] in seen:
            raise TilewiseError(f"{source}: nodes {seen[node['name']]} and {index} are both "
                                f"named '{node['name']}'")  # fmt: skip
        seen[node["name"]] = index
        inputs = node.get("inputs", [])
        if not isinstance(inputs, list):
            raise TilewiseError(f"{source}: {where}: 'inputs' is not a list")
        for ref in inputs:
            target = _reference(ref, source, where, len(nodes))
            if target >= index:
                raise TilewiseError(f"{source}: {where} reads node {target} "
                                    f"'{nodes[target].get('name')}', which does not come "
                                    "before it (a cycle)")  # fmt: skip
    if not isinstance(heads, list):
        raise TilewiseError(f"{source}: 'heads' is not a list")
    for ref in heads:
        _reference(ref, source, "heads", len(nodes))


def read_symbol(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except OSError as error:
        raise TilewiseError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError as error:
        raise TilewiseError(f"{path}: not valid JSON: {error}") from None
