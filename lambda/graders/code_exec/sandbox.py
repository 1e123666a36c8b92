"""Run one test of an untrusted program in throw-away processes, and clean up after it.

See ``README.md`` in this package for the design and what holds where (Lambda vs. a root test host).
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

CHILD = str(Path(__file__).resolve().with_name("_child.py"))
NOBODY = 65534
PR_SET_CHILD_SUBREAPER = 36
VERDICT_CAP = 64 * 1024
JUDGE_READY_SECONDS = 5.0


@dataclass(frozen=True)
class Limits:
    """Per-test limits. ``nproc_allowance`` is added to the sandbox user's current task count (see README)."""

    wall_seconds: float = 4.0
    cpu_seconds: int = 2
    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 1024 * 1024
    output_bytes: int = 1024 * 1024
    nofile: int = 64
    nproc_allowance: int = 16
    namespaces: bool = True  # best effort: user+PID+network namespaces for the program where the kernel allows


@dataclass
class Outcome:
    passed: bool = False
    timed_out: bool = False
    memory_exceeded: bool = False
    crashed: bool = False
    output_exceeded: bool = False
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


# --- process bookkeeping ---------------------------------------------------------------------------------------

_LIVE: set[int] = set()  # pids of sandbox leaders started by this process and not yet reaped
_LIVE_LOCK = threading.Lock()
_SUBREAPER: list[bool] = []


def become_subreaper() -> bool:
    """Orphans of our sandboxes (double fork + setsid) are re-parented to us instead of init, so we find them."""
    if not _SUBREAPER:
        ok = False
        if sys.platform.startswith("linux"):
            try:
                ok = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except OSError:
                ok = False
        _SUBREAPER.append(ok)
    return _SUBREAPER[0]


def protect_self() -> bool:
    """Make this (the grader's) process non-dumpable: a program running as the same user (Lambda) can then no
    longer read ``/proc/<grader>/environ`` (the role's credentials) or ``/proc/<grader>/mem``, nor ptrace us."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) == 0)  # PR_SET_DUMPABLE
    except OSError:
        return False


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, ppid, pgid, sid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    return fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3])


def _processes() -> dict[int, tuple[str, int, int, int]]:
    table: dict[int, tuple[str, int, int, int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _stat(int(name))
            if info:
                table[int(name)] = info
    return table


def user_tasks(uid: int) -> int:
    """Threads (tasks) of a user: what RLIMIT_NPROC counts."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as handle:
                text = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        uid_line = next((ln for ln in text.splitlines() if ln.startswith("Uid:")), "")
        threads = next((ln for ln in text.splitlines() if ln.startswith("Threads:")), "Threads: 1")
        if uid_line.split()[1:2] == [str(uid)]:
            total += int(threads.split()[1])
    return total


def _targets(leaders: set[int], sessions: set[int], table: dict[int, tuple[str, int, int, int]]) -> set[int]:
    me, my_sid = os.getpid(), os.getsid(0)
    with _LIVE_LOCK:
        live = set(_LIVE)
    victims = {pid for pid, (_, _, pgid, sid) in table.items() if sid in sessions or pgid in sessions}
    victims |= {pid for pid in leaders if pid in table}
    # Orphans re-parented to us (we are a subreaper) that are not a live sandbox and left our session.
    victims |= {pid for pid, (_, ppid, _, sid) in table.items() if ppid == me and pid not in live and sid != my_sid}
    frontier = set(victims)
    while frontier:  # and every descendant of those
        frontier = {pid for pid, (_, ppid, _, _) in table.items() if ppid in frontier and pid not in victims}
        victims |= frontier
    victims.discard(me)
    return victims


def kill_everything(leaders: set[int], sessions: set[int], *, rounds: int = 100) -> int:
    """SIGKILL the sandbox's sessions, process groups, descendants and escaped orphans until none is left."""
    killed: set[int] = set()
    for _ in range(rounds):
        table = _processes()
        victims = _targets(leaders, sessions, table)
        alive = {pid for pid in victims if table.get(pid, ("Z",))[0] != "Z"}
        for pid in victims:
            if table.get(pid, ("", 0, 0, 0))[1] == os.getpid() and pid not in leaders:
                _reap(pid)  # our (re-parented) child: collect its exit status
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except OSError:
                pass
        for sid in sessions:
            try:
                os.killpg(sid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.002)
    return len(killed)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# --- spawning --------------------------------------------------------------------------------------------------


def _sandbox_ids() -> tuple[int | None, int]:
    """(uid to switch to, uid whose tasks RLIMIT_NPROC counts). As root the children run as nobody."""
    if os.geteuid() == 0:
        return NOBODY, NOBODY
    return None, os.geteuid()


