"""What every part of the demo estate generator shares: the organisation, the two collection times,
deterministic identifiers derived from names, and pinned / tagged action references.

Nothing here is a credential: ids, digests and SHAs are hashes of names, and look like what the
providers return only in shape.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Literal

#: The two collections of the estate: a week apart, "after a change" being the current one.
Era = Literal["previous", "current"]
ERAS: tuple[Era, ...] = ("previous", "current")
COLLECTED: dict[Era, str] = {"previous": "2026-11-13T06:00:00Z", "current": "2026-11-20T06:00:00Z"}
COLLECTED_AT = COLLECTED["current"]

ORG = "acme-corp"
#: One bundle file: JSON data (written with sorted keys) or text (workflows, CI files, CSV).
Files = dict[str, Any]


def digest(seed: str, algo: str = "sha256") -> str:
    """The hex digest of ``seed``: a stable stand-in for any hash-shaped value."""
    return hashlib.new(algo, seed.encode("utf-8"), usedforsecurity=False).hexdigest()


def number(seed: str, low: int, high: int) -> int:
    """A stable integer in [low, high) derived from ``seed``."""
    return low + int(digest(seed)[:12], 16) % (high - low)


def guid(seed: str) -> str:
    """A stable version-4-shaped UUID derived from ``seed`` (Azure and Docker Hub ids)."""
    return str(uuid.UUID(bytes=bytes.fromhex(digest(seed)[:32]), version=4))


# --------------------------------------------------------------------------------------------
# Actions: versions and (fictional, name-derived) commit SHAs
# --------------------------------------------------------------------------------------------

ACTION_VERSIONS: dict[str, str] = {
    "actions/checkout": "v4.2.2",
    "actions/setup-python": "v5.3.0",
    "actions/setup-node": "v4.1.0",
    "actions/upload-artifact": "v4.4.3",
    "actions/download-artifact": "v4.1.8",
    "actions/upload-pages-artifact": "v3.0.1",
    "actions/deploy-pages": "v4.0.5",
    "pypa/gh-action-pypi-publish": "v1.12.2",
    "codecov/codecov-action": "v4.6.0",
    "hashicorp/setup-terraform": "v3.1.2",
    "azure/setup-kubectl": "v4.0.0",
    "azure/k8s-set-context": "v4.0.1",
    "softprops/action-gh-release": "v2.0.9",
    "aws-actions/configure-aws-credentials": "v4.0.2",
    "aws-actions/amazon-ecr-login": "v2.0.1",
    "azure/login": "v2.2.0",
    "docker/login-action": "v3.3.0",
    "docker/setup-buildx-action": "v3.7.1",
    "docker/build-push-action": "v6.9.0",
}


def pinned(action: str) -> str:
    """``owner/repo@<40-hex>  # vX.Y.Z``: pinned to a commit, with the tag as a comment."""
    version = ACTION_VERSIONS[action]
    return f"{action}@{digest(f'{action}@{version}', 'sha1')} # {version}"


def tagged(action: str, ref: str | None = None) -> str:
    """``owner/repo@v4``: a movable tag (or branch) reference."""
    return f"{action}@{ref or ACTION_VERSIONS[action].split('.')[0]}"


def fill(template: str, **values: str) -> str:
    """Replace ``<<name>>`` placeholders (workflow text is full of ``${{ }}``, so no str.format)."""
    for key, value in values.items():
        template = template.replace(f"<<{key}>>", value)
    if "<<" in template:
        raise ValueError(f"unfilled placeholder in workflow: {template[template.index('<<') :][:40]}")
    return template


def image_digest(image: str) -> str:
    """``name@sha256:<64-hex>``: a container image pinned to a (name-derived) digest."""
    return f"{image}@sha256:{digest(f'image:{image}')}"
