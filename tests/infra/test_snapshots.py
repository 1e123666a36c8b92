"""Snapshots of the synthesized templates, so a reviewer sees every infrastructure change as a diff.

Asset hashes are normalized (they differ across machines and with any source byte); everything
else, including the training job's input fingerprint, is compared as is. After an intended
change, refresh with: ``UPDATE_SNAPSHOTS=1 make test`` and commit the snapshot diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# Logical ids of the resources whose replacement loses data or starts a paid job: never change by accident.
STATEFUL_LOGICAL_IDS = {
    "data": {"DataBucketE6B0FAA8": "AWS::S3::Bucket", "DataAccessLogsC0C25EE4": "AWS::S3::Bucket"},
    "prod-data": {"DataKey5F086070": "AWS::KMS::Key"},
    "training": {"TrainingJobC32D198B": "Custom::RftTrainingJob"},
}


def normalized(template: dict) -> str:
    return _ASSET_HASH.sub("<asset-hash>", json.dumps(template, indent=1, sort_keys=True)) + "\n"


@pytest.mark.parametrize("label", ["dev", "prod"])
@pytest.mark.parametrize("part", ["data", "graders", "training"])
def test_template_matches_its_snapshot(dev, prod, label, part):
    text = normalized({"dev": dev, "prod": prod}[label].raw[part])
    snapshot = SNAPSHOT_DIR / f"{label}-{part}.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT_DIR.mkdir(exist_ok=True)
        snapshot.write_text(text)
    assert snapshot.is_file(), f"no snapshot {snapshot.name}: run UPDATE_SNAPSHOTS=1 make test and commit it"
    assert text == snapshot.read_text(), (
        f"{label}-{part} template changed; review `git diff` after UPDATE_SNAPSHOTS=1 make test"
    )


def test_stateful_logical_ids_never_change(dev, prod):
    for key, expected in STATEFUL_LOGICAL_IDS.items():
        synthesized, part = (prod, "data") if key == "prod-data" else (dev, key)
        resources = synthesized.raw[part]["Resources"]
        for logical_id, kind in expected.items():
            assert resources.get(logical_id, {}).get("Type") == kind, (
                f"{kind} {logical_id} is missing: a changed logical id replaces the resource"
            )
