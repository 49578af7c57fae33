"""The tool's errors, their exit codes, and the one-line hints the CLI prints for them."""

from __future__ import annotations


class ToolError(Exception):
    """An error the CLI reports as one clear message (no traceback unless --debug)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(ToolError):
    """Bad input: exit 2 before anything is sent to Azure. Names the field at fault."""

    exit_code = 2

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class StateLocked(ToolError):
    exit_code = 3  # another run holds the state


class StateLockLost(ToolError):
    """The run no longer holds the state's lock (a lease expired or broken): it stops before its next state write,
    and nothing someone else wrote is overwritten."""


class Kept(ToolError):
    """Destroy leaves this resource in place, on purpose (not ours, or held by something kept)."""


class Forgotten(Kept):
    """The resource stays where it is (Azure offers no way to delete it alone), but the state lets it go."""


class Refused(ToolError):
    """The user did not confirm, or confirmation was impossible (no TTY and no --yes)."""

    exit_code = 2


EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CHANGES = 4
