"""Regenerate every generated source file, formatted exactly as committed.

    python tools/generate.py           write them
    python tools/generate.py --check   exit 1 naming each committed file that differs

Each generator module has `TARGET` (its file, from the repository root) and `render()`
(the source); the output goes through `ruff format` with the project's settings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import gen_depthwise
import gen_fft
import gen_nchwc
import gen_nchwc_winograd
import gen_pool
import gen_winograd

ROOT = Path(__file__).resolve().parents[1]
GENERATORS = (gen_winograd, gen_fft, gen_nchwc, gen_depthwise, gen_pool, gen_nchwc_winograd)


def formatted(source: str, target: str) -> str:
    """`source` as `ruff format` writes it (the project's line length and style)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", target, "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"ruff format failed on {target}: {result.stderr.strip()}")
    return result.stdout


def rendered() -> dict[str, str]:
    """target path -> the text the generators write now."""
    return {g.TARGET: formatted(g.render(), g.TARGET) for g in GENERATORS}


def stale() -> list[str]:
    return [t for t, text in rendered().items() if (ROOT / t).read_text() != text]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    if args.check:
        differing = stale()
        for target in differing:
            print(f"{target} differs from what tools/generate.py writes; run it", file=sys.stderr)
        return 1 if differing else 0
    for target, text in rendered().items():
        (ROOT / target).write_text(text)
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
