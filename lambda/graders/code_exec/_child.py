"""What runs inside the sandbox processes (stdlib only, started as ``python -I -S -B _child.py MODE ...``).

Three modes, each in its own process started by :mod:`graders.code_exec.sandbox`:

- ``server``: the untrusted program. It is loaded (as module ``solution``) and then answers calls read
  from stdin, one JSON line each, with one JSON line on its original stdout. Values cross the pipe in
  the tagged plain-data encoding below, so nothing but data (no objects with a custom ``__eq__``) leaves
  the process. The program's own prints go to /dev/null.
- ``judge``: trusted. It makes itself non-dumpable (no ptrace, no /proc/PID/mem or fd access by other
  processes of the same user), reads the tests and a nonce from stdin, runs the tests in its own clean
  interpreter with the program's functions replaced by proxies that call the server, and writes one
  verdict line, carrying the nonce, on its stdout. The untrusted program never runs in this process.
- ``io``: the untrusted program as ``__main__`` with the test's input on stdin; the parent compares the
  output itself.

Limits are set first thing in every mode, before any untrusted code exists in the process.
"""

from __future__ import annotations

import base64
import builtins
import json
import os
import resource
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the sandbox processes do not import typing
    from typing import Any, BinaryIO

MAX_DEPTH = 64
MAX_LINE = 1 << 20  # one call's request or response, bytes


def set_limits(limits: dict[str, Any]) -> None:
    pairs = [
        (resource.RLIMIT_CPU, limits.get("cpu")),
        (resource.RLIMIT_AS, limits.get("memory")),
        (resource.RLIMIT_FSIZE, limits.get("fsize")),
        (resource.RLIMIT_NOFILE, limits.get("nofile")),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, limits.get("nproc")),
    ]
    for which, value in pairs:
        if value is None:
            continue
        value = int(value)
        hard = value + 1 if which == resource.RLIMIT_CPU else value  # SIGXCPU first, SIGKILL a second later
        try:
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):  # above the hard limit: keep the lower current one
            _soft, hard = resource.getrlimit(which)
            resource.setrlimit(which, (min(value, hard) if hard != resource.RLIM_INFINITY else value, hard))


CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000


def enter_namespaces() -> bool:
    """Best effort: run the rest of this process's life in new user, PID and network namespaces.

    The program then sees only its own processes (``kill(-1)`` cannot reach the grader or other sandboxes) and has
    no network at all (not even loopback to the Lambda Runtime API). Where the kernel refuses unprivileged user
    namespaces this returns False and nothing changes. This process stays outside as a relay: it waits for the
    namespace's first process (which continues from here) and exits the way that process did.
    """
    import ctypes
    import signal

    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) != 0:
        return False
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    except OSError:
        pass  # unmapped ids: creating files fails (EOVERFLOW), the rest still holds
    child = os.fork()
    if child == 0:
        return True
    for fd in range(0, 3):  # the program owns the pipes now; EOF must not wait for this relay
        try:
            os.close(fd)
        except OSError:
            pass
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def give_exit() -> None:
    """``exit``/``quit`` come from the site module, which ``-S`` skips; programs use them freely."""
    if not hasattr(builtins, "exit"):
        builtins.exit = builtins.quit = sys.exit  # type: ignore[assignment]  # typeshed: site's Quitter


