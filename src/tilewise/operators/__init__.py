"""Operators: created once (weights packed), then run on preallocated arrays only."""
