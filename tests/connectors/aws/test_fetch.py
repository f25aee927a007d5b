"""AWS fetch at the wire: moto answers the API, botocore's Stubber answers CodeArtifact (moto lacks it).

Faults are injected as HTTP answers through botocore's ``before-send`` event (the retry handler sees
them as real responses); operations are recorded through ``before-parameter-build`` for the least-privilege check.
"""

from __future__ import annotations

import contextlib
import json
import re
import types
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.stub import Stubber
from moto import mock_aws

from connectors import aws
from connectors.aws import fetch
from connectors.aws.settings import Settings
from scanner.analyse import analyse, load_bundle
from scanner.bundle import BundleReader, BundleWriter
from scanner.collect_session import CollectSession
from scanner.errors import AuthError, BundleError
from scanner.model import NodeId
from scanner.owners import resolve
from tests.connectors.aws.estate import FAKE_KEY_VALUE, REGION, seed

POLICY = Path(__file__).parents[3] / "docs" / "permissions" / "aws-collector-policy.json"
OTHER = "999999999999"
Env = tuple[boto3.Session, str, list[tuple[str, str]], list[float]]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(status: int, body: str, content_type: str = "application/x-amz-json-1.1") -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = content_type
    return AWSResponse("http://fake", status, headers, _Raw(body.encode()))


def _hook(fn: Callable[..., Any]) -> Callable[..., None]:
    """botocore's stubs type event handlers as returning None; ours answer the call (as Stubber does)."""
    return cast(Callable[..., None], fn)


@pytest.fixture(scope="module")
def estate() -> Iterator[str]:
    """One moto estate for the module (seeding is the slow part); each test gets its own session."""
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            mp.setenv(k, v)
        with mock_aws():
            yield seed(boto3.Session(region_name=REGION))


@pytest.fixture
def env(estate: str, monkeypatch: pytest.MonkeyPatch) -> Env:
    slept: list[float] = []
    # Retries wait through botocore.endpoint's time.sleep: record instead of sleeping.
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
    session = boto3.Session(region_name=REGION)
    account = estate
    calls: list[tuple[str, str]] = []

    def record(model: Any, **_: Any) -> None:
        calls.append((model.service_model.signing_name, model.name))

    session.events.register("before-parameter-build", record)
    # moto has no DescribePullThroughCacheRules: answer it, before it is sent, with the real (empty) shape.
    session.events.register(
        "before-call.ecr.DescribePullThroughCacheRules",
        _hook(lambda **_: (_answer(200, "{}"), {"pullThroughCacheRules": []})),
    )
    return session, account, calls, slept


def _codeartifact(session: boto3.Session, account: str) -> Any:
    client = session.client("codeartifact", region_name=REGION)
    stub = Stubber(client)
    dom_arn = f"arn:aws:codeartifact:{REGION}:{account}:domain/fail-domain"
    repo_arn = f"arn:aws:codeartifact:{REGION}:{account}:repository/fail-domain/fail-mirror"
    stub.add_response(
        "list_domains", {"domains": [{"name": "fail-domain", "owner": account, "arn": dom_arn, "status": "Active"}]}
    )
    stub.add_client_error("get_domain_permissions_policy", "ResourceNotFoundException", http_status_code=404)
    stub.add_response(
        "list_repositories",
        {
            "repositories": [
                {
                    "name": "fail-mirror",
                    "administratorAccount": account,
                    "domainName": "fail-domain",
                    "domainOwner": account,
                    "arn": repo_arn,
                }
            ]
        },
    )
    stub.add_response(
        "describe_repository",
        {
            "repository": {
                "name": "fail-mirror",
                "domainName": "fail-domain",
                "domainOwner": account,
                "arn": repo_arn,
                "upstreams": [],
                "externalConnections": [
                    {"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "AVAILABLE"}
                ],
            }
        },
        {"domain": "fail-domain", "repository": "fail-mirror"},
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": ["codeartifact:PublishPackageVersion", "codeartifact:ReadFromRepository"],
                "Resource": "*",
            }
        ],
    }
    stub.add_response(
        "get_repository_permissions_policy",
        {"policy": {"resourceArn": repo_arn, "document": json.dumps(policy)}},
        {"domain": "fail-domain", "repository": "fail-mirror"},
    )
    stub.activate()
    return client


def _settings(**kw: Any) -> Settings:
    return Settings(role_name="RegwardenReadOnly", regions=[REGION], **kw)


def _collect(session: boto3.Session, account: str, tmp: Path, settings: Settings | None = None) -> Path:
    writer = BundleWriter(tmp / "bundle")
    clients = {("codeartifact", REGION): _codeartifact(session, account)}
    fetch.collect(settings or _settings(), account, writer, session=session, clients=clients)
    return writer.commit("2026-11-28T00:00:00Z")


