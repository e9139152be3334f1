"""The docs stay true: every convolution algorithm is documented, and every file the
architecture recipes name exists."""

import re
from pathlib import Path

from tilewise.conv.registry import ALGORITHMS

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROOT = DOCS.parent


def test_every_algorithm_has_a_row_in_docs_algorithms():
    rows = [line for line in (DOCS / "algorithms.md").read_text().splitlines()
            if line.startswith("| `")]  # fmt: skip
    documented = set()
    for row in rows:
        first_cell = row.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first_cell):
            documented.add(name)
            if "/" in name:  # winograd-f2/f4/f6
                stem, *rest = name.split("/")
                prefix = stem.rsplit("-", 1)[0]
                documented.update(f"{prefix}-{r}" for r in rest)
                documented.add(stem)
    assert set(ALGORITHMS) - documented == set()


def test_files_named_in_architecture_md_exist():
    text = (DOCS / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:src|tests|tools|benchmarks|docs)/[\w/.*]+)`", text))
    assert len(paths) >= 10
    missing = [p for p in sorted(paths) if not list(ROOT.glob(p))]
    assert missing == []


def test_every_package_is_in_the_architecture_walkthrough():
    text = (DOCS / "architecture.md").read_text()
    packages = [p.name for p in (ROOT / "src/tilewise").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()]  # fmt: skip
    assert [p for p in packages if f"`{p}/`" not in text] == []
