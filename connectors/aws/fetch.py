"""Live AWS collection with boto3: pages, retries (one bounded policy, :func:`retry_config`) and nothing else.

One scope is one account, reached by ``sts:AssumeRole`` (refused = the scope fails, a coverage gap).
Inside an account a refused or failing call is recorded in the manifest and the rest is collected.
Every call is read-only and listed in ``docs/permissions/aws-collector-policy.json``; secret values
are never requested, and CodeBuild PLAINTEXT variable values are replaced by their keyed fingerprint
before anything is written.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from connectors.aws import load as L
from connectors.aws.settings import Settings
from scanner.bundle import BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, ConnectorError
from scanner.fingerprint import fingerprint

PROVIDER = "aws"
NOT_FOUND = frozenset(
    {
        "NoSuchEntity",
        "RepositoryPolicyNotFoundException",
        "RepositoryNotFoundException",  # ECR: the repository was deleted between list and get
        "RegistryPolicyNotFoundException",
        "ResourceNotFoundException",
        "NotFoundException",
        "PipelineNotFoundException",
        "TrailNotFoundException",
    }
)
_PAGE_KEYS = frozenset({"NextToken", "nextToken", "Marker", "IsTruncated", "NextMarker"})

#: Credential patterns looked for in PLAINTEXT build variables (well-known token formats).
DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})")),
    ("gitlab-token", re.compile(r"\bglpat-[\w-]{20,}")),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("pypi-token", re.compile(r"\bpypi-AgE[\w-]{40,}")),
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("slack-token", re.compile(r"\bxox[abposr]-[\w-]{10,}")),
)
_SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)


def detect(name: str, value: str) -> str | None:
    """The credential pattern a build variable's value matches, if any (never returns the value)."""
    for label, rx in DETECTORS:
        if rx.search(value):
            return label
    if _SECRET_NAME.search(name) and len(value) >= 8:
        return "secret-like variable name"
    return None


def redact_project(project: dict[str, Any]) -> dict[str, Any]:
    """A CodeBuild project with every PLAINTEXT variable value replaced by its fingerprint."""
    env = project.get("environment")
    if not isinstance(env, dict):
        return project
    out = []
    for var in env.get("environmentVariables", ()):
        var = dict(var)
        if var.get("type", "PLAINTEXT") == "PLAINTEXT" and "value" in var:
            value = str(var.pop("value"))
            var["valueFingerprint"] = fingerprint(value)
            var["valueDetector"] = detect(str(var.get("name", "")), value)
        out.append(var)
    return {**project, "environment": {**env, "environmentVariables": out}}


