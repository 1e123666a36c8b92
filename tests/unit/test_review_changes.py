"""The pull-request review calls out new paid training jobs and replaced or removed data stores."""

from __future__ import annotations

import copy
import json
from typing import Any

from scripts import post_deploy_check
from scripts.review_changes import main, markdown, risks_in

JOB: dict[str, Any] = {
    "Type": "Custom::RftTrainingJob",
    "Properties": {
        "ServiceToken": "arn:provider",
        "InputsFingerprint": "dataset=aa",
        "HyperParameters": {"epochCount": 2},
        "Tags": {"team": "a"},
    },
}
BUCKET: dict[str, Any] = {
    "Type": "AWS::S3::Bucket",
    "DeletionPolicy": "Retain",
    "Properties": {"BucketName": "rft-dev-data-1-us-east-1"},
}


def template(**resources):
    return {"Resources": copy.deepcopy(resources)}


def test_a_new_job_resource_is_a_new_paid_training_job():
    risks = risks_in("RftTraining-dev", {}, template(Job=JOB))
    assert [r.message for r in risks] == ["starts a NEW PAID TRAINING JOB on deploy"]


def test_changed_training_inputs_are_called_out_but_tags_and_token_are_not():
    changed = copy.deepcopy(JOB)
    changed["Properties"]["InputsFingerprint"] = "dataset=bb"
    risks = risks_in("RftTraining-dev", template(Job=JOB), template(Job=changed))
    assert len(risks) == 1 and "InputsFingerprint" in risks[0].message and "NEW PAID" in risks[0].message
    cosmetic = copy.deepcopy(JOB)
    cosmetic["Properties"].update(Tags={"team": "b"}, ServiceToken="arn:other")
    assert risks_in("RftTraining-dev", template(Job=JOB), template(Job=cosmetic)) == []


def test_bucket_replacement_and_removal_are_called_out():
    renamed = copy.deepcopy(BUCKET)
    renamed["Properties"]["BucketName"] = "other"
    replaced = risks_in("RftData-dev", template(Bucket=BUCKET), template(Bucket=renamed))
    assert "REPLACED (changed: BucketName)" in replaced[0].message
    removed = risks_in("RftData-dev", template(Bucket=BUCKET), template())
    assert "orphaned" in removed[0].message
    unretained = dict(BUCKET, DeletionPolicy="Delete")
    assert "DELETED" in risks_in("RftData-dev", template(Bucket=unretained), template())[0].message


def test_unchanged_stacks_have_nothing_to_call_out():
    assert risks_in("RftData-dev", template(Bucket=BUCKET, Job=JOB), template(Bucket=BUCKET, Job=JOB)) == []
    assert "No new training job" in markdown("dev", [], None)


def test_command_line_writes_a_markdown_review_with_the_diff(tmp_path, capsys):
    deployed, synthesized = tmp_path / "deployed", tmp_path / "cdk.out"
    deployed.mkdir(), synthesized.mkdir()
    for part in ("Data", "Graders", "Training"):
        (synthesized / f"Rft{part}-dev.template.json").write_text(json.dumps(template()))
    (synthesized / "RftTraining-dev.template.json").write_text(json.dumps(template(Job=JOB)))
    (tmp_path / "diff.txt").write_text("Stack RftTraining-dev\n[+] Custom::RftTrainingJob")
    assert (
        main(
            [
                "--environment",
                "dev",
                "--deployed",
                str(deployed),
                "--synthesized",
                str(synthesized),
                "--cdk-diff",
                str(tmp_path / "diff.txt"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert ":warning: `RftTraining-dev` / `Job`: starts a NEW PAID TRAINING JOB" in out
    assert "[+] Custom::RftTrainingJob" in out
    assert main(["--environment", "qa", "--deployed", str(deployed), "--synthesized", str(synthesized)]) == 2


def test_post_deploy_check_accepts_good_outputs_and_lists_bad_ones():
    good = {
        "EXPECTED_PROJECT": "rft",
        "EXPECTED_ENVIRONMENT": "prod",
        "BUCKET_NAME": "rft-prod-data-333333333333-us-east-1",
        "DATASET_URI": "s3://rft-prod-data-333333333333-us-east-1/training/math_word_problems.jsonl",
        "GRADER_FUNCTION": "rft-prod-math-grader",
        "JOB_ARN": "arn:aws:bedrock:us-east-1:333333333333:model-customization-job/amazon.nova-2-lite-v1:0:256k/x1",
    }
    assert post_deploy_check.problems(good) == []
    bad = dict(good, BUCKET_NAME="someone-elses-bucket", JOB_ARN="")
    assert len(post_deploy_check.problems(bad)) == 2


def test_pull_request_workflow_passes_actionlint():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run(
        [str(actionlint), *map(str, (root / ".github" / "workflows").glob("*.yml"))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
