"""The code-execution grader through its Lambda handler: extraction, test forms, partial credit, and
hostile programs for every isolation point (short limits, so each hostile case costs about a second)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from graders.code_exec.program import extract_program, plan_for_row
from graders.code_exec.sandbox import same_output
from graders.handler_kit import LocalContext
from tests.support.grader_handlers import code_handler_for as handler_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the sandbox needs Linux /proc")

ADD = "def add(a, b):\n    return a + b\n"
ADD_TESTS = ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0"]
CHECK = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n"
NOBODY = 65534


@pytest.fixture()
def world(tmp_path: Path):
    """A directory every user can reach (pytest's tmp_path is private to root when the tests run as root)."""
    base = Path(tempfile.mkdtemp(prefix="code-grader-test-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["namespaces", "no-namespaces"])
def env(world: Path, request) -> dict[str, str]:
    """Every test twice: with the per-program namespaces where the kernel allows them, and without (as on a
    kernel that refuses them, e.g. Lambda), where process tracking and the subreaper must do the work."""
    tmp_path = world
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # a place a hostile program (maybe another user) can write to
    return {
        "CODE_TEST_TIMEOUT_SECONDS": "1.5",
        "CODE_CPU_SECONDS": "1",
        "CODE_MEMORY_MB": "256",
        "CODE_OUTPUT_KB": "64",
        "CODE_FILE_SIZE_KB": "64",
        "CODE_NPROC_ALLOWANCE": "8",
        "CODE_SCRATCH_DIR": str(tmp_path / "scratch"),
        "CODE_SWEEP_DIRS": str(shared),
        "CODE_NAMESPACES": "true" if request.param == "namespaces" else "false",
    }


@pytest.fixture()
def grade(env: dict[str, str]):
    handler = handler_for(env)

    def run(*items: dict, context: Any = None) -> list[dict]:
        return handler(list(items), context)

    return run


def item(response: str, sample_id: str = "s1", **fields: Any) -> dict:
    return {
        "id": sample_id,
        "messages": [{"role": "user", "content": "Write it."}, {"role": "assistant", "content": response}],
        "metadata": fields,
    }


def fenced(code: str) -> str:
    return f"Here you go:\n\n```python\n{code}```\n"


def checks(result: dict) -> dict[str, float]:
    return {m["name"]: m["value"] for m in result.get("metrics_list", [])}


def assert_healthy(grade) -> None:
    """The next batch is served normally after whatever ran before."""
    [res] = grade(item(fenced(ADD), tests=ADD_TESTS))
    assert res["aggregate_reward_score"] == 1.0, res


# --- extraction and test forms ---------------------------------------------------------------------------------


def test_last_fenced_block_is_the_program() -> None:
    plan = plan_for_row({"tests": ADD_TESTS})
    response = "First try:\n```python\ndef add(a, b):\n    return 0\n```\nFixed:\n```\n" + ADD + "```"
    assert extract_program(response, plan).source == ADD
    assert extract_program(ADD, plan).how == "whole"
    assert extract_program("I think you add them.", plan).source is None
    assert extract_program("```js\nfunction add(a,b){}\n```", plan).source is None
    usage_after = f"```python\n{ADD}```\nUse it like this:\n```python\nprint(add(1, 2))\n```"
    assert extract_program(usage_after, plan).source == ADD


def test_stub_continuation_and_full_function_with_starter() -> None:
    starter = 'import math\n\ndef root(x):\n    """Square root."""\n'
    plan = plan_for_row({"tests": ["assert root(9) == 3"], "starter_code": starter, "entry_point": "root"})
    body = extract_program("    return int(math.sqrt(x))\n", plan)
    assert body.how == "continuation" and body.source is not None and body.source.startswith(starter)
    full = extract_program(fenced("def root(x):\n    return int(math.sqrt(x))\n"), plan)
    assert full.how == "fenced" and full.source is not None and full.source.startswith("import math")


def test_mbpp_asserts_each_count(grade) -> None:
    wrong_on_negatives = "def add(a, b):\n    return abs(a) + b\n"
    [right, partial] = grade(item(fenced(ADD), tests=ADD_TESTS), item(fenced(wrong_on_negatives), tests=ADD_TESTS))
    assert right["aggregate_reward_score"] == 1.0
    assert partial["aggregate_reward_score"] == pytest.approx(2 / 3)
    assert checks(partial) | {} == checks(partial) and checks(partial)["tests_passed"] == pytest.approx(2 / 3)


def test_humaneval_check_with_entry_point_and_stub(grade) -> None:
    starter = 'from typing import List\n\ndef total(xs: List[int]) -> int:\n    """Sum."""\n'
    check = "def check(candidate):\n    assert candidate([1, 2]) == 3\n    assert candidate([]) == 0\n"
    fields = {"tests": check, "entry_point": "total", "starter_code": starter}
    [body, full, wrong] = grade(
        item("    return sum(xs)\n", **fields),
        item(fenced("def total(xs):\n    return sum(xs)\n"), **fields),
        item("    return 1\n", **fields),
    )
    assert (body["aggregate_reward_score"], full["aggregate_reward_score"], wrong["aggregate_reward_score"]) == (
        1.0,
        1.0,
        0.0,
    )


def test_tests_inside_an_object_reference_answer(grade) -> None:
    raw = {
        "id": "r",
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": fenced(ADD)}],
        "reference_answer": {"language": "python", "tests": ADD_TESTS},
    }
    [res] = grade(raw)
    assert res["aggregate_reward_score"] == 1.0


def test_stdin_stdout_cases_line_by_line(grade) -> None:
    cases = [
        {"input": "3\n1 2 3\n", "output": "6\n"},
        {"input": "2\n5 5\n", "output": "10"},
        {"input": "1\n-4\n", "output": "-4\n"},
    ]
    program = "n = int(input())\nprint(sum(map(int, input().split()[:n])))   \n"
    clamps = "n = int(input())\nprint(max(0, sum(map(int, input().split()[:n]))))\n"
    [ok, part] = grade(item(fenced(program), test_cases=cases), item(fenced(clamps), test_cases=cases))
    assert ok["aggregate_reward_score"] == 1.0
    assert part["aggregate_reward_score"] == pytest.approx(2 / 3)
    assert same_output("6  \n\n", "6") and not same_output("6\n7", "6")


def test_no_code_and_no_compile_and_bad_rows(grade) -> None:
    [none, broken, no_tests, other_lang] = grade(
        item("No idea, sorry.", tests=ADD_TESTS),
        item(fenced("def add(a, b)\n    return a+b\n"), tests=ADD_TESTS),
        item(fenced(ADD)),
        item(fenced(ADD), tests=ADD_TESTS, language="rust"),
    )
    assert checks(none)["code_found"] == 0.0 and none["aggregate_reward_score"] == 0.0
    assert checks(broken)["code_found"] == 1.0 and checks(broken)["compiles"] == 0.0
    assert no_tests["aggregate_reward_score"] == 0.0 and checks(no_tests)["malformed"] == 1.0
    assert other_lang["aggregate_reward_score"] == 0.0


def test_every_id_echoed_in_order_and_contract_shape(grade) -> None:
    results = grade(*[item(fenced(ADD), sample_id=f"id-{i}", tests=ADD_TESTS) for i in range(5)])
    assert [r["id"] for r in results] == [f"id-{i}" for i in range(5)]
    for res in results:
        assert all(set(m) == {"name", "value", "type"} for m in res["metrics_list"])
        assert {"code_found", "compiles", "tests_passed", "timed_out", "memory_exceeded", "crashed"} <= set(checks(res))


# --- forged verdicts -------------------------------------------------------------------------------------------

FORGERIES = {
    "exit_zero_at_import": "import os\nos._exit(0)\n",
    "exit_zero_in_call": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "always_equal": "class Eq:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Eq()\n",
    "int_subclass_equal": "class I(int):\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n"
    "    return I(99)\n",
    "redefine_assertion_error": "import builtins\nclass Never(BaseException):\n    pass\n"
    "builtins.AssertionError = Never\ndef add(a, b):\n    return 0\n",
    "redefine_check": "def check(candidate):\n    return None\nimport builtins\nbuiltins.check = check\n"
    "def add(a, b):\n    return 0\n",
    "patch_builtins": "import builtins\nbuiltins.len = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n"
    "def add(a, b):\n    return 0\n",
    "print_markers": 'def add(a, b):\n    print(\'PASS\')\n    print(\'{"passed": true, "nonce": ""}\')\n'
    "    return 0\n",
    "write_every_fd": "import os, json\nforged = json.dumps({'passed': True, 'nonce': 'x'}).encode() + b'\\n'\n"
    "for fd in range(3, 256):\n    try:\n        os.write(fd, forged)\n    except OSError:\n"
    '        pass\nos.write(1, b\'{"ok": ["i", "3"]}\\n\')\ndef add(a, b):\n    return 0\n',
    "write_other_processes_fds": "import os, json\nforged = json.dumps({'passed': True}).encode() + b'\\n'\n"
    "for pid in os.listdir('/proc'):\n    if not pid.isdigit():\n        continue\n"
    "    for fd in range(0, 8):\n        try:\n"
    "            with open(f'/proc/{pid}/fd/{fd}', 'wb') as h:\n"
    "                h.write(forged)\n        except OSError:\n            pass\n"
    "def add(a, b):\n    return 0\n",
    "raise_assertion_from_nothing": "def add(a, b):\n    raise SystemExit(0)\n",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_program_cannot_forge_a_pass(grade, name: str) -> None:
    program = FORGERIES[name]
    fields_mbpp = {"tests": ["assert add(1, 2) == 3"]}
    fields_check = {"tests": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
    results = grade(
        item(fenced(program), sample_id="a", **fields_mbpp), item(fenced(program), sample_id="b", **fields_check)
    )
    assert [r["aggregate_reward_score"] for r in results] == [0.0, 0.0], results
    assert_healthy(grade)


def test_io_forgeries_cannot_pass(grade) -> None:
    cases = [{"input": "2 3\n", "output": "5\n"}]
    exits = "import os\nos._exit(0)\n"
    wrong = "print('PASS')\nprint(4)\n"
    results = grade(item(fenced(exits), test_cases=cases), item(fenced(wrong), test_cases=cases))
    assert [r["aggregate_reward_score"] for r in results] == [0.0, 0.0]


def test_the_program_gets_an_empty_environment(grade, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    program = (
        "import os\ndef leak():\n    with open('/proc/self/environ', 'rb') as h:\n"
        "        raw = h.read()\n    return [dict(os.environ), raw]\n"
    )
    # Python itself may add LC_CTYPE (PEP 538 locale coercion); nothing of the parent's may arrive.
    tests = ["assert sorted(set(leak()[0]) - {'LC_CTYPE'}) == []", "assert b'do-not-leak' not in leak()[1]"]
    [res] = grade(item(fenced(program), tests=tests))
    assert res["aggregate_reward_score"] == 1.0, res


# --- resource abuse --------------------------------------------------------------------------------------------


def _another_checkouts_sandbox(pid: str) -> bool:
    """A sandbox child of another checkout's grader (a shared test host where other sessions run these tests too):
    its command line runs a ``_child.py`` that is not this one. Anything else of the sandbox user still counts."""
    from graders.code_exec.sandbox import CHILD

    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    children = [a.decode(errors="replace") for a in argv if a.endswith(b"/code_exec/_child.py")]
    return bool(children) and all(c != CHILD for c in children)


def _sandbox_processes() -> list[int]:
    """Live processes of the sandbox user (nobody when the tests run as root, else our own descendants)."""
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or _another_checkouts_sandbox(name):
            continue
        try:
            status = Path(f"/proc/{name}/status").read_text()
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        uid = int(next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1])
        state, ppid = stat[stat.rfind(")") + 2 :].split()[:2]
        if state == "Z":
            continue
        if (os.geteuid() == 0 and uid == NOBODY) or (os.geteuid() != 0 and int(ppid) == me):
            out.append(int(name))
    return out


HOSTILE = {
    "fork_bomb": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        "timed_out",
    ),
    # Blocks of 1 GiB: over the 256 MB address-space limit at the first one, whatever the machine's load.
    "memory_bomb": (
        "def add(a, b):\n    blocks = []\n    while True:\n        blocks.append(bytearray(1 << 30))\n",
        "memory_exceeded",
    ),
    "endless_output": ("def add(a, b):\n    while True:\n        print('x' * 4096)\n", "timed_out"),
    "sleep_forever": ("import time\ndef add(a, b):\n    time.sleep(10_000)\n", "timed_out"),
    "cpu_spin": ("def add(a, b):\n    while True:\n        pass\n", "timed_out"),
    "huge_file": (
        "def add(a, b):\n    with open('big', 'wb') as h:\n        while True:\n            h.write(b'x' * 65536)\n",
        "crashed",
    ),
    "deep_recursion": ("def add(a, b):\n    return add(a, b) + 1\n", "crashed"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained_and_the_next_batch_is_normal(grade, name: str) -> None:
    program, flag = HOSTILE[name]
    [res] = grade(item(fenced(program), tests=["assert add(1, 2) == 3"]))
    assert res["aggregate_reward_score"] == 0.0
    assert checks(res)[flag] == 1.0, res
    assert _sandbox_processes() == []
    assert_healthy(grade)


def test_endless_output_to_stdout_is_cut_off(grade) -> None:
    cases = [{"input": "", "output": "1\n"}]
    [res] = grade(item(fenced("while True:\n    print('y' * 10000)\n"), test_cases=cases))
    assert res["aggregate_reward_score"] == 0.0 and checks(res)["output_exceeded"] == 1.0
    assert_healthy(grade)


def test_daemonized_background_process_is_killed(grade, world: Path) -> None:
    beats = world / "beats"  # not swept: the daemon appends a heartbeat here while it lives
    beats.mkdir()
    os.chmod(beats, 0o777)
    heartbeat = beats / "daemon"
    program = (
        "import os, time\n"
        "def add(a, b):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            while True:\n"
        f"                with open({str(heartbeat)!r}, 'a') as h:\n"
        "                    h.write('.')\n"
        "                time.sleep(0.02)\n"
        "        os._exit(0)\n"
        "    time.sleep(0.3)\n"
        "    return a + b\n"
    )
    [res] = grade(item(fenced(program), tests=["assert add(1, 2) == 3"]))
    assert res["aggregate_reward_score"] == 1.0, res
    assert heartbeat.exists(), "the daemon never ran"
    size = heartbeat.stat().st_size
    time.sleep(0.3)
    assert heartbeat.stat().st_size == size, "the daemon outlived its test"
    assert _sandbox_processes() == []
    assert_healthy(grade)


def test_writes_outside_its_directory_are_swept_and_workdirs_removed(grade, env) -> None:
    shared = Path(env["CODE_SWEEP_DIRS"])
    program = (
        "import os\n"
        "def add(a, b):\n"
        f"    open(os.path.join({str(shared)!r}, 'litter.txt'), 'w').write('x')\n"
        "    os.makedirs('locked/deeper')\n"
        "    open('locked/deeper/f', 'w').write('x')\n"
        "    os.chmod('locked/deeper', 0)\n"
        "    os.chmod('locked', 0o500)\n"
        "    return a + b\n"
    )
    [res] = grade(item(fenced(program), tests=ADD_TESTS))
    assert res["aggregate_reward_score"] == 1.0, res
    assert list(shared.iterdir()) == []
    assert list(Path(env["CODE_SCRATCH_DIR"]).iterdir()) == []
    assert_healthy(grade)


def test_deadline_items_not_run_score_zero_with_reason(grade) -> None:
    class Context(LocalContext):
        def __init__(self) -> None:
            self.end = time.monotonic() + 3.0

        def get_remaining_time_in_millis(self) -> int:
            return int((self.end - time.monotonic()) * 1000)

    slow = "import time\ndef add(a, b):\n    time.sleep(10)\n"
    items = [item(fenced(slow), sample_id=f"slow-{i}", tests=ADD_TESTS) for i in range(6)]
    results = grade(*items, context=Context())
    assert [r["id"] for r in results] == [f"slow-{i}" for i in range(6)]
    assert all(r["aggregate_reward_score"] == 0.0 for r in results)
    assert any(checks(r).get("timed_out") == 1.0 and "tests_passed" not in checks(r) for r in results)


def test_items_run_in_parallel_up_to_the_vcpus(env, world: Path) -> None:
    from graders.code_exec.grader import CodeGrader, vcpus

    env = dict(env, CODE_MAX_WORKERS="2")
    handler = handler_for(env)
    marks = world / "marks"
    marks.mkdir()
    os.chmod(marks, 0o777)
    # Each program records when its call started and ended; two workers must have run the calls concurrently.
    program = (
        "import time, os\ndef add(a, b):\n    start = time.time()\n    time.sleep(0.8)\n"
        f"    open(os.path.join({str(marks)!r}, str(a)), 'w').write(f'{{start}} {{time.time()}}')\n"
        "    return a + b\n"
    )
    results = handler(
        [item(fenced(program), sample_id=str(i), tests=[f"assert add({i}, 2) == {i + 2}"]) for i in range(2)]
    )
    assert [r["aggregate_reward_score"] for r in results] == [1.0, 1.0]
    (a_start, a_end), (b_start, b_end) = [tuple(map(float, p.read_text().split())) for p in marks.iterdir()]
    assert a_start < b_end and b_start < a_end, "the two items ran one after the other"
    assert vcpus() >= 1 and CodeGrader.from_environment(env).settings.max_workers == 2


def test_settings_are_validated() -> None:
    from graders.code_exec.grader import CodeSettings

    with pytest.raises(ValueError):
        CodeSettings.from_environment({"CODE_TEST_TIMEOUT_SECONDS": "0"})
    with pytest.raises(ValueError):
        CodeSettings.from_environment({"CODE_SCORING": "best"})
    assert CodeSettings.from_environment({"AWS_LAMBDA_FUNCTION_NAME": "f"}).sweep_dirs == (Path("/tmp"),)
    assert json.dumps(CodeSettings.from_environment({}).scoring) == '"fraction"'


def test_the_grader_process_is_not_dumpable_and_is_a_subreaper(env) -> None:
    import ctypes

    from graders.code_exec.grader import CodeGrader

    grader = CodeGrader.from_environment(env)
    libc = ctypes.CDLL(None)
    assert grader.protected and libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE
    reaper = ctypes.c_int(0)
    assert grader.subreaper and libc.prctl(37, ctypes.byref(reaper), 0, 0, 0) == 0 and reaper.value == 1


def test_exit_builtin_and_stdlib_modules_in_tests(grade) -> None:
    io_program = "print(int(input()) * 2)\nexit()\n"
    [io_res, module_res] = grade(
        item(fenced(io_program), test_cases=[{"input": "4\n", "output": "8\n"}]),
        item(fenced("def half(x):\n    return x / 3\n"), tests=["assert math.isclose(half(3), 1.0)"]),
    )
    assert io_res["aggregate_reward_score"] == 1.0, io_res
    assert module_res["aggregate_reward_score"] == 1.0, module_res


needs_namespaces = pytest.mark.skipif(
    "not __import__('graders.code_exec.sandbox').code_exec.sandbox.namespaces_available()",
    reason="no unprivileged user namespaces here",
)


@needs_namespaces
def test_kill_everything_reaches_only_its_own_namespace(grade, env) -> None:
    if env["CODE_NAMESPACES"] == "false":
        pytest.skip("without namespaces a program can signal its user's processes (README: residual risks)")
    killer = "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n    return a + b\n"
    slow = "import time\ndef add(a, b):\n    time.sleep(0.5)\n    return a + b\n"
    results = grade(
        item(fenced(slow), sample_id="victim", tests=["assert add(1, 2) == 3"]),
        item(fenced(killer), sample_id="killer", tests=["assert add(1, 2) == 3"]),
    )
    assert results[0]["aggregate_reward_score"] == 1.0, results
    assert_healthy(grade)


@needs_namespaces
def test_no_network_not_even_loopback(grade, env) -> None:
    import socket

    if env["CODE_NAMESPACES"] == "false":
        pytest.skip("without namespaces the stack's VPC is the network boundary (README)")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        program = (
            "import socket, os\ndef probe():\n    try:\n"
            f"        socket.create_connection(('127.0.0.1', {port}), timeout=0.5).close()\n"
            "        return 'connected'\n    except OSError:\n        return 'no route'\n"
            "def pid():\n    return os.getpid()\n"
        )
        [res] = grade(item(fenced(program), tests=["assert probe() == 'no route'", "assert pid() == 1"]))
    assert res["aggregate_reward_score"] == 1.0, res


# --- the isolation mode, reported once per container ----------------------------------------------------------


def isolation_lines(caplog) -> list[Any]:
    return [r for r in caplog.records if r.getMessage().startswith("code sandbox isolation: ")]


def test_the_isolation_mode_is_logged_once_per_container(env, caplog, monkeypatch) -> None:
    import logging

    from graders.code_exec import sandbox

    monkeypatch.setattr(sandbox, "_REPORTED", [])  # a fresh container
    with caplog.at_level(logging.INFO, logger="graders"):
        handler = handler_for(env)
        for _ in range(2):  # two batches in one container
            [res] = handler([item(fenced(ADD), tests=ADD_TESTS)], None)
            assert res["aggregate_reward_score"] == 1.0
        handler_for(env)([item(fenced(ADD), tests=ADD_TESTS)], None)  # another grader object, same container
    [line] = isolation_lines(caplog)
    details = json.loads(line.getMessage().split(": ", 1)[1])
    if env["CODE_NAMESPACES"] == "false":
        assert details["mode"] == "processes-only (CODE_NAMESPACES=false)" and line.levelname == "INFO"
    else:
        expected = "namespaces" if sandbox.namespaces_available() else "processes-only"
        assert details["mode"] == expected
        assert line.levelname == ("INFO" if expected == "namespaces" else "WARNING")
    assert details["subreaper"] is True and details["grader_not_dumpable"] is True
    assert details["user"] == ("nobody (grader runs as root)" if os.geteuid() == 0 else "the grader's own user")


def test_a_host_that_refuses_namespaces_is_reported_as_a_warning(env, caplog, monkeypatch) -> None:
    """As on a Lambda without unprivileged user namespaces: the fallback is named in the logs, and grading works."""
    import logging

    from graders.code_exec import sandbox

    if env["CODE_NAMESPACES"] == "false":
        pytest.skip("the fallback is reported only where namespaces were asked for")
    monkeypatch.setattr(sandbox, "_REPORTED", [])
    monkeypatch.setattr(sandbox, "_NAMESPACES", [False])  # the probe's answer on such a host
    with caplog.at_level(logging.INFO, logger="graders"):
        [res] = handler_for(env)([item(fenced(ADD), tests=ADD_TESTS)], None)
    assert res["aggregate_reward_score"] == 1.0
    [line] = isolation_lines(caplog)
    assert line.levelname == "WARNING" and json.loads(line.getMessage().split(": ", 1)[1])["mode"] == "processes-only"
