"""Every op in one table, keyed by op name: its schema (ir/ops.py), its operator builder
(operators/builders.py) and its ONNX exporter, or the reason it has none
(frontend/onnx_export.py). The float64 reference of each op lives with the tests
(tests/reference.py, independent of this code); tests/test_op_table.py fails on any gap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tilewise.frontend.onnx_export import EXPORTERS, NOT_EXPORTABLE
from tilewise.ir.ops import SCHEMAS
from tilewise.ir.schema import OpSchema
from tilewise.operators.builders import BUILDERS


@dataclass(frozen=True)
class OpEntry:
    name: str
    schema: OpSchema
    build: Callable | None
    export: Callable | None
    not_exportable: str | None  # why `export` is None


def op_table() -> dict[str, OpEntry]:
    return {
        name: OpEntry(
            name, schema, BUILDERS.get(name), EXPORTERS.get(name), NOT_EXPORTABLE.get(name)
        )  # fmt: skip
        for name, schema in SCHEMAS.items()
    }
