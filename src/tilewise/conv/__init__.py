"""The convolution family: one module per algorithm (rule, cost, accuracy limit, packing,
run) and one registry listing them (conv/registry.py)."""
