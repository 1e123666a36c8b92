"""What a botocore ``ClientError`` says: its error code and message, for the control Lambdas.

Standard library only and duck-typed (any exception with a botocore-shaped ``response``), so every
Lambda package can carry it: the bundler copies this package into each asset whose code imports it
(``stacks/support/local_bundling.py``, ``shared_packages``).
"""

from __future__ import annotations

from typing import NamedTuple

UNKNOWN_CODE = "Unknown"


class ClientErrorParts(NamedTuple):
    code: str
    message: str


def client_error(exc: BaseException, *, default_code: str = UNKNOWN_CODE) -> ClientErrorParts:
    """``(code, message)`` of a ``ClientError``; for another exception, ``default_code`` and its text."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("Code")
    message = error.get("Message")
    return ClientErrorParts(
        code=str(code) if code else default_code,
        message=str(message) if message else str(exc),
    )


def error_code(exc: BaseException, *, default_code: str = UNKNOWN_CODE) -> str:
    """The error code alone (``default_code`` when the exception carries none)."""
    return client_error(exc, default_code=default_code).code
