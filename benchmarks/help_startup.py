"""`foundry-litellm --help` start-up against `python -c "import typer, rich"` (median of several runs)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import bytecode_env

RUNS = 11


def median_seconds(args: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    env = bytecode_env()
    baseline = median_seconds([sys.executable, "-c", "import typer, rich"], env)
    ours = median_seconds([sys.executable, "-m", "foundry_litellm", "--help"], env)
    print(f"--help {ours * 1000:.0f} ms, import typer+rich {baseline * 1000:.0f} ms, ratio {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
