"""The code grader's network and role in a bare stack: no route out, and a role good for its logs and its ENIs only."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from stacks.constructs.grader_function import GraderFunction
from stacks.constructs.isolated_grader_network import ENI_ACTIONS, IsolatedNetwork

# The CIDR CDK gives the placeholder egress rule of a security group created with allow_all_outbound=False.
CDK_NO_EGRESS_PLACEHOLDER_CIDR = "255.255.255.255/32"
ROUTE_OUT_TYPES = (
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::VPNGateway",
    "AWS::EC2::EIP",
)


@pytest.fixture(scope="module")
def synthesized() -> tuple[Template, dict[str, Any]]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="123456789012", region="us-west-2"))
    network = IsolatedNetwork(stack, "CodeNetwork")
    GraderFunction(
        stack,
        "Code",
        kind="code",
        function_name="rft-dev-code-grader",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return []\n"),
        handler="index.handler",
        memory_mb=2048,
        timeout=cdk.Duration.seconds(300),
        network=network,
    )
    GraderFunction(
        stack,
        "Math",
        kind="math",
        function_name="rft-dev-math-grader",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return []\n"),
        handler="index.handler",
        memory_mb=512,
        timeout=cdk.Duration.seconds(60),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    assembly = app.synth()  # raises when cdk-nag reports an unacknowledged finding
    # Our acknowledgements (CDK records its own CloudFormation-Validate ones too).
    ACKNOWLEDGED.extend(
        (construct.node.path, finding.removeprefix("Annotation::"))
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for finding in entry.data
        if "AwsSolutions-" in finding
    )
    return Template.from_stack(stack), assembly.get_stack_by_name("Bare").template


ACKNOWLEDGED: list[tuple[str, str]] = []


def test_cdk_nag_passes_with_only_the_interface_wildcard_and_the_runtime_acknowledged(synthesized):
    assert sorted(set(ACKNOWLEDGED)) == [
        ("Bare/Code/Function", "AwsSolutions-L1"),
        ("Bare/Code/Role", "AwsSolutions-IAM5[Resource::*]"),
        ("Bare/Math/Function", "AwsSolutions-L1"),
    ]


def _ref_id(value: Any) -> str:
    return value["Ref"] if isinstance(value, dict) and "Ref" in value else value["Fn::GetAtt"][0]


def _function(raw: dict, name: str) -> dict:
    found = [
        r
        for r in raw["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == name
    ]
    assert len(found) == 1
    return found[0]


def _role_statements(raw: dict, role_id: str) -> list[dict]:
    role = raw["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]  # neither basic nor VPC access execution role
    assert "Policies" not in role["Properties"]
    statements = []
    for policy in (r for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Policy"):
        if any(_ref_id(ref) == role_id for ref in policy["Properties"]["Roles"]):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict) -> list[str]:
    value = statement["Action"]
    return value if isinstance(value, list) else [value]


def test_code_grader_role_writes_its_own_logs_and_lets_lambda_manage_its_interfaces_nothing_else(synthesized):
    _, raw = synthesized
    function = _function(raw, "rft-dev-code-grader")
    role_id = _ref_id(function["Properties"]["Role"])
    statements = {s["Sid"]: s for s in _role_statements(raw, role_id)}
    assert set(statements) == {"WriteLogs", "LambdaManagesVpcInterfaces", "NoInterfaceCallsFromFunctionCode"}
    logs = statements["WriteLogs"]
    assert sorted(_actions(logs)) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert logs["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    eni = statements["LambdaManagesVpcInterfaces"]
    assert eni["Effect"] == "Allow" and sorted(_actions(eni)) == sorted(ENI_ACTIONS) and "Condition" not in eni
    assert all(
        (action.startswith("ec2:") and "NetworkInterface" in action)
        or action in ("ec2:DescribeSubnets", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
        for action in _actions(eni)
    )
    deny = statements["NoInterfaceCallsFromFunctionCode"]
    assert deny["Effect"] == "Deny" and sorted(_actions(deny)) == sorted(ENI_ACTIONS)
    assert deny["Condition"] == {"Null": {"lambda:SourceFunctionArn": "false"}}


def test_a_grader_without_a_network_gets_no_interface_permissions(synthesized):
    _, raw = synthesized
    function = _function(raw, "rft-dev-math-grader")
    assert "VpcConfig" not in function["Properties"]
    statements = _role_statements(raw, _ref_id(function["Properties"]["Role"]))
    assert [s["Sid"] for s in statements] == ["WriteLogs"]


def test_the_vpc_has_isolated_subnets_and_no_route_out(synthesized):
    template, raw = synthesized
    for resource_type in ROUTE_OUT_TYPES:
        assert template.find_resources(resource_type) == {}, resource_type
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())
    for route in template.find_resources("AWS::EC2::Route").values():  # none at all; only the implicit local route
        pytest.fail(f"unexpected route {route}")
    function = _function(raw, "rft-dev-code-grader")
    config = function["Properties"]["VpcConfig"]
    assert sorted(_ref_id(s) for s in config["SubnetIds"]) == sorted(subnets)
    assert len(config["SecurityGroupIds"]) == 1


def test_the_security_group_has_no_ingress_and_no_egress_to_anywhere(synthesized):
    template, raw = synthesized
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    assert len(groups) == 1
    ((group_id, group),) = groups.items()
    assert _ref_id(_function(raw, "rft-dev-code-grader")["Properties"]["VpcConfig"]["SecurityGroupIds"][0]) == group_id
    assert "SecurityGroupIngress" not in group["Properties"]
    # CDK's placeholder: ICMP type 252 code 86 to the broadcast /32, which matches no traffic the function sends.
    assert group["Properties"]["SecurityGroupEgress"] == [
        {
            "CidrIp": CDK_NO_EGRESS_PLACEHOLDER_CIDR,
            "Description": "Disallow all traffic",
            "FromPort": 252,
            "IpProtocol": "icmp",
            "ToPort": 86,
        }
    ]
    assert template.find_resources("AWS::EC2::SecurityGroupEgress") == {}
    assert template.find_resources("AWS::EC2::SecurityGroupIngress") == {}


def test_flow_logs_go_to_their_own_log_group_with_a_role_scoped_to_it(synthesized):
    template, raw = synthesized
    (flow_log,) = template.find_resources("AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["ResourceType"] == "VPC" and props["TrafficType"] == "ALL"
    log_group_id = props["LogGroupName"]["Ref"]
    role_id = props["DeliverLogsPermissionArn"]["Fn::GetAtt"][0]
    trust = raw["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    statements = _role_statements(raw, role_id)
    assert statements and all(
        sorted(_actions(s)) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        and s["Effect"] == "Allow"
        and s["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
        for s in statements
    )


# -- the composite, when it runs code ------------------------------------------------------------------------------

CODE_COMPOSITE = {"weights": {"code": 0.7, "format": 0.3, "math": 0, "judge": 0}, "defaultGraders": ["code", "format"]}


@pytest.fixture(scope="module")
def code_composite():
    import json

    from tests.infra.conftest import document_with, synthesize

    return synthesize(json.dumps(document_with(composite=CODE_COMPOSITE)))


def test_a_composite_weighting_code_is_deployed_like_the_code_grader(code_composite):
    """No route out (the code grader's VPC, subnets and security group) and a role that can only log."""
    raw = code_composite.raw["graders"]
    composite = _function(raw, "rft-dev-composite-grader")["Properties"]
    code = _function(raw, "rft-dev-code-grader")["Properties"]
    assert sorted(map(_ref_id, composite["VpcConfig"]["SubnetIds"])) == sorted(
        map(_ref_id, code["VpcConfig"]["SubnetIds"])
    )
    assert list(map(_ref_id, composite["VpcConfig"]["SecurityGroupIds"])) == list(
        map(_ref_id, code["VpcConfig"]["SecurityGroupIds"])
    )
    statements = {s["Sid"]: s for s in _role_statements(raw, _ref_id(composite["Role"]))}
    assert set(statements) == {"WriteLogs", "LambdaManagesVpcInterfaces", "NoInterfaceCallsFromFunctionCode"}
    assert not any("bedrock:" in action for s in statements.values() for action in _actions(s))
    assert json_env(composite)["COMPOSITE_WEIGHTS"] == '{"code": 0.7, "format": 0.3, "judge": 0.0, "math": 0.0}'
    assert "CODE_TEST_TIMEOUT_SECONDS" in json_env(composite)  # the code component's settings reach it
    # Still one network for the stack, with no route out.
    template = code_composite["graders"]
    assert len(template.find_resources("AWS::EC2::VPC")) == 1
    for resource_type in ROUTE_OUT_TYPES:
        assert template.find_resources(resource_type) == {}, resource_type
    # The other graders stay outside it.
    for name in ("math", "format", "judge", "tools"):
        assert "VpcConfig" not in _function(raw, f"rft-dev-{name}-grader")["Properties"], name


def test_the_default_composite_is_not_isolated_and_keeps_its_judge(dev):
    raw = dev.raw["graders"]
    composite = _function(raw, "rft-dev-composite-grader")["Properties"]
    assert "VpcConfig" not in composite
    statements = _role_statements(raw, _ref_id(composite["Role"]))
    assert [s["Sid"] for s in statements if s.get("Sid")] == ["WriteLogs"]
    assert any("bedrock:InvokeModel" in _actions(s) for s in statements)


def json_env(function_properties: dict) -> dict[str, str]:
    return function_properties["Environment"]["Variables"]
