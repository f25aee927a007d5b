"""Cloud Asset Inventory ``searchAllIamPolicies``: the IAM policies of a whole organization, folder or
project from one paged call, filed under the resources they are set on.

``GET /v1/{scope}:searchAllIamPolicies`` answers ``{"results": [IamPolicySearchResult], "nextPageToken"}``.
Each result names the resource its ``policy`` is set on by its full resource name
(``//cloudresourcemanager.googleapis.com/projects/p``, ``//iam.googleapis.com/projects/p/serviceAccounts/…``,
``//artifactregistry.googleapis.com/projects/p/locations/l/repositories/r``); a resource without a
binding has no result. The collector stores every page of one scope as
``gcp/{scope}/searchAllIamPolicies.json`` (gcloud's bare array is read too), and :func:`load_index`
files the results by resource, so that :mod:`connectors.gcp.load` hands transform the same records
whichever source the bundle holds. A ``getIamPolicy`` file for the same resource wins: it is the
whole policy, with the ``auditConfigs`` that a search result does not carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from connectors.gcp.raw import Loaded, Policy
from scanner.bundle import BundleReader
from scanner.errors import BundleError, ConnectorError

ROOT = "gcp"
METHOD = "searchAllIamPolicies"
#: A collection scope ``organizations/1:searchAllIamPolicies`` is that REST call on ``organizations/1``.
SCOPE_SUFFIX = f":{METHOD}"
FILE = f"{METHOD}.json"
#: The API's largest page.
PAGE_SIZE = 500
#: The resources whose policies regwarden reads; asking for these only keeps an organization's pages few.
ASSET_TYPES = (
    "cloudresourcemanager.googleapis.com/Organization",
    "cloudresourcemanager.googleapis.com/Folder",
    "cloudresourcemanager.googleapis.com/Project",
    "iam.googleapis.com/ServiceAccount",
    "artifactregistry.googleapis.com/Repository",
)

_NAME = re.compile(
    r"^//(?:cloudresourcemanager\.googleapis\.com/(?P<container>(?:organizations|folders|projects)/[^/]+)"
    r"|iam\.googleapis\.com/projects/[^/]+/serviceAccounts/(?P<sa>[^/]+)"
    r"|artifactregistry\.googleapis\.com/(?P<repo>projects/[^/]+/locations/[^/]+/repositories/[^/]+))$"
)


class IamPolicySearchResult(BaseModel):
    """One result: the resource (full resource name), its type and ancestry, and the policy set on it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    resource: str
    assetType: str | None = None
    project: str | None = None  # projects/{PROJECT_NUMBER}
    folders: tuple[str, ...] = ()
    organization: str | None = None
    policy: Policy = Policy()


_RESULTS: TypeAdapter[tuple[IamPolicySearchResult, ...]] = TypeAdapter(tuple[IamPolicySearchResult, ...])


def search_scope(target: str) -> str:
    """The collection scope that runs the search on ``target`` (``organizations/1``, ``folders/2``, ``projects/p``)."""
    return f"{target}{SCOPE_SUFFIX}"


def check_page(page: Any, what: str) -> list[dict[str, Any]]:
    """The ``results`` of one answer page, each checked against ``IamPolicySearchResult``.

    Raises a one-line ``ConnectorError`` naming the call when the page is not in the API's shape."""
    if not isinstance(page, dict):
        raise ConnectorError(f"{what}: malformed response (not a JSON object)")
    results = page.get("results", [])
    token = page.get("nextPageToken")
    if not isinstance(results, list):
        raise ConnectorError(f"{what}: malformed response (results is not a list)")
    if token is not None and not isinstance(token, str):
        raise ConnectorError(f"{what}: malformed response (nextPageToken is not a string)")
    try:
        _RESULTS.validate_python(results)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in ("results", *first["loc"]))
        raise ConnectorError(f"{what}: malformed response ({loc}: {first['msg']})") from e
    return results


def _project_keys(project_id: str, number: str | None) -> tuple[str, ...]:
    # Search names a project by id or by number depending on the resource type: accept both.
    return (project_id, number) if number else (project_id,)


@dataclass
class SearchIndex:
    """Search results filed by the resource their policy is set on; on a duplicate the first file wins."""

    containers: dict[str, Loaded[Policy]] = field(default_factory=dict)  # organizations/1, folders/2, projects/{id|n}
    service_accounts: dict[str, Loaded[Policy]] = field(default_factory=dict)  # email (case-folded) or unique id
    repositories: dict[str, Loaded[Policy]] = field(default_factory=dict)  # projects/{id|n}/locations/l/repositories/r

    def add(self, file: str, result: IamPolicySearchResult) -> None:
        """File one result; a resource type regwarden does not read is skipped."""
        m = _NAME.match(result.resource)
        if m is None:
            return
        loaded = Loaded(file, result.policy)
        if m.group("container"):
            self.containers.setdefault(m.group("container"), loaded)
        elif m.group("sa"):
            self.service_accounts.setdefault(m.group("sa").casefold(), loaded)
        else:
            self.repositories.setdefault(m.group("repo"), loaded)

    def container(self, name: str) -> Loaded[Policy] | None:
        """The policy set on ``organizations/1`` or ``folders/2``."""
        return self.containers.get(name)

    def project(self, project_id: str, number: str | None) -> Loaded[Policy] | None:
        """The policy set on the project (named by id or number)."""
        for p in _project_keys(project_id, number):
            found = self.containers.get(f"projects/{p}")
            if found is not None:
                return found
        return None

    def service_account(self, email: str, unique_id: str | None) -> Loaded[Policy] | None:
        """The policy set on the service account (named by email or unique id)."""
        for key in (email.casefold(), unique_id):
            if key and key in self.service_accounts:
                return self.service_accounts[key]
        return None

    def repository(self, name: str, project_id: str, number: str | None) -> Loaded[Policy] | None:
        """The policy set on ``projects/p/locations/l/repositories/r`` (the project named by id or number)."""
        rest = name.split("/", 2)[2] if name.count("/") >= 2 else name
        for p in _project_keys(project_id, number):
            found = self.repositories.get(f"projects/{p}/{rest}")
            if found is not None:
                return found
        return None

    def policies(self, kind: str) -> dict[str, Loaded[Policy]]:
        """Every policy set on a container of ``kind`` (``folders``, ``organizations``), by name."""
        return {k: v for k, v in self.containers.items() if k.startswith(f"{kind}/")}


def search_files(bundle: BundleReader) -> list[str]:
    """``gcp/{organizations|folders|projects}/{id}/searchAllIamPolicies.json``, sorted."""
    found: list[str] = []
    for kind in ("organizations", "folders", "projects"):
        found += [r for r in bundle.files(f"{ROOT}/{kind}", FILE) if len(PurePosixPath(r).parts) == 4]
    return found


def load_index(bundle: BundleReader) -> SearchIndex:
    """Read every search file of the bundle (REST page shape or gcloud's bare array) into one index."""
    index = SearchIndex()
    for rel in search_files(bundle):
        data: Any = bundle.json(rel)
        if isinstance(data, dict):
            if data.get("nextPageToken"):
                raise BundleError(rel, "nextPageToken is set: the file holds one page, not every item")
            data = data.get("results", [])
        if not isinstance(data, list):
            raise BundleError(rel, "expected a JSON array or an object with 'results'")
        for result in bundle.validate(rel, data, tuple[IamPolicySearchResult, ...]):
            index.add(rel, result)
    return index
