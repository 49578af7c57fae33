"""``python -m foundry_litellm`` is the same program as ``foundry-litellm``: both enter through ``run``."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from foundry_litellm.cli import main


def run() -> None:
    """``main``, then leave without the interpreter's teardown: with the Azure SDKs loaded, freeing every module's
    objects took 0.3-0.5 s after the work was done (a no-op deploy's whole run is about 2 s). What the teardown
    would do that matters is done here: the log files closed, the output flushed. No thread of ours outlives
    ``main``: the runner's and the commands' pools are shut down, the session's lease and emulator stopped."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said anyway
            stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """What ``sys.exit(code)`` would leave with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    run()
