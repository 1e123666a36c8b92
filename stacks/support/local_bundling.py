"""Docker-free Lambda bundling: vendor a package's requirements for the Lambda platform on the host.

The asset holds the third-party wheels at its root and the package under its own name
(``graders/``, ``rft_job/``), beside the shared first-party packages of ``lambda/`` its code imports
(:data:`SHARED_PACKAGES`, e.g. ``aws_errors/``). Bytecode is compiled with the runtime's Python minor version in
hash-based mode: asset zips carry a fixed 1980 file date, so timestamp-based ``.pyc`` files
would be ignored and every cold start would recompile the sources.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = REPO_ROOT / "lambda"
# First-party packages of lambda/ that several Lambda packages import; each asset carries the ones its code imports.
SHARED_PACKAGES = ("aws_errors",)
CACHE_DIR = REPO_ROOT / ".cache" / "lambda-deps"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_13
RUNTIME_PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_x86_64"
SOURCE_EXCLUDES = ["__pycache__", "*.pyc", "tests"]
# A bundle's dependencies: requirements.in is the human list, requirements.txt its lock (`make lock`).
LOCK_FILE = "requirements.txt"
REQUIREMENTS_FILES = ("requirements.in", LOCK_FILE)
# Test suites inside vendored packages are dead weight in a Lambda (sympy's alone is ~10 MB).
_PRUNED_DIRS = ("tests", "__pycache__")


def runtime_python() -> str | None:
    """An interpreter of the Lambda runtime's minor version, to compile matching bytecode."""
    candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{RUNTIME_PYTHON_VERSION}.*/bin/python3"))]
    candidates += [found for found in [shutil.which(f"python{RUNTIME_PYTHON_VERSION}")] if found]
    for candidate in candidates:  # pyenv shims exist without a usable interpreter behind them
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == RUNTIME_PYTHON_VERSION:
            return candidate
    return None


def _install_requirements(lock: Path) -> Path:
    """Wheels for the Lambda platform from the bundle's lock, hash-checked, cached by the lock's content."""
    key = hashlib.sha256(lock.read_bytes() + f"{PLATFORM}/{RUNTIME_PYTHON_VERSION}".encode()).hexdigest()
    target = CACHE_DIR / key[:16]
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    # The lock is complete (make lock), so --no-deps: nothing outside it is installed, and every file is checked
    # against its hashes. --no-deps also lets pip build the few pure-Python sdist-only packages (langdetect) that a
    # binary-only cross-platform install would refuse; everything else comes as a wheel for the runtime.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "--quiet",
            "install",
            "--require-hashes",
            "--no-deps",
            "--no-compile",
            "--prefer-binary",
            "--target",
            str(target),
            "-r",
            str(lock),
            "--implementation",
            "cp",
            "--platform",
            PLATFORM,
            "--python-version",
            RUNTIME_PYTHON_VERSION,
        ],
        check=True,
    )
    for pruned in _PRUNED_DIRS:
        for folder in list(target.rglob(pruned)):
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
    (target / ".complete").write_text("ok")
    return target


def shared_packages(source_dir: Path) -> list[Path]:
    """The :data:`SHARED_PACKAGES` that the Python code under ``source_dir`` imports."""
    sources = [path.read_text(encoding="utf-8") for path in sorted(source_dir.rglob("*.py"))]
    used = []
    for name in SHARED_PACKAGES:
        statement = re.compile(rf"^\s*(?:from|import)\s+{re.escape(name)}\b", re.MULTILINE)
        if any(statement.search(text) for text in sources):
            used.append(LAMBDA_DIR / name)
    return used


def copy_sources(source_dir: Path, output_dir: Path) -> None:
    """``source_dir`` as ``output_dir/<its name>``, and beside it the shared packages it imports."""
    for package in [source_dir, *shared_packages(source_dir)]:
        shutil.copytree(
            package,
            output_dir / package.name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(*SOURCE_EXCLUDES, *REQUIREMENTS_FILES),
        )


def bundle_package(source_dir: Path, output_dir: Path) -> None:
    """Write the deployable tree for ``source_dir`` into ``output_dir``."""
    lock = source_dir / LOCK_FILE
    if lock.is_file():
        shutil.copytree(
            _install_requirements(lock), output_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete")
        )
    copy_sources(source_dir, output_dir)
    interpreter = runtime_python()
    if interpreter is None:
        print(
            f"warning: no python{RUNTIME_PYTHON_VERSION} found; {source_dir.name} ships without bytecode "
            "and will compile on each cold start",
            file=sys.stderr,
        )
        return
    subprocess.run(
        [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(output_dir)],
        check=True,
    )


@jsii.implements(cdk.ILocalBundling)
class HostPipBundling:
    def __init__(self, source_dir: Path) -> None:
        self._source_dir = source_dir

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: object) -> bool:
        bundle_package(self._source_dir, Path(output_dir))
        return True  # the asset is complete: Docker is never started


def source_hash(source_dir: Path) -> str | None:
    """The asset hash of a package that imports shared packages: its sources and theirs (a change in
    ``aws_errors`` must give every asset that carries it a new hash). ``None``: CDK's own source hash."""
    shared = shared_packages(source_dir)
    if not shared:
        return None
    prints = [cdk.FileSystem.fingerprint(str(path), exclude=SOURCE_EXCLUDES) for path in [source_dir, *shared]]
    return hashlib.sha256("/".join(prints).encode()).hexdigest()


def bundled_code(source_dir: Path) -> lambda_.Code:
    """Lambda code for a package folder under ``lambda/``, its requirements vendored without Docker."""
    return lambda_.Code.from_asset(
        str(source_dir),
        exclude=SOURCE_EXCLUDES,
        asset_hash=source_hash(source_dir),
        bundling=cdk.BundlingOptions(
            image=LAMBDA_RUNTIME.bundling_image,  # required, never used
            local=HostPipBundling(source_dir),
        ),
    )