def test_estate_findings(env: Env, tmp_path: Path) -> None:
    session, account, _, _ = env
    bundle = _collect(session, account, tmp_path)
    loaded = load_bundle(bundle, {"aws": aws.SPEC})
    result = analyse(
        loaded.inventory, source="t", as_of=loaded.collected_at + timedelta(days=120) if loaded.collected_at else None
    )
    got = {(f.rule, NodeId(f.subject)) for f in result.findings}
    inv = loaded.inventory
    by_name: dict[tuple[str, str], NodeId] = {}
    for n in inv.nodes():
        by_name[(n.subtype, n.name)] = n.id

    def has(rule: str, subtype: str, pred: Callable[[str], bool]) -> set[str]:
        return {
            inv.node(s).name for r, s in got if r == rule and inv.node(s).subtype == subtype and pred(inv.node(s).name)
        }

    assert {n for n in has("RB01", "aws:access-key", lambda _: True)} == {
        n.name for n in inv.nodes() if n.subtype == "aws:access-key" and n.attrs["user"] == "fail-static-publisher"
    }
    assert has("RB06", "aws:oidc-trust", lambda _: True) == {"token.actions.githubusercontent.com -> fail-oidc-broad"}
    assert has("RB07", "aws:ecr-repository", lambda _: True) == {"fail-public-repo"}
    assert has("RB07", "aws:codeartifact-repository", lambda _: True) == {"fail-domain/fail-mirror"}
    users_rb09 = {inv.node(s).attrs["user"] for r, s in got if r == "RB09"}
    assert users_rb09 == {"fail-static-publisher", "fail-console-user"}
    assert has("RB10", "aws:iam-user", lambda _: True) == {"fail-console-user"}
    assert has("RB12", "aws:codebuild-plaintext-variable", lambda _: True) == {"fail-build env AWS_ACCESS_KEY_ID"}
    assert ("RB05", by_name[("aws:ecr-repository", "fail-public-repo")]) in got
    rb05 = [f for f in result.findings if f.rule == "RB05"]
    assert all("fail-deploy-prod" in f.message for f in rb05)
    mirror = inv.node(by_name[("aws:codeartifact-repository", "fail-domain/fail-mirror")])
    assert mirror.attrs["mirror"] is True
    assert mirror.attrs["upstream_verification"] is False
    assert mirror.attrs["audit_logging"] is False
    # The plaintext value is nowhere in the bundle, only its fingerprint.
    for p in bundle.rglob("*"):
        if p.is_file():
            assert FAKE_KEY_VALUE not in p.read_text(encoding="utf-8", errors="replace")
    assert FAKE_KEY_VALUE not in json.dumps([f.message for f in result.findings])


def test_least_privilege(env: Env, tmp_path: Path) -> None:
    session, account, calls, _ = env
    calls.clear()
    _collect(session, account, tmp_path)
    allowed = {a.casefold() for s in json.loads(POLICY.read_text())["Statement"] for a in s["Action"]}
    used = {f"{svc}:{op}".casefold() for svc, op in calls}
    assert used - allowed == set()
    assert "secretsmanager:getsecretvalue" not in used
    assert "ecr:getauthorizationtoken" not in used
    assert {"iam:getaccountauthorizationdetails", "codeartifact:listrepositories", "sts:assumerole"} <= used


def test_throttling_is_retried(env: Env, tmp_path: Path) -> None:
    session, account, _, slept = env
    answered: list[int] = []

    def throttle_once(**_: Any) -> AWSResponse | None:
        if answered:
            return None
        answered.append(1)
        return _answer(400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}))

    # The last ECR call that is sent: the adaptive rate limiter slows the client down after a throttle.
    session.events.register_first("before-send.ecr.DescribeRegistry", _hook(throttle_once))
    bundle = _collect(session, account, tmp_path, _settings(services=["ecr"]))
    registry = json.loads((bundle / "aws" / account / REGION / "ecr-describe-registry.json").read_text())
    assert registry["registryId"] == account
    assert answered == [1]
    assert slept
    assert not BundleReader(bundle).manifest.failed()


def test_access_denied_on_one_call_is_a_gap(env: Env, tmp_path: Path) -> None:
    session, account, _, _ = env
    session.events.register_first(
        "before-send.secrets-manager.ListSecrets",
        _hook(lambda **_: _answer(400, json.dumps({"__type": "AccessDeniedException", "message": "not authorized"}))),
    )
    bundle = _collect(session, account, tmp_path)
    manifest = BundleReader(bundle).manifest
    failed = [(c.call, c.detail) for c in manifest.failed()]
    assert failed == [(f"secretsmanager list-secrets ({REGION})", "AccessDeniedException")]
    assert not (bundle / "aws" / account / REGION / "secretsmanager-list-secrets.json").exists()
    assert (bundle / "aws" / account / REGION / "ecr-describe-repositories.json").exists()


