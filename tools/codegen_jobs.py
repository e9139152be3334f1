"""Shared prologue of the generated transform kernels: one prange job per (channel or
filter, block of tiles), each with the two work areas of its thread."""

from __future__ import annotations


def job_prologue(array: str, count: str, index: str, first: str, second: str) -> list[str]:
    """Split `array`'s axis 1 (`count` of them, job variable `index`) and its tiles into jobs."""
    return [
        f"    {count} = {array}.shape[1]",
        "    block = work.shape[3]",
        f"    total = {array}.shape[0] * tiles_h * tiles_w",
        "    n_blocks = (total + block - 1) // block",
        f"    for job in prange({count} * n_blocks):",
        f"        {index} = job // n_blocks",
        f"        t0 = (job - {index} * n_blocks) * block",
        "        count = min(block, total - t0)",
        f"        {first} = work[numba.get_thread_id(), 0]",
        f"        {second} = work[numba.get_thread_id(), 1]",
    ]
