"""A local stand-in for the Bedrock runtime Converse API, for tests and benchmarks.

It listens on 127.0.0.1 (port chosen by the OS) and answers ``POST /model/{modelId}/converse`` the way
the real service does: a Converse JSON body (``output.message.content[].text``, ``stopReason``,
``usage``, ``metrics``), or an error with the ``x-amzn-ErrorType`` header and a ``{"message": ...}``
body that botocore turns into a ``ClientError``. It can add latency and inject throttling (HTTP 429),
server errors and unparseable verdicts, and it counts what it served so tests can check retries,
how many requests it held at once (``max_in_flight``) and how many the client gave up on before
the reply (``abandoned``: during its latency the stand-in notices a closed connection and stops).

    with BedrockRuntimeStandin(Behaviour(latency_seconds=0.3, throttle_rate=0.3)) as standin:
        client = standin_client(standin.endpoint_url)
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_ANSWER_BLOCK = re.compile(r"<(?P<tag>answer-[0-9a-f]+)>\n(?P<answer>.*)\n</(?P=tag)>", re.DOTALL)

FAULTS = {
    # name: (HTTP status, x-amzn-ErrorType, message)
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "unavailable": (503, "ServiceUnavailableException", "The service is temporarily unavailable."),
    "internal": (500, "InternalServerException", "An internal server error occurred."),
    "validation": (400, "ValidationException", "The provided model identifier is invalid."),
    "denied": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "not_found": (404, "ResourceNotFoundException", "The requested resource could not be found."),
    "end_of_life": (
        404,
        "ResourceNotFoundException",
        "This model version has reached the end of its life. Please refer to the AWS documentation.",
    ),
    "bad_request": (400, "ValidationException", "The input is too long for the context window."),
    "no_output_config": (400, "ValidationException", "This model doesn't support the outputConfig.textFormat field."),
}
# requestMetadata keys and values as the Converse API accepts them.
_METADATA_TEXT = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,.\-]*")
UNPARSEABLE_VERDICT = "This answer is thoughtful and mostly addresses the request."
STALL = "stall"  # a scripted plan: hold the request for ``stall_seconds`` (or until the client leaves), then reply


@dataclass(frozen=True)
class ConverseCall:
    """One request the stand-in received."""

    model_id: str
    body: dict
    headers: dict

    @property
    def system_text(self) -> str:
        return "".join(block.get("text", "") for block in self.body.get("system") or [])

    @property
    def user_text(self) -> str:
        parts = []
        for message in self.body.get("messages") or []:
            parts += [block.get("text", "") for block in message.get("content") or []]
        return "".join(parts)

    @property
    def request_metadata(self) -> dict | None:
        return self.body.get("requestMetadata")

    @property
    def output_config(self) -> dict | None:
        return self.body.get("outputConfig")

    @property
    def answer(self) -> str | None:
        """The text inside the nonce-tagged answer block, as the judge would see it."""
        match = _ANSWER_BLOCK.search(self.user_text)
        return match.group("answer") if match else None

    @property
    def answer_tag(self) -> str | None:
        match = _ANSWER_BLOCK.search(self.user_text)
        return match.group("tag") if match else None


Responder = Callable[[ConverseCall], str]


def fixed_verdict(score: float, reason: str = "stand-in verdict") -> Responder:
    return lambda call: json.dumps({"score": score, "reason": reason})


def score_by_answer(score_of: Callable[[str], float]) -> Responder:
    """A judge whose score is a function of the answer it finds in the delimited block."""
    return lambda call: json.dumps({"score": score_of(call.answer or ""), "reason": "scored by the stand-in"})


@dataclass
class Behaviour:
    latency_seconds: float = 0.0  # added before every successful reply
    throttle_rate: float = 0.0  # share of requests answered with HTTP 429
    unparseable_rate: float = 0.0  # share of successful replies whose text holds no score
    scripted: list[str] = field(default_factory=list)  # faults served, in order, to the first requests
    responder: Responder = field(default_factory=lambda: fixed_verdict(7))
    reasoning_block: bool = False  # add a gpt-oss style reasoningContent block before the text
    stall_seconds: float = 5.0  # how long a scripted "stall" holds its request
    seed: int = 0
    reject_output_config: bool = False  # answer a request carrying outputConfig like a model without it


@dataclass
class Stats:
    requests: int = 0
    replies: int = 0
    unparseable_served: int = 0
    faults_served: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0  # requests received and not yet answered
    max_in_flight: int = 0
    abandoned: int = 0  # requests whose client closed the connection before the reply

    @property
    def throttles_served(self) -> int:
        return self.faults_served.get("throttle", 0)


class BedrockRuntimeStandin:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.stats = Stats()
        self.calls: list[ConverseCall] = []
        self._lock = threading.Lock()
        self._rng = random.Random(self.behaviour.seed)
        self._scripted_index = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "stand-in not started"
        host, port = self._server.server_address[:2]  # an AF_INET server: (str, int)
        return f"http://{host!s}:{port}"

    def start(self) -> BedrockRuntimeStandin:
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="bedrock-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> BedrockRuntimeStandin:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def reset(self, behaviour: Behaviour | None = None) -> None:
        with self._lock:
            if behaviour is not None:
                self.behaviour = behaviour
                self._rng = random.Random(behaviour.seed)
            self.stats = Stats()
            self.calls = []
            self._scripted_index = 0

    # -- request handling (runs in the server's worker threads) --

    def _enter(self) -> None:
        with self._lock:
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)

    def _leave(self, *, abandoned: bool = False) -> None:
        with self._lock:
            self.stats.in_flight -= 1
            self.stats.abandoned += int(abandoned)

    def _plan(self, call: ConverseCall) -> str:
        """Decide, under the lock, what this request gets: a fault name, "unparseable", "stall" or "reply"."""
        with self._lock:
            self.stats.requests += 1
            self.calls.append(call)
            behaviour = self.behaviour
            if self._scripted_index < len(behaviour.scripted):
                plan = behaviour.scripted[self._scripted_index]
                self._scripted_index += 1
            elif self._rng.random() < behaviour.throttle_rate:
                plan = "throttle"
            elif self._rng.random() < behaviour.unparseable_rate:
                plan = "unparseable"
            else:
                plan = "reply"
            if plan in FAULTS:
                self.stats.faults_served[plan] = self.stats.faults_served.get(plan, 0) + 1
            elif plan == "unparseable":
                self.stats.unparseable_served += 1
                self.stats.replies += 1
            else:
                self.stats.replies += 1
            return plan

    def _reply_body(self, call: ConverseCall, plan: str, elapsed_ms: int) -> dict:
        text = UNPARSEABLE_VERDICT if plan == "unparseable" else self.behaviour.responder(call)
        content: list[dict] = []
        if self.behaviour.reasoning_block:
            content.append(
                {"reasoningContent": {"reasoningText": {"text": "The user wants a grade. I check the rubric."}}}
            )
        content.append({"text": text})
        input_tokens = len((call.system_text + " " + call.user_text).split())
        output_tokens = len(text.split())
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": elapsed_ms},
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # a batch opens many connections at once; the default backlog is 5


def _handler_for(standin: BedrockRuntimeStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            standin._enter()
            abandoned = False
            try:
                abandoned = self._serve()
            finally:
                standin._leave(abandoned=abandoned)

        def _serve(self) -> bool:
            """Answer one request; True when the client hung up before the reply."""
            started = time.monotonic()
            body_bytes = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _PATH.match(self.path)
            if not match:
                self._send_json(404, {"message": f"no route for {self.path}"}, "UnknownOperationException")
                return False
            try:
                body = json.loads(body_bytes or b"{}")
            except ValueError:
                self._send_json(400, {"message": "body is not JSON"}, "ValidationException")
                return False
            if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
                self._send_json(403, {"message": "request is not SigV4-signed"}, "AccessDeniedException")
                return False
            call = ConverseCall(model_id=unquote(match.group("model")), body=body, headers=dict(self.headers))
            problem = request_problem(body)
            if problem:
                standin._plan(call)  # counted and recorded like any request
                self._send_json(400, {"message": problem}, "ValidationException")
                return False
            if standin.behaviour.reject_output_config and "outputConfig" in body:
                standin._plan(call)
                status, error_type, message = FAULTS["no_output_config"]
                self._send_json(status, {"message": message}, error_type)
                return False
            plan = standin._plan(call)
            if plan in FAULTS:
                status, error_type, message = FAULTS[plan]
                self._send_json(status, {"message": message}, error_type)
                return False
            delay = standin.behaviour.latency_seconds + (standin.behaviour.stall_seconds if plan == STALL else 0.0)
            if delay and not self._wait_unless_abandoned(delay):
                self.close_connection = True
                return True
            elapsed_ms = int((time.monotonic() - started) * 1000)
            self._send_json(200, standin._reply_body(call, plan, elapsed_ms))
            return False

        def _wait_unless_abandoned(self, seconds: float) -> bool:
            """Sleep ``seconds``, as a slow model would; False as soon as the client closes the
            connection (it timed out), so the test sees the request was cut."""
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                if readable:
                    try:
                        if self.connection.recv(1, socket.MSG_PEEK) == b"":
                            return False
                    except OSError:
                        return False
                    time.sleep(max(0.0, end - time.monotonic()))  # data, not a hang-up: just wait
                    break
            return True

        def _send_json(self, status: int, payload: dict, error_type: str | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "standin-request")
            if error_type:
                self.send_header(
                    "x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/"
                )
            self.end_headers()
            self.wfile.write(data)

    return Handler


def request_problem(body: dict) -> str | None:
    """What the real service would refuse in ``requestMetadata`` or ``outputConfig``, else None."""
    metadata = body.get("requestMetadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or not 1 <= len(metadata) <= 16:
            return "requestMetadata must be a map of 1-16 entries"
        for key, value in metadata.items():
            if not (isinstance(key, str) and 1 <= len(key) <= 256 and _METADATA_TEXT.fullmatch(key)):
                return f"requestMetadata key {key!r} is not valid"
            if not (isinstance(value, str) and len(value) <= 256 and _METADATA_TEXT.fullmatch(value)):
                return f"requestMetadata value {value!r} is not valid"
    output = body.get("outputConfig")
    if output is not None:
        text_format = output.get("textFormat") if isinstance(output, dict) else None
        if not isinstance(text_format, dict) or text_format.get("type") != "json_schema":
            return "outputConfig.textFormat.type must be json_schema"
        schema = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
        try:
            parsed = json.loads(schema) if isinstance(schema, str) else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return "outputConfig.textFormat.structure.jsonSchema.schema must be a JSON schema in a string"
    return None


def standin_session() -> Any:
    """A boto3 session with dummy credentials, so nothing reads the real AWS configuration."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id="AKIDSTANDIN", aws_secret_access_key="standin-secret", region_name="us-east-1"
    )


