"""The incident edges, each with a fail-* and a pass-* repository, and the rules they feed (offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.github import SPEC
from connectors.pypi import SPEC as PYPI
from scanner.analyse import analyse
from scanner.bundle import BundleReader
from scanner.findings import Finding
from scanner.model import Action, EdgeKind, Inventory, Lifetime, NodeId, NodeKind
from scanner.result import ScanResult
from tests.connectors.github import estate

J = "github:job:acme/{}/.github/workflows/{}"
TAG = "github:action:tj-actions/changed-files@v45"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = estate.files()
    data.update(estate.pypi_files())
    return estate.write_bundle(tmp_path_factory.mktemp("estate") / "bundle", data)


@pytest.fixture(scope="module")
def inv(bundle: Path) -> Inventory:
    return SPEC.inventory(BundleReader(bundle))


@pytest.fixture(scope="module")
def result(bundle: Path) -> ScanResult:
    reader = BundleReader(bundle)
    merged = Inventory()
    merged.merge(SPEC.inventory(reader))
    merged.merge(PYPI.inventory(reader))
    return analyse(merged, source="estate", as_of=datetime(2026, 11, 1, tzinfo=UTC))


def _out(inv: Inventory, src: str, kind: EdgeKind) -> set[str]:
    return {e.dst for e in inv.edges() if e.src == src and e.kind is kind}


def _in(inv: Inventory, dst: str, kind: EdgeKind) -> set[str]:
    return {e.src for e in inv.edges() if e.dst == dst and e.kind is kind}


# -- 1. a mutable tag is one node shared by every job that uses it ------------------------------------


def test_mutable_tag_reaches_every_workflow_using_it(inv: Inventory, result: ScanResult) -> None:
    users = _in(inv, TAG, EdgeKind.RUNS_CODE_OF)
    assert users == {J.format("fail-tag", "release.yml#publish"), J.format("fail-tag-b", "release.yml#publish")}
    assert inv.node(NodeId(TAG)).attrs["pinned"] is False
    radius = {r.resource for r in result.reach.blast_radius(NodeId(TAG)) if Action.PUBLISH in r.actions}
    assert radius == {"pypi:project:acme-fail-tag", "pypi:project:acme-fail-tag-b"}
    pinned = f"github:action:tj-actions/changed-files@{estate.SHA}"
    assert inv.node(NodeId(pinned)).attrs["pinned"] is True
    assert _in(inv, pinned, EdgeKind.RUNS_CODE_OF) == {
        J.format(r, "release.yml#publish") for r in ("pass-tag", "pass-token", "pass-prt")
    }


# -- 2. a GITHUB_TOKEN with actions: write starts the release workflow ------------------------------


def test_write_token_reaches_the_jobs_it_can_start(inv: Inventory) -> None:
    token = "github:actions-token:acme/fail-token#actions-write"
    triage = J.format("fail-token", "triage.yml#triage")
    release = J.format("fail-token", "release.yml#publish")
    assert _out(inv, triage, EdgeKind.CAN_READ_SECRET) == {token}
    assert _out(inv, token, EdgeKind.CAN_ASSUME) == {release}
    assert _out(inv, token, EdgeKind.GRANTS) == {"github:workflow:acme/fail-token/.github/workflows/release.yml"}
    node = inv.node(NodeId(token))
    assert node.credential is not None
    assert node.credential.lifetime is Lifetime.SHORT_LIVED
    # read-only default token: no token credential at all
    assert not [n for n in inv.nodes() if n.id.startswith("github:actions-token:acme/pass-token")]


# -- 3. a cache written on an untrusted trigger and restored by the release job ---------------------


def test_shared_cache_links_writer_to_release_job(inv: Inventory) -> None:
    lint = J.format("fail-cache", "lint.yml#lint")
    release = J.format("fail-cache", "release.yml#publish")
    assert _out(inv, lint, EdgeKind.CAN_ASSUME) == {release}
    (edge,) = [e for e in inv.edges() if e.src == lint and e.kind is EdgeKind.CAN_ASSUME]
    assert edge.via == "Actions cache of the default branch"
    assert (inv.node(NodeId(lint)).attrs["cache_writes"], inv.node(NodeId(release)).attrs["cache_reads"]) == (
        True,
        True,
    )
    assert _out(inv, J.format("pass-cache", "lint.yml#lint"), EdgeKind.CAN_ASSUME) == set()
    assert inv.node(NodeId(J.format("pass-cache", "release.yml#publish"))).attrs["cache_reads"] is False


# -- 4. pull_request_target + checkout of the head ------------------------------------------------


def test_untrusted_checkout_runs_outsiders_code_beside_the_secrets(inv: Inventory) -> None:
    job = J.format("fail-prt", "preview.yml#preview")
    attrs = inv.node(NodeId(job)).attrs
    assert (attrs["untrusted_trigger"], attrs["checks_out_untrusted"]) == (True, True)
    assert "github:untrusted-code:acme/fail-prt" in _out(inv, job, EdgeKind.RUNS_CODE_OF)
    assert _out(inv, job, EdgeKind.CAN_READ_SECRET) == {"github:secret:acme/fail-prt/PYPI_TOKEN"}
    passing = inv.node(NodeId(J.format("pass-prt", "preview.yml#preview"))).attrs
    # a pull_request run checks out the head too, but holds no secrets and no write token
    assert (passing["untrusted_trigger"], passing["checks_out_untrusted"]) == (False, False)
    assert "github:untrusted-code:acme/pass-prt" not in inv


# -- the rules ------------------------------------------------------------------------------------


def test_findings_fail_and_pass(result: ScanResult) -> None:
    outsiders = "github:untrusted-code:acme/{}"
    triage = J.format("fail-token", "triage.yml#triage")
    # one finding per (third party or outsiders, job that runs it), located at that job's line
    rb11: dict[tuple[str, str], Finding] = {
        (f.subject, f.path[0].dst): f for f in result.findings if f.rule == "RB11" and f.subject != triage
    }
    assert set(rb11) == {
        (TAG, J.format("fail-tag", "release.yml#publish")),
        (TAG, J.format("fail-tag-b", "release.yml#publish")),
        (outsiders.format("fail-cache"), J.format("fail-cache", "lint.yml#lint")),
        (outsiders.format("fail-prt"), J.format("fail-prt", "preview.yml#preview")),
    }
    # pull_request_target with actions: write starts the release job, but no step lets outsiders in
    # (the labeler is pinned): the trigger alone is a medium finding on the job
    (trigger,) = [f for f in result.findings if f.rule == "RB11" and f.subject == triage]
    assert trigger.severity.value == "medium"
    assert [s.kind for s in trigger.path] == [
        EdgeKind.CAN_READ_SECRET,
        EdgeKind.CAN_ASSUME,
        EdgeKind.CAN_READ_SECRET,
        EdgeKind.EXPOSES,
        EdgeKind.GRANTS,
    ]
    by_subject = {k[0]: f for k, f in rb11.items()}
    assert by_subject[TAG].severity.value == "critical"
    assert by_subject[outsiders.format("fail-prt")].severity.value == "critical"
    assert by_subject[outsiders.format("fail-cache")].severity.value == "critical"  # through the cache
    # the unpinned action's finding points at the job's `uses:` line of that action
    tag = rb11[(TAG, J.format("fail-tag", "release.yml#publish"))]
    assert tag.location is not None
    assert tag.location.line is not None
    assert tag.location.file.endswith("acme/fail-tag/contents/.github/workflows/release.yml")
    lines = estate.TAG_RELEASE.splitlines()
    assert lines[tag.location.line - 1].strip() == "- uses: tj-actions/changed-files@v45"
    # each with its full path to the PyPI project
    for f in rb11.values():
        assert f.path
        assert f.path[-1].dst.startswith("pypi:project:acme-fail-")
    # hardened variants: no RB05/RB11 finding anywhere near them
    for f in result.findings:
        if f.rule in ("RB05", "RB11"):
            assert "/pass-" not in f.subject, f
            assert all("/pass-" not in s.src and "/pass-" not in s.dst for s in f.path), f


def test_static_cloud_key_and_plaintext(inv: Inventory, result: ScanResult, bundle: Path) -> None:
    aws = inv.node(NodeId("github:secret:acme/fail-tag/AWS_SECRET_ACCESS_KEY"))
    assert (aws.attrs["static_cloud_credential"], aws.attrs["oidc_available"]) == (True, True)
    rb06 = {f.subject: f.message for f in result.findings if f.rule == "RB06"}
    # the AWS key, and every secret holding a PyPI token (PyPI accepts GitHub's OIDC token: Trusted Publishing)
    assert aws.id in rb06
    assert {s.rsplit("/", 1)[-1] for s in rb06 if s != aws.id} == {"PYPI_TOKEN"}
    assert all("PyPI API token" in m for s, m in rb06.items() if s != aws.id)
    plain = [n for n in inv.nodes() if n.attrs.get("plaintext") is True]
    assert [(n.name, n.attrs["detector"]) for n in plain] == [
        ("acme/fail-tag .github/workflows/release.yml line 7", "aws-access-key")
    ]
    (cred,) = [e.dst for e in inv.edges() if e.src == plain[0].id and e.kind is EdgeKind.EXPOSES]
    fp = inv.node(cred).credential
    assert fp is not None
    assert fp.fingerprint is not None
    assert fp.fingerprint.startswith("hmac-sha256:")
    assert {f.subject for f in result.findings if f.rule == "RB12"} == {plain[0].id}
    dumped = json.dumps([(n.id, n.name, dict(n.attrs)) for n in inv.nodes()], default=str)
    assert estate.FAKE_AWS_KEY_ID not in dumped


def test_org_identities(inv: Inventory) -> None:
    pat = inv.node(NodeId("github:fine-grained-pat:acme/98716"))
    assert pat.subtype == "github:fine-grained-pat"
    assert pat.attrs["repository_permissions"] == ("contents:write",)
    assert pat.credential is not None
    assert pat.credential.lifetime is Lifetime.STATIC
    assert len(_out(inv, pat.id, EdgeKind.GRANTS)) == len(estate.WORKFLOWS) + 1
    assert _out(inv, pat.id, EdgeKind.OWNED_BY) == {"github:user:octo-release-bot"}
    app = inv.node(NodeId("github:app-installation:acme/4242"))
    assert (app.kind, app.attrs["app_slug"]) == (NodeKind.IDENTITY, "release-drafter")
    grant = next(e for e in inv.edges() if e.src == app.id and e.dst == "github:repo:acme/fail-tag")
    assert grant.actions == frozenset({Action.READ, Action.PUBLISH})
    key = inv.node(NodeId("github:deploy-key:acme/fail-tag/77"))
    assert key.attrs["read_only"] is False
    assert key.attrs["never_used"] is True
    assert key.credential is not None
    assert key.credential.fingerprint is not None
    assert "AAAAC3" not in json.dumps(dict(key.attrs))
    shared = inv.node(NodeId("github:org-secret:acme/ORG_PYPI_TOKEN"))
    assert shared.attrs["shared_with"] == ("acme/fail-tag", "acme/fail-tag-b")


def test_oidc_and_ref_attributes(inv: Inventory) -> None:
    trusted = inv.node(NodeId(J.format("pass-tag", "release.yml#publish"))).attrs
    assert (trusted["repo"], trusted["environment"], trusted["oidc"]) == ("acme/pass-tag", "pypi", True)
    assert trusted["refs"] == ("refs/tags/v*",)
    # the organization customises the sub claim: the default-template subjects are not claimed
    assert trusted["oidc_sub_claims"] is None  # the repository opts back into the default
    assert trusted["oidc_subjects"] == ("repo:acme/pass-tag:environment:pypi",)
    triage = inv.node(NodeId(J.format("fail-token", "triage.yml#triage"))).attrs
    assert triage["refs"] == ("refs/heads/main",)  # pull_request_target runs on the default branch
    assert triage["ref"] == "refs/heads/main"
