"""Errors the `rft` command reports as a one-line message and a non-zero exit, never a traceback."""


class CliError(Exception):
    """A problem with the user's input or environment; ``str()`` is the message to print."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
