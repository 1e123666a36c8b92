#!/usr/bin/env python3
"""Post-deploy check of one pipeline stage: its stack outputs describe a usable RFT pipeline.

The delivery pipeline passes the deployed stacks' outputs as environment variables. Exit 1
(with every problem listed) stops the rollout before the next environment.
"""

from __future__ import annotations

import os
import re
import sys

JOB_ARN = re.compile(r"^arn:aws:bedrock:us-east-1:\d{12}:model-customization-job/\S+$")


def problems(env: dict[str, str]) -> list[str]:
    found = []
    project, environment = env.get("EXPECTED_PROJECT", ""), env.get("EXPECTED_ENVIRONMENT", "")
    bucket = env.get("BUCKET_NAME", "")
    if not re.fullmatch(rf"{project}-{environment}-data-\d{{12}}-us-east-1", bucket):
        found.append(f"BUCKET_NAME {bucket!r} is not this environment's data bucket")
    if not env.get("DATASET_URI", "").startswith("s3://"):
        found.append(f"DATASET_URI {env.get('DATASET_URI')!r} is not an S3 URI")
    if not env.get("GRADER_FUNCTION", "").startswith(f"{project}-{environment}-"):
        found.append(f"GRADER_FUNCTION {env.get('GRADER_FUNCTION')!r} is not this environment's grader")
    job = env.get("JOB_ARN", "")
    if not (JOB_ARN.match(job) or job.startswith("not started")):
        found.append(f"JOB_ARN {job!r} is neither a customization job ARN nor 'not started'")
    return found


def main() -> int:
    found = problems(dict(os.environ))
    for problem in found:
        print(f"post-deploy check: {problem}", file=sys.stderr)
    if not found:
        print(f"post-deploy check: {os.environ.get('EXPECTED_ENVIRONMENT')} outputs look right")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
