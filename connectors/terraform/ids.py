"""The one table of node-id formats: how a Terraform-declared object is named so that it is the SAME
node the live connectors produce (``provider:kind:native-id``).

Keep this table aligned with the live connectors' ``transform.py``; a row whose live connector is
not written yet is the format its issue and DESIGN.md describe (AWS ids are ARNs, as in
``aws:role:arn:aws:iam::123456789012:role/release``). A native id may hold ``*`` when Terraform
cannot know part of it (a GitHub owner, an ECR region): the drift comparison resolves such globs
against the live ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import NodeId, NodeKind, node_id


@dataclass(frozen=True, slots=True)
class IdFormat:
    """How one kind of object is named: provider, kind word, node kind, subtype, native-id shape."""

    provider: str
    kind: str
    node_kind: NodeKind
    subtype: str
    native: str  # documentation: the shape of the native id
    manageable: bool = True  # a live object of this subtype should be declared (counts for coverage)


ID_FORMATS: dict[str, IdFormat] = {
    # AWS: native ids are ARNs (access keys: the key id, which is what IAM lists)
    "aws_user": IdFormat("aws", "user", NodeKind.IDENTITY, "aws:iam-user", "arn:aws:iam::ACCOUNT:user/PATH/NAME"),
    "aws_role": IdFormat("aws", "role", NodeKind.IDENTITY, "aws:iam-role", "arn:aws:iam::ACCOUNT:role/PATH/NAME"),
    "aws_access_key": IdFormat("aws", "access-key", NodeKind.CREDENTIAL, "aws:access-key", "AKIA…"),
    "aws_account": IdFormat(
        "aws", "account-control", NodeKind.IDENTITY, "aws:account-control", "ACCOUNT", manageable=False
    ),
    "aws_ecr_repo": IdFormat(
        "aws",
        "ecr-repository",
        NodeKind.RESOURCE,
        "aws:ecr-repository",
        "arn:aws:ecr:REGION:ACCOUNT:repository/NAME",
        False,
    ),
    "aws_codeartifact_repo": IdFormat(
        "aws",
        "codeartifact-repository",
        NodeKind.RESOURCE,
        "aws:codeartifact-repository",
        "arn:aws:codeartifact:REGION:ACCOUNT:repository/DOMAIN/NAME",
        False,
    ),
    # GCP
    "gcp_service_account": IdFormat("gcp", "service-account", NodeKind.IDENTITY, "gcp:service-account", "EMAIL"),
    "gcp_sa_key": IdFormat(
        "gcp", "sa-key", NodeKind.CREDENTIAL, "gcp:sa-key", "projects/P/serviceAccounts/EMAIL/keys/ID"
    ),
    "gcp_wif_provider": IdFormat(
        "gcp",
        "wif-provider",
        NodeKind.CREDENTIAL,
        "gcp:oidc-trust",
        "projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER",
    ),
    "gcp_user": IdFormat("gcp", "user", NodeKind.PERSON, "gcp:user", "EMAIL (lower-case)", False),
    "gcp_group": IdFormat("gcp", "group", NodeKind.IDENTITY, "gcp:group", "EMAIL (lower-case)", False),
    "gcp_domain": IdFormat("gcp", "domain", NodeKind.IDENTITY, "gcp:domain", "DOMAIN (lower-case)", False),
    "gcp_ar_repo": IdFormat(
        "gcp", "ar-repository", NodeKind.RESOURCE, "gcp:ar-repository", "projects/P/locations/L/repositories/R", False
    ),
    "gcp_bucket": IdFormat("gcp", "bucket", NodeKind.RESOURCE, "gcp:bucket", "NAME", False),
    # Azure: resource ids lower-cased (ARM ids are case-insensitive), Entra objects by object id
    # (service principals themselves are azuread_service_principal, not mapped yet: not counted)
    "azure_service_principal": IdFormat(
        "azure", "sp", NodeKind.IDENTITY, "azure:service-principal", "OBJECT-ID", manageable=False
    ),
    "azure_user": IdFormat("azure", "user", NodeKind.PERSON, "azure:user", "OBJECT-ID", False),
    "azure_group": IdFormat("azure", "group", NodeKind.IDENTITY, "azure:group", "OBJECT-ID", False),
    "azure_client_secret": IdFormat(
        "azure", "client-secret", NodeKind.CREDENTIAL, "azure:client-secret", "APPLICATION-OBJECT-ID/KEY-ID (lower)"
    ),
    "azure_federated_credential": IdFormat(
        "azure", "oidc-trust", NodeKind.CREDENTIAL, "azure:oidc-trust", "APPLICATION-OBJECT-ID/CREDENTIAL-ID (lower)"
    ),
    "azure_acr": IdFormat(
        "azure", "registry", NodeKind.RESOURCE, "azure:container-registry", "/subscriptions/…/registries/NAME", False
    ),
    # one live node per token password: Terraform's token id matches all of them (a glob)
    "azure_acr_token": IdFormat(
        "azure", "acr-token-password", NodeKind.CREDENTIAL, "azure:acr-token-password", "TOKEN-ARM-ID/PASSWORD-NAME"
    ),
    # GitHub: exactly as connectors/github/transform.py builds them
    "github_secret": IdFormat("github", "secret", NodeKind.SECRET, "github:actions-secret", "OWNER/REPO/NAME"),
    "github_env_secret": IdFormat(
        "github", "env-secret", NodeKind.SECRET, "github:environment-secret", "OWNER/REPO/ENVIRONMENT/NAME"
    ),
    "github_org_secret": IdFormat("github", "org-secret", NodeKind.SECRET, "github:org-secret", "ORG/NAME"),
    "github_environment": IdFormat(
        "github", "environment", NodeKind.RESOURCE, "github:environment", "OWNER/REPO/ENVIRONMENT"
    ),
}


def nid(fmt: str, native: str) -> NodeId:
    """The node id of ``native`` in format ``fmt`` (a key of :data:`ID_FORMATS`)."""
    f = ID_FORMATS[fmt]
    return node_id(f.provider, f.kind, native)


def manageable_subtypes() -> tuple[str, ...]:
    """Subtypes whose live objects should be declared in Terraform (the denominator of coverage)."""
    return tuple(sorted({f.subtype for f in ID_FORMATS.values() if f.manageable}))
