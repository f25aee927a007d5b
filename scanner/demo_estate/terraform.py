"""The Terraform state of the demo estate: ``infra-terraform``'s ``ci-identities`` stack, as state v4
in the S3 backend (``s3://acme-corp-tfstate/ci-identities/terraform.tfstate``), holding the cloud
identities CI uses and their grants.

What it declares matches the live estate of the previous collection. In the current one, the inline
policy of ``gha-billing-worker-push`` was edited in the console (it now reaches every ECR
repository) while the state still declares the billing-worker repository only: a declared grant that
drifted. ``jenkins-legacy`` (AWS) and the ``legacy-ci`` key (GCP) are declared nowhere.
"""

from __future__ import annotations

from typing import Any

from scanner.demo_estate import aws, azure, gcp
from scanner.demo_estate.common import ORG, Era, Files, guid

STATE = "s3://acme-corp-tfstate/ci-identities/terraform.tfstate"
PATH = "terraform/s3/acme-corp-tfstate/ci-identities/terraform.tfstate"
_PROVIDERS = {
    "aws": 'provider["registry.terraform.io/hashicorp/aws"]',
    "google": 'provider["registry.terraform.io/hashicorp/google"]',
    "azurerm": 'provider["registry.terraform.io/hashicorp/azurerm"]',
    "azuread": 'provider["registry.terraform.io/hashicorp/azuread"]',
}


def _resource(rtype: str, name: str, attributes: dict[str, Any], *, module: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider": _PROVIDERS[rtype.split("_", 1)[0]],
        "instances": [
            {
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": [],
                "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ==",
            }
        ],
    }
    if module:
        out["module"] = module
    return out


def _aws_role(key: str, role: dict[str, Any]) -> list[dict[str, Any]]:
    name = role["RoleName"]
    inline = role["RolePolicyList"][0]
    # The payments team's module holds the CI identities of its services: the address names the owner
    # (docs/owners.md, terraform_module).
    module = f"module.team_payments.module.{key}"
    return [
        _resource(
            "aws_iam_role",
            "this",
            {
                "arn": role["Arn"],
                "assume_role_policy": aws.policy_text(role["AssumeRolePolicyDocument"]),
                "create_date": role["CreateDate"].replace("+00:00", "Z"),
                "description": "",
                "force_detach_policies": False,
                "id": name,
                "inline_policy": [],
                "managed_policy_arns": [],
                "max_session_duration": 3600,
                "name": name,
                "name_prefix": "",
                "path": role["Path"],
                "permissions_boundary": "",
                "tags": {t["Key"]: t["Value"] for t in role["Tags"]},
                "tags_all": {t["Key"]: t["Value"] for t in role["Tags"]},
                "unique_id": role["RoleId"],
            },
            module=module,
        ),
        _resource(
            "aws_iam_role_policy",
            "this",
            {
                "id": f"{name}:{inline['PolicyName']}",
                "name": inline["PolicyName"],
                "name_prefix": "",
                "policy": aws.policy_text(inline["PolicyDocument"]),
                "role": name,
            },
            module=module,
        ),
    ]


def _declared_aws() -> list[dict[str, Any]]:
    # Terraform declares what was applied: the previous collection's roles, before the console edit.
    roles = {r["RoleName"]: r for r in aws.authorization_details("previous")["RoleDetailList"]}
    out: list[dict[str, Any]] = []
    for key, name in (
        ("payments_api_ci", "gha-payments-api-deploy"),
        ("billing_worker_ci", "gha-billing-worker-push"),
        ("payments_api_pipeline", "codepipeline-payments-api-prod"),
        ("billing_worker_pipeline", "codepipeline-billing-worker-prod"),
    ):
        out += _aws_role(key, roles[name])
    return out


