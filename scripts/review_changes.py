#!/usr/bin/env python3
"""Call out the risky parts of an infrastructure change for a pull-request review.

Run from the repository root: ``python -m scripts.review_changes --environment dev ...``.
Compares the deployed templates of one environment with the synthesized ones and reports,
above the full ``cdk diff``:
- a change that starts a new paid training job (a new or changed ``Custom::RftTrainingJob``;
  CloudFormation cannot tell, because for a custom resource every change is an "update");
- a data bucket or key that would be replaced or removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.settings import DEFAULT_CONFIG_FILE, load_config, select_environment

JOB_TYPE = "Custom::RftTrainingJob"
JOB_NON_TRAINING_PROPERTIES = frozenset({"ServiceToken", "Tags"})
# Properties whose change makes CloudFormation replace the resource (a new, empty bucket or key).
STATEFUL_REPLACEMENT_PROPERTIES = {
    "AWS::S3::Bucket": frozenset({"BucketName", "ObjectLockEnabled"}),
    "AWS::KMS::Key": frozenset({"KeySpec", "KeyUsage", "MultiRegion"}),
}
STACK_PARTS = ("Data", "Graders", "Training")


@dataclass(frozen=True)
class Risk:
    stack: str
    logical_id: str
    message: str


def _resources(template: Mapping[str, Any]) -> dict[str, dict]:
    return dict(template.get("Resources", {}))


def _training_properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.get("Properties", {}).items() if k not in JOB_NON_TRAINING_PROPERTIES}


def risks_in(stack: str, deployed: Mapping[str, Any], synthesized: Mapping[str, Any]) -> list[Risk]:
    old, new = _resources(deployed), _resources(synthesized)
    found: list[Risk] = []
    for logical_id, resource in new.items():
        if resource.get("Type") != JOB_TYPE:
            continue
        before = old.get(logical_id)
        if before is None:
            found.append(Risk(stack, logical_id, "starts a NEW PAID TRAINING JOB on deploy"))
        elif _training_properties(before) != _training_properties(resource):
            changed = sorted(
                k
                for k in set(_training_properties(before)) | set(_training_properties(resource))
                if _training_properties(before).get(k) != _training_properties(resource).get(k)
            )
            found.append(
                Risk(
                    stack,
                    logical_id,
                    "changes training inputs (" + ", ".join(changed) + "): stops the "
                    "running job and starts a NEW PAID TRAINING JOB",
                )
            )
    for logical_id, resource in old.items():
        kind = resource.get("Type")
        if kind == JOB_TYPE and logical_id not in new:
            found.append(Risk(stack, logical_id, "removes the training job resource: a running job is stopped"))
        if kind not in STATEFUL_REPLACEMENT_PROPERTIES:
            continue
        kept = resource.get("DeletionPolicy") == "Retain"
        if logical_id not in new or new[logical_id].get("Type") != kind:
            fate = "orphaned (retained, no longer managed)" if kept else "DELETED"
            found.append(Risk(stack, logical_id, f"{kind} is removed from the stack and will be {fate}"))
            continue
        changed = sorted(
            p
            for p in STATEFUL_REPLACEMENT_PROPERTIES[kind]
            if resource.get("Properties", {}).get(p) != new[logical_id].get("Properties", {}).get(p)
        )
        if changed:
            found.append(
                Risk(
                    stack,
                    logical_id,
                    f"{kind} is REPLACED (changed: {', '.join(changed)}); "
                    "the old one is " + ("retained but orphaned" if kept else "DELETED"),
                )
            )
    return found


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text()) or {}
    except FileNotFoundError:
        return {}


def stack_names(environment: str, config_file: Path | None = None) -> list[str]:
    """The environment's stack names, as the configuration makes them (``RftData-dev`` ...)."""
    config = select_environment(load_config(config_file or DEFAULT_CONFIG_FILE), environment)
    return [config.stack_name(part) for part in STACK_PARTS]


def review(environment: str, deployed_dir: Path, synthesized_dir: Path, config_file: Path | None = None) -> list[Risk]:
    found = []
    for name in stack_names(environment, config_file):
        synthesized = _load(synthesized_dir / f"{name}.template.json")
        if not synthesized:
            raise FileNotFoundError(f"{synthesized_dir}/{name}.template.json: synthesize the app first")
        found += risks_in(name, _load(deployed_dir / f"{name}.template.json"), synthesized)
    return found


def markdown(environment: str, found: list[Risk], cdk_diff: str | None) -> str:
    lines = [f"### Infrastructure review: `{environment}`", ""]
    if found:
        lines.append(f"**{len(found)} change(s) need a reviewer's attention:**")
        lines += [f"- :warning: `{r.stack}` / `{r.logical_id}`: {r.message}" for r in found]
    else:
        lines.append("No new training job and no replaced or removed data store.")
    if cdk_diff is not None:
        lines += [
            "",
            "<details><summary>cdk diff</summary>",
            "",
            "```",
            cdk_diff.strip()[-60000:],
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--config", type=Path, help="configuration file (default config/environments.json)")
    parser.add_argument("--list-stacks", action="store_true", help="print the environment's stack names and stop")
    parser.add_argument("--deployed", type=Path, help="folder of deployed <stack>.template.json")
    parser.add_argument("--synthesized", type=Path, default=Path("cdk.out"))
    parser.add_argument("--cdk-diff", type=Path, help="the text of `cdk diff` to attach")
    args = parser.parse_args(argv)
    try:
        if args.list_stacks:
            print("\n".join(stack_names(args.environment, args.config)))
            return 0
        if args.deployed is None:
            parser.error("--deployed is required")
        found = review(args.environment, args.deployed, args.synthesized, args.config)
    except (FileNotFoundError, json.JSONDecodeError, ValueError) as exc:
        print(f"review_changes: {exc}", file=sys.stderr)
        return 2
    diff_text = args.cdk_diff.read_text() if args.cdk_diff else None
    sys.stdout.write(markdown(args.environment, found, diff_text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