def test_repository_gone_between_list_and_get_is_not_found(env: Env, tmp_path: Path) -> None:
    """ECR answers ``RepositoryNotFoundException`` (botocore's ecr model lists it for GetRepositoryPolicy) when a
    repository is deleted after the listing: an answer, not a failed call."""
    session, account, _, _ = env
    session.events.register_first(
        "before-send.ecr.GetRepositoryPolicy",
        _hook(
            lambda **_: _answer(
                400, json.dumps({"__type": "RepositoryNotFoundException", "message": "The repository does not exist"})
            )
        ),
    )
    bundle = _collect(session, account, tmp_path, _settings(services=["ecr"]))
    manifest = BundleReader(bundle).manifest
    assert not manifest.failed()
    gone = [c for c in manifest.calls if c.status == "not_found" and "get-repository-policy" in c.call]
    assert gone
    assert {c.detail for c in gone} <= {"RepositoryNotFoundException", "RepositoryPolicyNotFoundException"}
    assert "RepositoryNotFoundException" in {c.detail for c in gone}


def _ecr_owners(bundle: Path) -> dict[str, tuple[tuple[str, ...], str | None]]:
    inv = load_bundle(bundle, {"aws": aws.SPEC}).inventory
    index = resolve(inv)
    return {
        n.name: (index.names(n.id), index.not_collected.get(n.id))
        for n in inv.nodes()
        if n.subtype == "aws:ecr-repository"
    }


def test_ecr_repository_tags_are_collected_and_name_owners(env: Env, tmp_path: Path) -> None:
    """``ecr list-tags-for-resource`` per repository (describe-repositories carries no tags): an ``owner`` or
    ``team`` tag names the repository's owner, another tag names nobody."""
    session, account, _, _ = env
    bundle = _collect(session, account, tmp_path, _settings(services=["ecr"]))
    tags = json.loads(
        (bundle / "aws" / account / REGION / "ecr-list-tags-for-resource" / "fail-public-repo.json").read_text()
    )
    assert tags["tags"] == [{"Key": "team", "Value": "release-eng"}]
    assert _ecr_owners(bundle) == {"fail-public-repo": (("release-eng",), None), "pass-private-repo": ((), None)}


def test_ecr_tags_refused_leave_owners_not_collected(env: Env, tmp_path: Path) -> None:
    """A refused tag call is a failed call in the manifest, and the repository's owners are "not collected"
    (naming the file), not unknown."""
    session, account, _, _ = env
    session.events.register_first(
        "before-send.ecr.ListTagsForResource",
        _hook(lambda **_: _answer(400, json.dumps({"__type": "AccessDeniedException", "message": "not authorized"}))),
    )
    bundle = _collect(session, account, tmp_path, _settings(services=["ecr"]))
    failed = {c.call for c in BundleReader(bundle).manifest.failed()}
    assert f"ecr list-tags-for-resource fail-public-repo ({REGION})" in failed
    folder = f"aws/{account}/{REGION}/ecr-list-tags-for-resource"
    assert _ecr_owners(bundle) == {
        "fail-public-repo": ((), f"{folder}/fail-public-repo.json"),
        "pass-private-repo": ((), f"{folder}/pass-private-repo.json"),
    }


def test_assume_role_refused_is_auth_error(env: Env, tmp_path: Path) -> None:
    session, _, _, _ = env

    def deny(request: Any, **_: Any) -> AWSResponse | None:
        if OTHER not in (request.body.decode() if isinstance(request.body, bytes) else str(request.body)):
            return None
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            "<Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>"
        )
        return _answer(403, body, "text/xml")

    session.events.register_first("before-send.sts.AssumeRole", _hook(deny))
    writer = BundleWriter(tmp_path / "b")
    with pytest.raises(
        AuthError, match=re.escape(f"arn:aws:iam::{OTHER}:role/RegwardenReadOnly refused: AccessDenied")
    ):
        fetch.collect(_settings(), OTHER, writer, session=session)
    counts = writer.session.counts()["aws"]
    assert (counts.fetched, counts.failed) == (1, 1)  # the refused AssumeRole is a counted, failed call
    writer.abort()


def test_scopes(env: Env) -> None:
    session, account, _, _ = env
    assert fetch.scopes(Settings(accounts=["222222222222", "111111111111"]), session) == [
        "111111111111",
        "222222222222",
    ]
    assert fetch.scopes(Settings(), session) == [account]
    org = session.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    org.create_account(Email="a@example.com", AccountName="member")
    found = fetch.scopes(Settings(organizations=True), session)
    assert account in found
    assert len(found) == 2


