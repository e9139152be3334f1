"""Run any number of images on a few compiled batch sizes: powers of two up to a largest
size (and that size), a batch of another size as a sum of them, never padded."""

from __future__ import annotations


def plan_sizes(max_batch: int) -> list[int]:
    sizes = {max_batch}
    size = 1
    while size < max_batch:
        sizes.add(size)
        size *= 2
    return sorted(sizes)


def split_batch(count: int, sizes: list[int]) -> list[int]:
    """Greedy: the largest compiled sizes first (sizes always hold 1). 11 -> 8 + 2 + 1."""
    parts = []
    for size in sorted(sizes, reverse=True):
        while count >= size:
            parts.append(size)
            count -= size
    return parts
