"""A digest of everything that changes what a training job learns, known at synth time.

The job's names derive from it (see ``lambda/rft_job/job_spec.py``), so editing a dataset row
or a line of grader code shows up in ``cdk diff`` as a new training job.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

_IGNORED_PARTS = {"__pycache__", "tests"}


def files_digest(paths: Iterable[Path], *, root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def tree_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*")
            if p.is_file() and not _IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc"]


def inputs_fingerprint(*, dataset_files: Iterable[Path], grader_dir: Path, grader_settings: Mapping[str, Any],
                       root: Path) -> str:
    settings = hashlib.sha256(json.dumps(grader_settings, sort_keys=True).encode()).hexdigest()[:16]
    return (f"dataset={files_digest(dataset_files, root=root)};"
            f"grader-code={files_digest(tree_files(grader_dir), root=root)};grader-settings={settings}")
