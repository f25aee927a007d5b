"""The SaaS registries of the demo estate besides PyPI: npm (organisation ``acme-corp``), Docker Hub
(organisation ``acmecorp``, bot ``acmecorpbot``) and JFrog Artifactory (``acme-corp.jfrog.io``), in the
shapes their APIs return (see tests/fixtures/<provider>/README.md for the specifications).

Stories (README.md, "Across providers"): ``@acme-corp/ui-kit`` is published from GitHub with a
stored npm token (npm accepts Trusted Publishing from GitHub) and a classic automation token from
2023 is still valid; ``3.2.0`` of ui-kit was published by hand without provenance, ``3.2.1`` (between
the two collections) from the workflow again; ``acmecorp/edge-proxy`` is pushed with the bot's personal access token; a week
before the current collection there was no ``laptop`` token, now there is one with admin rights and
no expiry. Artifactory serves a production virtual repository that mirrors the public npm registry
unverified, and a CI deployer token never expires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scanner.demo_estate.cloud_workflows import DOCKERHUB_ORG, DOCKERHUB_USER
from scanner.demo_estate.common import COLLECTED, ORG, Era, Files, digest, guid

__all__ = ["DOCKERHUB_ORG", "JFROG_URL", "NPM_ORG", "dockerhub_files", "jfrog_files", "npm_files"]

# --------------------------------------------------------------------------------------------
# npm
# --------------------------------------------------------------------------------------------

NPM_ORG = ORG
NPM_USER = "acme-corp-bot"
NPM = "https://registry.npmjs.org"
PROVENANCE = "https://slsa.dev/provenance/v1"
PUBLISH_ATTESTATION = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"

#: package -> (GitHub repository, [(version, published at, with provenance)])
PACKAGES: dict[str, tuple[str, tuple[tuple[str, str, bool], ...]]] = {
    f"@{ORG}/ui-kit": (
        "ui-kit",
        (
            ("3.1.0", "2026-06-02T10:14:09.331Z", True),
            # published by hand during the October incident: no provenance
            ("3.2.0", "2026-10-09T21:40:52.905Z", False),
            # back to the release workflow, between the two collections
            ("3.2.1", "2026-11-17T16:20:31.117Z", True),
        ),
    ),
    f"@{ORG}/icons": (
        "design-system",
        (
            ("1.8.0", "2025-11-04T09:02:40.512Z", False),
            ("1.9.0", "2026-04-21T15:33:18.004Z", False),
        ),
    ),
}


def _published(name: str, era: Era) -> tuple[tuple[str, str, bool], ...]:
    """The versions of ``name`` published before the collection of ``era``."""
    return tuple(v for v in PACKAGES[name][1] if v[1] < COLLECTED[era])


def _packument(name: str, era: Era) -> dict[str, Any]:
    repo = PACKAGES[name][0]
    versions = _published(name, era)
    short = name.split("/", 1)[1]
    maint = {"name": NPM_USER, "email": "npm-bot@acme-corp.example"}
    out_versions: dict[str, Any] = {}
    for version, _, attested in versions:
        dist: dict[str, Any] = {
            "tarball": f"{NPM}/{name}/-/{short}-{version}.tgz",
            "integrity": "sha512-" + digest(f"npm:{name}@{version}", "sha512")[:86] + "==",
            "shasum": digest(f"npm:{name}@{version}", "sha1"),
            "fileCount": 214,
            "unpackedSize": 381_204,
            "signatures": [{"keyid": "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", "sig": "DEMO-PLACEHOLDER"}],
        }
        if attested:
            dist["attestations"] = {
                "url": f"{NPM}/-/npm/v1/attestations/{name}@{version}",
                "provenance": {"predicateType": PROVENANCE},
            }
        out_versions[version] = {
            "name": name,
            "version": version,
            "description": f"{short} of the Acme design system",
            "license": "MIT",
            "repository": {"type": "git", "url": f"git+https://github.com/{ORG}/{repo}.git"},
            "dist": dist,
            "_npmUser": maint,
            "_id": f"{name}@{version}",
            "maintainers": [maint],
        }
    times = {v: t for v, t, _ in versions}
    return {
        "_id": name,
        "_rev": f"{len(versions)}-{digest(name, 'md5')}",
        "name": name,
        "dist-tags": {"latest": versions[-1][0]},
        "versions": out_versions,
        "time": {"created": versions[0][1], "modified": versions[-1][1], **times},
        "maintainers": [maint],
        "repository": {"type": "git", "url": f"git+https://github.com/{ORG}/{repo}.git"},
        "license": "MIT",
        "readme": "",
    }


def _attestations(name: str, version: str) -> dict[str, Any]:
    """``GET /-/npm/v1/attestations/<name>@<version>``: the publish attestation and SLSA provenance
    (bundles are placeholders; regwarden reads the predicate types)."""

    def bundle(kind: str) -> dict[str, Any]:
        return {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"certificate": {"rawBytes": "REVNTyBQTEFDRUhPTERFUg=="}} if kind else {},
            "dsseEnvelope": {
                "payload": "REVNTyBQTEFDRUhPTERFUg==",
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": "DEMO-PLACEHOLDER", "keyid": ""}],
            },
        }

    return {
        "attestations": [
            {"predicateType": PUBLISH_ATTESTATION, "bundle": bundle("")},
            {"predicateType": PROVENANCE, "bundle": bundle("cert")},
        ]
    }


def npm_files(era: Era) -> Files:
    """Every ``npm/`` file of the estate as it was collected in ``era``."""
    ui_kit = f"@{ORG}/ui-kit"
    latest, _, attested = _published(ui_kit, era)[-1]
    out: Files = {
        "npm/-/whoami.json": {"username": NPM_USER},
        "npm/-/npm/v1/tokens.json": {
            "objects": [
                {
                    # A classic automation token from the first releases: publishes everything, never expires.
                    "key": digest("npm:token:classic-automation", "sha512"),
                    "created": "2023-05-02T08:41:17.260Z",
                    "updated": "2023-05-02T08:41:17.260Z",
                    "readonly": False,
                    "automation": True,
                    "cidr_whitelist": None,
                },
                {
                    "name": "ui-kit-release",
                    "description": "GitHub release of @acme-corp/ui-kit (secret NPM_TOKEN, environment npm)",
                    "key": digest("npm:token:ui-kit-release", "sha512"),
                    "expiry": "2027-02-01T00:00:00.000Z",
                    "cidr": [],
                    "bypass_2fa": True,
                    "revoked": None,
                    "created": "2026-11-03T09:12:44.017Z",
                    "updated": "2026-11-03T09:12:44.017Z",
                    "accessed": "2026-11-10T16:20:30.402Z",
                    "permissions": [{"name": "package", "action": "write"}],
                    "scopes": [{"name": ui_kit, "type": "package"}],
                },
            ],
            "total": 2,
            "urls": {"next": None},
        },
        f"npm/-/user/{NPM_USER}/package.json": {name: "read-write" for name in sorted(PACKAGES)},
        f"npm/-/org/{NPM_ORG}/package.json": {name: "write" for name in sorted(PACKAGES)},
        f"npm/-/org/{NPM_ORG}/user.json": {NPM_USER: "admin", "mkowalski": "owner", "asmith": "developer"},
        **{f"npm/{name}.json": _packument(name, era) for name in PACKAGES},
    }
    if attested:
        out[f"npm/-/npm/v1/attestations/{ui_kit}@{latest}.json"] = _attestations(ui_kit, latest)
    return out


# --------------------------------------------------------------------------------------------
# Docker Hub
# --------------------------------------------------------------------------------------------


def _pat(label: str, scopes: list[str], created: str, last_used: str | None, expires: str | None) -> dict[str, Any]:
    return {
        "uuid": guid(f"dockerhub:pat:{label}"),
        "client_id": "HUB",
        "creator_ip": "198.51.100.24",
        "creator_ua": "Mozilla/5.0 (X11; Linux x86_64)",
        "created_at": created,
        "last_used": last_used,
        "expires_at": expires,
        "generated_by": "manual",
        "is_active": True,
        "scopes": scopes,
        "token_label": label,
    }


def _page(results: list[dict[str, Any]], count_key: str = "count") -> dict[str, Any]:
    return {count_key: len(results), "next": None, "previous": None, "results": results}


def _repo(name: str, registered: str, updated: str, private: bool) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": DOCKERHUB_ORG,
        "repository_type": "image",
        "status": 1,
        "status_description": "active",
        "description": "",
        "is_private": private,
        "star_count": 3,
        "pull_count": 18_422,
        "last_updated": updated,
        "date_registered": registered,
        "affiliation": "",
        "media_types": ["application/vnd.oci.image.index.v1+json"],
        "content_types": ["image"],
    }


def dockerhub_files(era: Era) -> Files:
    """Every ``dockerhub/`` file of the estate as it was collected in ``era``."""
    pats = [
        _pat("github-edge-proxy", ["repo:write"], "2025-03-10T09:12:05.118233Z", "2026-10-30T12:41:19.502214Z", None),
    ]
    if era == "current":  # created by hand three days before the current collection
        pats.append(_pat("laptop", ["repo:admin"], "2026-11-17T21:48:33.670402Z", "2026-11-17T21:52:10.004118Z", None))
    oat_id = guid("dockerhub:oat:release")
    oat = {
        "id": oat_id,
        "label": "release-promotion",
        "created_by": "mkowalski",
        "is_active": True,
        "created_at": "2026-10-01T08:00:00Z",
        "expires_at": "2026-12-30T08:00:00Z",
        "last_used_at": "2026-11-19T22:10:45Z",
    }
    org = f"dockerhub/v2/orgs/{DOCKERHUB_ORG}"
    return {
        "dockerhub/regwarden-settings.json": {"username": DOCKERHUB_USER},
        "dockerhub/v2/access-tokens.json": {**_page(pats), "active_count": len(pats)},
        f"dockerhub/v2/namespaces/{DOCKERHUB_ORG}/repositories.json": _page(
            [
                _repo("base-python", "2025-02-11T10:00:41.192837Z", "2026-11-04T06:12:00.118273Z", False),
                _repo("edge-proxy", "2025-03-10T09:02:17.302918Z", "2026-10-30T12:41:30.771625Z", False),
            ]
        ),
        f"dockerhub/v2/namespaces/{DOCKERHUB_USER}/repositories.json": _page([]),
        f"{org}/access-tokens.json": {**_page([oat], "total")},
        f"{org}/access-tokens/{oat_id}.json": {
            **oat,
            "resources": [
                {
                    "type": "TYPE_REPO",
                    "path": f"{DOCKERHUB_ORG}/base-python",
                    "scopes": ["scope-image-pull", "scope-image-push"],
                }
            ],
        },
        f"{org}/members.json": _page(
            [
                {
                    "id": guid("dockerhub:user:mkowalski"),
                    "username": "mkowalski",
                    "full_name": "Marta Kowalski",
                    "type": "User",
                    "role": "Owner",
                },
                {
                    "id": guid(f"dockerhub:user:{DOCKERHUB_USER}"),
                    "username": DOCKERHUB_USER,
                    "full_name": "Acme CI bot",
                    "type": "User",
                    "role": "Member",
                },
            ]
        ),
        f"{org}/groups.json": _page(
            [
                {
                    "id": 1,
                    "uuid": guid("dockerhub:group:owners"),
                    "name": "owners",
                    "description": "",
                    "member_count": 1,
                },
                {
                    "id": 2,
                    "uuid": guid("dockerhub:group:ci"),
                    "name": "ci",
                    "description": "CI bots",
                    "member_count": 1,
                },
            ]
        ),
        f"{org}/groups/owners/members.json": _page(
            [{"id": guid("dockerhub:user:mkowalski"), "username": "mkowalski", "type": "User"}]
        ),
        f"{org}/groups/ci/members.json": _page(
            [{"id": guid(f"dockerhub:user:{DOCKERHUB_USER}"), "username": DOCKERHUB_USER, "type": "User"}]
        ),
    }


# --------------------------------------------------------------------------------------------
# JFrog Artifactory
# --------------------------------------------------------------------------------------------

JFROG_URL = "https://acme-corp.jfrog.io"
_JFAC = "jfac@01h8x2m5q7r9t3v6w8y0z2b4d6"


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


#: (key, rclass, package type, remote URL or virtual members)
JFROG_REPOS: tuple[tuple[str, str, str, str | tuple[str, ...]], ...] = (
    ("npm-local", "local", "npm", ""),
    ("npm-remote", "remote", "npm", "https://registry.npmjs.org"),
    ("npm-virtual", "virtual", "npm", ("npm-local", "npm-remote")),
    ("pypi-remote", "remote", "pypi", "https://files.pythonhosted.org"),
    ("pypi-virtual", "virtual", "pypi", ("pypi-remote",)),
    ("docker-release-local", "local", "docker", ""),
)


def _repo_config(key: str, rclass: str, ptype: str, extra: str | tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": key,
        "packageType": ptype,
        "description": "",
        "notes": "",
        "includesPattern": "**/*",
        "excludesPattern": "",
        "repoLayoutRef": f"{ptype}-default" if ptype != "docker" else "simple-default",
        "rclass": rclass,
        "xrayIndex": True,
    }
    if rclass == "remote":
        out |= {
            "url": extra,
            "username": "",
            "offline": False,
            "blackedOut": False,
            "storeArtifactsLocally": True,
            "socketTimeoutMillis": 15000,
            "retrievalCachePeriodSecs": 7200,
            "curated": False,
        }
    elif rclass == "virtual":
        out |= {"repositories": list(extra), "defaultDeploymentRepo": extra[0] if extra[0].endswith("-local") else None}
    return out


def _permission(
    name: str, repos: list[str], users: dict[str, list[str]], groups: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "name": name,
        "repo": {
            "include-patterns": ["**"],
            "exclude-patterns": [""],
            "repositories": repos,
            "actions": {"users": users, "groups": groups},
        },
    }


def jfrog_files(era: Era) -> Files:
    """Every ``jfrog/`` file of the estate (the same in both collections)."""
    del era
    repos = "jfrog/artifactory/api/repositories"
    perms = "jfrog/artifactory/api/v2/security/permissions"
    groups = "jfrog/artifactory/api/security/groups"
    permissions = {
        "ci-deployers": _permission(
            "ci-deployers", ["npm-local", "docker-release-local"], {}, {"ci-deployers": ["read", "write", "annotate"]}
        ),
        "developers-read": _permission(
            "developers-read", ["npm-virtual", "pypi-virtual"], {}, {"developers": ["read"]}
        ),
    }
    return {
        "jfrog/regwarden-settings.json": {
            "production_repos": ["npm-virtual", "pypi-virtual"],
            "verified_repos": ["pypi-remote"],
        },
        "jfrog/access/api/v1/tokens.json": {
            "tokens": [
                {
                    "token_id": guid("jfrog:token:ci-deployer"),
                    "issuer": _JFAC,
                    "subject": f"{_JFAC}/users/ci-deployer",
                    "issued_at": _epoch("2024-04-15T07:30:00Z"),
                    "refreshable": False,
                    "scope": "applied-permissions/user",
                    "description": "CI deployer (Jenkins), created before the move to OIDC",
                },
                {
                    "token_id": guid("jfrog:token:renovate"),
                    "issuer": _JFAC,
                    "subject": f"{_JFAC}/users/renovate",
                    "issued_at": _epoch("2026-10-20T09:00:00Z"),
                    "expiry": _epoch("2027-01-18T09:00:00Z"),
                    "refreshable": False,
                    "scope": "applied-permissions/groups:developers",
                    "description": "Renovate: read the virtual repositories",
                },
            ]
        },
        f"{repos}.json": [
            {
                "key": key,
                "type": rclass.upper(),
                "description": "",
                "url": f"{JFROG_URL}/artifactory/{key}",
                "packageType": ptype.capitalize(),
            }
            for key, rclass, ptype, _ in JFROG_REPOS
        ],
        **{f"{repos}/{key}.json": _repo_config(key, rc, pt, extra) for key, rc, pt, extra in JFROG_REPOS},
        f"{perms}.json": [
            {"name": n, "uri": f"{JFROG_URL}/artifactory/api/v2/security/permissions/{n}"} for n in permissions
        ],
        **{f"{perms}/{n}.json": doc for n, doc in permissions.items()},
        f"{groups}.json": [
            {"name": n, "uri": f"{JFROG_URL}/artifactory/api/security/groups/{n}"}
            for n in ("ci-deployers", "developers")
        ],
        f"{groups}/ci-deployers.json": {
            "name": "ci-deployers",
            "description": "Build agents that deploy to the local repositories",
            "autoJoin": False,
            "realm": "internal",
            "userNames": ["ci-deployer"],
        },
        f"{groups}/developers.json": {
            "name": "developers",
            "description": "Everyone who builds software at Acme",
            "autoJoin": True,
            "realm": "internal",
            "userNames": ["renovate"],
        },
    }
