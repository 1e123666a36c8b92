"""The data bucket: private, SSL-only, encrypted, versioned, logged, retained; datasets uploaded."""

import json

from aws_cdk.assertions import Match


def data_bucket(template):
    buckets = template.find_resources("AWS::S3::Bucket", {"Properties": {"LoggingConfiguration": Match.any_value()}})
    assert len(buckets) == 1
    return next(iter(buckets.values()))


def test_data_bucket_is_private_versioned_logged_and_retained(dev):
    bucket = data_bucket(dev["data"])
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "data-bucket/"
    assert (
        props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "AES256"
    )
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"


def test_every_bucket_policy_denies_requests_without_tls(dev):
    policies = dev["data"].find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2  # data bucket and access-log bucket
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s["Action"] == "s3:*"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_customer_managed_key_encrypts_the_data_when_configured(prod):
    template = prod["data"]
    template.has_resource("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain"})
    sse = data_bucket(template)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in sse["ServerSideEncryptionByDefault"] and sse["BucketKeyEnabled"] is True


def test_bucket_name_is_deterministic_per_environment(dev, prod):
    name = data_bucket(prod["data"])["Properties"]["BucketName"]
    assert name == "rft-prod-data-333333333333-us-east-1"
    assert data_bucket(dev["data"])["Properties"]["BucketName"] == {
        "Fn::Join": ["", ["rft-dev-data-", {"Ref": "AWS::AccountId"}, "-us-east-1"]]
    }


def test_datasets_are_uploaded_under_the_training_prefix_and_kept(dev):
    dev["data"].has_resource_properties(
        "Custom::CDKBucketDeployment",
        {"DestinationBucketKeyPrefix": "training/", "RetainOnDelete": True, "Prune": False},
    )


def test_outputs_name_the_bucket_and_dataset(dev):
    outputs = dev["data"].find_outputs("*")
    assert {"BucketName", "DatasetUri", "OutputUri"} <= set(outputs)
    uri = outputs["DatasetUri"]["Value"]["Fn::Join"][1]
    assert uri[0] == "s3://" and uri[-1] == "/training/math_word_problems.jsonl"


def test_only_the_configured_datasets_are_uploaded(dev):
    """Synth validates the configured files; any other ``datasets/*.jsonl`` never reaches the bucket."""
    from pathlib import Path

    staged = {p.name for p in Path(dev.assembly_dir).glob("asset.*/*.jsonl")}
    assert staged == {"math_word_problems.jsonl"}


def test_invocation_logging_is_managed_only_when_asked():
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from config.settings import parse_config
    from stacks.data_stack import DataStack
    from stacks.environment import DATASETS_DIR

    from .conftest import CDK_CONTEXT, document_with

    document = document_with()
    document["defaults"]["grader"] = "judge"
    document["defaults"]["dataset"] = {"invocationLogs": {"s3Uri": "s3://my-logs/bedrock/", "manageLogging": True}}
    document["environments"]["prod"]["evaluation"] = {"enabled": False}  # no file to evaluate on
    config = parse_config(document)["dev"]
    env = cdk.Environment(account="111111111111", region="us-east-1")
    managed = DataStack(cdk.App(context=CDK_CONTEXT), "D", config=config, datasets_dir=DATASETS_DIR, env=env)
    resources = Template.from_stack(managed).find_resources("Custom::BedrockInvocationLogging")
    assert [r["Properties"]["BucketName"] for r in resources.values()] == ["my-logs"]
    document["defaults"]["dataset"]["invocationLogs"]["manageLogging"] = False
    plain = DataStack(
        cdk.App(context=CDK_CONTEXT), "D", config=parse_config(document)["dev"], datasets_dir=DATASETS_DIR, env=env
    )
    assert not Template.from_stack(plain).find_resources("Custom::BedrockInvocationLogging")


def _logging_stack(s3_uri, *, manage=True, kms=False, account="111111111111", nag=False):
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from config.settings import parse_config
    from stacks.data_stack import DataStack
    from stacks.environment import DATASETS_DIR

    from .conftest import CDK_CONTEXT, document_with

    document = document_with(dataKmsKey=kms)
    document["defaults"]["grader"] = "judge"
    document["defaults"]["dataset"] = {"invocationLogs": {"s3Uri": s3_uri, "manageLogging": manage}}
    document["environments"]["prod"]["evaluation"] = {"enabled": False}  # no file to evaluate on
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    stack = DataStack(
        app,
        "D",
        config=parse_config(document)["dev"],
        datasets_dir=DATASETS_DIR,
        env=cdk.Environment(account=account, region="us-east-1"),
    )
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
        app.synth()  # raises on an unacknowledged cdk-nag finding
    return stack, Template.from_stack(stack).to_json()