def test_scope_discovery_is_counted_in_the_runs_tally(env: Env) -> None:
    session, account, _, _ = env
    tally = CollectSession()
    assert fetch.scopes(Settings(), session, tally=tally) == [account]  # sts:GetCallerIdentity
    assert (tally.counts()["aws"].fetched, tally.counts()["aws"].failed) == (1, 0)
    org = session.client("organizations", region_name=REGION)
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):  # test_scopes made it
        org.create_organization(FeatureSet="ALL")
    listed = fetch.scopes(Settings(organizations=True), session, tally=tally)
    assert account in listed  # one page: fewer accounts than a page holds
    assert (tally.counts()["aws"].fetched, tally.counts()["aws"].failed) == (2, 0)

    def deny(**_kw: Any) -> AWSResponse:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            "<Message>not authorized</Message></Error></ErrorResponse>"
        )
        return _answer(403, body, "text/xml")

    session.events.register_first("before-send.sts.GetCallerIdentity", _hook(deny))
    with pytest.raises(AuthError, match="discovering accounts failed: AccessDenied"):
        fetch.scopes(Settings(), session, tally=tally)
    assert (tally.counts()["aws"].fetched, tally.counts()["aws"].failed) == (3, 1)  # an answer, and given up


def test_detect_and_redact() -> None:
    p = fetch.redact_project(
        {
            "name": "x",
            "environment": {
                "environmentVariables": [
                    {"name": "K", "value": FAKE_KEY_VALUE, "type": "PLAINTEXT"},
                    {"name": "NODE_ENV", "value": "production", "type": "PLAINTEXT"},
                    {"name": "T", "value": "ssm/path", "type": "PARAMETER_STORE"},
                ]
            },
        }
    )
    env = p["environment"]["environmentVariables"]
    assert [v.get("valueDetector") for v in env] == ["aws-access-key-id", None, None]
    assert "value" not in env[0]
    assert env[0]["valueFingerprint"].startswith("hmac-sha256:")
    assert env[2]["value"] == "ssm/path"


def test_entries_without_their_names_are_a_gap_not_a_crash(env: Env, tmp_path: Path) -> None:
    """botocore's parser does not enforce an output's members (IAM's ``UserDetail`` and
    ``OpenIDConnectProviderListEntry`` mark none required): answers, in IAM's real XML shape, holding
    one user without ``UserName`` and one provider without ``Arn`` are collected, and what could not be
    followed is a named gap of the listing, not a ``KeyError`` that ends the collection."""
    session, account, _, _ = env
    ns = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'
    authz = (
        f"<GetAccountAuthorizationDetailsResponse {ns}><GetAccountAuthorizationDetailsResult>"
        "<IsTruncated>false</IsTruncated><UserDetailList>"
        f"<member><UserName>ci-publisher</UserName><UserId>AIDAEXAMPLE1</UserId><Arn>arn:aws:iam::{account}:user/ci-publisher</Arn>"
        "<Path>/</Path><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"
        f"<member><UserId>AIDAEXAMPLE2</UserId><Path>/</Path><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"
        "</UserDetailList><GroupDetailList/><RoleDetailList/><Policies/>"
        "</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
        "</GetAccountAuthorizationDetailsResponse>"
    )
    providers = (
        f"<ListOpenIDConnectProvidersResponse {ns}><ListOpenIDConnectProvidersResult><OpenIDConnectProviderList>"
        "<member></member></OpenIDConnectProviderList></ListOpenIDConnectProvidersResult>"
        "<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></ListOpenIDConnectProvidersResponse>"
    )
    session.events.register_first(
        "before-send.iam.GetAccountAuthorizationDetails", _hook(lambda **_: _answer(200, authz, "text/xml"))
    )
    session.events.register_first(
        "before-send.iam.ListOpenIDConnectProviders", _hook(lambda **_: _answer(200, providers, "text/xml"))
    )
    bundle = _collect(session, account, tmp_path, _settings(services=["ecr"]))
    failed = {(c.call, c.detail) for c in BundleReader(bundle).manifest.failed()}
    assert (
        f"iam get-account-authorization-details ({REGION})",
        "1 entry without UserName; not followed",
    ) in failed
    assert (f"iam list-open-id-connect-providers ({REGION})", "1 entry without Arn; not followed") in failed
    calls = [c.call for c in BundleReader(bundle).manifest.calls if "list-access-keys" in c.call]
    assert calls == [f"iam list-access-keys ci-publisher ({REGION})"]  # the named user was followed
    # Reading the stored answer is the loader's judgement: a user without a name is a malformed file,
    # refused by name (exit 2, docs/bundle.md), as a hand-edited one is.
    with pytest.raises(
        BundleError, match=re.escape("iam-get-account-authorization-details.json: UserDetailList.1.UserName")
    ):
        load_bundle(bundle, {"aws": aws.SPEC})
