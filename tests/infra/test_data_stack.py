"""The data bucket: private, SSL-only, encrypted, versioned, logged, retained; datasets uploaded."""

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