def _world_reachable(path: str) -> bool:
    """Every directory on the way, and the file, can be used by another user (``o+x`` / ``o+rx``)."""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


def interpreter() -> str:
    """The Python the children run: this one, unless a switched-to user could not execute it."""
    if _sandbox_ids()[0] is None or _world_reachable(sys.executable):
        return sys.executable
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if _world_reachable(candidate):
            return candidate
    return sys.executable


def _limits_for_child(limits: Limits, uid: int, *, nproc: bool) -> dict[str, int | None]:
    return {
        "namespaces": limits.namespaces,
        "cpu": max(1, int(limits.cpu_seconds)),
        "memory": int(limits.memory_bytes),
        "fsize": int(limits.file_bytes),
        "nofile": int(limits.nofile),
        "nproc": user_tasks(uid) + int(limits.nproc_allowance) if nproc else None,
    }


def _popen(
    argv: list[str],
    *,
    cwd: str,
    stdin: Any,
    stdout: Any,
    stderr: Any,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[bytes]:
    switch_to, _ = _sandbox_ids()
    ids: dict[str, Any] = {} if switch_to is None else {"user": switch_to, "group": switch_to, "extra_groups": []}
    with _LIVE_LOCK:  # registered before any sweep can see it as an orphan
        proc = subprocess.Popen(
            [interpreter(), "-I", "-S", "-B", CHILD, *argv],
            cwd=cwd,
            env={},
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            pass_fds=pass_fds,
            close_fds=True,
            start_new_session=True,
            **ids,
        )
        _LIVE.add(proc.pid)
    return proc


def _finish(procs: list[subprocess.Popen[bytes]]) -> None:
    leaders = {p.pid for p in procs}
    kill_everything(leaders, leaders)
    for proc in procs:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe:
                try:
                    pipe.close()
                except OSError:
                    pass
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)


def _exchange(
    proc: subprocess.Popen[bytes],
    data: bytes,
    caps: dict[str, int],
    end: float,
) -> tuple[dict[str, bytes], bool, bool]:
    """Write ``data`` to stdin and read stdout/stderr, each bounded; (outputs, over a cap, past ``end``)."""
    sel = selectors.DefaultSelector()
    out = {"stdout": b"", "stderr": b""}
    if proc.stdin:
        os.set_blocking(proc.stdin.fileno(), False)
        if data:
            sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
        else:
            proc.stdin.close()
    for name in ("stdout", "stderr"):
        pipe = getattr(proc, name)
        if pipe:
            sel.register(pipe, selectors.EVENT_READ, name)
    view, over, late = memoryview(data), False, False
    try:
        while sel.get_map():
            left = end - time.monotonic()
            if left <= 0:
                late = True
                break
            for key, _ in sel.select(min(left, 0.5)):
                if key.data == "stdin":
                    try:
                        written = os.write(key.fd, view[:65536])
                        view = view[written:]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the program stopped reading: the rest of its input is moot
                        view = view[:0]
                    if not view:
                        sel.unregister(key.fileobj)
                        cast("IO[bytes]", key.fileobj).close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                out[key.data] += chunk
                if len(out[key.data]) > caps.get(key.data, 0):
                    over = True
                    return out, over, late
    finally:
        sel.close()
    return out, over, late


def _scratch(root: Path, owner: int | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="t-", dir=root))
    if owner is not None:
        os.chown(workdir, owner, owner)
    return workdir


def remove_tree(path: Path) -> None:
    """Remove a directory the program may have made hard to remove (read-only or unlistable subdirectories)."""

    def fix(function: Any, target: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            if os.path.isdir(target) and not os.path.islink(target):
                os.chmod(target, stat.S_IRWXU)
                shutil.rmtree(target, ignore_errors=True)
            else:
                os.unlink(target)
        except OSError:
            pass

    if path.exists():
        for dirpath, dirnames, _ in os.walk(path):
            for name in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, name), stat.S_IRWXU)
                except OSError:
                    pass
        shutil.rmtree(path, onerror=fix)


def _write_program(workdir: Path, program: str, owner: int | None) -> None:
    target = workdir / "program.py"
    target.write_text(program, encoding="utf-8")
    if owner is not None:
        os.chown(target, owner, owner)


_NAMESPACES: list[bool] = []


