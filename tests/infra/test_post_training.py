"""After training: job-end notification, optional model deployment, grader dashboard and alarms."""

from __future__ import annotations

import json

import pytest

from graders.catalog import GRADERS as KINDS
from stacks.constructs.model_deployment import CLEANUP_RESOURCE_TYPE
from stacks.constructs.monitoring_dashboard import GRADER_NAMESPACE, REWARD_METRIC, TOKEN_METRICS

from .test_iam import as_list, policy_statements


def resources(template, resource_type: str) -> dict[str, dict]:
    return template.find_resources(resource_type)


def only(template, resource_type: str) -> tuple[str, dict]:
    found = resources(template, resource_type)
    assert len(found) == 1, (resource_type, list(found))
    return next(iter(found.items()))


def job_rule(template) -> dict:
    rules = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.bedrock"]
    ]
    assert len(rules) == 1
    return rules[0]


def topic_id(template) -> str:
    return only(template, "AWS::SNS::Topic")[0]


def dashboard_body(template) -> dict:
    """The dashboard JSON, its tokens (region, alarm ARNs) filled in."""
    body = only(template, "AWS::CloudWatch::Dashboard")[1]["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        body = "".join(_token_text(part) for part in body["Fn::Join"][1])
    return json.loads(body)


def _token_text(part) -> str:
    if isinstance(part, str):
        return part
    if part == {"Ref": "AWS::Region"}:
        return "us-east-1"
    assert part["Fn::GetAtt"][1] == "Arn", part
    return f"arn-of-{part['Fn::GetAtt'][0]}"


def dashboard_metrics(template) -> list[dict]:
    """Every metric line of every graph as {namespace, name, dimensions, stat}."""
    lines: list[dict] = []
    for widget in dashboard_body(template)["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            *names, options = line if isinstance(line[-1], dict) else (*line, {})
            if "expression" in options:  # metric math (the reward-health lines): its inputs are listed too
                continue
            if names and names[0] == ".":  # an input of metric math, repeating the previous line's namespace
                names = [lines[-1]["namespace"] if lines else "BedrockRFT", *names[1:]]
            namespace, metric, *pairs = names
            lines.append(
                {
                    "namespace": namespace,
                    "name": metric,
                    "stat": options.get("stat", "Average"),  # the dashboard default
                    "dimensions": dict(zip(pairs[::2], pairs[1::2])),
                }
            )
    return lines


def role_actions(template, role_prefix: str) -> dict[str, list]:
    """action -> resources, over the policies attached to the role whose logical id starts with role_prefix."""
    granted: dict[str, list] = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                for action in as_list(statement["Action"]):
                    granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


def arn_text(value) -> str:
    """A Fn::Join ARN as text, the account as <account>."""
    if isinstance(value, str):
        return value
    return "".join(p if isinstance(p, str) else "<account>" for p in value["Fn::Join"][1])


# The rule and the topic


def test_rule_matches_this_pipelines_ended_jobs_on_detail_job_status(dev):
    pattern = job_rule(dev["training"])["EventPattern"]
    assert pattern["source"] == ["aws.bedrock"]
    assert pattern["detail-type"] == ["Model Customization Job State Change"]
    assert pattern["detail"] == {
        "jobStatus": ["Completed", "Failed", "Stopped"],
        "jobName": [{"prefix": "rft-dev-"}],
    }  # never `status`: it never matches


def test_without_deployment_the_rule_sends_a_readable_summary_to_the_topic(dev):
    targets = job_rule(dev["training"])["Targets"]
    assert len(targets) == 1 and targets[0]["Arn"] == {"Ref": topic_id(dev["training"])}
    transformer = targets[0]["InputTransformer"]
    assert set(transformer["InputPathsMap"].values()) >= {
        "$.detail.jobName",
        "$.detail.jobStatus",
        "$.detail.failureMessage",
        "$.detail.outputModelArn",
    }
    template = transformer["InputTemplate"]
    paths = {v: k for k, v in transformer["InputPathsMap"].items()}
    assert f"ended: <{paths['$.detail.jobStatus']}>" in template
    assert f"Failure message (Failed jobs only): <{paths['$.detail.failureMessage']}>" in template


def test_with_deployment_only_the_handler_receives_the_events_so_nobody_gets_two_emails(deploying):
    template = deploying["training"]
    targets = job_rule(template)["Targets"]
    assert len(targets) == 1 and targets[0]["Arn"]["Fn::GetAtt"][0].startswith("ModelDeploymentHandler")
    assert "InputTransformer" not in targets[0]


def test_topic_is_encrypted_with_its_own_rotating_key_and_refuses_plain_http(dev):
    template = dev["training"]
    key_id, key = only(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    topic = only(template, "AWS::SNS::Topic")[1]
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = only(template, "AWS::SNS::TopicPolicy")[1]["Properties"]["PolicyDocument"]["Statement"]
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id(template)},
        "Sid": "AllowPublishThroughSSLOnly",
    } in statements


def key_policy_grants(template) -> dict[str, set[str]]:
    """service principal -> KMS actions the topic key's policy allows it."""
    grants: dict[str, set[str]] = {}
    for statement in only(template, "AWS::KMS::Key")[1]["Properties"]["KeyPolicy"]["Statement"]:
        for service in as_list(statement["Principal"].get("Service", [])):
            grants.setdefault(service, set()).update(as_list(statement["Action"]))
    return grants


def test_key_policy_lets_eventbridge_and_cloudwatch_encrypt_for_the_topic(dev):
    needed = {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert key_policy_grants(dev["training"]) == {"events.amazonaws.com": needed, "cloudwatch.amazonaws.com": needed}


def test_with_deployment_eventbridge_no_longer_publishes_so_only_alarms_use_the_key(deploying):
    assert set(key_policy_grants(deploying["training"])) == {"cloudwatch.amazonaws.com"}


def test_topic_policy_lets_only_this_accounts_alarms_publish(dev):
    statements = only(dev["training"], "AWS::SNS::TopicPolicy")[1]["Properties"]["PolicyDocument"]["Statement"]
    alarms = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(alarms) == 1
    assert alarms[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert (
        arn_text(alarms[0]["Condition"]["ArnLike"]["aws:SourceArn"]) == "arn:aws:cloudwatch:us-east-1:<account>:alarm:*"
    )


@pytest.mark.parametrize(
    "variant,emails",
    [("dev", []), ("deploying", ["a@example.com", "b@example.com"]), ("prod", ["ml-team@example.com"])],
)
def test_email_subscriptions_come_from_the_configuration(request, variant, emails):
    template = request.getfixturevalue(variant)["training"]
    subscriptions = [s["Properties"] for s in resources(template, "AWS::SNS::Subscription").values()]
    assert sorted(s["Endpoint"] for s in subscriptions) == emails
    assert all(s["Protocol"] == "email" and s["TopicArn"] == {"Ref": topic_id(template)} for s in subscriptions)


# Model deployment


def test_no_deployment_machinery_unless_configured(dev):
    template = dev["training"]
    assert resources(template, CLEANUP_RESOURCE_TYPE) == {}
    handlers = [f["Properties"]["Handler"] for f in resources(template, "AWS::Lambda::Function").values()]
    assert not any(h.startswith("rft_job.events.") for h in handlers)
    assert "DeploymentArnParameter" not in template.find_outputs("*")


@pytest.mark.parametrize("variant,retain", [("deploying", "false"), ("prod", "true")])
def test_cleanup_resource_carries_the_parameter_and_the_retain_choice(request, variant, retain):
    synthesized = request.getfixturevalue(variant)
    environment = "prod" if variant == "prod" else "dev"
    properties = only(synthesized["training"], CLEANUP_RESOURCE_TYPE)[1]["Properties"]
    assert properties["ParameterName"] == f"/rft/{environment}/custom-model-deployment-arn"
    assert properties["RetainOnDelete"] == retain
    outputs = synthesized["training"].find_outputs("*")
    assert outputs["DeploymentArnParameter"]["Value"] == f"/rft/{environment}/custom-model-deployment-arn"


def test_deployment_handler_is_configured_for_this_pipeline_and_reports_its_own_failures(deploying):
    template = deploying["training"]
    handlers = {
        k: f["Properties"]
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"].startswith("rft_job.events.")
    }
    assert sorted(h["Handler"] for h in handlers.values()) == [
        "rft_job.events.index.on_cleanup_event",
        "rft_job.events.index.on_job_event",
    ]
    handler_id, handler = next((k, h) for k, h in handlers.items() if h["Handler"].endswith("on_job_event"))
    variables = handler["Environment"]["Variables"]
    assert variables["JOB_NAME_PREFIX"] == "rft-dev-"
    assert variables["DEPLOYMENT_PARAMETER"] == "/rft/dev/custom-model-deployment-arn"
    assert variables["TOPIC_ARN"] == {"Ref": topic_id(template)}
    assert json.loads(variables["DEPLOYMENT_TAGS"]) == {"rft:environment": "dev", "rft:project": "rft"}
    assert handler["Runtime"] == "python3.13" and handler["Timeout"] == 900
    invoke_config = only(template, "AWS::Lambda::EventInvokeConfig")[1]["Properties"]
    assert invoke_config["FunctionName"] == {"Ref": handler_id}
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {"Ref": topic_id(template)}


def test_deployment_handler_may_only_deploy_models_record_the_arn_and_notify(deploying):
    template = deploying["training"]
    granted = role_actions(template, "ModelDeploymentHandlerRole")
    assert {a for a in granted if a.startswith("bedrock:")} == {
        "bedrock:GetCustomModel",
        "bedrock:CreateCustomModelDeployment",
        "bedrock:GetCustomModelDeployment",
        "bedrock:TagResource",
    }
    models = "arn:aws:bedrock:us-east-1:<account>:custom-model/*"
    deployments = "arn:aws:bedrock:us-east-1:<account>:custom-model-deployment/*"
    assert [arn_text(r) for r in granted["bedrock:GetCustomModel"]] == [models]
    assert sorted(arn_text(r) for r in granted["bedrock:CreateCustomModelDeployment"]) == sorted([models, deployments])
    assert [arn_text(r) for r in granted["bedrock:GetCustomModelDeployment"]] == [deployments]
    parameter = "arn:aws:ssm:us-east-1:<account>:parameter/rft/dev/custom-model-deployment-arn"
    assert {a: [arn_text(r) for r in granted[a]] for a in granted if a.startswith("ssm:")} == {
        "ssm:GetParameter": [parameter],
        "ssm:PutParameter": [parameter],
    }
    assert granted["sns:Publish"] == [{"Ref": topic_id(template)}]
    key_id = only(template, "AWS::KMS::Key")[0]
    assert all(
        r == {"Fn::GetAtt": [key_id, "Arn"]} for a in ("kms:Decrypt", "kms:GenerateDataKey*") for r in granted[a]
    )


def test_cleanup_handler_may_only_delete_the_deployment_and_its_record(deploying):
    granted = role_actions(deploying["training"], "ModelDeploymentCleanupRole")
    assert {a: sorted(arn_text(r) for r in rs) for a, rs in granted.items() if not a.startswith("logs:")} == {
        "bedrock:DeleteCustomModelDeployment": ["arn:aws:bedrock:us-east-1:<account>:custom-model-deployment/*"],
        "ssm:GetParameter": ["arn:aws:ssm:us-east-1:<account>:parameter/rft/dev/custom-model-deployment-arn"],
        "ssm:DeleteParameter": ["arn:aws:ssm:us-east-1:<account>:parameter/rft/dev/custom-model-deployment-arn"],
    }


def test_no_post_training_policy_grants_a_wildcard_action(deploying):
    for statement in policy_statements(deploying["training"]):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement


# Dashboard and alarms


def test_dashboard_shows_calls_errors_throttles_and_duration_percentiles_of_every_grader(dev):
    lines = dashboard_metrics(dev["training"])
    for kind in KINDS:
        function = {"FunctionName": f"rft-dev-{kind}-grader"}
        lambda_lines = {
            (m["name"], m["stat"]) for m in lines if m["namespace"] == "AWS/Lambda" and m["dimensions"] == function
        }
        assert lambda_lines == {
            ("Invocations", "Sum"),
            ("Errors", "Sum"),
            ("Throttles", "Sum"),
            ("Duration", "p50"),
            ("Duration", "p99"),
        }, kind


def test_dashboard_reward_uses_the_graders_exact_dimension_set(dev):
    lines = dashboard_metrics(dev["training"])
    for kind in KINDS:
        reward = {
            m["stat"]
            for m in lines
            if m["namespace"] == GRADER_NAMESPACE
            and m["name"] == REWARD_METRIC
            and m["dimensions"] == {"grader": kind, "service": f"rft-grader-{kind}"}
        }
        assert reward == {"Average", "p10", "p50", "p90"}, kind


def test_dashboard_sums_judge_tokens_for_the_graders_that_call_the_judge(dev):
    tokens = {
        (m["dimensions"]["grader"], m["name"], m["stat"])
        for m in dashboard_metrics(dev["training"])
        if m["name"] in TOKEN_METRICS
    }
    # dev's composite weights the judge 0.2, so the composite calls it too.
    assert tokens == {(kind, name, "Sum") for kind in ("judge", "composite") for name in TOKEN_METRICS}


def test_dashboard_metrics_match_what_the_graders_emit(capsys):
    """The contract between the handler kit and the dashboard: same namespace, names and dimensions."""
    from graders.contract import Grade
    from graders.math_handler import handler
    from tests.support.grader_handlers import handler_with

    handler(
        [
            {
                "id": "1",
                "messages": [
                    {"role": "user", "content": "1+1?"},
                    {"role": "assistant", "content": "The answer is \\boxed{2}"},
                ],
                "reference_answer": "2",
            }
        ],
        None,
    )

    def judged(samples, deadline):  # what the composite reports for items its judge part graded
        return [
            Grade(score=0.5, metrics={"judge.input_tokens": 100.0 + i, "judge.output_tokens": 10.0})
            for i, _ in enumerate(samples)
        ]

    batch = [
        {
            "id": str(i),
            "messages": [{"role": "user", "content": "Summarise"}, {"role": "assistant", "content": "Done."}],
        }
        for i in range(3)
    ]
    handler_with("composite", lambda: judged)(batch, None)
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    by_grader = {d["grader"]: d for d in documents}
    for kind, document in by_grader.items():
        directive = document["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == GRADER_NAMESPACE
        assert directive["Dimensions"] == [["grader", "service"]] and document["service"] == f"rft-grader-{kind}"
    assert by_grader["math"][REWARD_METRIC] == [1.0]
    assert by_grader["composite"]["JudgeInputTokens"] == [303.0]  # the batch total, so Sum adds up
    assert by_grader["composite"]["JudgeOutputTokens"] == [30.0]


def test_every_grader_has_error_and_throttle_alarms_that_notify_the_topic(dev):
    template = dev["training"]
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert all(alarm["AlarmActions"] == [{"Ref": topic_id(template)}] for alarm in alarms)
    # Reward-health alarms (tests/infra/test_preflight.py) are named after what they watch.
    alarms = [a for a in alarms if a["AlarmName"].rsplit("-", 1)[-1] in ("errors", "throttles")]
    watched = set()
    for alarm in alarms:
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        stat = alarm["Metrics"][0]["MetricStat"] if "Metrics" in alarm else alarm
        metric = stat.get("Metric", stat)
        assert metric["Namespace"] == "AWS/Lambda"
        watched.add((metric["Dimensions"][0]["Value"], metric["MetricName"]))
    assert watched == {(f"rft-dev-{kind}-grader", name) for kind in KINDS for name in ("Errors", "Throttles")}


def test_training_stack_outputs_topic_and_dashboard(dev):
    outputs = dev["training"].find_outputs("*")
    assert outputs["NotificationTopicArn"]["Value"] == {"Ref": topic_id(dev["training"])}
    assert outputs["DashboardName"]["Value"] == "rft-dev-rft-graders"
    assert outputs["DashboardUrl"]["Value"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?"
        "region=us-east-1#dashboards/dashboard/rft-dev-rft-graders"
    )
