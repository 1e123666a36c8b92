"""A network with no way out, for graders that run untrusted code (the code-execution grader).

Lambda puts the function role's credentials in the runtime's environment, where a program the grader runs might
read them. The network makes such a leak harmless: subnets of type PRIVATE_ISOLATED only (no internet gateway, no
NAT gateway, no VPC endpoints), and a security group without a single egress rule, so no packet from the function
reaches an AWS API or the internet. Lambda still ships the function's logs and EMF metrics from its own side,
outside the VPC.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2, aws_iam as iam, aws_logs as logs
from constructs import Construct

# What Lambda needs on the execution role to attach a function to a VPC: the ENI actions of the
# AWSLambdaVPCAccessExecutionRole managed policy, without its logs:* on every log group.
ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
ENI_WILDCARD_REASON = (
    "Lambda manages the function's network interfaces with the execution role; the Describe actions have no "
    "resource-level permissions, and Lambda creates, deletes and re-addresses interfaces whose ids exist only at "
    "run time (AWSLambdaVPCAccessExecutionRole grants the same actions on *). A Deny statement beside it refuses "
    "them to any request from inside an execution environment (lambda:SourceFunctionArn present), so only Lambda's "
    "own calls can use them, and the function has no network path to the EC2 API anyway."
)


class IsolatedNetwork(Construct):
    """A VPC with isolated subnets only, flow logs to its own log group, and a security group with no egress."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        max_azs: int = 2,
        cidr: str = "10.42.0.0/16",
        availability_zones: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        zones = {"availability_zones": list(availability_zones)} if availability_zones else {"max_azs": max_azs}
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            nat_gateways=0,
            create_internet_gateway=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            # The default security group is attached to nothing here; restricting it would add a CDK custom-resource
            # Lambda with EC2 permissions, outside this network, to the stack.
            restrict_default_security_group=False,
            **zones,
        )
        self.flow_log_group = logs.LogGroup(
            self, "FlowLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        self.flow_log_role = _flow_log_role(self)
        self.vpc.add_flow_log(
            "FlowLog",
            traffic_type=ec2.FlowLogTrafficType.ALL,
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group, self.flow_log_role),
        )
        # allow_all_outbound=False: CDK writes one placeholder egress rule (ICMP type 252 code 86 to
        # 255.255.255.255/32) so EC2 does not add its default allow-all rule; it matches no real traffic.
        self.security_group = ec2.SecurityGroup(
            self,
            "NoEgress",
            vpc=self.vpc,
            allow_all_outbound=False,
            allow_all_ipv6_outbound=False,
            description="Code grader: no ingress, no egress (untrusted programs run in this function)",
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

    def allow_lambda_attachment(self, role: iam.Role) -> None:
        """Give ``role`` what Lambda needs to place a function in this network, usable only by Lambda itself."""
        role.add_to_policy(
            iam.PolicyStatement(sid="LambdaManagesVpcInterfaces", actions=list(ENI_ACTIONS), resources=["*"])
        )
        # lambda:SourceFunctionArn is set on every AWS request made with the role from inside an execution
        # environment, and not on the interface calls Lambda makes outside it.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="NoInterfaceCallsFromFunctionCode",
                effect=iam.Effect.DENY,
                actions=list(ENI_ACTIONS),
                resources=["*"],
                conditions={"Null": {"lambda:SourceFunctionArn": "false"}},
            )
        )


def _flow_log_role(scope: Construct) -> iam.Role:
    """The VPC Flow Logs service role: writes streams of this one log group, for flow logs of this account."""
    stack = cdk.Stack.of(scope)
    role = iam.Role(
        scope,
        "FlowLogRole",
        description="VPC flow logs of the isolated grader network: own log group",
        assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
                },
            }
        ),
    )
    # No statement here: FlowLogDestination.to_cloud_watch_logs grants the role CreateLogStream, PutLogEvents and
    # DescribeLogStreams on this log group's ARN only (tested).
    return role
