"""Benchmarks: MXNet benchmark_score's measurement, machine description, tables."""