def point_boto3_at(monkeypatch, tmp_path, endpoint_url: str, **extra_env: str) -> None:
    """Make a handler's own boto3 client reach the stand-in, as a Lambda's would reach Bedrock:
    endpoint override and dummy credentials from the environment, no local AWS configuration."""
    none = str(tmp_path / "none")
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint_url,
        "AWS_ACCESS_KEY_ID": "AKIDSTANDIN",
        "AWS_SECRET_ACCESS_KEY": "standin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": none,
        "AWS_SHARED_CREDENTIALS_FILE": none,
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra_env,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def by_model(responders: dict[str, Responder], default: Responder | None = None) -> Responder:
    """Different models behind one stand-in: the responder is chosen by the request's model id."""

    def respond(call: ConverseCall) -> str:
        responder = responders.get(call.model_id, default)
        if responder is None:
            raise KeyError(f"the stand-in plays no model {call.model_id!r}")
        return responder(call)

    return respond


def crate_question_judge(monkeypatch, tmp_path, **extra_env: str) -> BedrockRuntimeStandin:
    """A started stand-in judge for the crate question (9/10 when the answer says 84, 3/10 otherwise) that the
    handlers' boto3 reaches, with the reasoning rubric and composite weights math 0.5, format 0.3, judge 0.2.
    The caller stops it."""
    server = BedrockRuntimeStandin(Behaviour(responder=score_by_answer(lambda a: 9 if "84" in a else 3))).start()
    point_boto3_at(
        monkeypatch,
        tmp_path,
        server.endpoint_url,
        JUDGE_RUBRIC="reasoning",
        COMPOSITE_WEIGHTS=json.dumps({"math": 0.5, "format": 0.3, "judge": 0.2}),
        **extra_env,
    )
    return server
