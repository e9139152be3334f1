"""How much memory one model may ask for: a guard against files that declare absurd sizes
(a 10^12-element tensor), checked before anything that large is allocated."""

from __future__ import annotations

import os

from tilewise.errors import TilewiseError

DEFAULT_MEMORY_LIMIT = 16 * 2**30  # bytes; TILEWISE_MEMORY_LIMIT overrides


def memory_limit() -> int:
    """The most bytes one tensor, or one compiled plan's buffers, may take."""
    text = os.environ.get("TILEWISE_MEMORY_LIMIT", "")
    try:
        return int(float(text)) if text else DEFAULT_MEMORY_LIMIT
    except ValueError:
        raise TilewiseError(f"TILEWISE_MEMORY_LIMIT='{text}' is not a number of bytes") from None
