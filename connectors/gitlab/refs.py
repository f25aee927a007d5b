"""GitLab CI variables as far as credentials and names go (the :class:`~connectors.ci.publish.Refs` of GitLab).
Pure: no I/O.

``$CI_JOB_TOKEN`` and ``$CI_REGISTRY_PASSWORD`` are the job's own token; a job's ``id_tokens`` are OIDC
tokens; a CI/CD variable (project, group or instance, or ``secrets:`` from a secret manager) is a stored
secret; a YAML ``variables:`` value or a shell assignment earlier in the job is followed to what it holds.
When the CI/CD variable lists were not collected, a variable that is neither predefined nor defined in
the pipeline is taken to be a CI/CD variable (it can only come from there or be empty). Predefined
variables that name the project and its registries (``$CI_REGISTRY_IMAGE``, ``$CI_API_V4_URL``…) are
expanded to their values, so an image or an upload URL names its registry.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from connectors.ci.publish import PLACEHOLDER, Route, registry_id_for
from connectors.ci.shell import Command, case_mapped, computed, replaced_patterns, shell_vars
from connectors.gitlab.predefined import is_predefined

#: Variables every shell has: never a CI/CD variable holding a credential.
_SHELL_ENV = frozenset({"HOME", "PWD", "OLDPWD", "USER", "PATH", "SHELL", "TMPDIR", "HOSTNAME", "LANG", "IFS"})
#: Predefined variables that hold the job's own token.
JOB_TOKEN_VARS = frozenset({"CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD", "CI_DEPENDENCY_PROXY_PASSWORD"})
#: GitLab's special ``gitlab-deploy-token`` (a deploy token: static, stored by the project).
DEPLOY_TOKEN_VARS = frozenset({"CI_DEPLOY_PASSWORD"})
_MAX_DEPTH = 6
#: ``python -m id AUD`` prints the job's ``AUD_ID_TOKEN`` (the ``id`` package PyPI documents for GitLab).
_ID_TOOL = re.compile(r"(?:^|[\s(`])(?:python[0-9.]*\s+-m\s+)?id\s+[A-Za-z_]")
_ASSIGN = re.compile(
    r"^(?:(?:then|else|do)\s+)?(?:export\s+|declare\s+(?:-\w+\s+)*|local\s+|readonly\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)=(.*)$",
    re.DOTALL,
)
_EXPAND = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%")

#: A variable named like a credential (`TWINE_PASSWORD`, `NPM_TOKEN`, `OCI_REGISTRY_PASSWORD`), not by GitLab's
#: predefined names alone.
CREDENTIAL_NAME = re.compile(r"(?:PASSWORD|PASSWD|_PASS|TOKEN|SECRET|API_?KEY)(?:_FILE)?$")


@dataclass(frozen=True)
class ProjectFacts:
    """What the predefined variables of a project's jobs hold."""

    path: str  # group/sub/project
    server: str = "gitlab.com"  # host of the instance
    registry: str = "registry.gitlab.com"  # host of its container registry
    project_id: str = "*"
    default_branch: str | None = None

    def predefined(self, name: str) -> str | None:
        """A predefined variable's value (None: not one regwarden knows before run time)."""
        namespace, _, project = self.path.rpartition("/")
        url = f"https://{self.server}"
        values = {
            "CI_PROJECT_PATH": self.path,
            "CI_PROJECT_NAMESPACE": namespace,
            "CI_PROJECT_ROOT_NAMESPACE": self.path.split("/", 1)[0],
            "CI_PROJECT_NAME": project,
            "CI_PROJECT_PATH_SLUG": re.sub(r"[^a-z0-9]", "-", self.path.lower()),
            "CI_PROJECT_URL": f"{url}/{self.path}",
            "CI_PROJECT_ID": self.project_id,
            "CI_SERVER_HOST": self.server,
            "CI_SERVER_FQDN": self.server,
            "CI_SERVER_URL": url,
            "CI_API_V4_URL": f"{url}/api/v4",
            "CI_REGISTRY": self.registry,
            "CI_REGISTRY_IMAGE": f"{self.registry}/{self.path.lower()}",
            "CI_TEMPLATE_REGISTRY_HOST": "registry.gitlab.com",
            "CI_DEPENDENCY_PROXY_SERVER": self.server,
            "CI_REGISTRY_USER": "gitlab-ci-token",
            "CI_DEPLOY_USER": "gitlab+deploy-token",
        }
        if self.default_branch:
            values["CI_DEFAULT_BRANCH"] = self.default_branch
        return values.get(name)


def _registry_moved_from_gitlab(env: Mapping[str, str]) -> str | None:
    """The host the job's own variables point ``CI_REGISTRY`` at when it is a registry regwarden knows that is not
    GitLab's (``docker.io``, ``quay.io``), else None."""
    value = env.get("CI_REGISTRY", "").strip().strip("'\"")
    if not value or "$" in value:
        return None
    reg = registry_id_for(value)
    return value if reg not in ("other:*", "gitlab-registry") and not reg.startswith("other:") else None


