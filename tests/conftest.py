import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Copied from shared/reference/networks: MXNet 1.9.1's own layer tables for the six networks.
REFERENCE_DIR = Path(__file__).parent / "data" / "networks"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
