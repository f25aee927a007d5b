"""A seeded GCP estate written as a bundle-shaped data model for :class:`~tests.connectors.gcp.fake.FakeGcp`.

Organization 900 > folder 500 > ``n`` projects ``seed-0`` … , each with ``m`` service accounts and ``k``
Artifact Registry repositories in ``us-central1``. Every organization, folder, project, service account
and repository has a binding of its own, so each is one ``getIamPolicy`` on the old path and one
search result on the new one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.connectors.gcp.fake import FIXTURE

ORG, FOLDER = "organizations/900", "folders/500"
ROLES = ("viewer", "editor", "artifactregistry.writer", "iam.serviceAccountTokenCreator")


def _put(root: Path, rel: str, data: Any) -> None:
    path = root / "gcp" / f"{rel}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def _policy(role: str, member: str, **extra: Any) -> dict[str, Any]:
    return {"version": 1, "etag": "BwYSEED=", "bindings": [{"role": role, "members": [member]}], **extra}


def write_estate(root: Path, n: int, m: int, k: int) -> Path:
    """Write the estate under ``root/gcp`` and return ``root``."""
    _put(root, ORG, {"name": ORG, "displayName": "seed.example", "state": "ACTIVE"})
    _put(root, f"{ORG}/getIamPolicy", _policy("roles/viewer", "group:auditors@seed.example"))
    _put(root, FOLDER, {"name": FOLDER, "parent": ORG, "displayName": "prod", "state": "ACTIVE"})
    _put(root, f"{FOLDER}/getIamPolicy", _policy("roles/viewer", "domain:seed.example"))
    audit = {"auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]}]}
    for i in range(n):
        pid, base = f"seed-{i}", f"projects/seed-{i}"
        _put(root, base, {"name": f"projects/{7000 + i}", "parent": FOLDER, "projectId": pid, "state": "ACTIVE"})
        _put(root, f"{base}/getIamPolicy", _policy("roles/editor", f"user:owner-{i}@seed.example", **audit))
        emails = [f"sa-{j}@{pid}.iam.gserviceaccount.com" for j in range(m)]
        accounts = [
            {"name": f"{base}/serviceAccounts/{e}", "email": e, "projectId": pid, "uniqueId": f"1{i:04d}{j:015d}"}
            for j, e in enumerate(emails)
        ]
        _put(root, f"{base}/serviceAccounts", {"accounts": accounts})
        for e in emails:
            _put(root, f"{base}/serviceAccounts/{e}/keys", {"keys": []})
            _put(root, f"{base}/serviceAccounts/{e}/getIamPolicy", _policy(*_token_creator(i)))
        loc = f"{base}/locations/us-central1"
        _put(root, f"{base}/locations", {"locations": [{"name": loc, "locationId": "us-central1"}]})
        repos = [{"name": f"{loc}/repositories/repo-{r}", "format": "DOCKER"} for r in range(k)]
        _put(root, f"{loc}/repositories", {"repositories": repos} if repos else {})
        for r, repo in enumerate(repos):
            writer = f"serviceAccount:{emails[r % m]}" if m else "group:publishers@seed.example"
            _put(root, f"{repo['name']}/getIamPolicy", _policy("roles/artifactregistry.writer", writer))
        _put(root, f"{base}/locations/global/workloadIdentityPools", {})
        _put(root, f"{base}/triggers", {})
    for role in ROLES:
        (root / "gcp" / "roles").mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURE / "gcp" / "roles" / f"{role}.json", root / "gcp" / "roles" / f"{role}.json")
    return root


def _token_creator(i: int) -> tuple[str, str]:
    return "roles/iam.serviceAccountTokenCreator", f"group:sre-{i}@seed.example"
