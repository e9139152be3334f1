"""Graph representation, op schemas and shape inference."""

from tilewise.ir.graph import Graph, Node
from tilewise.ir.verify import infer_shapes

__all__ = ["Graph", "Node", "infer_shapes"]
