"""Typed attribute specs: parse MXNet-style strings or Python values, fill defaults."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

REQUIRED = object()


class AttrProblem(Exception):
    """Raised inside shape inference; verify() adds the node context."""


@dataclass(frozen=True)
class Attr:
    kind: str  # "int", "float", "bool", "str", "tuple" (of ints), "floats", "optstr"
    default: Any = REQUIRED
    choices: tuple = ()


def _parse(name: str, spec: Attr, value: Any) -> Any:
    try:
        if spec.kind == "tuple":
            if isinstance(value, str):
                value = ast.literal_eval(value) if value.strip() not in ("", "()") else ()
            if isinstance(value, int):
                value = (value,)
            return tuple(int(v) for v in value)
        if spec.kind == "floats":
            if isinstance(value, str):
                value = ast.literal_eval(value) if value.strip() not in ("", "()") else ()
            return tuple(float(v) for v in value)
        if spec.kind == "bool":
            if isinstance(value, str):
                if value.lower() in ("true", "1"):
                    return True
                if value.lower() in ("false", "0"):
                    return False
                raise ValueError(value)
            return bool(value)
        if spec.kind == "int":
            return int(value)
        if spec.kind == "float":
            return float(value)
        if spec.kind == "optstr":
            return None if value in (None, "None", "none") else str(value)
        return str(value)
    except (ValueError, TypeError, SyntaxError):
        raise AttrProblem(f"attribute '{name}' = {value!r} is not a valid {spec.kind}") from None


def resolve(specs: dict[str, Attr], given: dict[str, Any]) -> dict[str, Any]:
    """Typed attributes with defaults filled; unknown names are kept as given (ignored)."""
    out = dict(given)
    for name, spec in specs.items():
        if name in given:
            value = _parse(name, spec, given[name])
            if spec.choices and value not in spec.choices:
                allowed = ", ".join(map(str, spec.choices))
                raise AttrProblem(f"attribute '{name}' = {value!r} is not one of: {allowed}")
            out[name] = value
        elif spec.default is REQUIRED:
            raise AttrProblem(f"required attribute '{name}' is missing")
        else:
            out[name] = spec.default
    return out