def _declared_gcp() -> list[dict[str, Any]]:
    out = [
        _resource(
            "google_service_account",
            name.replace("-", "_"),
            {
                "account_id": name,
                "description": description,
                "disabled": False,
                "display_name": display,
                "email": gcp.sa_email(name),
                "id": f"projects/{gcp.PROJECT}/serviceAccounts/{gcp.sa_email(name)}",
                "name": f"projects/{gcp.PROJECT}/serviceAccounts/{gcp.sa_email(name)}",
                "project": gcp.PROJECT,
                "timeouts": None,
            },
        )
        for name, display, description in gcp.ACCOUNTS
    ]
    pool = gcp.POOL_NAME
    out += [
        _resource(
            "google_artifact_registry_repository_iam_member",
            "models_deployer_reader",
            {
                "condition": [],
                "etag": "BwYFAKE2demo=",
                "id": f"{gcp.REPO}/roles/artifactregistry.reader/serviceAccount:{gcp.sa_email('cloud-build-deployer')}",
                "location": gcp.LOCATION,
                "member": f"serviceAccount:{gcp.sa_email('cloud-build-deployer')}",
                "project": gcp.PROJECT,
                "repository": gcp.REPO,
                "role": "roles/artifactregistry.reader",
            },
        ),
        _resource(
            "google_artifact_registry_repository_iam_binding",
            "models_writers",
            {
                "condition": [],
                "etag": "BwYFAKE0demo=",
                "id": f"{gcp.REPO}/roles/artifactregistry.writer",
                "location": gcp.LOCATION,
                "members": [
                    f"serviceAccount:{gcp.sa_email('legacy-ci')}",
                    f"serviceAccount:{gcp.sa_email('model-pusher')}",
                ],
                "project": gcp.PROJECT,
                "repository": gcp.REPO,
                "role": "roles/artifactregistry.writer",
            },
        ),
        _resource(
            "google_service_account_iam_member",
            "model_pusher_wif",
            {
                "condition": [],
                "etag": "BwYFAKE1demo=",
                "id": f"projects/{gcp.PROJECT}/serviceAccounts/{gcp.sa_email('model-pusher')}/"
                "roles/iam.workloadIdentityUser",
                "member": f"principalSet://iam.googleapis.com/{pool}/attribute.project_path/{gcp.GITLAB_PROJECT}",
                "role": "roles/iam.workloadIdentityUser",
                "service_account_id": f"projects/{gcp.PROJECT}/serviceAccounts/{gcp.sa_email('model-pusher')}",
            },
        ),
        _resource(
            "google_iam_workload_identity_pool_provider",
            "gitlab",
            {
                "attribute_condition": (
                    f"assertion.project_path == '{gcp.GITLAB_PROJECT}' && assertion.ref_protected == 'true'"
                ),
                "attribute_mapping": {
                    "attribute.project_path": "assertion.project_path",
                    "attribute.ref": "assertion.ref",
                    "attribute.ref_protected": "assertion.ref_protected",
                    "google.subject": "assertion.sub",
                },
                "aws": [],
                "description": "",
                "disabled": False,
                "display_name": "gitlab.com",
                "id": f"{pool}/providers/{gcp.PROVIDER}",
                "name": f"{pool}/providers/{gcp.PROVIDER}",
                "oidc": [
                    {"allowed_audiences": ["https://gitlab.com"], "issuer_uri": "https://gitlab.com", "jwks_json": ""}
                ],
                "project": gcp.PROJECT,
                "state": "ACTIVE",
                "workload_identity_pool_id": gcp.POOL,
                "workload_identity_pool_provider_id": gcp.PROVIDER,
            },
        ),
    ]
    return out


def _declared_azure() -> list[dict[str, Any]]:
    app = azure.GH_WEB_PORTAL
    return [
        _resource(
            "azurerm_role_assignment",
            "web_portal_acr_push",
            {
                "condition": "",
                "condition_version": "",
                "delegated_managed_identity_resource_id": "",
                "description": "",
                "id": f"{azure.ACR_ID}/providers/Microsoft.Authorization/roleAssignments/"
                f"{guid('azure:assignment:acrpush:gh-web-portal')}",
                "name": guid("azure:assignment:acrpush:gh-web-portal"),
                "principal_id": app.sp_id,
                "principal_type": "ServicePrincipal",
                "role_definition_id": f"{azure.AUTHZ}/roleDefinitions/{azure.ROLE_ID['AcrPush']}",
                "role_definition_name": "AcrPush",
                "scope": azure.ACR_ID,
                "skip_service_principal_aad_check": None,
            },
        ),
        _resource(
            "azuread_application_federated_identity_credential",
            "web_portal_main",
            {
                "application_id": f"/applications/{app.object_id}",
                "audiences": ["api://AzureADTokenExchange"],
                "credential_id": guid("azure:fic:gh-web-portal-main"),
                "description": "GitHub Actions: image.yml on main",
                "display_name": "github-web-portal-main",
                "id": f"/applications/{app.object_id}/federatedIdentityCredential/{guid('azure:fic:gh-web-portal-main')}",
                "issuer": azure.GITHUB_ISSUER,
                "subject": f"repo:{ORG}/web-portal:ref:refs/heads/main",
            },
        ),
    ]


def files(era: Era) -> Files:
    """The ``terraform/`` state file (the same in both collections: nobody applied in between)."""
    del era
    return {
        PATH: {
            "version": 4,
            "terraform_version": "1.9.8",
            "serial": 57,
            "lineage": guid("terraform:lineage:ci-identities"),
            "outputs": {},
            "resources": _declared_aws() + _declared_gcp() + _declared_azure(),
            "check_results": None,
        }
    }
