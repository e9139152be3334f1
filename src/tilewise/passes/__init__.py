"""Graph rewrites, one per file, run in the order of `pipeline.DEFAULT_PASSES`."""
