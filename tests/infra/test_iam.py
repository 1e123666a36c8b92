"""IAM: the Bedrock service role's trust and scope, least-privilege Lambda roles, no wildcard actions."""

from __future__ import annotations

import json
from collections.abc import Iterator


def policy_statements(template) -> Iterator[dict]:
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in template.find_resources(resource_type).values():
            yield from policy["Properties"]["PolicyDocument"]["Statement"]
    for role in template.find_resources("AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            yield from inline["PolicyDocument"]["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


def service_role(template) -> dict:
    roles = [
        r
        for r in template.find_resources("AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "bedrock.amazonaws.com"
    ]
    assert len(roles) == 1
    return roles[0]


def service_statements(template) -> dict[str, dict]:
    policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any(s.get("Sid") == "InvokeGrader" for s in p["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert len(policies) == 1
    return {s["Sid"]: s for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]}


def test_bedrock_trusts_the_role_only_for_this_accounts_customization_jobs(dev):
    statement = service_role(dev["training"])["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source_arn == ["arn:aws:bedrock:us-east-1:", {"Ref": "AWS::AccountId"}, ":model-customization-job/*"]


def test_service_role_reads_training_data_writes_output_and_invokes_only_the_grader(prod):
    statements = service_statements(prod["training"])
    bucket = "arn:aws:s3:::rft-prod-data-333333333333-us-east-1"
    assert statements["ReadTrainingData"]["Action"] == "s3:GetObject"
    assert statements["ReadTrainingData"]["Resource"] == f"{bucket}/training/*"
    assert statements["WriteJobOutput"]["Resource"] == f"{bucket}/output/*"
    assert sorted(statements["WriteJobOutput"]["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert statements["ListDataBucket"]["Resource"] == bucket
    writes = [s for s in statements.values() if "s3:PutObject" in as_list(s["Action"])]
    assert writes == [statements["WriteJobOutput"]]
    grader = "arn:aws:lambda:us-east-1:333333333333:function:rft-prod-math-grader"
    assert statements["InvokeGrader"] == {
        "Action": "lambda:InvokeFunction",
        "Effect": "Allow",
        "Resource": [grader, f"{grader}:*"],
        "Sid": "InvokeGrader",
    }
    assert statements["UseDataKey"]["Action"] == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
    assert statements["UseDataKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/rft-prod-rft-data"}
    }


def test_no_policy_allows_a_wildcard_or_service_wide_action(dev, prod):
    for synthesized in (dev, prod):
        for template in synthesized.templates.values():
            for statement in policy_statements(template):
                for action in as_list(statement.get("Action", [])):
                    assert action != "*" and not action.endswith(":*"), statement


def test_pass_role_is_limited_to_the_service_role_and_to_bedrock(dev):
    passes = [s for s in policy_statements(dev["training"]) if "iam:PassRole" in as_list(s["Action"])]
    assert len(passes) == 1
    assert passes[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    resource = passes[0]["Resource"]
    assert resource["Fn::GetAtt"][1] == "Arn" and resource["Fn::GetAtt"][0].startswith("BedrockServiceRole")


def test_job_handler_may_only_create_read_and_stop_customization_jobs(dev):
    actions = {
        a
        for s in policy_statements(dev["training"])
        if s.get("Sid") in {"StartJob", "ReadAndStopJob"}
        for a in as_list(s["Action"])
    }
    assert actions == {
        "bedrock:CreateModelCustomizationJob",
        "bedrock:TagResource",
        "bedrock:GetModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
    }


def test_grader_roles_write_logs_and_only_the_judge_calls_bedrock(dev):
    by_action: dict[str, list] = {}
    for statement in policy_statements(dev["graders"]):
        if statement.get("Sid") in ("LambdaManagesVpcInterfaces", "NoInterfaceCallsFromFunctionCode"):
            continue  # the code grader's VPC interfaces (tests/infra/test_isolated_grader_network.py)
        if "vpc-flow-logs" in json.dumps(statement):
            continue  # the sandbox network's flow-log role
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).append(statement["Resource"])
    assert set(by_action) <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "bedrock:InvokeModel",
        "logs:DescribeLogStreams",
        "logs:CreateLogGroup",
    }
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "bedrock:InvokeModel"} <= set(by_action)
    judge_arn = "arn:aws:bedrock:us-east-1::foundation-model/openai.gpt-oss-120b-1:0"
    assert by_action["bedrock:InvokeModel"] == [judge_arn, judge_arn]  # the judge and the composite


def test_inference_profile_judge_gets_the_profile_and_its_destination_models():
    from stacks.constructs.grader_function import judge_model_arns

    arns = judge_model_arns("us.amazon.nova-premier-v1:0", region="us-east-1", account="123456789012")
    assert arns == [
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0",
        "arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-premier-v1:0",
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-premier-v1:0",
    ]
    assert judge_model_arns(arns[0], region="us-east-1", account="123456789012") == arns
    model_arn = "arn:aws:bedrock:us-east-1::foundation-model/openai.gpt-oss-120b-1:0"
    assert judge_model_arns(model_arn, region="us-east-1", account="123456789012") == [model_arn]


def test_no_lambda_role_uses_an_aws_managed_policy(dev):
    for name, template in dev.templates.items():
        for role in template.find_resources("AWS::IAM::Role").values():
            if name != "data":  # the data stack's only Lambda is CDK's BucketDeployment (acknowledged)
                assert "ManagedPolicyArns" not in role["Properties"]


def test_training_stack_imports_nothing_from_the_stateful_data_stack(prod):
    assert "Fn::ImportValue" not in json.dumps(prod.raw["training"])
    aliases = prod["data"].find_resources("AWS::KMS::Alias")
    assert [a["Properties"]["AliasName"] for a in aliases.values()] == ["alias/rft-prod-rft-data"]