class GitLabRefs:
    """Credential references of one job: which names are CI/CD variables, which are its OIDC tokens."""

    ci = "gitlab"

    def __init__(
        self,
        facts: ProjectFacts,
        cicd: Collection[str] | None,
        id_tokens: Collection[str] = (),
        secrets: Collection[str] = (),
        *,
        unlisted: bool = False,
    ) -> None:
        """``cicd``: the CI/CD variables the job can see (None: the lists were not collected); ``unlisted``:
        some list that could hold one was not collected (the instance's), so a name no list shows may still
        be a CI/CD variable."""
        self.facts = facts
        self.cicd = frozenset(cicd) if cicd is not None else None
        self.unlisted = unlisted or cicd is None
        self.id_tokens = frozenset(id_tokens)
        self.secrets = frozenset(secrets)

    def stored(self, name: str, env: Mapping[str, str]) -> bool:
        """Whether ``$name`` is a stored CI/CD variable (listed, or presumed when lists are missing)."""
        if name in self.secrets or (self.cicd is not None and name in self.cicd):
            return True
        if not self.unlisted:
            return False
        if name in env and env[name] != f"${name}":
            # defined by the pipeline itself, unless as a stand-in for a credential (`TWINE_PASSWORD: xxx`): a project
            # variable of that name takes precedence over the pipeline's (GitLab's CI/CD variable precedence)
            stand_in = PLACEHOLDER.fullmatch(env[name].strip().strip("'\"")) is not None
            return stand_in and CREDENTIAL_NAME.search(name) is not None
        if name in _SHELL_ENV:
            return False  # the shell's own (`$HOME/.docker/config.json`)
        return not (is_predefined(name) or self.facts.predefined(name) is not None)

    def routes(self, text: str, env: Mapping[str, str], in_script: bool) -> list[Route]:
        """Where the credential in ``text`` comes from."""
        return self._routes(text, env, 0)

    def _routes(self, text: str, env: Mapping[str, str], depth: int) -> list[Route]:
        out: list[Route] = []
        if depth > _MAX_DEPTH:
            return out
        if self.id_tokens and _ID_TOOL.search(text):
            out.append(Route("oidc", sorted(self.id_tokens)[0], "an id_tokens token printed by `id`"))
        for name in shell_vars(text):
            value = env.get(name)
            if value is not None and value != f"${name}" and not self.stored(name, env):
                # set by the pipeline or an earlier command: that wins over what GitLab predefines (an export
                # of the job token's name may sit in a branch that does not run: the job token stays possible)
                out += self._routes(value, env, depth + 1)
                if name in JOB_TOKEN_VARS:
                    out.append(Route("job_token", name))
            elif name == "CI_REGISTRY_PASSWORD" and (elsewhere := _registry_moved_from_gitlab(env)) is not None:
                # the job points CI_REGISTRY at another registry (Xfce's `CI_REGISTRY: "docker.io"`), where the job
                # token signs in to nothing: the password is a CI/CD variable of that name, set by the project
                out.append(Route("secret", name, f"a CI/CD variable: CI_REGISTRY is {elsewhere}"))
            elif name in JOB_TOKEN_VARS:
                out.append(Route("job_token", name))
            elif name in self.id_tokens:
                out.append(Route("oidc", name, f"id_tokens: {name}"))
            elif name in DEPLOY_TOKEN_VARS:
                out.append(Route("secret", name, "the project's gitlab-deploy-token"))
            elif self.stored(name, env):
                out.append(Route("secret", name))
        return out

    def expand(self, text: str, env: Mapping[str, str]) -> str:
        """``text`` with predefined and pipeline variables replaced; anything unknown is ``*``."""
        return self._expand(text, env, 0)

    def _expand(self, text: str, env: Mapping[str, str], depth: int) -> str:
        if depth > _MAX_DEPTH:
            return "*"

        def var(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            value = env.get(name)
            if value is not None and value != f"${name}" and not self.stored(name, env):
                if computed(value):
                    # a command's output (vidjil's ``TYPE=`echo $CI_COMMIT_REF_NAME | awk …``): known when the job runs,
                    # unless the command only changes the case of what it echoes
                    mapped = case_mapped(self._expand(value, env, depth + 1))
                    return "*" if computed(mapped) else mapped
                return self._expand(value, env, depth + 1)  # the pipeline's own value wins
            known = self.facts.predefined(name)
            return known if known is not None else "*"

        return _EXPAND.sub(var, replaced_patterns(text))

    def block_exports(self, script: str) -> Mapping[str, str]:
        """Nothing: a GitLab job's variables reach later jobs only through a dotenv report."""
        return {}

    def exports(self, command: Command) -> Mapping[str, str]:
        """A shell assignment (``TOKEN=$(…)``, ``export X=…``): the rest of the job's script sees it. An
        assignment before a command (``X=1 make``) is that command's own environment, not exported."""
        m = _ASSIGN.match(command.text.strip())
        if m is None:
            return {}
        value = m.group(2).strip()
        if not value.startswith(("$(", "`", "'", '"')) and len(value.split()) > 1:
            return {}
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return {m.group(1): value}
