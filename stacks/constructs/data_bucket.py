"""The stateful data store: training data in, job results out. Retained when the stack goes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_s3_deployment as s3deploy
from constructs import Construct

from ..support.nag import accept, accept_managed_policy, accept_wildcard_actions, accept_wildcard_resources

TRAINING_PREFIX = "training/"
OUTPUT_PREFIX = "output/"


class DataBucket(Construct):
    """S3 bucket (private, SSL-only, versioned, logged, encrypted) with the datasets uploaded."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        datasets_dir: Path,
        key_alias: str | None,
        dataset_files: Sequence[str] | None = None,
    ) -> None:
        """``key_alias``: encrypt with a customer-managed key under this alias (None: SSE-S3).
        ``dataset_files``: the file names to upload (the configured, synth-validated ones); None: every ``*.jsonl``."""
        super().__init__(scope, id_)
        self.key: kms.Key | None = None
        if key_alias:
            self.key = kms.Key(
                self,
                "Key",
                enable_key_rotation=True,
                removal_policy=cdk.RemovalPolicy.RETAIN,
                alias=key_alias,
                description="Encrypts the Bedrock RFT training data and job output",
            )
        # Server access log delivery supports SSE-S3 only, so the log bucket never uses the customer key.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365))],
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS if self.key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.key,
            bucket_key_enabled=bool(self.key),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="data-bucket/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
        )
        self.upload = s3deploy.BucketDeployment(
            self,
            "Datasets",
            sources=[
                s3deploy.Source.asset(
                    str(datasets_dir),
                    exclude=["*", *(["!*.jsonl"] if dataset_files is None else [f"!{name}" for name in dataset_files])],
                )
            ],
            destination_bucket=self.bucket,
            destination_key_prefix=TRAINING_PREFIX,
            prune=False,
            retain_on_delete=True,
            memory_limit=512,
        )
        self._accept_upload_findings()

    def _accept_upload_findings(self) -> None:
        """The upload is CDK's BucketDeployment singleton: its handler and role are CDK's own code."""
        stack = cdk.Stack.of(self)
        singleton = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        reason = (
            "CDK's BucketDeployment handler syncs the dataset asset into this bucket; CDK grants it read on "
            "the CDK asset bucket and read/write on this bucket, with the action groups it needs"
        )
        key_actions = ["kms:GenerateDataKey*", "kms:ReEncrypt*"] if self.key else []
        accept_wildcard_actions(
            singleton,
            ["s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*", *key_actions],
            reason,
        )
        account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
        accept_wildcard_resources(
            singleton,
            [
                self.bucket.arn_for_objects("*"),
                # The bootstrap asset bucket, rendered as cdk-nag prints it.
                f"arn:aws:s3:::cdk-{cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-{account}-{stack.region}/*",
            ],
            reason,
        )
        accept_managed_policy(
            singleton,
            "service-role/AWSLambdaBasicExecutionRole",
            "CDK's BucketDeployment handler role; it only writes its own logs with it",
        )
        accept(singleton, "AwsSolutions-L1", "The BucketDeployment handler's runtime is chosen and updated by CDK")

    def allow_invocation_logs(self, key_prefix: str) -> None:
        """Let Bedrock deliver model-invocation logs under ``key_prefix`` of this bucket (and use its key).

        The statements are the ones AWS documents for an S3 destination of invocation logging, "Set up an
        Amazon S3 destination" in https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html:
        the bucket policy lets ``bedrock.amazonaws.com`` ``s3:PutObject`` under
        ``<prefix>/AWSLogs/<account>/BedrockModelInvocationLogs/`` only (where Bedrock writes the logs and
        its permission-check object), and, for an SSE-KMS bucket, the key policy lets it
        ``kms:GenerateDataKey``; both with the confused-deputy conditions ``aws:SourceAccount`` = this
        account and ``aws:SourceArn`` like ``arn:aws:bedrock:<region>:<account>:*``. The page documents
        no ``kms:ViaService`` or encryption-context condition for this grant, so none is added: a condition
        the delivery does not meet would fail ``PutModelInvocationLoggingConfiguration``'s destination check.
        The bucket's SSL-only deny still applies (Bedrock writes over TLS).
        """
        stack = cdk.Stack.of(self)
        prefix = key_prefix.strip("/")
        delivery_path = f"{prefix + '/' if prefix else ''}AWSLogs/{stack.account}/BedrockModelInvocationLogs/*"
        source = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:*"},
        }
        bedrock = iam.ServicePrincipal("bedrock.amazonaws.com")
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AmazonBedrockLogsWrite",
                principals=[bedrock],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(delivery_path)],
                conditions=source,
            )
        )
        if self.key is not None:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AmazonBedrockLogsEncrypt",
                    principals=[bedrock],
                    actions=["kms:GenerateDataKey"],
                    resources=["*"],  # in a key policy, "*" is this key
                    conditions=source,
                )
            )

    def training_uri(self, file_name: str) -> str:
        return f"s3://{self.bucket.bucket_name}/{TRAINING_PREFIX}{file_name}"

    @property
    def output_uri(self) -> str:
        return f"s3://{self.bucket.bucket_name}/{OUTPUT_PREFIX}"
