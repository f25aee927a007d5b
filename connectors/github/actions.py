"""What a workflow step publishes, and with which secret: data, one row per known way to publish.

A row matches a step by the action it ``uses`` (``owner/repo``, any ref) or by a regular
expression over its ``run`` script. The secret that carries the registry credential is read
from the listed ``with:`` inputs or environment variables. Adding a way to publish is adding a
row here; :mod:`connectors.github.transform` has no per-registry code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scanner.model import Action


@dataclass(frozen=True)
class Registry:
    """A registry a job can publish to, and how its credential and packages appear in the graph."""

    name: str  # the value in a job's ``publishes`` attribute
    provider: str  # the connector that inventories the registry's packages
    credential_subtype: str
    credential_label: str
    target_subtype: str  # the subtype of the package nodes a token for it can publish


REGISTRIES: dict[str, Registry] = {
    r.name: r
    for r in (
        Registry("pypi", "pypi", "pypi:api-token", "PyPI API token", "pypi:project"),
        Registry("npm", "npm", "npm:token", "npm token", "npm:package"),
        Registry("docker", "dockerhub", "dockerhub:token", "Docker Hub token", "dockerhub:repository"),
    )
}

#: The first-party publishers GitHub runs itself: still separate repositories, so third parties.
FIRST_PARTY_OWNERS: frozenset[str] = frozenset({"actions", "github"})


@dataclass(frozen=True)
class PublishStep:
    """One way a step publishes to ``registry``."""

    registry: str  # a key of REGISTRIES
    uses: str | None = None  # ``owner/repo`` of the action, lower case
    run: re.Pattern[str] | None = None  # matched against the step's ``run`` script
    secret_inputs: tuple[str, ...] = ()  # ``with:`` inputs that carry the credential
    secret_env: tuple[str, ...] = ()  # environment variables that carry it
    # ``with:`` inputs that point the step at another registry, and the names of known ones;
    # a host not listed is reported by its own name.
    registry_inputs: tuple[str, ...] = ()
    default_hosts: tuple[str, ...] = ()
    other_hosts: tuple[tuple[str, str], ...] = ()
    # True when the step can publish with the job's OIDC token alone (PyPI Trusted Publishing).
    oidc_publishing: bool = False


PUBLISH_STEPS: tuple[PublishStep, ...] = (
    PublishStep(
        registry="pypi",
        uses="pypa/gh-action-pypi-publish",
        secret_inputs=("password",),
        registry_inputs=("repository-url", "repository_url"),
        default_hosts=("upload.pypi.org", "pypi.org"),
        other_hosts=(("test.pypi.org", "testpypi"),),
        oidc_publishing=True,
    ),
    PublishStep(
        registry="pypi",
        run=re.compile(r"\btwine\s+upload\b"),
        secret_env=("TWINE_PASSWORD",),
    ),
    PublishStep(
        registry="pypi",
        run=re.compile(r"\buv\s+publish\b"),
        secret_env=("UV_PUBLISH_TOKEN", "UV_PUBLISH_PASSWORD"),
    ),
    PublishStep(
        registry="npm",
        # a --dry-run on the same command publishes nothing
        run=re.compile(r"\b(?:npm|pnpm)\s+publish\b(?![^\n;&|]*--dry-run)"),
        secret_env=("NODE_AUTH_TOKEN", "NPM_TOKEN"),
    ),
    PublishStep(
        registry="npm",
        uses="js-devtools/npm-publish",
        secret_inputs=("token",),
        registry_inputs=("registry",),
        default_hosts=("registry.npmjs.org",),
    ),
    PublishStep(
        registry="docker",
        uses="docker/login-action",
        secret_inputs=("password",),
        registry_inputs=("registry",),
        default_hosts=("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"),
        other_hosts=(("ghcr.io", "ghcr"),),
    ),
)


@lru_cache(maxsize=16_384)  # pure, and called for every step of every job; few distinct values
def action_name(uses: str) -> str:
    """``owner/repo`` of a ``uses:`` reference, lower case (GitHub names are case-insensitive)."""
    path = uses.split("@", 1)[0]
    return "/".join(path.split("/")[:2]).lower()


def registry_host(value: str) -> str:
    """The host of a registry input (``https://test.pypi.org/legacy/`` → ``test.pypi.org``)."""
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    return host.split("/", 1)[0]


# -- the other tables the incident edges read -----------------------------------------------------

#: Actions that restore an Actions cache (``actions/cache`` and its ``restore`` half, and the setup
#: actions when given a ``cache:`` input), and whether they also save one when the job ends.
CACHE_ACTIONS: dict[str, tuple[bool, bool]] = {
    # owner/repo[/path] -> (restores, saves)
    "actions/cache": (True, True),
    "actions/cache/restore": (True, False),
    "actions/cache/save": (False, True),
}
#: Setup actions that cache when their ``cache`` input is set (setup-go caches unless ``cache: false``).
SETUP_CACHE_ACTIONS: dict[str, bool] = {
    "actions/setup-node": False,
    "actions/setup-python": False,
    "actions/setup-java": False,
    "actions/setup-dotnet": False,
    "actions/setup-go": True,
}

#: Expressions that name the head of a pull request (code from outside the repository) rather than
#: the base branch a pull_request_target/workflow_run run starts from.
UNTRUSTED_REFS = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|github\.event\.workflow_run\.head_(?:sha|branch)"
    r"|github\.event\.workflow_run\.head_commit|refs/pull/|github\.event\.pull_request\.merge_commit_sha"
    r"|github\.event\.issue\.pull_request",
)
#: Shell commands that fetch a pull request's head.
UNTRUSTED_FETCH = re.compile(
    r"\b(?:gh|hub)\s+pr\s+checkout\b|\bgit\s+fetch\b[^\n]*\bpull/|\bgit\s+checkout\b[^\n]*FETCH_HEAD"
)

#: Names of CI secrets that hold a static cloud or registry key the platform could replace with
#: OIDC federation, and the action inputs that take such a key.
STATIC_CLOUD_SECRET = re.compile(
    r"^(?:AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AZURE_CREDENTIALS|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET"
    r"|GCP_SA_KEY|GCP_CREDENTIALS|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS|GCLOUD_SERVICE_KEY"
    r"|DOCKERHUB_TOKEN|DOCKERHUB_PASSWORD|DOCKER_PASSWORD)$",
    re.IGNORECASE,
)
STATIC_CLOUD_INPUTS: dict[str, tuple[str, ...]] = {
    "aws-actions/configure-aws-credentials": ("aws-secret-access-key", "aws-access-key-id"),
    "google-github-actions/auth": ("credentials_json",),
    "azure/login": ("creds", "client-secret"),
}

#: Fine-grained token and GitHub App permissions on repositories → action classes.
REPO_PERMISSION_ACTIONS: dict[tuple[str, str], Action] = {
    ("contents", "read"): Action.READ,
    ("contents", "write"): Action.PUBLISH,
    ("workflows", "write"): Action.PUBLISH,
    ("packages", "write"): Action.PUBLISH,
    ("actions", "write"): Action.DEPLOY,
    ("deployments", "write"): Action.DEPLOY,
    ("environments", "write"): Action.ADMIN,
    ("secrets", "write"): Action.ADMIN,
    ("administration", "write"): Action.ADMIN,
}
