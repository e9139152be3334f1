"""Planning: algorithm selection per layer and buffer assignment by liveness."""
