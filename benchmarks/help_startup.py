"""`foundry-litellm --help` start-up against `python -c "import typer, rich"` (median of several runs)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def median_seconds(args: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    baseline = median_seconds([sys.executable, "-c", "import typer, rich"])
    ours = median_seconds([sys.executable, "-m", "foundry_litellm", "--help"])
    print(f"--help {ours * 1000:.0f} ms, import typer+rich {baseline * 1000:.0f} ms, ratio {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
