"""``load`` and ``transform`` over the native fixture bundle: exact nodes and edges, and the WIF analysis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from connectors.gcp import SPEC, wif
from scanner.bundle import BundleReader
from scanner.errors import BundleError
from scanner.model import Action, EdgeKind, Inventory, Lifetime, NodeKind, Selector
from tests.connectors.gcp.fake import FIXTURE

P = "acme-prod"
POOLS = "projects/111111111111/locations/global/workloadIdentityPools"
REPO = f"gcp:ar-repository:projects/{P}/locations/us-central1/repositories"
TRIG = f"gcp:build-trigger:projects/{P}/triggers"
FAIL_WIF = f"gcp:wif-provider:{POOLS}/fail-pool/providers/fail-github"
PASS_WIF = f"gcp:wif-provider:{POOLS}/pass-pool/providers/pass-github"
KEYS = f"gcp:sa-key:projects/{P}/serviceAccounts"


def sa(name: str) -> str:
    return f"gcp:service-account:{name}@{P}.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return SPEC.inventory(BundleReader(FIXTURE))


def test_exact_nodes(inv: Inventory) -> None:
    got = {(n.kind, n.id) for n in inv.nodes()}
    assert got == {
        *(
            (NodeKind.IDENTITY, sa(n))
            for n in ("fail-deployer", "pass-deployer", "fail-legacy", "pass-rotated", "ci-reader")
        ),
        (NodeKind.PERSON, "gcp:user:ops-lead@acme.example"),
        (NodeKind.IDENTITY, "gcp:group:sre@acme.example"),
        (NodeKind.CREDENTIAL, f"{KEYS}/{sa('fail-legacy')[20:]}/keys/{'1' * 40}"),
        (NodeKind.CREDENTIAL, f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'3' * 40}"),
        (NodeKind.CREDENTIAL, f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'4' * 40}"),
        (NodeKind.CREDENTIAL, FAIL_WIF),
        (NodeKind.CREDENTIAL, PASS_WIF),
        (NodeKind.RESOURCE, f"{REPO}/app-images"),
        (NodeKind.RESOURCE, f"{REPO}/pypi-remote"),
        (NodeKind.RESOURCE, f"{REPO}/npm-virtual"),
        (NodeKind.RESOURCE, f"{TRIG}/0f0f0f0f-1111-2222-3333-444444444444"),
        (NodeKind.RESOURCE, f"{TRIG}/0f0f0f0f-5555-6666-7777-888888888888"),
        (NodeKind.RESOURCE, "gcp:ar-project:acme-prod"),  # every repository of the project, collected or not
    }
    assert inv.dangling() == []
    assert inv.gaps == []


def test_exact_edges(inv: Inventory) -> None:
    got = {(e.kind, e.src, e.dst, tuple(sorted(e.actions))) for e in inv.edges()}
    rpw = tuple(sorted({Action.READ, Action.PUBLISH, Action.PROMOTE}))
    admin = tuple(sorted({Action.READ, Action.PUBLISH, Action.PROMOTE, Action.ADMIN}))
    # project bindings also reach every repository of the project, listed or not (gcp:ar-project)
    repos = [f"{REPO}/{r}" for r in ("app-images", "pypi-remote", "npm-virtual")] + ["gcp:ar-project:acme-prod"]
    all_sas = [sa(n) for n in ("fail-deployer", "pass-deployer", "fail-legacy", "pass-rotated", "ci-reader")]
    expected = {
        (EdgeKind.AUTHENTICATES_AS, FAIL_WIF, sa("fail-deployer"), ()),
        (EdgeKind.AUTHENTICATES_AS, PASS_WIF, sa("pass-deployer"), ()),
        (EdgeKind.AUTHENTICATES_AS, f"{KEYS}/{sa('fail-legacy')[20:]}/keys/{'1' * 40}", sa("fail-legacy"), ()),
        (EdgeKind.AUTHENTICATES_AS, f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'3' * 40}", sa("pass-rotated"), ()),
        (EdgeKind.AUTHENTICATES_AS, f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'4' * 40}", sa("pass-rotated"), ()),
        # roles/editor (actAs) on the project, tokenCreator on the organization: control of every SA
        *((EdgeKind.CAN_ASSUME, "gcp:user:ops-lead@acme.example", s, ()) for s in all_sas),
        *((EdgeKind.CAN_ASSUME, "gcp:group:sre@acme.example", s, ()) for s in all_sas),
        # repository policy: writer
        *(
            (EdgeKind.GRANTS, sa(n), f"{REPO}/app-images", rpw)
            for n in ("fail-deployer", "pass-deployer", "fail-legacy")
        ),
        # project policy: reader, a custom tag-promoter role, and roles/editor, inherited by every repository
        *((EdgeKind.GRANTS, sa("ci-reader"), r, (Action.READ,)) for r in repos),
        *((EdgeKind.GRANTS, sa("ci-reader"), r, (Action.PROMOTE,)) for r in repos),
        *((EdgeKind.GRANTS, "gcp:user:ops-lead@acme.example", r, admin) for r in repos),
        # a Docker push to Artifact Registry (the gcr topic) starts the production deploy
        (EdgeKind.TRIGGERS, f"{REPO}/app-images", f"{TRIG}/0f0f0f0f-1111-2222-3333-444444444444", ()),
    }
    assert got == expected
    [trig] = [e for e in inv.edges() if e.kind is EdgeKind.TRIGGERS]
    assert trig.approval_required is False


def test_hints(inv: Inventory) -> None:
    hints = {(str(h.src), str(h.dst), h.kind) for h in inv.hints}
    assert len(hints) == 2
    [job] = [h for h in inv.hints if h.kind is EdgeKind.CAN_ASSUME]
    assert job.dst == sa("pass-deployer")
    assert job.src == Selector("github", NodeKind.IDENTITY, (("repo", "org/app"), ("oidc", True)), "github:job")
    [build] = [h for h in inv.hints if h.kind is EdgeKind.TRIGGERS]
    assert build.src == "github:repo:org/app"
    assert build.approval_required is True


def test_credentials_and_identities(inv: Inventory) -> None:
    legacy_key = inv.node(f"{KEYS}/{sa('fail-legacy')[20:]}/keys/{'1' * 40}")  # type: ignore[arg-type]
    assert legacy_key.credential is not None
    assert legacy_key.credential.lifetime is Lifetime.STATIC
    assert legacy_key.credential.expires is None  # 9999-12-31 means no expiry
    assert legacy_key.credential.created is not None
    assert legacy_key.credential.created.year == 2023
    rotated = inv.node(f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'3' * 40}")  # type: ignore[arg-type]
    assert rotated.credential is not None
    assert rotated.credential.expires is not None
    assert inv.node(f"{KEYS}/{sa('pass-rotated')[20:]}/keys/{'4' * 40}").attrs["active"] is False  # type: ignore[arg-type]
    assert inv.node(sa("fail-legacy")).attrs["disabled"] is True  # type: ignore[arg-type]
    fail, ok = inv.node(FAIL_WIF), inv.node(PASS_WIF)  # type: ignore[arg-type]
    assert fail.subtype == ok.subtype == "gcp:oidc-trust"
    assert fail.credential is not None
    assert fail.credential.lifetime is Lifetime.SHORT_LIVED
    assert fail.attrs["subject_too_broad"] is True
    assert "no attribute condition" in str(fail.attrs["broad_reason"])
    assert ok.attrs["subject_too_broad"] is False
    assert ok.attrs["issuer"] == "https://token.actions.githubusercontent.com"


def test_repositories(inv: Inventory) -> None:
    app = inv.node(f"{REPO}/app-images")  # type: ignore[arg-type]
    remote = inv.node(f"{REPO}/pypi-remote")  # type: ignore[arg-type]
    assert app.attrs["category"] == "registry"
    assert app.attrs["exposures"] == ("basic-role-write",)
    assert app.attrs["mirror"] is False
    assert app.attrs["audit_logging"] is True
    assert app.attrs["immutable_tags"] is True
    assert remote.attrs["mirror"] is True
    assert remote.attrs["upstream_verification"] is False
    assert remote.attrs["exposures"] == ("anonymous-pull", "basic-role-write")
    prod = inv.node(f"{TRIG}/0f0f0f0f-1111-2222-3333-444444444444")  # type: ignore[arg-type]
    assert prod.attrs["category"] == "pipeline"
    assert prod.attrs["production"] is True


# --- Workload Identity conditions ---------------------------------------------------------------

GH_MAP = {"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"}


@pytest.mark.parametrize(
    ("condition", "repos"),
    [
        ("assertion.repository == 'org/app'", ("org/app",)),
        ('attribute.repository == "org/app" && assertion.ref == "refs/heads/main"', ("org/app",)),
        ("assertion.sub.startsWith('repo:org/app:')", ("org/app",)),
        ("assertion.repository in ['org/a', 'org/b']", ("org/a", "org/b")),
        ("assertion.repository == 'org/a' || assertion.repository == 'org/b'", ("org/a", "org/b")),
    ],
)
def test_pass_conditions_pin_a_repository(condition: str, repos: tuple[str, ...]) -> None:
    trust = wif.analyse_condition(condition, "github", GH_MAP)
    assert trust == wif.Trust(repos, None)


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        (None, "no attribute condition"),
        ("", "no attribute condition"),
        ("assertion.repository_owner == 'org'", "owner only"),
        ("assertion.sub.startsWith('repo:org/app')", "does not pin"),  # also accepts org/app-evil
        ("assertion.repository == 'org/app' || assertion.actor == 'bot'", "does not pin"),
        ("assertion.repository.matches('org/.*')", "does not pin"),
    ],
)
def test_fail_conditions_are_too_broad(condition: str | None, why: str) -> None:
    trust = wif.analyse_condition(condition, "github", GH_MAP)
    assert trust.repositories == ()
    assert trust.broad_reason is not None
    assert why in trust.broad_reason


def test_member_pins() -> None:
    base = f"principalSet://iam.googleapis.com/{POOLS}/p"
    assert wif.member_repository(f"{base}/attribute.repository/org/app", "github", GH_MAP) == (f"{POOLS}/p", "org/app")
    assert wif.member_repository(f"{base}/*", "github", GH_MAP) == (f"{POOLS}/p", None)
    sub = f"principal://iam.googleapis.com/{POOLS}/p/subject/repo:org/app:ref:refs/heads/main"
    assert wif.member_repository(sub, "github", GH_MAP) == (f"{POOLS}/p", "org/app")
    assert wif.platform("https://gitlab.com", {}) == "gitlab"
    assert wif.platform("https://sts.windows.net/x/", {}) is None


def test_a_principal_set_pinning_the_repository_is_not_broad(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    rel = f"gcp/projects/{P}/serviceAccounts/fail-deployer@{P}.iam.gserviceaccount.com/getIamPolicy.json"
    policy = json.loads((bundle / rel).read_text())
    policy["bindings"][0]["members"] = [
        f"principalSet://iam.googleapis.com/{POOLS}/fail-pool/attribute.repository/org/app"
    ]
    (bundle / rel).write_text(json.dumps(policy))
    node = SPEC.inventory(BundleReader(bundle)).node(FAIL_WIF)  # type: ignore[arg-type]
    assert node.attrs["subject_too_broad"] is False


# --- load -----------------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(FIXTURE, dst)
    return dst


def test_gcloud_bare_arrays_load_the_same(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    rel = bundle / f"gcp/projects/{P}/serviceAccounts.json"
    rel.write_text(json.dumps(json.loads(rel.read_text())["accounts"]))
    before = SPEC.inventory(BundleReader(FIXTURE))
    after = SPEC.inventory(BundleReader(bundle))
    assert {n.id for n in after.nodes()} == {n.id for n in before.nodes()}


def test_a_missing_role_is_a_gap(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    (bundle / "gcp/roles/artifactregistry.writer.json").unlink()
    inv = SPEC.inventory(BundleReader(bundle))
    assert [(g.scope, g.what) for g in inv.gaps] == [
        ("roles/artifactregistry.writer", "gcp/roles/artifactregistry.writer.json")
    ]
    assert not [e for e in inv.edges() if e.via.startswith("roles/artifactregistry.writer")]


@pytest.mark.parametrize(
    ("rel", "content", "problem"),
    [
        (f"gcp/projects/{P}/serviceAccounts.json", "{", "invalid JSON"),
        (f"gcp/projects/{P}/serviceAccounts.json", '{"accounts": [{"email": "x"}]}', "0.name: Field required"),
        (f"gcp/projects/{P}/triggers.json", '{"triggers": [], "nextPageToken": "p2"}', "nextPageToken is set"),
        (f"gcp/projects/{P}/getIamPolicy.json", '{"bindings": [{"members": []}]}', "bindings.0.role"),
        ("gcp/roles/editor.json", '{"name": "roles/viewer"}', "does not match its path"),
        (
            f"gcp/projects/{P}/serviceAccounts.json",
            '{"accounts": [{"name": "n", "email": "../x", "projectId": "p"}]}',
            "cannot name",
        ),
    ],
)
def test_malformed_files_name_the_file(tmp_path: Path, rel: str, content: str, problem: str) -> None:
    bundle = _copy(tmp_path)
    (bundle / rel).write_text(content)
    with pytest.raises(BundleError) as err:
        SPEC.inventory(BundleReader(bundle))
    assert err.value.file == rel
    assert problem in err.value.problem