def namespaces_available() -> bool:
    """Whether a sandbox child here can enter its own user, PID and network namespaces (probed once)."""
    if not _NAMESPACES:
        try:
            proc = _popen(
                ["probe"], cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            try:
                out, _ = proc.communicate(timeout=10)
            finally:
                _finish([proc])
            _NAMESPACES.append(out == b"1")
        except (OSError, subprocess.SubprocessError):
            _NAMESPACES.append(False)
    return _NAMESPACES[0]


_REPORTED: list[dict[str, Any]] = []
ISOLATION_LOG = "code sandbox isolation: %s"


def isolation_mode(limits: Limits) -> dict[str, Any]:
    """Which isolation this host gives the programs: ``mode`` is ``namespaces`` (user+PID+network namespaces per
    program), ``processes-only`` (the kernel refused unprivileged user namespaces: process groups, rlimits, the
    subreaper sweep and the non-dumpable grader do the work, and the stack's no-network VPC and logs-only role keep
    what a program can still reach harmless) or ``processes-only (CODE_NAMESPACES=false)``."""
    if not limits.namespaces:
        mode = "processes-only (CODE_NAMESPACES=false)"
    elif namespaces_available():
        mode = "namespaces"
    else:
        mode = "processes-only"
    switch_to, _ = _sandbox_ids()
    return {
        "mode": mode,
        "user": "nobody (grader runs as root)" if switch_to is not None else "the grader's own user",
        "subreaper": become_subreaper(),
        "grader_not_dumpable": protect_self(),
    }


def report_isolation(limits: Limits, logger: Any) -> dict[str, Any]:
    """Log the isolation mode once per process (a Lambda container), at WARNING when namespaces are refused."""
    if not _REPORTED:
        details = isolation_mode(limits)
        _REPORTED.append(details)
        fallback = limits.namespaces and details["mode"] != "namespaces"
        (logger.warning if fallback else logger.info)(ISOLATION_LOG, json.dumps(details, sort_keys=True))
    return _REPORTED[0]


# --- the two kinds of test -------------------------------------------------------------------------------------


def run_function_test(
    program: str, spec: dict[str, Any], limits: Limits, scratch_root: Path, *, wall_seconds: float | None = None
) -> Outcome:
    """Run one function test (``spec``: kind check|assert, test, entry_point, starter, setup) and judge it."""
    wall = min(limits.wall_seconds, wall_seconds if wall_seconds is not None else limits.wall_seconds)
    start = time.monotonic()
    end = start + max(0.05, wall)
    switch_to, counted = _sandbox_ids()
    workdir = _scratch(scratch_root, switch_to)
    judge_dir = _scratch(scratch_root, switch_to)
    procs: list[subprocess.Popen[bytes]] = []
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    nonce = secrets.token_hex(16)
    outcome = Outcome()
    try:
        _write_program(workdir, program, switch_to)
        judge = _popen(
            ["judge", str(req_w), str(resp_r)],
            cwd=str(judge_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(req_w, resp_r),
        )
        procs.append(judge)
        os.close(req_w)
        os.close(resp_r)
        req_w = resp_r = -1
        if not _ready(judge, min(end, time.monotonic() + JUDGE_READY_SECONDS)):
            outcome.reason = "test runner did not start"
            outcome.timed_out = time.monotonic() >= end
            return outcome
        child_limits = _limits_for_child(limits, counted, nproc=True)
        server = _popen(
            ["server", json.dumps(child_limits)],
            cwd=str(workdir),
            stdin=req_r,
            stdout=resp_w,
            stderr=subprocess.DEVNULL,
        )
        procs.append(server)
        os.close(req_r)
        os.close(resp_w)
        req_r = resp_w = -1
        judge_spec = dict(spec, nonce=nonce, limits=_limits_for_child(limits, counted, nproc=False))
        out, over, late = _exchange(judge, json.dumps(judge_spec).encode("utf-8"), {"stdout": VERDICT_CAP}, end)
        return _verdict(out["stdout"], nonce, over, late, server)
    finally:
        for fd in (req_r, req_w, resp_r, resp_w):
            if fd >= 0:
                os.close(fd)
        _finish(procs)
        remove_tree(workdir)
        remove_tree(judge_dir)
        outcome.detail["seconds"] = time.monotonic() - start


def _ready(judge: subprocess.Popen[bytes], end: float) -> bool:
    sel = selectors.DefaultSelector()
    stdout = cast("IO[bytes]", judge.stdout)  # started with stdout=PIPE
    sel.register(stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < end:
            if sel.select(max(0.0, end - time.monotonic())):
                return os.read(stdout.fileno(), 1) == b"R"
        return False
    finally:
        sel.close()


def _verdict(raw: bytes, nonce: str, over: bool, late: bool, server: subprocess.Popen[bytes]) -> Outcome:
    outcome = Outcome()
    server_status = server.poll()
    if server_status is None and b"ProgramGone" in raw[:4096]:
        # The judge can see the program's channel close before the kernel reports why it died (SIGXCPU is
        # a timeout, not a crash): give the exit status a moment to arrive.
        try:
            server_status = server.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            server_status = None
    if server_status is not None and server_status < 0:
        signum = -server_status
        outcome.crashed = True
        outcome.timed_out = signum == signal.SIGXCPU
        outcome.reason = (
            f"program killed by signal {signal.Signals(signum).name}"
            if signum in signal.valid_signals()
            else f"program killed by signal {signum}"
        )
    if late:
        outcome.timed_out = True
        outcome.reason = "wall-clock timeout"
        return outcome
    if over:
        outcome.reason = "test runner wrote too much"
        return outcome
    line = raw.split(b"\n", 1)[0]
    try:
        verdict = json.loads(line)
    except ValueError:
        outcome.reason = outcome.reason or "no verdict"
        return outcome
    if not isinstance(verdict, dict) or verdict.get("nonce") != nonce:
        outcome.reason = "verdict without the nonce"
        return outcome
    # Exceptions the program's functions raised (as the program reported them: diagnostics, never the verdict).
    errors = [str(e) for e in verdict.get("program_errors") or []]
    outcome.memory_exceeded = "MemoryError" in errors
    outcome.crashed = outcome.crashed or bool(errors) or verdict.get("error") == "ProgramGone"
    outcome.passed = verdict.get("passed") is True
    if not outcome.passed and not outcome.reason:
        outcome.reason = f"{verdict.get('error', 'failed')}: {verdict.get('message', '')}".strip(": ")
    return outcome


def run_io_test(
    program: str, stdin: str, expected: str, limits: Limits, scratch_root: Path, *, wall_seconds: float | None = None
) -> Outcome:
    """Run the program as a script on ``stdin``; it passes when its output equals ``expected`` line by line."""
    wall = min(limits.wall_seconds, wall_seconds if wall_seconds is not None else limits.wall_seconds)
    start = time.monotonic()
    end = start + max(0.05, wall)
    switch_to, counted = _sandbox_ids()
    workdir = _scratch(scratch_root, switch_to)
    procs: list[subprocess.Popen[bytes]] = []
    outcome = Outcome()
    try:
        _write_program(workdir, program, switch_to)
        child_limits = _limits_for_child(limits, counted, nproc=True)
        proc = _popen(
            ["io", json.dumps(child_limits)],
            cwd=str(workdir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        procs.append(proc)
        out, over, late = _exchange(
            proc, stdin.encode("utf-8"), {"stdout": limits.output_bytes, "stderr": 16 * 1024}, end
        )
        if late:
            outcome.timed_out, outcome.reason = True, "wall-clock timeout"
            return outcome
        if over:
            outcome.output_exceeded, outcome.reason = True, "output over the limit"
            return outcome
        try:
            status = proc.wait(timeout=max(0.05, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            outcome.timed_out, outcome.reason = True, "wall-clock timeout"
            return outcome
        tail = out["stderr"][-300:].decode("utf-8", "replace")
        if status != 0:
            outcome.crashed = True
            outcome.memory_exceeded = "MemoryError" in tail
            outcome.timed_out = status == -signal.SIGXCPU
            outcome.reason = f"program exited with status {status}"
            return outcome
        outcome.passed = same_output(out["stdout"].decode("utf-8", "replace"), expected)
        if not outcome.passed:
            outcome.reason = "wrong output"
        return outcome
    finally:
        _finish(procs)
        remove_tree(workdir)
        outcome.detail["seconds"] = time.monotonic() - start


def same_output(actual: str, expected: str) -> bool:
    """Line by line, trailing whitespace of each line and trailing blank lines ignored."""

    def lines(text: str) -> list[str]:
        rows = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    return lines(actual) == lines(expected)


class ScratchSweeper:
    """Removes entries that appeared in shared writable directories (Lambda: /tmp) since start-up.

    A program can write anywhere its user can; on Lambda that is /tmp, shared with the grader. Files
    it leaves there would fill the 512 MB (or more) of /tmp over a job; this undoes that after every test.
    """

    def __init__(self, roots: list[Path], keep: Path) -> None:
        self.keep = keep.resolve()
        self.roots = [r for r in roots if r.is_dir()]
        self.baseline = {r: set(os.listdir(r)) for r in self.roots}
        self.removed = 0

    def sweep(self) -> None:
        for root in self.roots:
            try:
                names = set(os.listdir(root)) - self.baseline[root]
            except OSError:
                continue
            for name in names:
                target = root / name
                if target.resolve() == self.keep or self.keep.is_relative_to(target.resolve()):
                    continue
                try:
                    if target.is_dir() and not target.is_symlink():
                        remove_tree(target)
                    else:
                        target.unlink()
                    self.removed += 1
                except OSError:
                    pass
