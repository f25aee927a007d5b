"""Escalation routes through a service: a permission on an existing resource that runs as a role gives that
role's permissions. One row per route (data); each becomes a ``can_assume`` edge with its reason.

The resources themselves (Lambda functions, Glue development endpoints, EC2 instances, SageMaker notebooks)
are not collected, so a route is judged the way Cloudsplaining judges it — by the permission — and aimed at
every role of the account that the service may assume (its trust names the service principal; for EC2, the
role also has an instance profile, and for Session Manager the role lets the SSM agent open its channel, as
PMapper requires). The permission must hold on every resource of its kind (``Resource: "*"``): which
function or instance runs as which role is not known, so a permission on some of them proves nothing.

Rows are named after Cloudsplaining's privilege-escalation types (``cloudsplaining/shared/constants.py``)
where it has one; the SSM rows are named after PMapper's edge reasons (``principalmapper/graphing/ssm_edges.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    """One route: the caller needs ``actions`` on every resource; the target role trusts ``service``."""

    name: str
    actions: tuple[str, ...]
    service: str
    reason: str
    instance_profile: bool = False
    #: Actions the target role itself must allow for the route to work (the SSM agent's channel).
    target_needs: tuple[str, ...] = ()


ROUTES: tuple[Route, ...] = (
    Route(
        "EditExistingLambdaFunctionWithRole",
        ("lambda:UpdateFunctionCode",),
        "lambda.amazonaws.com",
        "can replace the code of an existing Lambda function that runs as this role",
    ),
    Route(
        "UpdateExistingGlueDevEndpoint",
        ("glue:UpdateDevEndpoint",),
        "glue.amazonaws.com",
        "can add an SSH key to an existing Glue development endpoint that runs as this role",
    ),
    Route(
        "SSMSendCommand",
        ("ssm:SendCommand",),
        "ec2.amazonaws.com",
        "can run commands (ssm:SendCommand) on an EC2 instance whose instance profile holds this role",
        instance_profile=True,
        target_needs=("ssmmessages:CreateControlChannel",),
    ),
    Route(
        "SSMStartSession",
        ("ssm:StartSession",),
        "ec2.amazonaws.com",
        "can open a shell (ssm:StartSession) on an EC2 instance whose instance profile holds this role",
        instance_profile=True,
        target_needs=("ssmmessages:CreateControlChannel",),
    ),
    Route(
        "EC2InstanceConnectSendSSHPublicKey",
        ("ec2-instance-connect:SendSSHPublicKey",),
        "ec2.amazonaws.com",
        "can push an SSH key (EC2 Instance Connect) to an instance whose instance profile holds this role",
        instance_profile=True,
    ),
    Route(
        "CreatePresignedSageMakerNotebookUrl",
        ("sagemaker:CreatePresignedNotebookInstanceUrl",),
        "sagemaker.amazonaws.com",
        "can open an existing SageMaker notebook instance (presigned URL) that runs as this role",
    ),
)

#: The route actions, by IAM service prefix: added to the policy catalogue (their services are not otherwise
#: evaluated, so only these operations are known there; a wildcard such as ``lambda:*`` still matches them).
ROUTE_ACTIONS: dict[str, tuple[str, ...]] = {}
for _r in ROUTES:
    for _a in (*_r.actions, *_r.target_needs):
        _prefix, _, _op = _a.partition(":")
        ROUTE_ACTIONS[_prefix] = tuple(sorted({*ROUTE_ACTIONS.get(_prefix, ()), _op}))