DATA_LOGS = "s3://rft-dev-data-111111111111-us-east-1/invocation-logs/"


def _statements(template, kind):
    return [
        s
        for r in template["Resources"].values()
        if r["Type"] == kind
        for s in (r["Properties"].get("PolicyDocument") or r["Properties"].get("KeyPolicy"))["Statement"]
    ]


def _bedrock_logs_write(template):
    return [s for s in _statements(template, "AWS::S3::BucketPolicy") if s.get("Sid") == "AmazonBedrockLogsWrite"]


def test_bedrock_may_write_invocation_logs_to_the_data_bucket_prefix_only():
    _, template = _logging_stack(DATA_LOGS, nag=True)
    ((statement,),) = [_bedrock_logs_write(template)]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Action"] == "s3:PutObject" and statement["Effect"] == "Allow"
    resource = json.dumps(statement["Resource"])
    assert resource.endswith('"/invocation-logs/AWSLogs/111111111111/BedrockModelInvocationLogs/*"]]}')
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111111111111"},
        "ArnLike": {"aws:SourceArn": FROM_BEDROCK},
    }
    # The SSL-only deny of the data bucket is still there, beside the grant.
    (policy,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
        and any(s.get("Sid") == "AmazonBedrockLogsWrite" for s in r["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    # The logging resource (whose create runs Bedrock's destination check) waits for the policy.
    ((_, logging),) = [
        (k, r) for k, r in template["Resources"].items() if r["Type"] == "Custom::BedrockInvocationLogging"
    ]
    policy_id = next(k for k, r in template["Resources"].items() if r is policy)
    assert policy_id in logging["DependsOn"]
    assert logging["Properties"] == {
        "ServiceToken": logging["Properties"]["ServiceToken"],
        "BucketName": "rft-dev-data-111111111111-us-east-1",
        "KeyPrefix": "invocation-logs/",
    }
    assert not _statements(template, "AWS::KMS::Key")  # SSE-S3: no key


FROM_BEDROCK = "arn:aws:bedrock:us-east-1:111111111111:*"


def test_a_kms_data_bucket_lets_bedrock_generate_data_keys_under_the_same_conditions():
    _, template = _logging_stack(DATA_LOGS, kms=True, nag=True)
    assert len(_bedrock_logs_write(template)) == 1
    (grant,) = [s for s in _statements(template, "AWS::KMS::Key") if s.get("Sid") == "AmazonBedrockLogsEncrypt"]
    assert grant["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert grant["Action"] == "kms:GenerateDataKey" and grant["Resource"] == "*"
    assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}
    assert grant["Condition"]["ArnLike"] == {"aws:SourceArn": FROM_BEDROCK}
    ((_, logging),) = [
        (k, r) for k, r in template["Resources"].items() if r["Type"] == "Custom::BedrockInvocationLogging"
    ]
    key_id = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key")
    assert key_id in logging["DependsOn"]


def test_no_bedrock_grant_without_managed_logging():
    for kms in (False, True):
        _, template = _logging_stack(DATA_LOGS, manage=False, kms=kms)
        assert not _bedrock_logs_write(template)
        assert "bedrock.amazonaws.com" not in json.dumps(_statements(template, "AWS::KMS::Key"))
        assert not [r for r in template["Resources"].values() if r["Type"] == "Custom::BedrockInvocationLogging"]


def test_another_bucket_gets_no_grant_and_a_synth_warning():
    from aws_cdk.assertions import Annotations, Match

    for uri in ("s3://my-logs/bedrock/", "s3://rft-dev-data-222222222222-us-east-1/logs/"):
        stack, template = _logging_stack(uri)
        assert not _bedrock_logs_write(template)
        Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("is not this stack's data bucket"))


def test_a_caller_account_environment_asserts_the_bucket_is_this_accounts_at_deploy():
    _, template = _logging_stack(DATA_LOGS, account=None)
    assert len(_bedrock_logs_write(template)) == 1
    (assertion,) = template["Rules"]["InvocationLogsInTheDataBucket"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "111111111111"]}
