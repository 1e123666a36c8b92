"""A stand-in for the Lambda ``Invoke`` API that runs a handler in this process, as Lambda would.

The handler is named as Lambda names it (``module.function``) and imported on the first call, so an
import error comes back the way Lambda reports it: ``FunctionError`` with ``Runtime.ImportModuleError``.
"""

from __future__ import annotations

import importlib
import io
import json
import traceback
from collections.abc import Callable
from typing import Any


class InProcessLambda:
    def __init__(self, handler: str | Callable[[Any, Any], Any]) -> None:
        self.handler = handler
        self.invocations: list[int] = []  # items per call

    def _resolve(self) -> Callable[[Any, Any], Any]:
        if callable(self.handler):
            return self.handler
        module_name, _, function = self.handler.rpartition(".")
        return getattr(importlib.import_module(module_name), function)

    def invoke(self, *, FunctionName: str, InvocationType: str = "RequestResponse", Payload: bytes = b"") -> dict:
        event = json.loads(Payload)
        self.invocations.append(len(event) if isinstance(event, list) else 1)
        try:
            handler = self._resolve()
        except Exception as exc:  # what Lambda's runtime answers for a module that cannot load
            return self._error("Runtime.ImportModuleError", f"Unable to import module '{self.handler}': {exc}")
        try:
            answer = handler(event, None)
        except Exception as exc:
            return self._error(type(exc).__name__, str(exc), traceback.format_exc().splitlines())
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}

    @staticmethod
    def _error(kind: str, message: str, trace: list[str] | None = None) -> dict:
        body = {"errorMessage": message, "errorType": kind, "stackTrace": trace or []}
        return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(body).encode())}
