"""AWS permission -> action class: the one table, keyed by IAM action (``service:Operation``).

The catalogue of actions is botocore's service models (``loader.load_service_model``), never a
hand-kept list: a wildcard such as ``ecr:Put*`` is expanded against the operations botocore knows.
Only the few IAM-only permissions that have no API operation are added (``EXTRA_ACTIONS``).

Operations of the registry services that are not listed below are classified by their name: a
read-only verb (``Get``/``List``/``Describe``/``BatchGet``/``BatchCheck``) is READ, any other verb
changes the registry and is ADMIN. A test holds every operation of those services to a class.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from functools import cache
from pathlib import Path

import orjson

from connectors.aws.routes import ROUTE_ACTIONS
from scanner.model import Action

R, P, PR, D, A = Action.READ, Action.PUBLISH, Action.PROMOTE, Action.DEPLOY, Action.ADMIN

#: IAM service prefix -> botocore service model name (the prefixes the evaluation cares about).
SERVICES: dict[str, str] = {
    "codeartifact": "codeartifact",
    "ecr": "ecr",
    "ecr-public": "ecr-public",
    "codebuild": "codebuild",
    "codepipeline": "codepipeline",
    "iam": "iam",
    "sts": "sts",
    "secretsmanager": "secretsmanager",
}

#: Services whose unlisted operations are classified by verb (READ, else ADMIN).
REGISTRY_SERVICES = frozenset({"codeartifact", "ecr", "ecr-public"})
READ_VERBS = ("Get", "List", "Describe", "BatchGet", "BatchCheck", "Read")

#: IAM-only permissions (no API operation in botocore) that matter for registries.
EXTRA_ACTIONS: dict[str, tuple[str, ...]] = {
    "codeartifact": ("ReadFromRepository", "PutPackageMetadata"),
    "ecr": ("ReplicateImage",),
    "iam": ("PassRole",),
    "sts": ("TagSession", "SetSourceIdentity"),
}

#: The table. Keys are IAM actions as AWS spells them; lookups are case-insensitive. None: no class.
ACTION_CLASSES: dict[str, Action | None] = {
    # CodeArtifact
    "codeartifact:ReadFromRepository": R,
    "codeartifact:GetPackageVersionAsset": R,
    # Account-level token minting: needed for any use, grants nothing on a repository by itself.
    "codeartifact:GetAuthorizationToken": None,
    "codeartifact:PublishPackageVersion": P,
    "codeartifact:PutPackageMetadata": P,
    "codeartifact:CopyPackageVersions": PR,
    "codeartifact:UpdatePackageVersionsStatus": PR,
    "codeartifact:DeletePackageVersions": A,
    "codeartifact:DisposePackageVersions": A,
    "codeartifact:DeletePackage": A,
    "codeartifact:PutPackageOriginConfiguration": A,
    "codeartifact:AssociateExternalConnection": A,
    "codeartifact:UpdateRepository": A,
    "codeartifact:PutRepositoryPermissionsPolicy": A,
    "codeartifact:PutDomainPermissionsPolicy": A,
    # ECR (private)
    "ecr:BatchGetImage": R,
    "ecr:GetDownloadUrlForLayer": R,
    "ecr:BatchCheckLayerAvailability": R,
    "ecr:GetAuthorizationToken": None,
    "ecr-public:GetAuthorizationToken": None,
    "ecr:PutImage": P,
    "ecr:InitiateLayerUpload": P,
    "ecr:UploadLayerPart": P,
    "ecr:CompleteLayerUpload": P,
    "ecr:ReplicateImage": PR,
    "ecr:BatchDeleteImage": A,
    "ecr:PutImageTagMutability": A,
    "ecr:SetRepositoryPolicy": A,
    "ecr:DeleteRepositoryPolicy": A,
    "ecr:PutRegistryPolicy": A,
    "ecr:PutReplicationConfiguration": A,
    "ecr:DeleteRepository": A,
    # ECR Public
    "ecr-public:BatchCheckLayerAvailability": R,
    "ecr-public:PutImage": P,
    "ecr-public:InitiateLayerUpload": P,
    "ecr-public:UploadLayerPart": P,
    "ecr-public:CompleteLayerUpload": P,
    "ecr-public:BatchDeleteImage": A,
    "ecr-public:SetRepositoryPolicy": A,
    # CodeBuild: starting or changing a build runs code as its service role
    "codebuild:BatchGetProjects": R,
    "codebuild:StartBuild": D,
    "codebuild:StartBuildBatch": D,
    "codebuild:RetryBuild": D,
    "codebuild:UpdateProject": A,
    "codebuild:CreateProject": A,
    "codebuild:DeleteProject": A,
    "codebuild:PutResourcePolicy": A,
    # CodePipeline
    "codepipeline:GetPipeline": R,
    "codepipeline:StartPipelineExecution": D,
    "codepipeline:RetryStageExecution": D,
    "codepipeline:RollbackStage": D,
    "codepipeline:PutApprovalResult": D,
    "codepipeline:OverrideStageCondition": D,
    "codepipeline:UpdatePipeline": A,
    "codepipeline:DeletePipeline": A,
    "codepipeline:DisableStageTransition": A,
    # Secrets Manager: reading the value is READ (becomes can_read_secret), changing it ADMIN
    "secretsmanager:GetSecretValue": R,
    "secretsmanager:BatchGetSecretValue": R,
    "secretsmanager:PutSecretValue": A,
    "secretsmanager:UpdateSecret": A,
    "secretsmanager:PutResourcePolicy": A,
    "secretsmanager:DeleteResourcePolicy": A,
    # IAM permission management and credential minting: ADMIN reach
    "iam:CreateAccessKey": A,
    "iam:CreateLoginProfile": A,
    "iam:UpdateLoginProfile": A,
    "iam:PutUserPolicy": A,
    "iam:PutRolePolicy": A,
    "iam:PutGroupPolicy": A,
    "iam:AttachUserPolicy": A,
    "iam:AttachRolePolicy": A,
    "iam:AttachGroupPolicy": A,
    "iam:CreatePolicyVersion": A,
    "iam:SetDefaultPolicyVersion": A,
    "iam:AddUserToGroup": A,
    "iam:UpdateAssumeRolePolicy": A,
    "iam:PassRole": A,
    "iam:DeleteRolePermissionsBoundary": A,
    "iam:DeleteUserPermissionsBoundary": A,
    "iam:PutRolePermissionsBoundary": A,
    "iam:PutUserPermissionsBoundary": A,
    # STS
    "sts:AssumeRole": A,
}

#: IAM actions that turn control of one IAM identity into control of another (``can_assume``).
ASSUME = "sts:AssumeRole"
TAKEOVER_ROLE = frozenset({"iam:PassRole", "iam:UpdateAssumeRolePolicy"})
TAKEOVER_USER = frozenset({"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"})
#: Changing any identity's permissions: whoever holds one of these on any principal controls the account.
ESCALATION = frozenset(
    {
        "iam:PutUserPolicy",
        "iam:PutRolePolicy",
        "iam:PutGroupPolicy",
        "iam:AttachUserPolicy",
        "iam:AttachRolePolicy",
        "iam:AttachGroupPolicy",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:AddUserToGroup",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteUserPermissionsBoundary",
        "iam:PutRolePermissionsBoundary",
        "iam:PutUserPermissionsBoundary",
    }
)
#: Reading a secret's value.
READ_SECRET = frozenset({"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"})


@cache
def catalogue() -> tuple[str, ...]:
    """Every IAM action of the evaluated services, from botocore's service models (plus EXTRA_ACTIONS)."""
    roots = _model_roots()
    out: list[str] = []
    for prefix, model_name in SERVICES.items():
        ops = [*_operations(roots, model_name), *EXTRA_ACTIONS.get(prefix, ())]
        out.extend(f"{prefix}:{op}" for op in sorted(set(ops)))
    # Only the escalation-route operations of the other services (connectors.aws.routes).
    for prefix, ops_ in sorted(ROUTE_ACTIONS.items()):
        if prefix not in SERVICES:
            out.extend(f"{prefix}:{op}" for op in ops_)
    return tuple(out)


