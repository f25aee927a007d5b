"""Role definitions resolved to action classes from their own actions/notActions (wildcards
included), scope-map actions, and which scopes cover a registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.azure.actions import PermissionBlock, matches, role_actions, scope_map_actions
from connectors.azure.load import load
from connectors.azure.transform import covers
from scanner.bundle import BundleReader
from scanner.model import Action

FIXTURE = Path(__file__).parents[2] / "fixtures" / "azure" / "bundle"
R, P, PR, A = Action.READ, Action.PUBLISH, Action.PROMOTE, Action.ADMIN


def _roles() -> dict[str, tuple[PermissionBlock, ...]]:
    raw = load(BundleReader(FIXTURE))
    defs = raw.subscriptions[0].role_definitions
    assert defs is not None
    return {
        d.properties.role_name: tuple(
            PermissionBlock(p.actions, p.not_actions, p.data_actions, p.not_data_actions)
            for p in d.properties.permissions
        )
        for d in defs.items
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Owner", {R, P, PR, A}),
        ("Contributor", {R, P, PR, A}),  # may enable the admin user and read its password
        ("User Access Administrator", {R, A}),  # roleAssignments/write; Reader's */read gives pull
        ("Reader", {R}),
        ("AcrPull", {R}),
        ("AcrPush", {R, P}),
        ("AcrDelete", set()),  # deleting puts no code in: no action class
        ("AcrImageSigner", {PR}),
        ("pass-registry-importer", {R, PR}),
    ],
)
def test_builtin_and_custom_roles(role: str, expected: set[Action]) -> None:
    assert set(role_actions(_roles()[role])) == expected


def test_contributor_cannot_assign_roles() -> None:
    acts = role_actions(_roles()["Contributor"])
    assert "Microsoft.Authorization/roleAssignments/write" not in acts[A]
    assert "Microsoft.ContainerRegistry/registries/write" in acts[A]


def test_not_actions_subtract_with_wildcards() -> None:
    block = PermissionBlock(
        actions=("Microsoft.ContainerRegistry/*",),
        not_actions=(
            "Microsoft.ContainerRegistry/registries/*/write",
            "microsoft.containerregistry/registries/*/ACTION",
        ),
    )
    # write, listCredentials/action etc. are excluded; pull/read stays; registries/write is not */write.
    assert role_actions((block,)) == {
        R: ("Microsoft.ContainerRegistry/registries/pull/read",),
        A: ("Microsoft.ContainerRegistry/registries/write",),
    }


def test_abac_registries_honour_only_repository_data_actions() -> None:
    writer = PermissionBlock(
        data_actions=(
            "Microsoft.ContainerRegistry/registries/repositories/content/*",
            "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
        ),
        not_data_actions=("Microsoft.ContainerRegistry/registries/repositories/content/delete",),
    )
    assert set(role_actions((writer,), abac=True)) == {R, P}
    assert set(role_actions(_roles()["AcrPush"], abac=True)) == set()


def test_wildcard_matching_is_whole_and_case_insensitive() -> None:
    assert matches("*/read", "Microsoft.ContainerRegistry/registries/pull/read")
    assert matches("microsoft.authorization/*", "Microsoft.Authorization/roleAssignments/write")
    assert not matches(
        "Microsoft.ContainerRegistry/registries/pull", "Microsoft.ContainerRegistry/registries/pull/read"
    )
    assert not matches("a.b", "aXb")  # dots are literal


def test_scope_map_actions() -> None:
    assert scope_map_actions(
        [
            "repositories/team/app/content/read",
            "repositories/team/app/content/write",
            "repositories/*/metadata/read",
            "repositories/other/content/delete",
            "gateway/connected/config/read",
        ]
    ) == {R: ("*", "team/app"), P: ("team/app",)}


REG = "/subscriptions/s1/resourceGroups/rg-ci/providers/Microsoft.ContainerRegistry/registries/acr1"


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        ("/providers/Microsoft.Management/managementGroups/mg-root", True),
        ("/", True),
        ("/subscriptions/s1", True),
        ("/subscriptions/S1/resourcegroups/RG-CI", True),
        (REG, True),
        ("/subscriptions/s1/resourceGroups/rg-ci-2", False),
        (REG + "2", False),
        ("/subscriptions/s2", False),
    ],
)
def test_scopes_that_cover_a_registry(scope: str, covered: bool) -> None:
    assert covers(scope, REG) is covered
