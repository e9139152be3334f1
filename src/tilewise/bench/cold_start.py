"""Cold start measured in a fresh interpreter: import + compile + first batch.

The child process starts its clock before `import tilewise`; it prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time


def measure_cold_start(network: str, batch: int, threads: int, algo: str) -> dict:
    """Seconds for each phase, in a new process, so nothing is already imported or compiled."""
    command = [sys.executable, "-c", _CHILD, network, str(batch), str(threads), algo]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


_CHILD = (
    "import time; start = time.perf_counter(); import tilewise; "
    "from tilewise.bench.cold_start import child; child(start)"
)


def child(start: float) -> None:
    import numpy as np

    import tilewise

    network, batch, threads, algo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

    imported = time.perf_counter()
    graph = tilewise.zoo.get(network)
    built = time.perf_counter()
    model = tilewise.compile(graph, batch_size=batch, threads=threads, algo=algo)
    compiled = time.perf_counter()
    model(np.zeros(model.input_shape, np.float32))
    finished = time.perf_counter()
    print(json.dumps({
        "import_s": imported - start,
        "build_s": built - imported,
        "compile_s": compiled - built,
        "first_batch_s": finished - compiled,
        "total_s": finished - start,
    }))  # fmt: skip
