import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

# MXNet 1.9.1's own layer tables for the six networks (ops, attributes, output shapes,
# parameter shapes and counts), as MXNet printed them; the zoo must match them exactly.
REFERENCE_DIR = Path(__file__).parent / "data" / "networks"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