def no_dump() -> None:
    """PR_SET_DUMPABLE 0: processes of the same user can no longer ptrace us or open /proc/PID/{mem,fd}."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


# --- plain-data encoding: only builtin data types cross a pipe -------------------------------------------------


def enc(value: object, depth: int = 0) -> list[Any]:
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if value is None:
        return ["n"]
    if value is True or value is False:
        return ["b", bool(value)]
    if isinstance(value, int):
        return ["i", str(int(value))]
    if isinstance(value, float):
        return ["f", repr(float(value))]
    if isinstance(value, complex):
        return ["c", repr(float(value.real)), repr(float(value.imag))]
    if isinstance(value, str):
        return ["s", str(value)]
    if isinstance(value, (bytes, bytearray)):
        return ["y", base64.b64encode(bytes(value)).decode("ascii")]
    if isinstance(value, tuple):
        return ["t", [enc(v, depth + 1) for v in value]]
    if isinstance(value, list):
        return ["l", [enc(v, depth + 1) for v in value]]
    if isinstance(value, dict):
        return ["d", [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in value.items()]]
    if isinstance(value, frozenset):
        return ["F", [enc(v, depth + 1) for v in value]]
    if isinstance(value, set):
        return ["S", [enc(v, depth + 1) for v in value]]
    raise TypeError(f"value of type {type(value).__name__} is not plain data")


def dec(node: object, depth: int = 0) -> Any:
    """Rebuild a value from ``enc`` output; always exact builtin types, whatever the sender was."""
    if depth > MAX_DEPTH or not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise ValueError("malformed value")
    tag, rest = node[0], node[1:]
    if tag == "n":
        return None
    if tag == "b":
        return bool(rest[0] is True)
    if tag == "i":
        return int(str(rest[0]))
    if tag == "f":
        return float(str(rest[0]))
    if tag == "c":
        return complex(float(str(rest[0])), float(str(rest[1])))
    if tag == "s":
        if not isinstance(rest[0], str):
            raise ValueError("malformed string")
        return str(rest[0])
    if tag == "y":
        return base64.b64decode(str(rest[0]).encode("ascii"), validate=True)
    items = rest[0]
    if not isinstance(items, list):
        raise ValueError("malformed container")
    if tag == "l":
        return [dec(v, depth + 1) for v in items]
    if tag == "t":
        return tuple(dec(v, depth + 1) for v in items)
    if tag == "S":
        return {dec(v, depth + 1) for v in items}
    if tag == "F":
        return frozenset(dec(v, depth + 1) for v in items)
    if tag == "d":
        out: dict[Any, Any] = {}
        for pair in items:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("malformed dict")
            out[dec(pair[0], depth + 1)] = dec(pair[1], depth + 1)
        return out
    raise ValueError(f"unknown tag {tag!r}")


# --- server: the untrusted program ----------------------------------------------------------------------------


def serve(limits: dict[str, Any]) -> None:
    set_limits(limits)
    if limits.get("namespaces"):
        enter_namespaces()
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    give_exit()
    namespace: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    load_error: BaseException | None = None
    try:
        with open("program.py", encoding="utf-8") as handle:
            source = handle.read()
        exec(compile(source, "program.py", "exec"), namespace)
    except BaseException as exc:  # the program's own failure: reported on every call
        load_error = exc
    reader = _LineReader(proto_in)
    while True:
        line = reader.readline()
        if line is None:
            return
        try:
            request = json.loads(line)
            if load_error is not None:
                raise load_error
            target = namespace[request["call"]]
            args = [dec(v) for v in request["args"]]
            kwargs = {str(k): dec(v) for k, v in request["kwargs"].items()}
            reply: dict[str, Any] = {"ok": enc(target(*args, **kwargs))}
        except KeyError as exc:
            reply = {"err": "NameError", "msg": f"name {exc} is not defined by the program"}
        except BaseException as exc:
            reply = {"err": type(exc).__name__, "msg": str(exc)[:200]}
        proto_out.write(json.dumps(reply).encode("utf-8") + b"\n")


class _LineReader:
    """Reads one newline-terminated line at a time from a raw fd, at most ``MAX_LINE`` bytes."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.buffer = raw, b""

    def readline(self) -> bytes | None:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ValueError("line too long")
            chunk = self.raw.read(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


# --- judge: trusted test runner -------------------------------------------------------------------------------


class ProgramGone(BaseException):
    """The program stopped answering; a BaseException so a test's ``except Exception`` cannot swallow it."""


class Remote:
    """Stands for one of the program's functions: each call is a round trip to the server process."""

    def __init__(self, name: str, channel: Channel) -> None:
        self._name, self._channel = name, channel

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._channel.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<program function {self._name}>"


class Channel:
    def __init__(self, request_fd: int, response_fd: int) -> None:
        self.out = os.fdopen(request_fd, "wb", buffering=0)
        self.reader = _LineReader(os.fdopen(response_fd, "rb", buffering=0))
        self.errors: list[str] = []

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request = {"call": name, "args": [enc(a) for a in args], "kwargs": {k: enc(v) for k, v in kwargs.items()}}
        try:
            self.out.write(json.dumps(request).encode("utf-8") + b"\n")
            line = self.reader.readline()
        except (OSError, ValueError) as exc:
            raise ProgramGone(f"program channel failed: {exc}") from None
        if line is None:
            raise ProgramGone("program exited")
        try:
            reply = json.loads(line)
            if "ok" in reply:
                return dec(reply["ok"])
            name, message = str(reply["err"]), str(reply.get("msg", ""))
        except ProgramGone:
            raise
        except Exception:
            raise ProgramGone("program sent a malformed reply") from None
        self.errors.append(name)
        cls = getattr(builtins, name, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)) or cls is AssertionError:
            cls = RuntimeError
        raise cls(message)


