"""Read the ``aws/`` folder of a bundle into typed records; every read goes through BundleReader.

Layout (each file is the output of the ``aws`` CLI command it is named after, pages merged)::

    aws/<account>/iam-get-account-authorization-details.json
    aws/<account>/iam-get-credential-report.csv                (Content, base64-decoded)
    aws/<account>/iam-list-access-keys/<user>.json
    aws/<account>/iam-get-access-key-last-used/<key id>.json
    aws/<account>/iam-list-open-id-connect-providers.json
    aws/<account>/iam-get-open-id-connect-provider/<provider url>.json
    aws/<account>/<region>/ecr-describe-repositories.json
    aws/<account>/<region>/ecr-get-repository-policy/<repository>.json
    aws/<account>/<region>/ecr-get-registry-policy.json
    aws/<account>/<region>/ecr-describe-registry.json
    aws/<account>/<region>/ecr-describe-pull-through-cache-rules.json
    aws/<account>/<region>/codeartifact-list-domains.json
    aws/<account>/<region>/codeartifact-get-domain-permissions-policy/<domain>.json
    aws/<account>/<region>/codeartifact-list-repositories.json
    aws/<account>/<region>/codeartifact-describe-repository/<domain>/<repository>.json
    aws/<account>/<region>/codeartifact-get-repository-permissions-policy/<domain>/<repository>.json
    aws/<account>/<region>/secretsmanager-list-secrets.json
    aws/<account>/<region>/secretsmanager-get-resource-policy/<secret name>.json
    aws/<account>/<region>/codebuild-batch-get-projects.json  (PLAINTEXT values replaced by fingerprints)
    aws/<account>/<region>/codepipeline-get-pipeline/<pipeline>.json
    aws/<account>/<region>/events-list-rules.json
    aws/<account>/<region>/events-list-targets-by-rule/<rule>.json
    aws/<account>/<region>/cloudtrail-describe-trails.json
    aws/<account>/<region>/cloudtrail-get-event-selectors/<trail>.json

Names inside a file name (``<user>``, ``<repository>`` …) are percent-encoded (``team%2Fapp``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from pydantic import BaseModel

from connectors.aws import raw
from scanner.bundle import BundleReader, failed_scopes
from scanner.errors import BundleError

ROOT = "aws"
AUTH = "iam-get-account-authorization-details.json"
CRED_REPORT = "iam-get-credential-report.csv"
ACCESS_KEYS = "iam-list-access-keys"
KEY_LAST_USED = "iam-get-access-key-last-used"
OIDC_LIST = "iam-list-open-id-connect-providers.json"
OIDC_GET = "iam-get-open-id-connect-provider"
ECR_REPOS = "ecr-describe-repositories.json"
ECR_REPO_POLICY = "ecr-get-repository-policy"
ECR_TAGS = "ecr-list-tags-for-resource"
ECR_REGISTRY_POLICY = "ecr-get-registry-policy.json"
ECR_REGISTRY = "ecr-describe-registry.json"
ECR_PULL_THROUGH = "ecr-describe-pull-through-cache-rules.json"
CA_DOMAINS = "codeartifact-list-domains.json"
CA_DOMAIN_POLICY = "codeartifact-get-domain-permissions-policy"
CA_REPOS = "codeartifact-list-repositories.json"
CA_DESCRIBE = "codeartifact-describe-repository"
CA_REPO_POLICY = "codeartifact-get-repository-permissions-policy"
SECRETS = "secretsmanager-list-secrets.json"
SECRET_POLICY = "secretsmanager-get-resource-policy"  # noqa: S105 - a file name
BUILDS = "codebuild-batch-get-projects.json"
PIPELINE = "codepipeline-get-pipeline"
RULES = "events-list-rules.json"
TARGETS = "events-list-targets-by-rule"
TRAILS = "cloudtrail-describe-trails.json"
SELECTORS = "cloudtrail-get-event-selectors"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
M = TypeVar("M", bound=BaseModel)


def name_part(name: str) -> str:
    """A name as it appears in a bundle file name (percent-encoded, no ``/``)."""
    return quote(name, safe="")


def _opt(bundle: BundleReader, rel: str, typ: type[M]) -> M | None:
    return bundle.model(rel, typ) if bundle.exists(rel) else None


def _each(bundle: BundleReader, folder: str, typ: type[M], depth: int = 1) -> dict[str, M]:
    out: dict[str, M] = {}
    for rel in bundle.files(folder, ".json"):
        parts = PurePosixPath(rel).relative_to(folder).parts
        if len(parts) != depth:
            raise BundleError(rel, f"expected {depth} name part(s) under {folder}")
        key = "/".join(unquote(p.removesuffix(".json")) for p in parts)
        out[key] = bundle.model(rel, typ)
    return out


def _pairs(found: dict[str, M]) -> dict[tuple[str, str], M]:
    return {(k.split("/", 1)[0], k.split("/", 1)[1]): v for k, v in found.items()}


def credential_report(bundle: BundleReader, rel: str) -> tuple[dict[str, str], ...]:
    """The decoded credential report CSV as rows; the header must name ``user`` and ``arn``."""
    text = bundle.text(rel)
    reader = csv.DictReader(io.StringIO(text))
    try:  # the header is read here too: it can be as malformed as any row (a field beyond csv's limit)
        header = reader.fieldnames
        if not header or "user" not in header or "arn" not in header:
            raise BundleError(rel, "not a credential report (no user/arn columns in the header)")
        return tuple({k: v or "" for k, v in row.items() if k is not None} for row in reader)
    except csv.Error as e:
        raise BundleError(rel, f"invalid CSV: {e}") from e


def _region(bundle: BundleReader, base: str, name: str) -> raw.Region:
    d = f"{base}/{name}"
    pipelines = _each(bundle, f"{d}/{PIPELINE}", raw.Pipeline)
    return raw.Region(
        name=name,
        folder=d,
        ecr=_opt(bundle, f"{d}/{ECR_REPOS}", raw.EcrRepositories),
        ecr_policies=_each(bundle, f"{d}/{ECR_REPO_POLICY}", raw.EcrRepositoryPolicy),
        ecr_tags=_each(bundle, f"{d}/{ECR_TAGS}", raw.EcrTags),
        ecr_registry_policy=_opt(bundle, f"{d}/{ECR_REGISTRY_POLICY}", raw.EcrRegistryPolicy),
        ecr_registry=_opt(bundle, f"{d}/{ECR_REGISTRY}", raw.EcrRegistry),
        pull_through=_opt(bundle, f"{d}/{ECR_PULL_THROUGH}", raw.PullThroughCacheRules),
        ca_domains=_opt(bundle, f"{d}/{CA_DOMAINS}", raw.CaDomains),
        ca_domain_policies=_each(bundle, f"{d}/{CA_DOMAIN_POLICY}", raw.CaPolicyAnswer),
        ca_repositories=_opt(bundle, f"{d}/{CA_REPOS}", raw.CaRepositories),
        ca_descriptions=_pairs(_each(bundle, f"{d}/{CA_DESCRIBE}", raw.CaRepositoryDescription, 2)),
        ca_repo_policies=_pairs(_each(bundle, f"{d}/{CA_REPO_POLICY}", raw.CaPolicyAnswer, 2)),
        secrets=_opt(bundle, f"{d}/{SECRETS}", raw.Secrets),
        secret_policies=_each(bundle, f"{d}/{SECRET_POLICY}", raw.SecretPolicy),
        builds=_opt(bundle, f"{d}/{BUILDS}", raw.BuildProjects),
        pipelines=pipelines,
        rules=_opt(bundle, f"{d}/{RULES}", raw.EventRules),
        targets=_each(bundle, f"{d}/{TARGETS}", raw.EventTargets),
        trails=_opt(bundle, f"{d}/{TRAILS}", raw.Trails),
        selectors=_each(bundle, f"{d}/{SELECTORS}", raw.EventSelectors),
    )


def _account(bundle: BundleReader, account_id: str) -> raw.Account:
    base = f"{ROOT}/{account_id}"
    rep = f"{base}/{CRED_REPORT}"
    regions = sorted(p.name for p in bundle.path(base).iterdir() if p.is_dir() and _REGION.match(p.name))
    calls = [c for c in bundle.manifest.calls if c.provider == ROOT and c.scope == account_id]
    return raw.Account(
        account_id=account_id,
        folder=base,
        auth=_opt(bundle, f"{base}/{AUTH}", raw.AuthDetails),
        credential_report=credential_report(bundle, rep) if bundle.exists(rep) else None,
        access_keys=_each(bundle, f"{base}/{ACCESS_KEYS}", raw.AccessKeys),
        key_last_used=_each(bundle, f"{base}/{KEY_LAST_USED}", raw.AccessKeyLastUsed),
        oidc_providers=_each(bundle, f"{base}/{OIDC_GET}", raw.OidcProvider),
        regions=tuple(_region(bundle, base, r) for r in regions),
        not_found=frozenset(c.call for c in calls if c.status == "not_found"),
        failed=frozenset(c.call for c in calls if c.status == "failed"),
        scope_failed=account_id in failed_scopes(bundle, ROOT),
    )


def load(bundle: BundleReader) -> raw.AwsRaw:
    """Every account folder under ``aws/`` (named by its 12-digit id)."""
    root = bundle.path(ROOT)
    if not root.is_dir():
        return raw.AwsRaw()
    accounts: list[raw.Account] = []
    for p in sorted(root.iterdir()):
        if not p.is_dir():
            continue
        if not _ACCOUNT.match(p.name):
            raise BundleError(f"{ROOT}/{p.name}/", "expected a folder named by a 12-digit AWS account id")
        accounts.append(_account(bundle, p.name))
    return raw.AwsRaw(accounts=tuple(accounts), collected_at=bundle.manifest.collected_at)


def json_ready(data: Any) -> Any:
    """An SDK answer made JSON-ready the way the CLI prints it (datetimes as ISO-8601)."""
    if isinstance(data, dict):
        return {k: json_ready(v) for k, v in data.items() if k != "ResponseMetadata"}
    if isinstance(data, list | tuple):
        return [json_ready(v) for v in data]
    if hasattr(data, "isoformat"):
        return data.isoformat()
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data
