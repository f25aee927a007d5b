"""The GCP side of the demo estate: the project ``acme-ml-prod`` (Artifact Registry, service accounts,
Workload Identity Federation for GitLab, Cloud Build), as the REST APIs (``gcloud … --format=json``)
return it.

Stories (README.md, "Across providers"): the GitLab job ``push-image`` of ``acme-corp/ml/model-server``
exchanges its ID token for ``model-pusher`` (the pool's condition and the binding both pin that
project) and pushes to the ``models`` repository; every push there starts the Cloud Build trigger
``deploy-model-server-prod`` with no approval. ``legacy-ci`` still has a user-managed key from 2025
with the same write access; between the two collections someone downloaded a key for ``model-pusher``
too, which turns the keyless federation into a standing credential.
"""

from __future__ import annotations

from typing import Any

from scanner.demo_estate.common import Era, Files, digest, number

PROJECT = "acme-ml-prod"
PROJECT_NUMBER = "482910337165"
ORGANIZATION = "organizations/730118442906"
LOCATION = "europe-west4"
POOL = "gitlab"
PROVIDER = "gitlab-com"
GITLAB_PROJECT = "acme-corp/ml/model-server"
BASE = f"gcp/projects/{PROJECT}"
REPO = f"projects/{PROJECT}/locations/{LOCATION}/repositories/models"
POOL_NAME = f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{POOL}"


def sa_email(name: str) -> str:
    """The e-mail of a user-managed service account of the project."""
    return f"{name}@{PROJECT}.iam.gserviceaccount.com"


#: (account id, display name, description)
ACCOUNTS = (
    ("model-pusher", "Model image pusher", "GitLab CI (model-server) pushes images by workload identity"),
    ("legacy-ci", "Legacy CI", "Jenkins-era key; to be removed"),
    ("cloud-build-deployer", "Cloud Build deployer", "Deploys model-server to production"),
)

#: The predefined roles the policies name, as ``roles.get`` returns them (permissions as listed by
#: ``gcloud iam roles describe`` for these roles).
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "artifactregistry.reader": (
        "Artifact Registry Reader",
        (
            "artifactregistry.dockerimages.get",
            "artifactregistry.dockerimages.list",
            "artifactregistry.files.get",
            "artifactregistry.files.list",
            "artifactregistry.packages.get",
            "artifactregistry.packages.list",
            "artifactregistry.repositories.downloadArtifacts",
            "artifactregistry.repositories.get",
            "artifactregistry.repositories.list",
            "artifactregistry.repositories.readViaVirtualRepository",
            "artifactregistry.tags.get",
            "artifactregistry.tags.list",
            "artifactregistry.versions.get",
            "artifactregistry.versions.list",
        ),
    ),
    "artifactregistry.writer": (
        "Artifact Registry Writer",
        (
            "artifactregistry.dockerimages.get",
            "artifactregistry.dockerimages.list",
            "artifactregistry.files.get",
            "artifactregistry.files.list",
            "artifactregistry.packages.get",
            "artifactregistry.packages.list",
            "artifactregistry.repositories.downloadArtifacts",
            "artifactregistry.repositories.get",
            "artifactregistry.repositories.list",
            "artifactregistry.repositories.readViaVirtualRepository",
            "artifactregistry.repositories.uploadArtifacts",
            "artifactregistry.tags.create",
            "artifactregistry.tags.get",
            "artifactregistry.tags.list",
            "artifactregistry.tags.update",
            "artifactregistry.versions.get",
            "artifactregistry.versions.list",
        ),
    ),
    "iam.workloadIdentityUser": (
        "Workload Identity User",
        (
            "iam.serviceAccounts.get",
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.list",
        ),
    ),
}


def _policy(*bindings: tuple[str, tuple[str, ...]], audit: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": 1,
        "etag": "BwY" + digest(str(bindings))[:9],
        "bindings": [{"role": r, "members": list(m)} for r, m in bindings],
    }
    if audit:
        out["auditConfigs"] = [
            {
                "service": "artifactregistry.googleapis.com",
                "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
            }
        ]
    return out


def _account(name: str, display: str, description: str) -> dict[str, Any]:
    uid = str(number(f"gcp:sa:{name}", 10**20, 10**21))
    return {
        "name": f"projects/{PROJECT}/serviceAccounts/{sa_email(name)}",
        "projectId": PROJECT,
        "uniqueId": uid,
        "email": sa_email(name),
        "displayName": display,
        "description": description,
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": uid,
    }


def _key(name: str, seed: str, after: str, before: str, key_type: str) -> dict[str, Any]:
    return {
        "name": f"projects/{PROJECT}/serviceAccounts/{sa_email(name)}/keys/{digest(seed, 'sha1')}",
        "validAfterTime": after,
        "validBeforeTime": before,
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": key_type,
    }


def _keys(name: str, era: Era) -> dict[str, Any]:
    # Every account has Google's own rotating key; legacy-ci has a key someone downloaded in 2025, and
    # between the two collections someone downloaded one for model-pusher "to debug a failed push".
    keys = [_key(name, f"{name}:system", "2026-11-02T04:10:12Z", "2026-11-18T04:10:12Z", "SYSTEM_MANAGED")]
    if name == "legacy-ci":
        keys.append(_key(name, f"{name}:user", "2025-05-12T09:31:07Z", "9999-12-31T23:59:59Z", "USER_MANAGED"))
    if name == "model-pusher" and era == "current":
        keys.append(_key(name, f"{name}:user", "2026-11-18T17:03:44Z", "9999-12-31T23:59:59Z", "USER_MANAGED"))
    return {"keys": keys}


