"""A loopback stand-in of Bedrock's OpenAI-compatible Files and fine-tuning API (``bedrock-mantle``).

It speaks the wire format the official ``openai`` client uses (``/v1/files``, ``/v1/fine_tuning/jobs``, ``.../cancel``,
``.../events``), so tests drive the real client against 127.0.0.1. It holds state in memory and lets a test move a
job to any status, add metrics events, or make the next call of one operation fail with a given status and message.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlparse


@dataclass
class _Failure:
    status: int
    message: str
    code: str = "invalid_request_error"


@dataclass
class StandinState:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    failures: dict[str, _Failure] = field(default_factory=dict)


class OpenAIFineTuningStandin:
    """Start with ``with OpenAIFineTuningStandin() as api:``; ``api.base_url`` goes to ``OpenAI(base_url=...)``."""

    def __init__(self) -> None:
        self.state = StandinState()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def do_GET(self) -> None:
                standin._dispatch(self, "GET")

            def do_POST(self) -> None:
                standin._dispatch(self, "POST")

            def do_DELETE(self) -> None:
                standin._dispatch(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def __enter__(self) -> OpenAIFineTuningStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -- test controls ---------------------------------------------------------------------------------------------
    def fail_next(self, operation: str, status: int, message: str, code: str = "invalid_request_error") -> None:
        """Make the next call of ``operation`` (e.g. ``jobs.create``) answer ``status`` with this message."""
        self.state.failures[operation] = _Failure(status, message, code)

    def set_status(
        self, job_id: str, status: str, *, fine_tuned_model: str | None = None, error: dict[str, Any] | None = None
    ) -> None:
        job = self.state.jobs[job_id]
        job["status"] = status
        if status in ("succeeded", "failed", "cancelled"):
            job["finished_at"] = int(time.time())
        if fine_tuned_model:
            job["fine_tuned_model"] = fine_tuned_model
        if error:
            job["error"] = error

    def add_metrics(self, job_id: str, step: int, **metrics: float) -> None:
        self._event(job_id, f"Step {step}", type_="metrics", data={"step": step, **metrics})

    def operations(self) -> list[str]:
        return [op for op, _ in self.state.calls]

    # -- internals -------------------------------------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def _event(self, job_id: str, message: str, *, type_: str = "message", data: Any = None) -> None:
        events = self.state.events.setdefault(job_id, [])
        events.append(
            {
                "object": "fine_tuning.job.event",
                "id": self._next_id("ftevent"),
                "created_at": int(time.time()),
                "level": "info",
                "message": message,
                "type": type_,
                "data": data,
            }
        )

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        parts = [p for p in url.path.split("/") if p][1:]  # drop "v1"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return self._send(handler, 401, {"error": {"message": "missing bearer token", "type": "auth"}})
        operation, status, payload = self._route(method, parts, query, body, handler.headers)
        with self._lock:
            self.state.tokens.append(auth[len("Bearer ") :])
            self.state.calls.append((operation, method))
        self._send(handler, status, payload)
        return None

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], body: bytes, headers: Any
    ) -> tuple[str, int, dict[str, Any]]:
        # The id segment sits after "files" or after "fine_tuning/jobs".
        id_at = 1 if parts[:1] == ["files"] else 2
        key = (method, tuple("{id}" if i == id_at else p for i, p in enumerate(parts)))
        routes = {
            ("POST", ("files",)): ("files.create", lambda: self._create_file(body, headers)),
            ("GET", ("files",)): ("files.list", lambda: self._list_files(query)),
            ("GET", ("files", "{id}")): ("files.retrieve", lambda: self._get(self.state.files, parts[1], "file")),
            ("DELETE", ("files", "{id}")): ("files.delete", lambda: self._delete_file(parts[1])),
            ("POST", ("fine_tuning", "jobs")): ("jobs.create", lambda: self._create_job(body)),
            ("GET", ("fine_tuning", "jobs")): (
                "jobs.list",
                lambda: self._page(list(self.state.jobs.values())[::-1], query),
            ),
            ("GET", ("fine_tuning", "jobs", "{id}")): (
                "jobs.retrieve",
                lambda: self._get(self.state.jobs, parts[2], "job"),
            ),
            ("POST", ("fine_tuning", "jobs", "{id}", "cancel")): ("jobs.cancel", lambda: self._cancel(parts[2])),
            ("GET", ("fine_tuning", "jobs", "{id}", "events")): (
                "jobs.list_events",
                lambda: self._events(parts[2], query),
            ),
        }
        if key not in routes:
            return "unknown", 404, {"error": {"message": f"no route {method} /{'/'.join(parts)}"}}
        operation, run = routes[key]
        failure = self.state.failures.pop(operation, None)
        if failure:
            return (
                operation,
                failure.status,
                {"error": {"message": failure.message, "type": failure.code, "code": failure.code, "param": None}},
            )
        status, payload = run()
        return operation, status, payload

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _not_found(kind: str, id_: str) -> tuple[int, dict[str, Any]]:
        return 404, {
            "error": {
                "message": f"No such {kind}: {id_}",
                "type": "invalid_request_error",
                "code": "not_found",
                "param": None,
            }
        }

    def _get(self, table: dict[str, dict[str, Any]], id_: str, kind: str) -> tuple[int, dict[str, Any]]:
        return (200, table[id_]) if id_ in table else self._not_found(kind, id_)

    def _create_file(self, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")  # a plain str for form-data parts
            fields[cast(str, name)] = (part.get_filename(), part.get_payload(decode=True))
        purpose = (fields.get("purpose") or (None, b""))[1].decode()
        if "file" not in fields or purpose != "fine-tune":
            return 400, {"error": {"message": f"purpose must be 'fine-tune', got {purpose!r}"}}
        filename, data = fields["file"]
        file_id = self._next_id("file")
        self.state.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        self.state.file_bytes[file_id] = data
        return 200, self.state.files[file_id]

    def _list_files(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        files = [f for f in self.state.files.values() if not query.get("purpose") or f["purpose"] == query["purpose"]]
        return 200, {"object": "list", "data": files[::-1], "has_more": False}

    def _delete_file(self, file_id: str) -> tuple[int, dict[str, Any]]:
        if file_id not in self.state.files:
            return self._not_found("file", file_id)
        del self.state.files[file_id]
        return 200, {"id": file_id, "object": "file", "deleted": True}

    def _create_job(self, body: bytes) -> tuple[int, dict[str, Any]]:
        request = json.loads(body or b"{}")
        method = request.get("method") or {}
        grader = (method.get("reinforcement") or {}).get("grader") or {}
        problems = []
        if not request.get("model"):
            problems.append("model is required")
        for key in ("training_file", "validation_file"):
            if request.get(key) and request[key] not in self.state.files:
                problems.append(f"{key} {request[key]} does not exist")
        if not request.get("training_file"):
            problems.append("training_file is required")
        if (
            method.get("type") != "reinforcement"
            or grader.get("type") != "lambda"
            or not (grader.get("lambda") or {}).get("function")
        ):
            problems.append("method must be reinforcement with a lambda grader function")
        if problems:
            return 400, {"error": {"message": "; ".join(problems), "type": "invalid_request_error"}}
        job_id = self._next_id("ftjob")
        self.state.jobs[job_id] = {
            "object": "fine_tuning.job",
            "id": job_id,
            "model": request["model"],
            "created_at": int(time.time()),
            "finished_at": None,
            "fine_tuned_model": None,
            "organization_id": "org-standin",
            "result_files": [],
            "status": "validating_files",
            "validation_file": request.get("validation_file"),
            "training_file": request["training_file"],
            "hyperparameters": None,
            "trained_tokens": None,
            "error": None,
            "seed": 0,
            "method": method,
            "metadata": request.get("metadata"),
            "suffix": request.get("suffix"),
        }
        self._event(job_id, "Validating training file")
        return 200, self.state.jobs[job_id]

    def _cancel(self, job_id: str) -> tuple[int, dict[str, Any]]:
        job = self.state.jobs.get(job_id)
        if job is None:
            return self._not_found("job", job_id)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return 400, {
                "error": {"message": f"Job {job_id} has already {job['status']}", "type": "invalid_request_error"}
            }
        self.set_status(job_id, "cancelled")
        return 200, job

    def _events(self, job_id: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if job_id not in self.state.jobs:
            return self._not_found("job", job_id)
        return self._page(self.state.events.get(job_id, [])[::-1], query)  # newest first, as OpenAI pages

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        limit = int(query.get("limit") or 20)
        start = 0
        if query.get("after"):
            ids = [i["id"] for i in items]
            start = ids.index(query["after"]) + 1 if query["after"] in ids else len(items)
        page = items[start : start + limit]
        return 200, {"object": "list", "data": page, "has_more": start + limit < len(items)}
