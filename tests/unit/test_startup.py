"""`foundry-litellm --help` imports no Azure SDK module (SDK imports are lazy)."""

from __future__ import annotations

import subprocess
import sys


def test_help_imports_no_azure_module() -> None:
    code = ("import sys\nfrom foundry_litellm.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_run_imports_rich_and_yaml_only_where_it_draws_and_renders() -> None:
    """Before its first request a run without a terminal needs neither: rich draws the live display and the
    results, yaml renders LiteLLM's config (each about 10-20 ms of start-up)."""
    code = ("import sys\nimport foundry_litellm.cli, foundry_litellm.commands, foundry_litellm.engine, steps\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'yaml')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