def _sa_policy(name: str) -> dict[str, Any]:
    if name != "model-pusher":
        return {"etag": "ACAB"}
    member = f"principalSet://iam.googleapis.com/{POOL_NAME}/attribute.project_path/{GITLAB_PROJECT}"
    return _policy(("roles/iam.workloadIdentityUser", (member,)))


def files(era: Era) -> Files:
    """Every ``gcp/`` file of the estate as it was collected in ``era``."""
    out: Files = {
        f"{BASE}.json": {
            "name": f"projects/{PROJECT_NUMBER}",
            "parent": ORGANIZATION,
            "projectId": PROJECT,
            "state": "ACTIVE",
            "displayName": "Acme ML production",
            "createTime": "2024-09-02T08:14:55.118Z",
            "updateTime": "2024-09-02T08:14:57.402Z",
            "etag": 'W/"' + digest("gcp:project")[:16] + '"',
            "labels": {"environment": "production", "team": "ml-platform"},
        },
        f"{BASE}/getIamPolicy.json": _policy(audit=True),
        # The organization, collected with the project (``ancestors``): what the project inherits from it.
        # No binding there reaches a registry; the owners administer it through groups of their own domain.
        f"gcp/{ORGANIZATION}.json": {
            "name": ORGANIZATION,
            "displayName": "acme-corp.example",
            "directoryCustomerId": "C03fake00",
            "state": "ACTIVE",
            "createTime": "2019-06-11T08:00:00.000Z",
            "etag": "BwY" + digest("gcp:organization")[:9],
        },
        f"gcp/{ORGANIZATION}/getIamPolicy.json": _policy(),
        f"{BASE}/serviceAccounts.json": {"accounts": [_account(*a) for a in ACCOUNTS]},
        f"{BASE}/locations/{LOCATION}/repositories.json": {
            "repositories": [
                {
                    "name": REPO,
                    "format": "DOCKER",
                    "mode": "STANDARD_REPOSITORY",
                    "description": "Model-serving images",
                    "labels": {"team": "ml-platform"},
                    "createTime": "2024-09-02T09:01:17.330871Z",
                    "updateTime": "2026-11-15T11:20:03.114207Z",
                    "dockerConfig": {"immutableTags": True},
                    "sizeBytes": "48213766144",
                    "registryUri": f"{LOCATION}-docker.pkg.dev/{PROJECT}/models",
                    "satisfiesPzi": True,
                },
            ]
        },
        f"{BASE}/locations/{LOCATION}/repositories/models/getIamPolicy.json": _policy(
            (
                "roles/artifactregistry.writer",
                (f"serviceAccount:{sa_email('legacy-ci')}", f"serviceAccount:{sa_email('model-pusher')}"),
            ),
            ("roles/artifactregistry.reader", (f"serviceAccount:{sa_email('cloud-build-deployer')}",)),
        ),
        f"{BASE}/locations/global/workloadIdentityPools.json": {
            "workloadIdentityPools": [
                {"name": POOL_NAME, "displayName": "GitLab.com", "state": "ACTIVE", "mode": "FEDERATION_ONLY"}
            ]
        },
        f"{BASE}/locations/global/workloadIdentityPools/{POOL}/providers.json": {
            "workloadIdentityPoolProviders": [
                {
                    "name": f"{POOL_NAME}/providers/{PROVIDER}",
                    "displayName": "gitlab.com",
                    "state": "ACTIVE",
                    "attributeMapping": {
                        "google.subject": "assertion.sub",
                        "attribute.project_path": "assertion.project_path",
                        "attribute.ref": "assertion.ref",
                        "attribute.ref_protected": "assertion.ref_protected",
                    },
                    "attributeCondition": (
                        f"assertion.project_path == '{GITLAB_PROJECT}' && assertion.ref_protected == 'true'"
                    ),
                    "oidc": {"issuerUri": "https://gitlab.com", "allowedAudiences": ["https://gitlab.com"]},
                }
            ]
        },
        f"{BASE}/triggers.json": {
            "triggers": [
                {
                    "id": "5c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5",
                    "name": "deploy-model-server-prod",
                    "description": "Roll out every new model-server image to the production GKE cluster",
                    "createTime": "2024-09-03T13:40:22.918273Z",
                    "pubsubConfig": {
                        "topic": f"projects/{PROJECT}/topics/gcr",
                        "subscription": f"projects/{PROJECT}/subscriptions/gcb-deploy-model-server-prod",
                        "state": "OK",
                    },
                    "serviceAccount": f"projects/{PROJECT}/serviceAccounts/{sa_email('cloud-build-deployer')}",
                    "filename": "deploy/cloudbuild.yaml",
                    "sourceToBuild": {
                        "uri": f"https://gitlab.com/{GITLAB_PROJECT}",
                        "ref": "refs/heads/main",
                        "repoType": "GITLAB",
                    },
                }
            ]
        },
    }
    for name, *_ in ACCOUNTS:
        folder = f"{BASE}/serviceAccounts/{sa_email(name)}"
        out[f"{folder}/keys.json"] = _keys(name, era)
        out[f"{folder}/getIamPolicy.json"] = _sa_policy(name)
    for role, (title, permissions) in ROLES.items():
        out[f"gcp/roles/{role}.json"] = {
            "name": f"roles/{role}",
            "title": title,
            "description": f"Predefined role {title}",
            "includedPermissions": list(permissions),
            "stage": "GA",
            "etag": "AA==",
        }
    return out