def _free_names(source: str) -> tuple[list[str], set[str]]:
    """Names the test reads but never binds, and those of them used as ``name.attr`` (modules, e.g. ``math``)."""
    import ast

    tree = ast.parse(source)
    bound: set[str] = set()
    loads: list[str] = []
    bases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            bases.add(node.value.id)
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    free = [n for n in dict.fromkeys(loads) if n not in bound]
    return free, bases & set(free)


def judge(request_fd: int, response_fd: int) -> None:
    no_dump()
    os.write(1, b"R")
    spec = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    set_limits(spec["limits"])
    verdict_fd = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    channel = Channel(request_fd, response_fd)
    namespace: dict[str, Any] = {"__name__": "__test__", "__builtins__": builtins}
    verdict: dict[str, Any] = {"nonce": spec["nonce"], "passed": False}
    try:
        for source in (spec.get("starter") or "", spec.get("setup") or ""):
            if source:
                try:
                    exec(compile(source, "<setup>", "exec"), namespace)
                except Exception:
                    pass  # e.g. an import this runtime lacks: the tests still run
        test = spec["test"]
        free, modules = _free_names(test)
        names = set(free) | ({spec["entry_point"]} if spec.get("entry_point") else set())
        for name in names:
            unbound = name not in namespace and not hasattr(builtins, name)
            if unbound and name in modules and name != spec.get("entry_point"):
                try:  # a test's ``math.isclose(...)`` without ``import math``: the stdlib module, trusted
                    namespace[name] = __import__(name)
                    continue
                except ImportError:
                    pass
            if unbound or name == spec.get("entry_point"):
                namespace[name] = Remote(name, channel)
        code = compile(test, "<test>", "exec")
        exec(code, namespace)
        if spec["kind"] == "check":
            checker = namespace.get("check")
            if not callable(checker):
                raise NameError("the test defines no check(candidate)")
            checker(Remote(spec["entry_point"], channel))
        verdict["passed"] = True
    except BaseException as exc:
        verdict["error"] = type(exc).__name__
        verdict["message"] = str(exc)[:200]
    verdict["program_errors"] = channel.errors[:20]
    os.write(verdict_fd, json.dumps(verdict).encode("utf-8") + b"\n")
    os._exit(0)


# --- io: the untrusted program as a script --------------------------------------------------------------------


def run_io(limits: dict[str, Any]) -> None:
    set_limits(limits)
    if limits.get("namespaces"):
        enter_namespaces()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    give_exit()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    with open("program.py", encoding="utf-8") as handle:
        source = handle.read()
    try:
        exec(compile(source, "program.py", "exec"), namespace)
    except SystemExit:
        raise
    except BaseException as exc:
        try:
            sys.stderr.write(f"\nprogram raised {type(exc).__name__}\n")
        finally:
            os._exit(1)


def main() -> None:
    mode = sys.argv[1]
    if mode == "server":
        serve(json.loads(sys.argv[2]))
    elif mode == "judge":
        judge(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "io":
        run_io(json.loads(sys.argv[2]))
    elif mode == "probe":
        inside = enter_namespaces()
        os.write(1, b"1" if inside and os.getpid() == 1 else b"0")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
