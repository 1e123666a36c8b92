"""A digest of everything that changes what a training job learns, known at synth time.

The job's names derive from it (see ``lambda/rft_job/custom_resource/job_spec.py``), so editing a dataset row
or a line of grader code shows up in ``cdk diff`` as a new training job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_IGNORED_PARTS = {"__pycache__", "tests"}


def files_digest(paths: Iterable[Path], *, root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The files of these files and folders, without caches and tests."""
    found: list[Path] = []
    for path in paths:
        candidates = path.rglob("*") if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and not _IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc"]
    return found


def inputs_fingerprint(
    *, dataset_files: Iterable[Path], grader_code: Iterable[Path], grader_settings: Mapping[str, Any], root: Path
) -> str:
    settings = hashlib.sha256(json.dumps(grader_settings, sort_keys=True).encode()).hexdigest()[:16]
    return (
        f"dataset={files_digest(dataset_files, root=root)};"
        f"grader-code={files_digest(source_files(grader_code), root=root)};grader-settings={settings}"
    )
