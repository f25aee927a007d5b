"""The registries table: every row loads, hosts resolve to their row, OIDC support is per registry."""

from __future__ import annotations

import pytest

from scanner.knowledge.registries import oidc_publishing, registries, registry, registry_for_host


def test_every_row_validates_with_unique_ids_and_docs() -> None:
    table = registries()
    assert len(table) >= 20
    for r in table.values():
        assert r.docs.startswith("https://"), r.id
        # registries reached only through an action, a command, a pull request (winget), a git repository
        # (a Scoop bucket: publish.yaml's packaging_repositories), or the catch-all, have no host
        assert r.hosts or r.host_patterns or r.id in ("oci", "winget", "gitlab-releases", "scoop"), r.id


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("upload.pypi.org", "pypi"),
        ("test.pypi.org", "testpypi"),
        ("registry.npmjs.org", "npm"),
        ("docker.io", "dockerhub"),
        ("ghcr.io", "ghcr"),
        ("npm.pkg.github.com", "github-packages"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ecr"),
        ("public.ecr.aws", "ecr"),
        ("acme-123456789012.d.codeartifact.us-east-1.amazonaws.com", "codeartifact"),
        ("europe-west1-docker.pkg.dev", "gar"),
        ("gcr.io", "gar"),
        ("eu.gcr.io", "gar"),
        ("acmeprod.azurecr.io", "acr"),
        ("quay.io", "quay"),
        ("registry.gitlab.com", "gitlab-registry"),
        ("acme.jfrog.io", "jfrog"),
        ("crates.io", "crates"),
        ("rubygems.org", "rubygems"),
        ("central.sonatype.com", "maven-central"),
        ("api.nuget.org", "nuget"),
        ("localhost:5000", "local"),
        ("127.0.0.1:5000", "local"),
        ("Docker.IO", "dockerhub"),
    ],
)
def test_host_resolves_to_its_registry(host: str, expected: str) -> None:
    found = registry_for_host(host)
    assert found is not None
    assert found.id == expected


def test_unknown_host_is_none() -> None:
    assert registry_for_host("registry.example.com") is None
    # a look-alike of a known host is not that host
    assert registry_for_host("ghcr.io.evil.example") is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # parts known only at run time (`${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com`) are `*`
        ("*.dkr.ecr.*.amazonaws.com", "ecr"),
        ("*.azurecr.io", "acr"),
        ("*-docker.pkg.dev", "gar"),
        ("*.jfrog.io", "jfrog"),
        ("*.example.com", None),
        ("*", None),
        ("*.*", None),
    ],
)
def test_a_host_with_run_time_parts_resolves_by_its_fixed_part(host: str, expected: str | None) -> None:
    found = registry_for_host(host)
    assert (found.id if found is not None else None) == expected


def test_oidc_publishing_is_a_per_registry_fact() -> None:
    assert oidc_publishing("pypi", "github")
    assert oidc_publishing("pypi", "gitlab")
    assert oidc_publishing("npm", "github")
    assert not oidc_publishing("dockerhub", "github")
    assert not oidc_publishing("maven-central", "github")
    assert not oidc_publishing("nuget", "gitlab")
    assert not oidc_publishing("no-such-registry", "github")


def test_non_production_registries() -> None:
    assert registry("testpypi").production is False
    assert registry("local").production is False
    assert registry("pypi").production is True