def _model_roots() -> list[Path]:
    """The folders ``botocore.loaders.create_loader()`` searches, in its order (``~/.aws/models``, then
    the models botocore ships), found without importing botocore: importing it (for its loader) pulls
    in urllib3, http and email, which cost more than analysing a small bundle."""
    spec = importlib.util.find_spec("botocore")
    shipped = [Path(p) / "data" for p in (spec.submodule_search_locations or [])] if spec else []
    return [Path(os.path.expanduser("~")) / ".aws" / "models", *shipped]


def _operations(roots: list[Path], model_name: str) -> list[str]:
    """The operation names of one botocore service model, at the latest API version any root holds
    (``Loader.determine_latest_version``), from the first root that has it. The file is parsed with
    orjson (botocore's own loader builds ordered dicts of the whole model: ~0.5 s for these services)."""
    versions: set[str] = set()
    for root in roots:
        folder = root / model_name
        if folder.is_dir():
            versions.update(v.name for v in folder.iterdir() if _model_file(v) is not None)
    if not versions:
        raise LookupError(f"botocore has no service model {model_name!r} (is botocore installed?)")
    latest = max(versions)
    for root in roots:
        path = _model_file(root / model_name / latest)
        if path is not None:
            data = path.read_bytes()
            return list(orjson.loads(gzip.decompress(data) if path.suffix == ".gz" else data)["operations"])
    raise LookupError(model_name)  # pragma: no cover - a version was found above


def _model_file(version_dir: Path) -> Path | None:
    for name in ("service-2.json", "service-2.json.gz"):
        if (version_dir / name).is_file():
            return version_dir / name
    return None


def classify(action: str) -> Action | None:
    """The action class of one IAM action (``ecr:PutImage`` -> PUBLISH), or None when it is not relevant."""
    table = _folded_table()
    key = action.casefold()
    if key in table:
        return table[key]
    prefix, _, op = action.partition(":")
    if prefix not in REGISTRY_SERVICES:
        return None
    return R if op.startswith(READ_VERBS) else A


@cache
def _folded_table() -> dict[str, Action | None]:
    return {k.casefold(): v for k, v in ACTION_CLASSES.items()}
