"""transform(): exact nodes, edges and hints from the fixture bundle, plus the edge cases of the rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.pypi import SPEC
from connectors.pypi.raw import FileProvenance, ProjectInfo, ProjectJson, Provenance, PypiProject, PypiRaw
from connectors.pypi.transform import source_repos, transform
from scanner.model import (
    Action,
    CoverageGap,
    EdgeKind,
    Evidence,
    Inventory,
    LinkHint,
    NodeId,
    NodeKind,
    Selector,
)

ADMIN = frozenset({Action.ADMIN})
PUBLISH = frozenset({Action.PUBLISH})
ID = NodeKind.IDENTITY
RES = NodeKind.RESOURCE
GRANTS = EdgeKind.GRANTS
OWNED_BY = EdgeKind.OWNED_BY

SAMPLE_TP = "pypi:publisher:sampleproject:GitHub:pypa/sampleproject/release.yml"
ACME_TP = "pypi:publisher:acme-release:GitHub:acme/acme-release/release.yml@pypi"
DRIFT_GH = "pypi:publisher:drifted-lib:GitHub:drifted/drifted-lib/publish.yml@release"
DRIFT_GL = "pypi:publisher:drifted-lib:GitLab:drifted/drifted-lib/.gitlab-ci.yml"


def test_exact_nodes(inventory: Inventory) -> None:
    assert {(n.kind, n.id) for n in inventory.nodes()} == {
        (RES, "pypi:project:sampleproject"),
        (RES, "pypi:project:acme-release"),
        (RES, "pypi:project:legacy-tool"),
        (RES, "pypi:project:drifted-lib"),
        (ID, "pypi:user:theacodes"),
        (ID, "pypi:user:pypa-bot"),
        (ID, "pypi:user:acme-admin"),
        (ID, "pypi:user:alice"),
        (ID, "pypi:user:ci-uploader"),
        (ID, "pypi:user:bob"),
        (ID, "pypi:user:release-bot"),
        (ID, SAMPLE_TP),
        (ID, ACME_TP),
        (ID, DRIFT_GH),
        (ID, DRIFT_GL),
    }
    subtypes: dict[str, str] = {n.id: n.subtype for n in inventory.nodes()}
    assert subtypes["pypi:project:legacy-tool"] == "pypi:project"
    assert subtypes["pypi:user:alice"] == "pypi:user"
    assert subtypes[ACME_TP] == "pypi:trusted-publisher"
    assert all(n.provider == "pypi" and n.scope == "pypi.org" for n in inventory.nodes())


def test_exact_edges(inventory: Inventory) -> None:
    assert {(e.src, e.kind, e.dst, e.actions, e.via) for e in inventory.edges()} == {
        ("pypi:user:theacodes", GRANTS, "pypi:project:sampleproject", ADMIN, "package role Owner"),
        ("pypi:user:pypa-bot", GRANTS, "pypi:project:sampleproject", PUBLISH, "package role Maintainer"),
        (SAMPLE_TP, GRANTS, "pypi:project:sampleproject", PUBLISH, "Trusted Publisher"),
        ("pypi:user:acme-admin", GRANTS, "pypi:project:acme-release", ADMIN, "package role Owner"),
        (ACME_TP, GRANTS, "pypi:project:acme-release", PUBLISH, "Trusted Publisher"),
        ("pypi:user:alice", GRANTS, "pypi:project:legacy-tool", ADMIN, "package role Owner"),
        ("pypi:user:ci-uploader", GRANTS, "pypi:project:legacy-tool", PUBLISH, "package role Maintainer"),
        ("pypi:user:alice", GRANTS, "pypi:project:drifted-lib", ADMIN, "package role Owner"),
        ("pypi:user:bob", GRANTS, "pypi:project:drifted-lib", ADMIN, "package role Owner"),
        ("pypi:user:release-bot", GRANTS, "pypi:project:drifted-lib", PUBLISH, "package role Maintainer"),
        (DRIFT_GH, GRANTS, "pypi:project:drifted-lib", PUBLISH, "Trusted Publisher"),
        (DRIFT_GL, GRANTS, "pypi:project:drifted-lib", PUBLISH, "Trusted Publisher"),
        # the Owners own the project (package_maintainer in owners.yaml); a Maintainer does not
        ("pypi:project:sampleproject", OWNED_BY, "pypi:user:theacodes", frozenset(), "package role Owner"),
        ("pypi:project:acme-release", OWNED_BY, "pypi:user:acme-admin", frozenset(), "package role Owner"),
        ("pypi:project:legacy-tool", OWNED_BY, "pypi:user:alice", frozenset(), "package role Owner"),
        ("pypi:project:drifted-lib", OWNED_BY, "pypi:user:alice", frozenset(), "package role Owner"),
        ("pypi:project:drifted-lib", OWNED_BY, "pypi:user:bob", frozenset(), "package role Owner"),
    }
    assert inventory.dangling() == []
    assert inventory.gaps == []


def _integrity(project: str, version: str, filename: str) -> Evidence:
    return Evidence(f"pypi/integrity/{project}/{version}/{filename}/provenance.json")


def test_exact_hints(inventory: Inventory) -> None:
    def job(provider: str, repo: str, wf: str, env: str | None = None) -> Selector:
        attrs = (("repo", repo), ("workflow_file", wf), ("oidc", True)) + ((("environment", env),) if env else ())
        return Selector(provider=provider, kind=ID, subtype=f"{provider}:job", attrs=attrs)

    def hint(src: Selector, dst: str, conditions: tuple[tuple[str, str], ...], *ev: Evidence) -> LinkHint:
        return LinkHint(
            src=src,
            dst=NodeId(dst),
            kind=EdgeKind.CAN_ASSUME,
            via="PyPI Trusted Publishing",
            conditions=conditions,
            evidence=ev,
        )

    assert set(inventory.hints) == {
        hint(
            job("github", "pypa/sampleproject", "release.yml"),
            SAMPLE_TP,
            (("repository", "pypa/sampleproject"), ("workflow", "release.yml")),
            _integrity("sampleproject", "4.0.0", "sampleproject-4.0.0-py3-none-any.whl"),
            _integrity("sampleproject", "4.0.0", "sampleproject-4.0.0.tar.gz"),
        ),
        hint(
            job("github", "acme/acme-release", "release.yml", "pypi"),
            ACME_TP,
            (("repository", "acme/acme-release"), ("workflow", "release.yml"), ("environment", "pypi")),
            _integrity("acme-release", "2.0.0", "acme_release-2.0.0-py3-none-any.whl"),
            _integrity("acme-release", "2.0.0", "acme_release-2.0.0.tar.gz"),
            _integrity("acme-release", "2.1.0", "acme_release-2.1.0-py3-none-any.whl"),
            _integrity("acme-release", "2.1.0", "acme_release-2.1.0.tar.gz"),
        ),
        hint(
            job("github", "drifted/drifted-lib", "publish.yml", "release"),
            DRIFT_GH,
            (("repository", "drifted/drifted-lib"), ("workflow", "publish.yml"), ("environment", "release")),
            _integrity("drifted-lib", "1.0.0", "drifted_lib-1.0.0-py3-none-any.whl"),
            _integrity("drifted-lib", "1.0.0", "drifted_lib-1.0.0.tar.gz"),
        ),
        hint(
            job("gitlab", "drifted/drifted-lib", ".gitlab-ci.yml"),
            DRIFT_GL,
            (("repository", "drifted/drifted-lib"), ("workflow", ".gitlab-ci.yml")),
            _integrity("drifted-lib", "0.9.0", "drifted_lib-0.9.0.tar.gz"),
        ),
    }


def test_latest_release_attested_with_an_environment(inventory: Inventory) -> None:
    project = inventory.node(NodeId("pypi:project:acme-release"))
    assert dict(project.attrs) == {
        "category": "package",
        "promotion": False,
        "source_repo": "acme/acme-release",
        "source_repo_gitlab": None,
        "latest_version": "2.1.0",
        "latest_attested": True,
        "attested_versions": 2,
        "unattested_files": 0,
        "latest_unattested_files": (),
        "trusted_publisher": "GitHub:acme/acme-release/release.yml@pypi",
        "trusted_publishers": ("GitHub:acme/acme-release/release.yml@pypi",),
        "organization": None,
        "release_times": ("2.1.0@2025-09-14T08:30:11.000000Z", "2.0.0@2025-03-02T10:00:01.000000Z"),
    }
    assert project.evidence == (
        Evidence("pypi/pypi/acme-release/json.json"),
        Evidence("pypi/simple/acme-release/index.json"),
        Evidence("pypi/xmlrpc/package_roles/acme-release.json"),
    )
    publisher = inventory.node(NodeId(ACME_TP))
    assert publisher.name == "GitHub:acme/acme-release/release.yml@pypi"
    assert dict(publisher.attrs) == {
        "kind": "GitHub",
        "repository": "acme/acme-release",
        "workflow": "release.yml",
        "environment": "pypi",
        "email": None,
        "project": "acme-release",
        "versions": ("2.0.0", "2.1.0"),
        "attests_latest": True,
    }


def test_no_provenance_at_all(inventory: Inventory) -> None:
    project = inventory.node(NodeId("pypi:project:legacy-tool"))
    assert project.name == "Legacy_Tool"
    assert dict(project.attrs) == {
        "category": "package",
        "promotion": False,
        "source_repo": None,
        "source_repo_gitlab": "legacy-org/tools/legacy-tool",
        "latest_version": "1.0.0",
        "latest_attested": False,
        "attested_versions": 0,
        "unattested_files": 3,
        "latest_unattested_files": ("legacy_tool-1.0.0-py3-none-any.whl", "legacy_tool-1.0.0.tar.gz"),
        "trusted_publisher": None,
        "trusted_publishers": (),
        "organization": None,
        "release_times": ("1.0.0@2024-05-05T09:15:00.000000Z", "0.9.1@2023-01-20T12:00:00.000000Z"),
    }


def test_trusted_publisher_only_in_older_releases(inventory: Inventory) -> None:
    project = inventory.node(NodeId("pypi:project:drifted-lib"))
    assert project.attr("latest_attested") is False
    assert project.attr("attested_versions") == 2
    assert project.attr("trusted_publisher") is None
    assert project.attr("trusted_publishers") == (
        "GitHub:drifted/drifted-lib/publish.yml@release",
        "GitLab:drifted/drifted-lib/.gitlab-ci.yml",
    )
    assert project.attr("latest_unattested_files") == (
        "drifted_lib-1.1.0-py3-none-any.whl",
        "drifted_lib-1.1.0.tar.gz",
    )
    assert project.attr("source_repo") == "drifted/drifted-lib"
    assert project.attr("source_repo_gitlab") == "drifted/drifted-lib"
    gh = inventory.node(NodeId(DRIFT_GH))
    gl = inventory.node(NodeId(DRIFT_GL))
    assert (gh.attr("versions"), gh.attr("attests_latest")) == (("1.0.0",), False)
    assert (gl.attr("versions"), gl.attr("workflow"), gl.attr("environment")) == (("0.9.0",), ".gitlab-ci.yml", None)


def test_empty_environment_means_none_and_ownership_counts(inventory: Inventory) -> None:
    project = inventory.node(NodeId("pypi:project:sampleproject"))
    assert project.attr("trusted_publisher") == "GitHub:pypa/sampleproject/release.yml"
    assert project.attr("organization") == "pypa"
    assert project.attr("unattested_files") == 2  # the 2015 release predates attestations
    assert project.attr("latest_unattested_files") == ()
    assert inventory.node(NodeId(SAMPLE_TP)).attr("environment") is None
    owner = next(e for e in inventory.edges() if e.src == "pypi:user:theacodes")
    assert owner.evidence == (Evidence("pypi/pypi/sampleproject/json.json"),)


# --- edge cases built from the loaded fixture -----------------------------------------------------


def _only(raw: PypiRaw, name: str) -> PypiProject:
    return next(p for p in raw.projects if p.project.info.name == name)


def test_nothing_but_the_json_api_means_unknown(raw: PypiRaw) -> None:
    bare = replace(_only(raw, "acme-release"), simple=None, simple_path=None, provenances=())
    project = transform(PypiRaw(projects=(bare,))).node(NodeId("pypi:project:acme-release"))
    assert project.attr("latest_attested") is None
    assert project.attr("attested_versions") is None
    assert project.attr("unattested_files") is None
    assert project.attr("latest_unattested_files") is None
    assert project.attr("trusted_publisher") is None


def test_provenance_without_the_index_proves_only_what_it_holds(raw: PypiRaw) -> None:
    drifted = _only(raw, "drifted-lib")
    no_index = replace(drifted, simple=None, simple_path=None)
    project = transform(PypiRaw(projects=(no_index,))).node(NodeId("pypi:project:drifted-lib"))
    assert project.attr("latest_attested") is None  # latest files have no provenance file: unknown, not False
    assert project.attr("attested_versions") == 2
    assert project.attr("unattested_files") is None
    acme = replace(_only(raw, "acme-release"), simple=None, simple_path=None)
    assert (
        transform(PypiRaw(projects=(acme,))).node(NodeId("pypi:project:acme-release")).attr("latest_attested") is True
    )


def test_google_publisher_is_hinted_to_a_gcp_identity(raw: PypiRaw) -> None:
    acme = _only(raw, "acme-release")
    google = Provenance.model_validate(
        {
            "version": 1,
            "attestation_bundles": [
                {
                    "publisher": {"kind": "Google", "email": "release@acme.iam.gserviceaccount.com", "claims": None},
                    "attestations": [{"version": 1, "envelope": {"statement": "e30=", "signature": "c2ln"}}],
                }
            ],
        }
    )
    path = "pypi/integrity/acme-release/2.1.0/x.whl/provenance.json"
    one = replace(acme, provenances=(FileProvenance(path, "2.1.0", "x.whl", google),))
    inv = transform(PypiRaw(projects=(one,)))
    pid = "pypi:publisher:acme-release:Google:release@acme.iam.gserviceaccount.com"
    assert inv.node(NodeId(pid)).attr("email") == "release@acme.iam.gserviceaccount.com"
    assert [(h.src, h.dst, h.conditions) for h in inv.hints] == [
        (
            Selector(provider="gcp", kind=ID, attrs=(("email", "release@acme.iam.gserviceaccount.com"),)),
            pid,
            (("email", "release@acme.iam.gserviceaccount.com"),),
        )
    ]


def test_orphans_become_coverage_gaps() -> None:
    inv = transform(PypiRaw(orphans=("ghost",)))
    assert len(inv) == 0
    assert inv.gaps == [
        CoverageGap(
            "pypi",
            "ghost",
            "pypi/pypi/ghost/json.json",
            "not in the bundle although other PyPI files of this project are",
        )
    ]


def test_the_spec() -> None:
    assert (SPEC.name, SPEC.title) == ("pypi", "PyPI")
    assert SPEC.transform is transform


def _info(urls: dict[str, str] | None = None, home_page: str | None = None) -> ProjectInfo:
    return ProjectJson.model_validate(
        {"info": {"name": "x", "version": "1", "project_urls": urls, "home_page": home_page}, "urls": []}
    ).info


@pytest.mark.parametrize(
    ("urls", "home_page", "expected"),
    [
        ({"Source": "https://github.com/Owner/Repo.git"}, None, ("Owner/Repo", None)),
        # The source key wins over an earlier homepage that points elsewhere on GitHub.
        (
            {"Homepage": "https://github.com/org/site", "Source Code": "https://github.com/org/code/tree/main"},
            None,
            ("org/code", None),
        ),
        ({"CODE": "https://www.github.com/a/b/"}, None, ("a/b", None)),
        ({"Funding": "https://github.com/sponsors/someone"}, None, (None, None)),
        ({"Docs": "https://example.org"}, "https://github.com/h/p", ("h/p", None)),
        ({}, "https://gitlab.com/g/sub/proj/-/tree/main", (None, "g/sub/proj")),
        ({"Repository": "https://gitlab.com/g/p.git"}, None, (None, "g/p")),
        ({"Repository": "https://gitlab.example.com/g/p"}, None, (None, None)),
        (None, "", (None, None)),
        ({"Repository": "https://github.com/justowner"}, None, (None, None)),
    ],
)
def test_source_repos(
    urls: dict[str, str] | None, home_page: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert source_repos(_info(urls, home_page)) == expected