def _merge(pages: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for page in pages:
        for k, v in page.items():
            if k in _PAGE_KEYS or k == "ResponseMetadata":
                continue
            if isinstance(v, list) and isinstance(merged.get(k), list):
                merged[k] = merged[k] + v
            elif k not in merged:
                merged[k] = v
    return merged


def retry_config(settings: Settings) -> Config:
    """The one retry policy of every client the connector makes: botocore's ``standard`` mode (retries
    throttling and transient errors with jittered exponential backoff) bounded to ``max_attempts``
    attempts per call, the first included. botocore reads ``retries.max_attempts`` as *retries* (it
    stores ``max_attempts + 1`` as the total), hence ``total_max_attempts``."""
    return Config(retries={"total_max_attempts": settings.max_attempts, "mode": "standard"})


def _retries(answer: Any) -> int:
    """Retries botocore made for one answer (``ResponseMetadata.RetryAttempts``)."""
    meta = answer.get("ResponseMetadata") if isinstance(answer, dict) else None
    n = meta.get("RetryAttempts", 0) if isinstance(meta, dict) else 0
    return n if isinstance(n, int) else 0


def base_session(settings: Settings) -> boto3.Session:
    """The caller's session (environment, profile or workload identity); nothing is read from the config."""
    return boto3.Session(profile_name=settings.profile)


class AccountCollector:
    """Collects one account into the bundle."""

    def __init__(
        self,
        settings: Settings,
        account: str,
        writer: BundleWriter,
        session: boto3.Session,
        creds: dict[str, str] | None,
        clients: dict[tuple[str, str], BaseClient] | None = None,
    ) -> None:
        self.s, self.account, self.w, self.session, self.creds = settings, account, writer, session, creds or {}
        self.config = retry_config(settings)
        self._clients: dict[tuple[str, str], BaseClient] = dict(clients or {})

    def client(self, service: str, region: str) -> BaseClient:
        """A client for this account and region, created on first use."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=self.s.endpoint_url, config=self.config, **self.creds
            )
        return self._clients[key]

    def items(
        self, answer: dict[str, Any] | None, key: str, fields: tuple[str, ...], call: str, region: str
    ) -> list[dict[str, Any]]:
        """The entries of ``answer[key]`` that carry every one of ``fields`` as a non-empty string: what the
        per-entry calls are made with. botocore's parser does not enforce an output's members (IAM's
        ``UserDetail`` marks none required), so an entry without its name is possible on the wire; it
        is counted as this listing's gap (``call``: "N entries without F") rather than ending the
        collection with a ``KeyError``."""
        found = (answer or {}).get(key)
        if not isinstance(found, list):
            return []
        kept = [e for e in found if all(_named(e, f) for f in fields)]
        if len(kept) < len(found):
            missing = len(found) - len(kept)
            what = " or ".join(fields)
            self.w.record(
                PROVIDER,
                self.account,
                f"{call} ({region})",
                "failed",
                f"{missing} {'entry' if missing == 1 else 'entries'} without {what}; not followed",
            )
        return kept

    def call(
        self, service: str, region: str, op: str, rel: str | None, label: str = "", **params: Any
    ) -> dict[str, Any] | None:
        """Call one operation (all pages merged), store it at ``rel`` and record the call; None on failure."""
        c = self.client(service, region)
        name = f"{service} {op.replace('_', '-')}" + (f" {label}" if label else "") + f" ({region})"
        tally = self.w.session.count
        try:
            if c.can_paginate(op):
                pages: list[dict[str, Any]] = []
                for page in c.get_paginator(op).paginate(**params):  # each page counted as it comes,
                    tally(PROVIDER, fetched=1, retried=_retries(page))  # so a later page's failure
                    pages.append(page)  # leaves the earlier ones counted
                data = _merge(pages)
            else:
                data = getattr(c, op)(**params)
                tally(PROVIDER, fetched=1, retried=_retries(data))
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", "Unknown"))
            status = "not_found" if code in NOT_FOUND else "failed"
            tally(PROVIDER, fetched=1, retried=_retries(e.response), failed=int(status == "failed"))
            self.w.record(PROVIDER, self.account, name, status, code)
            return None
        except ResponseParserError:  # an answer came, but not in the service's shape
            tally(PROVIDER, fetched=1, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", "ResponseParserError")
            return None
        except BotoCoreError as e:  # no answer
            tally(PROVIDER, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", type(e).__name__)
            return None
        ready: dict[str, Any] = L.json_ready(data)
        if rel is not None:
            self.w.put_json(f"{L.ROOT}/{self.account}/{rel}", ready)
        self.w.record(PROVIDER, self.account, name)
        return ready

    # --- account-wide ------------------------------------------------------------------------------

    def iam(self) -> None:
        r = self.s.home_region
        auth = self.call("iam", r, "get_account_authorization_details", L.AUTH)
        self._credential_report()
        for user in self.items(auth, "UserDetailList", ("UserName",), "iam get-account-authorization-details", r):
            name = user["UserName"]
            keys = self.call(
                "iam", r, "list_access_keys", f"{L.ACCESS_KEYS}/{L.name_part(name)}.json", name, UserName=name
            )
            for k in self.items(keys, "AccessKeyMetadata", ("AccessKeyId",), f"iam list-access-keys {name}", r):
                kid = k["AccessKeyId"]
                self.call(
                    "iam",
                    r,
                    "get_access_key_last_used",
                    f"{L.KEY_LAST_USED}/{L.name_part(kid)}.json",
                    kid,
                    AccessKeyId=kid,
                )
        providers = self.call("iam", r, "list_open_id_connect_providers", L.OIDC_LIST)
        for p in self.items(providers, "OpenIDConnectProviderList", ("Arn",), "iam list-open-id-connect-providers", r):
            url = p["Arn"].split(":oidc-provider/", 1)[-1]
            self.call(
                "iam",
                r,
                "get_open_id_connect_provider",
                f"{L.OIDC_GET}/{L.name_part(url)}.json",
                url,
                OpenIDConnectProviderArn=p["Arn"],
            )

    def _credential_report(self) -> None:
        """IAM's credential report (console passwords, MFA, key use per user). It is built
        asynchronously: ``GenerateCredentialReport`` is asked again until it says ``COMPLETE`` (at once,
        then backing off, about 20 s in all, through the session's sleeper), then the report is read.
        Every request is counted; a refusal or a transport failure is this call's gap, not the account's."""
        c: Any = self.client("iam", self.s.home_region)
        tally, name = self.w.session.count, "iam get-credential-report"
        try:
            for delay in (0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0):
                answer = c.generate_credential_report()
                tally(PROVIDER, fetched=1, retried=_retries(answer))
                if answer.get("State") == "COMPLETE":
                    break
                if delay:
                    self.w.session.sleep(delay)
            report = c.get_credential_report()
            tally(PROVIDER, fetched=1, retried=_retries(report))
        except ClientError as e:
            tally(PROVIDER, fetched=1, retried=_retries(e.response), failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", _code(e))
            return
        except ResponseParserError:  # an answer came, but not in the service's shape
            tally(PROVIDER, fetched=1, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", "ResponseParserError")
            return
        except BotoCoreError as e:  # no answer
            tally(PROVIDER, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", type(e).__name__)
            return
        content = report.get("Content")
        if not isinstance(content, (bytes, str)):
            tally(PROVIDER, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", "the answer holds no report (Content)")
            return
        try:
            text = content.decode("utf-8") if isinstance(content, bytes) else content
        except UnicodeDecodeError:
            tally(PROVIDER, failed=1)
            self.w.record(PROVIDER, self.account, name, "failed", "the report is not UTF-8 text")
            return
        self.w.put_text(f"{L.ROOT}/{self.account}/{L.CRED_REPORT}", text)
        self.w.record(PROVIDER, self.account, name)

    # --- per region --------------------------------------------------------------------------------

    def region(self, r: str) -> None:
        steps = {
            "ecr": self._ecr,
            "codeartifact": self._codeartifact,
            "secretsmanager": self._secrets,
            "codebuild": self._builds,
            "codepipeline": self._pipelines,
            "events": self._events,
            "cloudtrail": self._trails,
        }
        for service, step in steps.items():
            if service in self.s.services:
                step(r)

    def _ecr(self, r: str) -> None:
        repos = self.call("ecr", r, "describe_repositories", f"{r}/{L.ECR_REPOS}")
        for repo in self.items(
            repos, "repositories", ("repositoryName", "repositoryArn"), "ecr describe-repositories", r
        ):
            name = repo["repositoryName"]
            self.call(
                "ecr",
                r,
                "get_repository_policy",
                f"{r}/{L.ECR_REPO_POLICY}/{L.name_part(name)}.json",
                name,
                repositoryName=name,
            )
            # Its tags may name an owner (docs/owners.md); describe-repositories carries none.
            self.call(
                "ecr",
                r,
                "list_tags_for_resource",
                f"{r}/{L.ECR_TAGS}/{L.name_part(name)}.json",
                name,
                resourceArn=repo["repositoryArn"],
            )
        self.call("ecr", r, "get_registry_policy", f"{r}/{L.ECR_REGISTRY_POLICY}")
        self.call("ecr", r, "describe_registry", f"{r}/{L.ECR_REGISTRY}")
        self.call("ecr", r, "describe_pull_through_cache_rules", f"{r}/{L.ECR_PULL_THROUGH}")

    def _codeartifact(self, r: str) -> None:
        domains = self.call("codeartifact", r, "list_domains", f"{r}/{L.CA_DOMAINS}")
        for d in self.items(domains, "domains", ("name",), "codeartifact list-domains", r):
            self.call(
                "codeartifact",
                r,
                "get_domain_permissions_policy",
                f"{r}/{L.CA_DOMAIN_POLICY}/{L.name_part(d['name'])}.json",
                d["name"],
                domain=d["name"],
            )
        repos = self.call("codeartifact", r, "list_repositories", f"{r}/{L.CA_REPOS}")
        for repo in self.items(repos, "repositories", ("domainName", "name"), "codeartifact list-repositories", r):
            dom, name = repo["domainName"], repo["name"]
            path = f"{L.name_part(dom)}/{L.name_part(name)}.json"
            self.call(
                "codeartifact",
                r,
                "describe_repository",
                f"{r}/{L.CA_DESCRIBE}/{path}",
                f"{dom}/{name}",
                domain=dom,
                repository=name,
            )
            self.call(
                "codeartifact",
                r,
                "get_repository_permissions_policy",
                f"{r}/{L.CA_REPO_POLICY}/{path}",
                f"{dom}/{name}",
                domain=dom,
                repository=name,
            )

    def _secrets(self, r: str) -> None:
        found = self.call("secretsmanager", r, "list_secrets", f"{r}/{L.SECRETS}")
        for s in self.items(found, "SecretList", ("Name", "ARN"), "secretsmanager list-secrets", r):
            self.call(
                "secretsmanager",
                r,
                "get_resource_policy",
                f"{r}/{L.SECRET_POLICY}/{L.name_part(s['Name'])}.json",
                s["Name"],
                SecretId=s["ARN"],
            )

    def _builds(self, r: str) -> None:
        names = (self.call("codebuild", r, "list_projects", None) or {}).get("projects", [])
        projects: list[dict[str, Any]] = []
        for i in range(0, len(names), 100):
            got = self.call("codebuild", r, "batch_get_projects", None, names=names[i : i + 100])
            if got is None:
                return
            projects.extend(redact_project(p) for p in got.get("projects", ()))
        if names or projects:
            self.w.put_json(f"{L.ROOT}/{self.account}/{r}/{L.BUILDS}", {"projects": projects, "projectsNotFound": []})
        else:
            self.w.put_json(f"{L.ROOT}/{self.account}/{r}/{L.BUILDS}", {"projects": []})

    def _pipelines(self, r: str) -> None:
        found = self.call("codepipeline", r, "list_pipelines", f"{r}/codepipeline-list-pipelines.json")
        for p in self.items(found, "pipelines", ("name",), "codepipeline list-pipelines", r):
            self.call(
                "codepipeline",
                r,
                "get_pipeline",
                f"{r}/{L.PIPELINE}/{L.name_part(p['name'])}.json",
                p["name"],
                name=p["name"],
            )

    def _events(self, r: str) -> None:
        rules = self.call("events", r, "list_rules", f"{r}/{L.RULES}")
        for rule in self.items(rules, "Rules", ("Name",), "events list-rules", r):
            self.call(
                "events",
                r,
                "list_targets_by_rule",
                f"{r}/{L.TARGETS}/{L.name_part(rule['Name'])}.json",
                rule["Name"],
                Rule=rule["Name"],
            )

    def _trails(self, r: str) -> None:
        trails = self.call("cloudtrail", r, "describe_trails", f"{r}/{L.TRAILS}", includeShadowTrails=True)
        for t in self.items(trails, "trailList", ("Name", "TrailARN"), "cloudtrail describe-trails", r):
            self.call(
                "cloudtrail",
                r,
                "get_event_selectors",
                f"{r}/{L.SELECTORS}/{L.name_part(t['Name'])}.json",
                t["Name"],
                TrailName=t["TrailARN"],
            )


def _named(entry: Any, field: str) -> bool:
    """True when ``entry`` is an object carrying ``field`` as a non-empty string."""
    return isinstance(entry, dict) and isinstance(entry.get(field), str) and bool(entry[field])


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", "Unknown"))


def _client(session: boto3.Session, settings: Settings, service: str) -> Any:
    cfg = retry_config(settings)
    return session.client(service, region_name=settings.home_region, endpoint_url=settings.endpoint_url, config=cfg)  # type: ignore[call-overload]


def scopes(
    settings: Settings, session: boto3.Session | None = None, *, tally: CollectSession | None = None
) -> list[str]:
    """The accounts to collect: the configured list, Organizations' active accounts, or the caller's own.
    Each request is counted in ``tally`` (the run's), as the accounts' own calls are."""
    if settings.accounts:
        return sorted(set(settings.accounts))
    session = session or base_session(settings)

    def count(**amounts: float) -> None:
        if tally is not None:
            tally.count(PROVIDER, **amounts)

    try:
        if settings.organizations:
            found: list[str] = []
            for page in _client(session, settings, "organizations").get_paginator("list_accounts").paginate():
                count(fetched=1, retried=_retries(page))  # each page as it comes
                accounts = page.get("Accounts") or ()
                found.extend(a["Id"] for a in accounts if _named(a, "Id") and a.get("Status", "ACTIVE") == "ACTIVE")
                if any(not _named(a, "Id") for a in accounts):  # the output's members are not enforced
                    raise ConnectorError("aws: discovering accounts failed: an account without Id in the answer")
            return sorted(found)
        answer = _client(session, settings, "sts").get_caller_identity()
        count(fetched=1, retried=_retries(answer))
        if not _named(answer, "Account"):
            raise ConnectorError("aws: discovering accounts failed: sts get-caller-identity answered without Account")
        return [str(answer["Account"])]
    except ClientError as e:
        count(fetched=1, retried=_retries(e.response), failed=1)
        raise AuthError(f"aws: discovering accounts failed: {_code(e)}") from e
    except ResponseParserError as e:  # an answer came, but not in the service's shape
        count(fetched=1, failed=1)
        raise ConnectorError("aws: discovering accounts failed: ResponseParserError") from e
    except BotoCoreError as e:  # no answer
        count(failed=1)
        raise ConnectorError(f"aws: discovering accounts failed: {type(e).__name__}") from e


def _regions(settings: Settings, ac: AccountCollector) -> list[str]:
    if settings.regions:
        return list(settings.regions)
    found = ac.call("ec2", settings.home_region, "describe_regions", None)
    if found is None:
        raise ConnectorError(f"aws {ac.account}: cannot list enabled regions (ec2 describe-regions failed)")
    return sorted(
        r["RegionName"]
        for r in ac.items(found, "Regions", ("RegionName",), "ec2 describe-regions", settings.home_region)
    )


def _quiet_wire_logs() -> None:
    """botocore logs whole request and response bodies at DEBUG (CodeBuild variable values among them):
    keep those two loggers at INFO or above whatever level the operator's logging is at."""
    for name in ("botocore.parsers", "botocore.endpoint"):
        lg = logging.getLogger(name)
        if lg.getEffectiveLevel() < logging.INFO:
            lg.setLevel(logging.INFO)


def collect(
    settings: Settings,
    scope: str,
    writer: BundleWriter,
    session: boto3.Session | None = None,
    clients: dict[tuple[str, str], BaseClient] | None = None,
) -> None:
    """Collect one account (``scope`` = account id); AssumeRole refused raises AuthError (a coverage gap).
    ``clients`` supplies ready clients by (service, region), e.g. a stubbed one for a service an emulator lacks."""
    _quiet_wire_logs()
    session = session or base_session(settings)
    creds: dict[str, str] | None = None
    if settings.role_name:
        arn = f"arn:aws:iam::{scope}:role/{settings.role_name}"
        params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": settings.session_name}
        if settings.external_id_env:
            params["ExternalId"] = os.environ.get(settings.external_id_env, "")
        try:
            answer = _client(session, settings, "sts").assume_role(**params)
            writer.session.count(PROVIDER, fetched=1, retried=_retries(answer))
            c = answer.get("Credentials")
            if not all(_named(c, k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")):
                raise ConnectorError(f"aws {scope}: sts:AssumeRole into {arn} answered without credentials")
        except ClientError as e:
            writer.session.count(PROVIDER, fetched=1, retried=_retries(e.response), failed=1)
            raise AuthError(f"aws {scope}: sts:AssumeRole into {arn} refused: {_code(e)}") from e
        except BotoCoreError as e:
            writer.session.count(PROVIDER, failed=1)
            raise ConnectorError(f"aws {scope}: sts:AssumeRole into {arn} failed: {type(e).__name__}") from e
        creds = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }
    ac = AccountCollector(settings, scope, writer, session, creds, clients)
    ac.iam()
    for r in _regions(settings, ac):
        ac.region(r)
