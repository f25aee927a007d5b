"""Apply the publish catalogue to a CI job's steps: what it publishes, where, with which credential.

Pure: no I/O, no CI system built in. A connector hands over its steps as :class:`StepView` (the
action a step uses with its inputs, or the script it runs, and the environment it sees) and a
:class:`Refs` that knows its CI's expression syntax; :func:`analyse` walks the steps in order, keeps
what the job has logged in to and which config files it wrote, and returns every :class:`Publish`.
A publish whose credential cannot be traced keeps route ``unknown``: it is never dropped.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal, Protocol

from connectors.ci.shell import (
    STEP_OUTPUT,
    Command,
    case_mapped,
    commands,
    flag_values,
    functions,
    has_flag,
    shell_vars,
    with_arguments,
    with_values,
)
from scanner.knowledge.publish import (
    ActionForm,
    CommandForm,
    LoginAction,
    LoginCommand,
    action_forms,
    any_command,
    catalogue,
    cloud_secret_reads,
    command_forms,
    credential_env_registries,
    image_sources,
    image_words,
    inert_commands,
    login_actions,
    oidc_consumers,
    packaging_registry,
    publish_words,
    push_switch,
    registry_from_runner,
    registry_from_secret_name,
    release_words,
    secret_stores,
    setup_hints,
)
from scanner.knowledge.registries import cloud_image_registry, oidc_publishing, registries, registry_for_host
from scanner.model import AttrValue

RouteKind = Literal["secret", "job_token", "oidc", "variable", "cloud", "step_output", "unknown"]
#: certain: the catalogue recognises the publish; probable: a release-like step holding a registry
#: credential; held: the job holds a registry credential (a login, a secret named for a registry)
#: but no step of it is seen publishing — third-party code beside it can still take it.
Confidence = Literal["certain", "probable", "held"]


@dataclass(frozen=True)
class Route:
    """How a credential reaches a publishing step."""

    kind: RouteKind
    name: str = ""  # the secret or variable name; the cloud; the step id of a step output
    detail: str = ""  # where it is passed: ``with.password``, ``env.TWINE_PASSWORD``, ``-p``, a login


@dataclass(frozen=True)
class Publish:
    """One step publishing to one registry (and image repository, when named)."""

    registry: str  # a registries.yaml id, or ``other:<host>``
    image: str | None  # ``host/path`` of a pushed image; None when not named
    routes: tuple[Route, ...]
    confidence: Confidence
    form: str  # the catalogue row
    reason: str
    step: int
    line: int | None


@dataclass(frozen=True)
class StepView:
    """A CI step as the catalogue sees it."""

    index: int
    label: str
    line: int | None
    id: str | None
    uses: str | None  # the action (``owner/repo[/path]@ref``), or None
    inputs: Mapping[str, str]
    script: str | None
    env: Mapping[str, str]  # everything the step's environment holds, as written
    #: It runs only when its condition holds (GitHub's step `if:`): what it exports may not replace what came before.
    conditional: bool = False


class Refs(Protocol):
    """A CI system's expression syntax, as far as credentials and names go."""

    @property
    def ci(self) -> str: ...

    def routes(self, text: str, env: Mapping[str, str], in_script: bool) -> list[Route]:
        """Where the credential in ``text`` comes from (secrets, variables, the job token...)."""
        ...

    def expand(self, text: str, env: Mapping[str, str]) -> str:
        """``text`` with known variables and contexts replaced; unknown parts become ``*``."""
        ...

    def exports(self, command: Command) -> Mapping[str, str]:
        """Environment variables a command sets for later steps (``>> $GITHUB_ENV``)."""
        ...

    def block_exports(self, script: str) -> Mapping[str, str]:
        """Multi-line values a script sets for later steps (``NAME<<EOF`` … ``EOF`` into ``$GITHUB_ENV``)."""
        ...


@dataclass
class _Login:
    registry: str
    host: str | None
    routes: list[Route]
    via: str


@dataclass(frozen=True)
class _Remote:
    """A packaging repository (an AUR package, a Homebrew tap) the job cloned, checked out or added."""

    registry: str
    remote: str  # as written, any credential in it left out
    name: str  # the remote's name in the clone (`origin`, `aur`); "" for a URL pushed to directly
    routes: tuple[Route, ...]  # what the remote itself carries: a token in its URL, checkout's token


@dataclass(frozen=True)
class _GitPush:
    step: StepView
    line: int | None
    text: str
    remotes: tuple[_Remote, ...]
    named: bool  # the push names the packaging repository itself


@dataclass
class _State:
    logins: list[_Login] = field(default_factory=list)
    #: Steps that fetch secrets from a secrets manager (publish.yaml ``secret_stores``), by id: the action.
    secret_stores: dict[str, str] = field(default_factory=dict)
    #: Shell functions the job's scripts defined (GitLab's before_script and script share one shell), by name.
    functions: dict[str, str] = field(default_factory=dict)
    calling: set[str] = field(default_factory=set)  # the functions being expanded (a recursive one stops)
    clouds: dict[str, list[Route]] = field(default_factory=dict)
    configs: dict[str, tuple[str, list[Route]]] = field(default_factory=dict)  # config -> (registry, routes)
    config_registry: dict[str, str] = field(default_factory=dict)  # npmrc -> registry from setup-node
    config_env: dict[str, tuple[str, ...]] = field(default_factory=dict)  # maven -> env names
    step_routes: dict[str, list[Route]] = field(default_factory=dict)  # step id -> what its outputs carry
    images: dict[str, list[str]] = field(default_factory=dict)  # step id -> image names it outputs
    exported: dict[str, str] = field(default_factory=dict)
    setups: list[str] = field(default_factory=list)  # registries of the languages the job set up
    #: step id -> the stored credentials handed to it (what an output of a token-minting step carries)
    step_inputs: dict[str, list[Route]] = field(default_factory=dict)
    #: repository names set up for later commands (``poetry config repositories.X``, a .pypirc section)
    aliases: dict[str, tuple[str, list[Route]]] = field(default_factory=dict)
    #: files a credential was written to (``echo $T | base64 -d > store.login``) -> what they hold: a later
    #: command that names the file holds it too (``snapcraft login --with store.login``)
    cred_files: dict[str, list[Route]] = field(default_factory=dict)
    #: files a value was written to (``echo "$CI_REGISTRY_IMAGE:$TAG" > image-tag.txt``, in this job or, for
    #: GitLab, in another job of the pipeline): ``$(cat image-tag.txt)`` is that value
    value_files: dict[str, str] = field(default_factory=dict)
    #: packaging repositories the job cloned, checked out or added as a remote, and its pushes to them
    remotes: list[_Remote] = field(default_factory=list)
    git_pushes: list[_GitPush] = field(default_factory=list)
    #: stored values the job uses as something other than a credential (an OIDC connection's id)
    not_credentials: set[str] = field(default_factory=set)
    #: a step uses the job's OIDC token for something other than publishing (a build attestation)
    oidc_explained: bool = False


def truthy(value: str | None) -> bool:
    """An input that can be true: ``true``, or an expression (what it CAN do counts)."""
    if value is None:
        return False
    v = value.strip().lower()
    return v in ("true", "yes", "1", "on") or "${{" in v or v.startswith("$")


def _literal_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "yes", "1", "on")


def host_of(value: str) -> str:
    """The host of a URL, a registry name or an image reference (``docker.io`` when it has none)."""
    v = value.strip().strip("'\"").lower()
    v = re.sub(r"^[a-z][a-z0-9+.-]*://", "", v)
    v = v.split("@", 1)[-1] if "@" in v.split("/", 1)[0] else v  # user:pass@host
    first = v.split("/", 1)[0]
    return first


def split_image(ref: str) -> tuple[str, str]:
    """``(host, path)`` of an image reference; Docker Hub's ``library/`` for official images."""
    ref = ref.strip().strip("'\"")
    ref = re.sub(r"^[a-z][a-z0-9+.-]*://", "", ref)
    ref = ref.split("@", 1)[0]
    parts = ref.split("/")
    if len(parts) == 1 and "." in ref.split(":", 1)[0] and registry_for_host(ref.lower()) is not None:
        return ref.lower(), ""  # a registry named by its host alone (`registry: ghcr.io`)
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost" or parts[0] == "*"):
        host, path = parts[0].lower(), "/".join(parts[1:])
    else:
        host, path = "docker.io", ref
    if ":" in path.rsplit("/", 1)[-1]:
        path = path.rsplit(":", 1)[0]
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io") and "/" not in path and path:
        path = f"library/{path}"
    return host, path.lower()


def registry_id_for(value: str) -> str:
    """The registry a URL/host/name points at: a registries.yaml id, else ``other:<host>``."""
    v = value.strip().strip("'\"").lower()
    if v in registries():
        return v
    if v.startswith("file:"):
        return "local"  # a directory on the runner (`-DaltDeploymentRepository=id::file://…/staging`)
    host = host_of(v)
    if not host or host == "*":
        return "other:*"
    found = registry_for_host(host)
    return found.id if found is not None else f"other:{host}"


def looks_like_image(ref: str) -> bool:
    """An image reference after expansion (not a command substitution or a quoted script fragment)."""
    r = ref.strip().strip("'\"")
    ok = re.fullmatch(r"[A-Za-z0-9._\-/:@*]+", r) is not None
    name = r.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]  # the tag
    # a name known only at run time (``${image_ref}:latest``) says nothing of where it goes
    return ok and name.strip("*/") != "" and not r.startswith("-")


def _list(value: str) -> list[str]:
    """Items of a list input: one per line or comma-separated; ``name=X,enable=...`` CSV form too."""
    items: list[str] = []
    for line in value.replace(",", "\n").splitlines():
        item = line.strip().strip("-").strip()
        if not item or item.startswith(("enable=", "type=", "priority=", "value=", "pattern=", "suffix=")):
            continue
        items.append(item.removeprefix("name="))
    return items


class _Job:
    def __init__(
        self,
        refs: Refs,
        oidc: bool,
        token_scopes: Mapping[str, bool | None] | None = None,
        hosts: Mapping[str, str] | None = None,
    ) -> None:
        self.refs = refs
        self.oidc = oidc
        self.token_scopes = token_scopes or {}
        self.hosts = hosts or {}
        self.st = _State()
        self.out: list[Publish] = []

    def registry_id(self, value: str) -> str:
        """:func:`registry_id_for`, with the CI's own hosts first (a self-managed GitLab's registry), a named
        repository set up earlier in the job, and a URL inside the value (``id::default::https://…``)."""
        bare = value.strip().strip("'\"")
        if bare in self.st.aliases:
            return self.st.aliases[bare][0]
        if _GITLAB_PACKAGES_API.search(bare):
            # a GitLab instance's package API, whatever its host (`https://gitlab.mpcdf.mpg.de/api/v4/projects/2187/
            # packages/pypi`, NOMAD's twine upload): that GitLab's package registry
            return "gitlab-packages"
        url = re.search(r"[a-z][a-z0-9+.-]*://\S+", bare, re.IGNORECASE)
        if url is not None and url.start() > 0:
            value = url.group(0)
        if self.hosts and (found := self.hosts.get(host_of(value))) is not None:
            return found
        return registry_id_for(value)

    # -- credentials ------------------------------------------------------------------------------

    def routes(self, text: str, env: Mapping[str, str], in_script: bool, detail: str) -> list[Route]:
        found: list[Route] = []
        for r in self.refs.routes(text, env, in_script):
            if r.kind == "step_output":
                carried = self.st.step_routes.get(r.name) or self.st.step_inputs.get(r.name)
                if r.name in self.st.secret_stores and r.detail:
                    # an output of a secrets manager's step (`steps.esc-secrets.outputs.NPM_TOKEN`, Pulumi ESC): the
                    # secret it fetched, by its name
                    found.append(Route("secret", r.detail, f"{detail} (from {self.st.secret_stores[r.name]})"))
                    continue
                if carried:
                    found += carried
                else:
                    found.append(Route("unknown", r.name, f"output of step {r.name}"))
                continue
            found.append(Route(r.kind, r.name, detail if not r.detail else f"{detail} ({r.detail})"))
        for path, held in self.st.cred_files.items():
            if _names_file(text, path):
                found += held
        return found

    def env_routes(self, env: Mapping[str, str], names: Iterable[str], prefixes: Iterable[str] = ()) -> list[Route]:
        found: list[Route] = []
        wanted = {n.upper() for n in names}
        pre = tuple(p.upper() for p in prefixes)
        for key, value in env.items():
            k = key.upper()
            if k in wanted or (pre and k.startswith(pre)):
                got = self.routes(value, env, in_script=False, detail=f"env.{key}")
                if not got and PLACEHOLDER.fullmatch(value.strip().strip("'\"")):
                    # a stand-in (`TWINE_PASSWORD: xxx`) for the value the CI's own variable of that name gives
                    # (GitLab's project variables take precedence over the pipeline's)
                    got = self.routes(f"${key}", env, in_script=False, detail=f"env.{key}")
                found += got
        return found

    def fallback(self, registry: str, oidc_form: bool) -> list[Route]:
        if oidc_form and self.oidc and oidc_publishing(registry, self.refs.ci):
            return [Route("oidc", registry, "the job's OIDC token (Trusted Publishing)")]
        if registry == "gitlab-packages" and self.refs.ci == "gitlab":
            # a build publishing to its own GitLab's package registry with no credential in the pipeline reads it in
            # its build file, where GitLab's documented set-up is the job token (`Job-Token: CI_JOB_TOKEN`)
            return [Route("job_token", "CI_JOB_TOKEN", "presumed: GitLab's documented credential for its packages")]
        return [Route("unknown", "", "no credential named in the job")]

    def _written_config_routes(self) -> list[Route]:
        """The credentials of Docker configs the job wrote whole from a variable (no host of their own)."""
        return [r for lg in self.st.logins if lg.via == "docker config.json" and lg.host is None for r in lg.routes]

    def _host_first(self, image: str, env: Mapping[str, str]) -> bool:
        """Whether an image reference's first part, once its variables are expanded, is a registry's host."""
        first = self.refs.expand(image, env).split("/", 1)[0]
        return "." in first and "*" not in first

    def _env_registry(self, value: str, env: Mapping[str, str]) -> str | None:
        """The registry a variable's value names by its host (`ghcr.io/acme`, `quay.io/acme/app:1`), if any."""
        text = self.refs.expand(value, env).strip().strip("'\"")
        if not looks_like_image(text) or "/" not in text:
            return None
        host = text.split("/", 1)[0]
        return self.registry_id(host) if "." in host and "*" not in host else None

    def login_routes(self, registry: str, host: str | None) -> list[Route]:
        # every login to the host: either may be the one in force (`docker login HOST || docker login -u … HOST`)
        to_host = [r for lg in self.st.logins if host is not None and lg.host == host for r in lg.routes]
        if to_host:
            return _once(to_host)
        for lg in reversed(self.st.logins):
            if lg.registry == registry and (lg.host is None or host is None or registry != "oci"):
                return lg.routes
        # a Docker config written whole from a variable holds logins to any host (`cp "$REGISTRY_AUTH_FILE"
        # ~/.docker/config.json` before pushes to Docker Hub and Quay, StackGres)
        written = self._written_config_routes()
        if written and host is not None:
            return _once(written)
        # a host regwarden does not know after the job's one login, to its GitLab's registry with the job token
        # (`podman login $CI_REGISTRY` then `podman push registry.archlinux.org/…`): a self-managed instance's registry
        if registry.startswith("other:") and self.refs.ci == "gitlab" and len(self.st.logins) == 1:
            only = self.st.logins[0]
            if only.registry == "gitlab-registry" and any(r.kind == "job_token" for r in only.routes):
                return only.routes
        known = registries().get(registry)
        if known is not None and known.cloud and known.cloud in self.st.clouds:
            return list(self.st.clouds[known.cloud])
        # the job's one login, to a host only known at run time (vidjil's `docker login -u "$CI_DOCKER_USER" -p
        # "$CI_DOCKER_PASSWORD" $CI_DOCKER` before `docker push vidjil/…`): the credential the push has
        unknown = [lg for lg in self.st.logins if lg.registry == "other:*"]
        if len(self.st.logins) == 1 and unknown and registry != "other:*":
            return unknown[0].routes
        return []

    def github_token(self, env: Mapping[str, str]) -> list[Route]:
        """The GitHub token a release beside a registry publish is made with: one in the environment, also under
        a tool's own name (`JRELEASER_GITHUB_TOKEN`), else the job's own."""
        found = [
            r
            for k, v in env.items()
            if _GITHUB_TOKEN_ENV.fullmatch(k)
            for r in self.routes(v, env, in_script=False, detail=f"env.{k}")
        ]
        return found or [Route("job_token", "", "GITHUB_TOKEN")]

    def token_can(self, registry: str, route: Route) -> bool:
        """Whether a job-token route can publish to ``registry``: False only when the job's token is known
        to lack the write scope the registry needs (a read-only GITHUB_TOKEN makes no release)."""
        if route.kind != "job_token":
            return True
        scope = {
            "github-releases": "contents",
            "helm-pages": "contents",
            "ghcr": "packages",
            "github-packages": "packages",
        }.get(registry)
        return scope is None or self.token_scopes.get(scope) is not False

    # -- emitting ---------------------------------------------------------------------------------

    def emit(
        self,
        step: StepView,
        registry: str,
        image: str | None,
        routes: list[Route],
        form: str,
        reason: str,
        confidence: Confidence = "certain",
        line: int | None = None,
    ) -> None:
        known = registries().get(registry)
        if known is not None and known.id == "local":
            return  # a push to localhost publishes nothing
        if routes:
            routes = [r for r in routes if self.token_can(registry, r)]
            if not routes:
                return  # only the job's own token, which cannot write there: nothing is published
        else:
            routes = [Route("unknown", "", "no credential named in the job")]
        self.out.append(
            Publish(
                registry=registry,
                image=image,
                routes=tuple(dict.fromkeys(routes)),
                confidence=confidence,
                form=form,
                reason=reason,
                step=step.index,
                line=line if line is not None else step.line,
            )
        )

    def emit_images(
        self,
        step: StepView,
        images: list[str],
        explicit: list[Route],
        form: str,
        reason: str,
        line: int | None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Pushes of ``images``; with no image named, one publish per registry the job logged in to. ``env``:
        what the command sees (with the variables its script assigned before it), else the step's."""
        env = env if env is not None else {**step.env, **self.st.exported}
        # a tag computed by a command (`ghcr.io/acme/app:$(yq .version Chart.yaml)`) leaves the image's name
        # and quotes inside a word join its parts, as the shell does (`acme/app:v"$VERSION"`)
        images = [_COMPUTED_TAG.sub("", i).replace('"', "").replace("'", "") for i in images]
        # a user name first (`${{ secrets.DOCKERHUB_USERNAME }}/sqlfluff:latest`) is a namespace, not a host: the
        # registry is the default one, not any the job logged in to
        # (unless its value is known and starts with a host: Mailu's `DOCKER_ORG: ghcr.io/mailu`)
        images = [i if self._host_first(i, env) else _USER_FIRST.sub("user/", i) for i in images]
        # (a variable may hold several, one per line or each value it can take: `TAGS<<EOF` in GITHUB_ENV; a loop's
        # variable, `for R in docker.io quay.io`, inside a longer name: each value in its place)
        resolved = [
            r
            for i in images
            if i.strip()
            for each in _each_value(i, env)
            for line in _COMPUTED_TAG.sub("", self.refs.expand(i, each)).splitlines()
            # a part a command computes (vidjil's `TAG="vidjil/$TYPE:…"` with ``TYPE=`echo … | awk …` ``) is unknown
            if looks_like_image(r := _SUBSTITUTION.sub("*", case_mapped(line)).strip())
        ]
        if not resolved:
            # Named some other way (computed by a script): the images the job's metadata step names,
            # else the registries it logged in to.
            resolved = [self.refs.expand(i, env) for names in self.st.images.values() for i in names]
            resolved = [r for r in resolved if looks_like_image(r)]
        if not resolved:
            logged: dict[str, list[Route]] = {lg.registry: lg.routes for lg in self.st.logins}
            # a build file's tags read the environment (Mailu's bake file: `DOCKER_ORG: ghcr.io/…`): the registries it
            # names, of those the job logged in to (a Docker Hub login beside them is for pulls)
            named = {
                self._env_registry(v, env)
                for k, v in (*env.items(), *step.env.items())
                if _DESTINATION_VAR.search(k) and not _SOURCE_VAR.search(k)
            } & set(logged)
            if named:
                logged = {reg: routes for reg, routes in logged.items() if reg in named}
            for reg, login_routes in (logged or {"other:*": []}).items():
                routes = explicit or login_routes
                self.emit(step, reg, None, list(routes), form, reason + " (image not named)", line=line)
            return
        for ref in dict.fromkeys(resolved):
            host, path = split_image(ref)
            if host == "*" and self.st.logins:
                # a host only known at run time: one of the registries the job logged in to
                for lg in {lg.registry: lg for lg in self.st.logins}.values():
                    routes = explicit or lg.routes
                    why = reason + " (registry from its login)"
                    self.emit(step, lg.registry, None, list(routes), form, why, line=line)
                continue
            reg = self.registry_id(host) if host != "*" else "other:*"
            routes = explicit or self.login_routes(reg, host)
            self.emit(step, reg, f"{host}/{path}" if path else None, list(routes), form, reason, line=line)

    # -- actions ----------------------------------------------------------------------------------

    def action(self, step: StepView) -> None:
        assert step.uses is not None
        path = step.uses.split("@", 1)[0].strip().lower()
        if path.startswith("docker://"):
            # an action run from its image (`docker://antonyurchenko/git-release:latest`): judged by the image's name
            parts = re.sub(r":[\w.-]+$", "", path.removeprefix("docker://")).split("/")
            path = "/".join(parts[1:] if len(parts) > 2 and re.search(r"[.:]|^localhost$", parts[0]) else parts)
        name = "/".join(path.split("/")[:2])
        if name == "actions/checkout" and step.inputs.get("repository"):
            self.checkout(step)
        if path in oidc_consumers() or name in oidc_consumers():
            self.st.oidc_explained = True
        if step.id and (path in secret_stores() or name in secret_stores()):
            self.st.secret_stores[step.id] = name
        if name == "actions/github-script" and (required := _required_script(step.inputs.get("script", ""))):
            # a github-script step that loads a repository script runs it (zwave-js' `Publish PR build to npm`:
            # `require(`${process.env.GITHUB_WORKSPACE}/.github/bot-scripts/index.cjs`)` with NPM_TOKEN): judged as
            # that script run by node, its step's name and credentials with it
            self.script(step, f"node {required}", via="github-script")
        for key in (path, name):
            if (hinted := setup_hints().get(key)) is not None:
                self.st.setups.append(hinted)
            if (lg := login_actions().get(key)) is not None:
                self.login_action(step, lg)
                return
            if (src := image_sources().get(key)) is not None:
                if step.id:
                    self.st.images[step.id] = [i for k in src.inputs for i in _list(step.inputs.get(k, ""))]
                return
            if (form := action_forms().get(key)) is not None:
                self.publish_action(step, form)
                return
        if step.uses.strip().lower().startswith("docker://") and (args := step.inputs.get("args", "").strip()):
            # an image the catalogue does not know, run with `args`: its tool with them, as `docker run IMAGE ARGS`
            # (puppet-tp's `uses: docker://puppet/pdk` with `args: release publish --forge-token …`)
            tool = path.split("/")[-1]
            self.script(step, f"{step.inputs.get('entrypoint', '').strip() or tool} {args}", via="docker action")
            return
        self.unknown_action(step, path)

    def login_action(self, step: StepView, lg: LoginAction) -> None:
        env = {**step.env, **self.st.exported}
        if any(env.get(k) for k in lg.skipped_if_env):
            return
        for name, value in lg.exports.items():
            self.st.exported[name] = self.refs.expand(value, env)
        registry = lg.registry or lg.default_registry
        host: str | None = None
        unnamed = False  # a registry input given, whose value is not known before the run
        for key in lg.registry_inputs:
            value = step.inputs.get(key, "").strip()
            expanded = self.refs.expand(value, env) if value else ""
            if expanded and host_of(expanded) not in ("", "*"):
                host = host_of(expanded)
                registry = self.registry_id(host)
            elif value:
                unnamed = True
        if lg.writes_config is not None:
            if registry:
                self.st.config_registry[lg.writes_config] = registry
            names = [step.inputs[k] for k in lg.env_name_inputs if step.inputs.get(k)] or list(lg.default_env_names)
            self.st.config_env[lg.writes_config] = tuple(names)
            return
        routes: list[Route] = []
        for key in lg.credential_inputs:
            if key in step.inputs:
                routes += self.routes(step.inputs[key], env, in_script=False, detail=f"{lg.uses} with.{key}")
        routes += self.env_routes(env, lg.credential_env, lg.env_prefixes)
        if unnamed and host is None and lg.default_registry:
            # `registry: ${{ vars.REGISTRY }}`: not the default (Docker Hub); the registry the credential's name
            # says (`QUAY_TOKEN`, rhdh-operator), else one regwarden cannot tell
            named = {n for r in routes if r.kind in ("secret", "variable") and (n := registry_from_secret_name(r.name))}
            registry = named.pop() if len(named) == 1 else "other:*"
        if not routes and lg.default_job_token:
            routes = [Route("job_token", "", f"{lg.uses} default token (github.token)")]
        if lg.cloud is None and not routes:
            for key in lg.oidc_inputs:
                if step.inputs.get(key):
                    routes.append(Route("oidc", registry, f"{lg.uses} {key} (OIDC)"))
            for key in lg.oidc_env:
                if env.get(key) and registry == lg.default_registry:
                    routes.append(Route("oidc", registry, f"{lg.uses} env.{key} (OIDC connection)"))
                    # what names the connection is no credential, whatever its name says
                    self.st.not_credentials.update(r.name for r in self.routes(env[key], env, False, key))
        if lg.cloud is not None:
            for key in lg.oidc_inputs:
                if step.inputs.get(key) and not routes:
                    routes.append(Route("cloud", lg.cloud, f"{lg.uses} {key}: {step.inputs[key]} (OIDC)"))
            if not routes:
                # signed in already (`google-github-actions/auth` with a key, then `setup-gcloud` with none): the
                # cloud's credential stays the earlier step's
                routes = list(self.st.clouds.get(lg.cloud, ()))
            if not routes:
                routes = [Route("unknown", lg.cloud, f"{lg.uses}: credentials of the runner or an earlier step")]
            self.st.clouds[lg.cloud] = routes
        if not routes and registry:
            # docker/login-action to ECR (or GAR, ACR) with no password: it signs in with the cloud
            # credentials an earlier step configured
            known = registries().get(registry)
            if known is not None and known.cloud and known.cloud in self.st.clouds:
                routes = list(self.st.clouds[known.cloud])
        if step.id:
            self.st.step_routes[step.id] = routes
        if registry:
            self.st.logins.append(_Login(registry, host, routes, lg.uses))

    def publish_action(self, step: StepView, form: ActionForm) -> None:
        inputs = step.inputs
        env = {**step.env, **self.st.exported}
        if form.login:
            # Mints a short-lived token from the job's OIDC token; later steps use its outputs.
            routes = [Route("oidc", form.login, f"{form.uses} (Trusted Publishing)")] if self.oidc else []
            if step.id:
                self.st.step_routes[step.id] = routes or [Route("unknown", form.login, f"{form.uses} without id-token")]
            self.st.configs[form.login] = (form.login, routes)
            return
        if any(_literal_true(inputs.get(k)) for k in form.dry_run_inputs):
            return
        if any((inputs.get(k) or "").strip().lower() in ("false", "no", "0", "off") for k in form.off_inputs):
            return
        if form.target_input and re.search(
            form.reviewed_targets, inputs.get(form.target_input, "").strip() or form.target_default, re.IGNORECASE
        ):
            return  # a pull request the target's own maintainers review and merge (homebrew-core): no publish
        if form.push_inputs or form.outputs_inputs:
            pushes = any(truthy(inputs.get(k)) for k in form.push_inputs) or any(
                re.search(r"type=registry|push=(?:true|\$\{\{)", inputs.get(k, "")) for k in form.outputs_inputs
            )
            if not pushes:
                return
        if form.command_input:
            command = inputs.get(form.command_input, form.default_command).strip().lower()
            if command not in form.publish_commands and "${{" not in command:
                return
        only_hinted = False
        if form.args_inputs:
            # an expression choosing between command lines (fzf: `${{ push && 'release …' || 'release
            # --snapshot …' }}`) publishes when one of them does: what the step can do counts
            given = " ".join(inputs.get(k, "") for k in form.args_inputs).strip() or form.args_default
            runs = [
                a
                for a in _input_values(given)
                if not (form.args_publish and not re.search(form.args_publish, a))
                and not (form.args_dry_run and re.search(form.args_dry_run, a))
            ]
            if not runs and re.fullmatch(r"\s*\$\{\{[^'\"]*\}\}\s*", given):
                # the whole command line from an expression with no literal (`${{ needs.args.outputs.RELEASE_ARGS }}`,
                # mariadb-operator): it may be any of the tool's commands, a publishing one included
                runs = [given]
            if not runs:
                return
            only_hinted = bool(form.args_only_hinted) and all(re.search(form.args_only_hinted, a) for a in runs)
        if form.command_inputs:
            ran = False
            for key in form.command_inputs:
                script = inputs.get(key, "").strip()
                if script:
                    prefix = f"{form.command_prefix} " if form.command_prefix else ""
                    self.script(step, prefix + script, extra_env=env, via=f"{form.uses} with.{key}")
                    ran = True
            for reg in form.also_with_command if ran else ():
                token = self.env_routes(env, ("GITHUB_TOKEN", "GH_TOKEN")) or [Route("job_token", "", "GITHUB_TOKEN")]
                self.emit(step, reg, None, token, form.uses, f"uses {form.uses} (creates releases)")
            return
        explicit: list[Route] = []
        for key in form.credential_inputs:
            if key in inputs:
                explicit += self.routes(inputs[key], env, in_script=False, detail=f"with.{key}")
        explicit += self.env_routes(env, form.credential_env)
        reason = f"uses {form.uses}"
        if form.requires_credential and not explicit:
            return
        if form.hinted_env:
            # a sub-command that publishes only where its environment holds credentials: not to the
            # registries of the row's other sub-commands (JReleaser's `publish` deploys nothing to Maven Central)
            self.hinted(step, env, reason, step.line, skip=(form.registry, *form.also) if only_hinted else ())
        if only_hinted:
            return
        held = {p.registry for p in self.out if p.step == step.index}
        for reg in form.oidc_registries if self.oidc else ():
            if reg not in held and oidc_publishing(reg, self.refs.ci):
                oidc = [Route("oidc", reg, "the job's OIDC token (Trusted Publishing)")]
                self.emit(step, reg, None, oidc, form.uses, f"{reason} (Trusted Publishing)")
        for key, reg in form.also_with_inputs.items():
            if truthy(inputs.get(key)):
                token = [r for r in explicit if r.kind == "job_token"] or self.github_token(env)
                self.emit(step, reg, None, token, form.uses, f"{reason} with {key}")
        if form.image_inputs:
            images: list[str] = []
            for key in form.image_inputs:
                for item in _list(inputs.get(key, "")):
                    m = re.fullmatch(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.(?:tags|images?|json)\s*\}\}", item)
                    images += self.st.images.get(m.group(1), []) if m else [item]
            for key in form.outputs_inputs:
                images += re.findall(r"name=([^,\s]+)", inputs.get(key, ""))
            self.emit_images(step, images, list(explicit), form.uses, reason, None)
            return
        mains = [form.registry]
        for key in form.registry_inputs:
            value = inputs.get(key, "").strip()
            if value:
                # (a variable exported by steps that run on conditions holds each value one of them wrote, one per
                # line: pyca/bcrypt's PYPI_URL, PyPI's or Test PyPI's by the dispatch's choice)
                expanded = [v.strip() for v in self.refs.expand(value, env).splitlines() if v.strip()]
                mains = list(dict.fromkeys(self.registry_id(v) for v in expanded)) or [self.registry_id(value)]
        for key in form.registry_env:
            # a variable naming the repository, perhaps by an expression choosing one (git-cliff's
            # `MATURIN_REPOSITORY: ${{ vars.USE_TESTPYPI == 'true' && 'testpypi' || 'pypi' }}`): each it can name
            if value := env.get(key, "").strip():
                mains = [self.registry_id(self.refs.expand(a, env)) for a in _input_values(value) if a.strip()]
        targets = [*mains, *form.also]
        for i, reg in enumerate(targets):
            if not reg:
                continue
            routes = list(explicit)
            if len(mains) > 1:
                # each registry with the credential named for it (the same expression chooses the token)
                routes = [r for r in routes if registry_from_secret_name(r.name) in (None, reg)] or routes
            if i >= len(mains):  # the extra registry (GitHub Releases of semantic-release) uses the GitHub token
                routes = [r for r in explicit if r.kind == "job_token"] or self.github_token(env)
            if not routes and form.default_job_token:
                routes = [Route("job_token", "", f"{form.uses} default token")]
            if not routes:
                routes = self.fallback(reg, form.oidc)
            self.emit(step, reg, None, routes, form.uses, reason)

    def unknown_action(self, step: StepView, path: str) -> None:
        owner, _, name = path.partition("/")
        env = {**step.env, **self.st.exported}
        if owner not in ("actions", "github") and (
            self._registry_action(step, path, name, env) or self._named_for_its_credential(step, path, name, env)
        ):
            return
        if owner in ("actions", "github") or not release_words().search(name) or _NOT_A_RELEASE.search(name):
            return  # GitHub's own actions publish to no registry unless the catalogue says so
        before = len(self.out)
        self.probable(step, " ".join(step.inputs.values()), env, f"uses {path}", step.line, inputs=step.inputs)
        named = registry_from_secret_name(name.upper().replace("-", "_")) if len(self.out) == before else None
        if named is not None:
            # an action named for publishing to a registry (`cucumber/action-publish-rubygem`) after the job set up
            # that registry's credential (`rubygems/configure-rubygems-credentials`, a login), or with the job's OIDC
            # token where the registry takes one
            held = [r for cfg, rs in self.st.configs.values() if cfg == named for r in rs] + [
                r for lg in self.st.logins if lg.registry == named for r in lg.routes
            ]
            if not held and self.oidc and oidc_publishing(named, self.refs.ci):
                held = [Route("oidc", named, "the job's OIDC token (Trusted Publishing)")]
            if held:
                self.emit(step, named, None, held, "probable", f"uses {path}, named for {_label(named)}", "probable")
        if len(self.out) == before and self.st.logins and image_words().search(name):
            for lg in {lg.registry: lg for lg in self.st.logins}.values():
                why = f"uses {path} after logging in to {_label(lg.registry)}"
                self.emit(step, lg.registry, None, lg.routes, "probable", why, "probable")
        if re.search(r"release", name, re.IGNORECASE) and not any(
            p.step == step.index and p.registry == "github-releases" for p in self.out
        ):
            # An unknown release action handed a GitHub token: it makes GitHub Releases.
            token = [
                r
                for k, v in step.inputs.items()
                if re.fullmatch(r"(?:github[_-]?|repo[_-])?token", k, re.IGNORECASE)
                for r in self.routes(v, env, in_script=False, detail=f"with.{k}")
            ] or self.env_routes(env, ("GITHUB_TOKEN", "GH_TOKEN"))
            if token:
                reason = f"uses {path} with a GitHub token"
                self.emit(step, "github-releases", None, token, "probable", reason, "probable")

    def _registry_action(self, step: StepView, path: str, name: str, env: Mapping[str, str]) -> bool:
        """An action the catalogue does not know, handed a registry's host and a credential for it, whose name or
        step says it publishes (peak-scale's `make-ko-publish` and `helm-oci-chart` with `registry: ghcr.io` and
        `registry-password`): a probable publish there with that credential."""
        hosts = [v for k, v in step.inputs.items() if _REGISTRY_INPUT.fullmatch(k) and v.strip()]
        if not hosts or not (_PUSH_WORDS.search(name) or _PUSH_WORDS.search(step.label)):
            return False  # (a deploy action handed a registry's login pulls from it)
        creds = [
            r
            for k, v in step.inputs.items()
            if _CREDENTIAL_INPUT.search(k)
            for r in self.routes(v, env, in_script=False, detail=f"with.{k}")
        ]
        if not creds:
            return False
        reg = self.registry_id(self.refs.expand(hosts[0], env))
        why = f"uses {path} with a registry ({hosts[0].strip()}) and its credential"
        self.emit(step, reg, None, creds, "probable", why, "probable")
        return True

    def _named_for_its_credential(self, step: StepView, path: str, name: str, env: Mapping[str, str]) -> bool:
        """An action the catalogue does not know, named for a registry (`varabyte/update-aur-package`,
        `dawidd6/action-homebrew-bump-formula`, `michidk/winget-updater`) and handed a credential named for the same
        registry (AUR_SSH_PRIVATE_KEY, HOMEBREW_ACCESS_TOKEN, WINGET_TOKEN): a probable publish there with it."""
        reg = registry_from_secret_name(name.upper().replace("-", "_").replace("/", "_"))
        if reg is None:
            return False
        creds = [
            r
            for k, v in (*step.inputs.items(), *step.env.items())
            for r in self.routes(v, env, in_script=False, detail=f"with.{k}")
            if r.kind in ("secret", "variable") and registry_from_secret_name(r.name) == reg
        ]
        if not creds:
            return False
        why = f"uses {path}, named for {_label(reg)}, with its credential"
        self.emit(step, reg, None, _once(creds), "probable", why, "probable")
        return True

    # -- scripts ----------------------------------------------------------------------------------

    def script(self, step: StepView, script: str, extra_env: Mapping[str, str] | None = None, via: str = "") -> None:
        # `${{ env.NAME }}` is replaced by the runner before the shell starts: a command kept in a variable
        # (`echo "Q=pnpm publish" >> $GITHUB_ENV`, then `run: ${{ env.Q }}`) is that command
        script = _ENV_EXPR.sub(lambda m: self._env_text(m, step), script) if "env." in script else script
        assigned: dict[str, str] = {}  # shell variables set earlier in this script (`export REPO=…`)
        exported_here: set[str] = set()
        # a function's body runs where it is called (the OpenID suite's before_script defines `upload()`, which pushes
        # to GCR, for the one job that calls it), not where it is defined
        script, defined = functions(script)
        self.st.functions.update(defined)
        for cmd in commands(script):
            called = next((w for w in cmd.words[:2] if w not in _SHELL_KEYWORDS), "")
            if called in self.st.functions and called not in self.st.calling:
                self.st.calling.add(called)
                outer = {**(extra_env or {}), **assigned, **_inline_env(cmd)}
                body = with_arguments(self.st.functions[called], cmd.words[cmd.words.index(called) + 1 :])
                self.script(step, body, extra_env=outer, via=f"function {called}")
                self.st.calling.discard(called)
                continue
            if self.st.value_files and ("cat " in cmd.text or "$(<" in cmd.text):
                cmd = _with_files(cmd, self.st.value_files)
            inner = _inner_script(cmd)
            if inner is not None:
                # `sh -c "SCRIPT"` (also `docker run -e X=… image sh -c "…"`): the script is what runs, with the
                # environment the command gives it; the command around it runs nothing of its own
                outer = {**(extra_env or {}), **_inline_env(_without(cmd, inner))}
                self.script(step, inner, extra_env=outer, via="sh -c")
                continue
            tool = _container_tool(cmd)
            if tool is not None:
                # `docker run … ghcr.io/canonical/snapcraft:8_core24 upload sp.snap`: the image's tool, named like
                # the image (or by `--entrypoint`), runs with the arguments after the image
                outer = {**(extra_env or {}), **_inline_env(cmd)}
                seen = {**step.env, **self.st.exported, **outer}
                # `-e GITLAB_TOKEN`: the container gets the job's own variable of that name
                outer.update({n: f"${n}" for n in _passed_env(cmd) if n not in seen})
                before = len(self.out)
                self.script(step, tool, extra_env=outer, via="docker run")
                if len(self.out) > before:
                    continue
                # (nothing recognised that way, `quay.io/skopeo/stable copy …`: the command as written is judged)
            env = {**step.env, **self.st.exported, **(extra_env or {}), **assigned, **_inline_env(cmd)}
            for name in _passed_env(cmd):
                # `docker run -e GITLAB_TOKEN image`: the container gets the job's own variable of that name
                env.setdefault(name, f"${name}")
            if _assignment(cmd) or (cmd.words[:1] == ("export",) and _assignment(_without_first(cmd))):
                assigned.update(_inline_env(_without_first(cmd) if cmd.words[0] == "export" else cmd))
            if cmd.words[:1] == ("for",) and len(cmd.words) > 3 and cmd.words[2] == "in":
                # `for REGISTRY in $TARGET_REGISTRIES`: the loop's variable takes each word, one value per line
                items = [w for w in cmd.words[3:] if w not in (";", "do")]
                values = [v for w in items for v in self.refs.expand(w, env).split() if v and v != "*"]
                if values:
                    assigned[cmd.words[1]] = "\n".join(dict.fromkeys(values))
            line = step.line + 1 + cmd.line if step.line is not None and via == "" else step.line
            if "git" in cmd.text or "gh " in cmd.text:
                self.git_command(step, cmd, env, line)
            if self.login_command(cmd, env):
                continue
            if not self.config_write(cmd, env):
                self.file_write(cmd, env)
            matched = False
            joined = any_command()
            # `echo "Q=npm publish" >> $GITHUB_ENV` writes a command, it does not run it
            # (also after a shell keyword: `then echo "Skipping docker push …"`)
            words = list(cmd.words)
            while words and words[0] in _SHELL_KEYWORDS:
                words = words[1:]
            prints = words[:1] in (["echo"], ["printf"]) or _switched_off(cmd)
            if not prints and (joined is None or joined.search(cmd.text)):
                for form, regex in command_forms():  # the first form in table order that matches
                    if regex.search(cmd.text):
                        self.publish_command(step, form, cmd, env, line)
                        matched = True
                        break
            if not matched and words[:1] == ["curl"] and "$" in cmd.text:
                # an API call to a URL the script put in a variable (Framadate's `"${PROJECT_API_URL}/releases/…"`,
                # `PROJECT_API_URL=https://framagit.org/api/v4/projects/${CI_PROJECT_ID}`): judged with it in place
                spelled = commands(" ".join(_spelled_word(w, self.refs.expand(w, env)) for w in cmd.words))
                for form, regex in command_forms() if len(spelled) == 1 else ():
                    if regex.search(spelled[0].text):
                        self.publish_command(step, form, replace(spelled[0], line=cmd.line), env, line)
                        matched = True
                        break
            # `npm run build:sandbox` is a build, unless a push flag reaches it (BUILD_FLAGS: '--push')
            if not matched and not prints and not _assignment(cmd) and not (_inert(cmd) and not _push_flag(cmd, env)):
                self.unrecognised(step, cmd, env, line)
            for name, value in self.refs.exports(cmd).items():
                self._export(name, value, env, exported_here, step.conditional)
            if step.id and (out := STEP_OUTPUT.match(cmd.text)) is not None:
                # a value the step outputs, for the expressions of later steps (`${{ steps.image-name.outputs.value }}`)
                key = f"steps.{step.id}.outputs.{out.group(1)}"
                self._export(key, out.group(2), env, exported_here, step.conditional)
        if via == "":
            # `{ echo "TAGS<<EOF"; echo "$TAGS"; echo EOF; } >> "$GITHUB_ENV"`: the lines between, in this step's
            # environment (the shell variables the script set included)
            env = {**step.env, **self.st.exported, **(extra_env or {}), **assigned}
            for name, value in self.refs.block_exports(script).items():
                self._export(name, value, env, exported_here, step.conditional)

    def _export(self, name: str, value: str, env: Mapping[str, str], here: set[str], conditional: bool) -> None:
        """``echo "NAME=$VALUE" >> $GITHUB_ENV``: later steps see the value this step gave it (its
        `${VAR}` references resolved in this step's environment, which later steps do not have). A name
        the same script exports twice (`if …; then echo "T=$A" >> …; else echo "T=$B" >> …; fi`), or a step
        that runs only on a condition exports again (box: release tags, then `if: github.event_name !=
        'release'` ghcr's), may hold either value: both are kept."""
        resolved = with_values(value, env)
        if (name in here or conditional) and self.st.exported.get(name) not in (None, resolved):
            resolved = f"{self.st.exported[name]}\n{resolved}"  # (one per line, as a multi-line value's)
        here.add(name)
        self.st.exported[name] = resolved

    def _env_text(self, m: re.Match[str], step: StepView) -> str:
        value = {**step.env, **self.st.exported}.get(m.group(1))
        return value if value is not None and "${{" not in value else m.group(0)

    def login_command(self, cmd: Command, env: Mapping[str, str]) -> bool:
        for lc in catalogue().login_commands:
            if not lc.regex.search(cmd.text):
                continue
            if lc.config_line:
                self.config_write(cmd, env, force="npmrc")
                return True
            if lc.alias_pattern:
                self.alias(lc, cmd, env)
                return True
            if lc.cloud is not None and not (lc.registry or lc.default_registry):
                # a cloud CLI's own sign-in (`az login --identity`): the cloud's credential, for its registry
                # among others (Azure's Karpenter provider: `az login --identity`, then `hack/release/release.sh`)
                self.st.clouds.setdefault(lc.cloud, [Route("cloud", lc.cloud, lc.name)])
                return True
            registry = lc.registry or lc.default_registry
            host: str | None = None
            if lc.host_arg:
                args = _args_after(cmd.words, "login", skip_values=_LOGIN_FLAGS)
                if args:
                    host = host_of(self.refs.expand(args[0], env))
                    registry = self.registry_id(host)
            routes: list[Route] = []
            for value in flag_values(cmd.words, lc.credential_flags):
                routes += self.routes(value, env, in_script=True, detail=f"{lc.name} -p")
            if lc.stdin and cmd.stdin:
                cloud = _cloud_command(cmd.stdin)
                if cloud:
                    routes += self.st.clouds.get(cloud, [Route("cloud", cloud, f"{cloud} CLI credentials")])
                else:
                    routes += self.routes(cmd.stdin, env, in_script=True, detail=f"{lc.name} --password-stdin")
            elif lc.stdin and (source := _stdin_file(cmd.words)) is not None:
                # `--password-stdin < "$DOCKER_PASSWORD_FILE"`: a file-type variable (or a file written earlier)
                routes += self.routes(source, env, in_script=True, detail=f"{lc.name} --password-stdin < file")
            if lc.positional_credential:
                args = _args_after(cmd.words, lc.credential_after, skip_values=("-Source", "-source", "--source", "-s"))
                for a in args:
                    routes += self.routes(a, env, in_script=True, detail=lc.name)
            if lc.cloud is not None:
                routes = routes or list(self.st.clouds.get(lc.cloud, [Route("cloud", lc.cloud, f"{lc.cloud} CLI")]))
                if lc.registry == "acr":
                    names = flag_values(cmd.words, ("--name", "-n"))
                    host = f"{names[0].lower()}.azurecr.io" if names else None
            if not routes and host is not None and not lc.cloud:
                # `echo | docker login "$CI_REGISTRY"`: no password given, the Docker config the job wrote from a
                # variable (`cat "$DOCKER_AUTH_CONFIG" > ~/.docker/config.json`, StackGres) signs it in
                routes = self._written_config_routes()
            last = self.st.logins[-1] if self.st.logins else None
            if cmd.stdin and last is not None and last.host is None and last.registry == registry:
                self.st.logins.pop()  # `aws ecr get-login-password | docker login … HOST`: one login, to HOST
            if registry == "crates":
                self.st.configs["cargo"] = ("crates", routes)
            elif not (host and self._mirror_host(host, env)):
                # (a login to the host a mirror variable names pulls through it: Mender's ECR pull-through cache)
                self.st.logins.append(_Login(registry, host, routes, lc.name))
            return True
        return False

    def _mirror_host(self, host: str, env: Mapping[str, str]) -> bool:
        """Whether a variable named for a mirror, cache or proxy of images names ``host`` (``MIRROR_REGISTRY:
        017659451055.dkr.ecr.eu-central-1.amazonaws.com/dockerhub``): the job pulls from there."""
        for key, value in env.items():
            if _MIRROR_VAR.search(key):
                expanded = self.refs.expand(value, env).strip().strip("'\"")
                if expanded and host_of(expanded) == host:
                    return True
        return False

    def alias(self, lc: LoginCommand, cmd: Command, env: Mapping[str, str]) -> None:
        """A named repository (its URL, its credential, or both) for later ``--repository NAME`` publishes."""
        m = re.search(lc.alias_pattern, cmd.text)
        if m is None:
            return
        groups = m.groupdict()
        name = groups.get("name") or next(iter(flag_values(cmd.words, lc.name_flags)), "")
        if not name:
            return
        routes: list[Route] = []
        for value in flag_values(cmd.words, lc.credential_flags):
            routes += self.routes(value, env, in_script=True, detail=lc.name)
        if lc.credential_anywhere and not routes:
            routes = self.routes(cmd.text[m.end() :], env, in_script=True, detail=lc.name)
        url = groups.get("url")
        if url is None:
            found = re.findall(r"https?://[^\s'\"]+", self.refs.expand(cmd.text, env))
            url = found[0] if found else None
        old = self.st.aliases.get(name)
        registry = self.registry_id(self.refs.expand(url, env)) if url else (old[0] if old else f"other:{name}")
        self.st.aliases[name] = (registry, routes or (old[1] if old else []))

    def file_write(self, cmd: Command, env: Mapping[str, str]) -> None:
        """A stored credential written to a file (``echo "$T" > f``, ``echo $T | base64 -d > f``, ``… | tee
        f``): later commands that name the file hold it, and a registry's own config file (``~/.pypirc``)
        holds that registry's credential."""
        targets = _write_targets(cmd)
        if not targets:
            return
        if (value := _written_value(cmd, targets)) is not None:
            self.st.value_files.update(dict.fromkeys(targets, value))
        text = cmd.text if cmd.stdin is None else f"{cmd.stdin}\n{cmd.text}"
        routes = [
            r for r in self.routes(text, env, in_script=True, detail=f"written to {targets[0]}") if r.kind != "unknown"
        ]
        if not routes:
            return
        for path in targets:
            self.st.cred_files[path] = routes
            config = next((cw.config for cw in catalogue().config_writes if cw.names_file(path)), None)
            if config is not None:
                self.config_write(cmd, env, force=config, routes=routes)

    def config_write(
        self, cmd: Command, env: Mapping[str, str], force: str | None = None, routes: list[Route] | None = None
    ) -> bool:
        """A line that writes a registry credential into its config file (or ``force``: a config file the
        command wrote ``routes`` into); True when one was recorded."""
        for cw in catalogue().config_writes:
            if (force is None and not cw.regex.search(cmd.text)) or (force is not None and cw.config != force):
                continue
            held = (
                routes
                if routes is not None
                else self.routes(cmd.text, env, in_script=True, detail=f"written to {cw.config}")
            )
            if not held:
                continue
            registry = cw.default_registry
            # the host as the job sees it: `//${CI_SERVER_HOST}/api/v4/…` names the GitLab it runs on
            text = cmd.text if "$" not in cmd.text else f"{cmd.text}\n{self.refs.expand(cmd.text, env)}"
            m = re.search(r"//([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?/", text.lower())
            host = (_docker_config_host(text) or (m.group(1) if m else None)) if cw.config == "docker" else None
            if m:
                registry = self.registry_id(m.group(1))
            elif host is not None:
                registry = self.registry_id(host)
            elif cw.config == "pypirc" and re.search(r"test\.?pypi", cmd.text, re.IGNORECASE):
                registry = "testpypi"
            if cw.config == "docker" and len(entries := _docker_config_entries(cmd.text)) > 1:
                # an `auths` entry per registry, each with its own credential (NLX's kaniko config: the project's
                # registry with the job token, Docker Hub with DOCKERHUB_PASSWORD): a login to each
                added = []
                for key, body in entries:
                    h = host_of(self.refs.expand(key, env))
                    own = self.routes(body, env, in_script=True, detail="written to docker")
                    if "*" not in h and own:
                        added.append(_Login(self.registry_id(h), h, own, "docker config.json"))
                if added:
                    self.st.logins += added
                    self.st.configs[cw.config] = (added[-1].registry, held)
                    return True
            self.st.configs[cw.config] = (registry, held)
            if cw.config == "pypirc":
                for section in re.findall(r"\[([\w.-]+)\]", cmd.text):
                    if section not in ("distutils", "pypi", "testpypi"):
                        self.st.aliases[section] = (registry, held)
            if cw.config == "docker":
                # a Docker config with an `auths` entry is a login to that registry (kaniko, buildah read it)
                self.st.logins.append(_Login(registry, host, held, "docker config.json"))
            return True
        return False

    def publish_command(
        self, step: StepView, form: CommandForm, cmd: Command, env: Mapping[str, str], line: int | None
    ) -> None:
        ws = cmd.words
        if form.dry_run_flags and has_flag(ws, form.dry_run_flags):
            return
        if form.requires_flag_or_value and not any(
            any(v in w for v in form.requires_flag_or_value)
            # or handed over in a variable (`docker build ${DOCKER_BUILDARGS}` with `DOCKER_BUILDARGS: --push`)
            or ("$" in w and any(v in self.refs.expand(w, env) for v in form.requires_flag_or_value))
            for w in ws
        ):
            return
        explicit: list[Route] = []
        for value in flag_values(ws, form.credential_flags):
            explicit += self.routes(value, env, in_script=True, detail=f"{form.name} {'/'.join(form.credential_flags)}")
        if form.credential_property:
            for w in ws:
                if (m := re.fullmatch(form.credential_property, w)) is not None:
                    explicit += self.routes(m.group(1), env, in_script=True, detail=f"{form.name} {w.split('=', 1)[0]}")
        explicit += self.env_routes(env, form.credential_env, form.env_prefixes)
        if form.credential_anywhere and not explicit:
            explicit = self.routes(cmd.text, env, in_script=True, detail=f"{form.name} command line")
        reason = f"runs `{_short(cmd.text)}`"
        if form.cloud is not None and not explicit:
            explicit = list(
                self.st.clouds.get(form.cloud, [Route("cloud", form.cloud, f"{form.cloud} CLI credentials")])
            )
        if form.requires_credential and not explicit:
            return
        if form.hinted_env:
            self.hinted(step, env, reason, line)
        if form.images is not None or form.images_env:
            images = _images(form, ws, cmd.text)
            if images and all(_LOCAL_TRANSPORT.match(i) for i in images):
                return  # a copy to a local store (`skopeo copy … docker-daemon:app:1`, `oci:dir`): no push
            images += [env[k] for k in form.images_env if env.get(k)]
            if form.images == "none":
                images = []
            self.emit_images(step, images, list(explicit), form.name, reason, line, env)
            return
        targets = [form.in_ci.get(self.refs.ci, form.registry), *form.also]
        targets += [reg for rx, reg in form.also_when.items() if re.search(rx, cmd.text) and reg not in targets]
        if form.target_pattern and (repos := re.findall(form.target_pattern, cmd.text)):
            # the repositories the command names (`publishAllPublicationsToGitlabRepository`)
            kept = [r for r in dict.fromkeys(_target_registry(form, name) for name in repos) if r]
            if not kept:
                return  # local directories only (`publishAllPublicationsToBuildDirRepository`)
            targets = [*kept, *(t for t in targets[1:] if t not in kept)]
        own_packages = targets[0] in _PUBLIC_PACKAGE_REGISTRIES or targets[0] == "gitlab-packages"
        if self.refs.ci == "gitlab" and own_packages and not form.registry_from_url:
            handed = [r for r in self.routes(cmd.text, env, True, f"{form.name} command line") if r.kind == "job_token"]
            if handed:
                # the job token handed to a build on its command line (`./gradlew publishAllPublicationsToGitLab…
                # -PjobToken=$CI_JOB_TOKEN`, islandoftex/arara) authenticates only to its own GitLab: its packages
                targets[0] = "gitlab-packages"
                explicit = explicit or handed
        if form.registry_from_url:
            urls = re.findall(r"https?://[^\s'\"]+", cmd.text) or re.findall(
                r"https?://[^\s'\"]+", self.refs.expand(cmd.text, env)
            )
            if urls:
                targets = [self.registry_id(self.refs.expand(urls[-1], env))]
            elif self.refs.ci == "gitlab" and any(r.kind == "job_token" for r in explicit):
                # sent where a variable says (`"${PACKAGE_REGISTRY_URL}/"`, from another job's dotenv)
                # with the job token, which only its own GitLab accepts: an upload there is a package
                targets = ["gitlab-packages"]
            else:
                targets = ["other:*"]
        for key in form.registry_env:
            if env.get(key):
                targets[0] = self.registry_id(self.refs.expand(env[key], env))
        named = flag_values(ws, form.registry_flags)
        if form.registry_property:
            named += [m.group(1) for w in ws if (m := re.fullmatch(form.registry_property, w)) is not None]
        for value in named:
            targets[0] = self.registry_id(self.refs.expand(value, env))
        alias = next((self.st.aliases[v] for v in named if v in self.st.aliases), None)
        if alias is not None and not explicit:
            explicit = list(alias[1])
        if form.config == "npmrc" and targets[0] == "npm" and "npmrc" in self.st.config_registry and not named:
            targets[0] = self.st.config_registry["npmrc"]
        for i, reg in enumerate(targets):
            if not reg:
                continue
            routes = list(explicit)
            if i > 0 and reg == "github-releases":
                routes = [r for r in explicit if r.kind == "job_token"] or self.github_token(env)
            elif i > 0:
                # another registry the same command publishes to (a Maven Central task beside `publishPlugins`):
                # the credential the environment holds for it, not the first registry's
                routes = self.credentials(env, "").get(reg, [])
            if not routes and form.config is not None:
                if form.config in self.st.config_env:
                    routes = self.env_routes(env, self.st.config_env[form.config])
                if not routes and form.config in self.st.configs:
                    cfg_registry, cfg_routes = self.st.configs[form.config]
                    routes = list(cfg_routes)
                    if cfg_registry != reg and targets[0] == form.registry and i == 0:
                        reg = cfg_registry
            if not routes and reg in ("crates", "rubygems", "nuget") and reg in self.st.configs:
                routes = list(self.st.configs[reg][1])
            if not routes:
                # a login to that registry earlier in the job stored the credential (`choco apikey`, `cargo login`)
                routes = list(self.login_routes(reg, None))
            if not routes and form.default_job_token:
                routes = [Route("job_token", "", f"{form.name} default token")]
            if not routes:
                routes = _cloud_secret_routes(reg, env) or self.fallback(reg, form.oidc)
            self.emit(step, reg, None, routes, form.name, reason, line=line)

    def credentials(
        self, env: Mapping[str, str], text: str, inputs: Mapping[str, str] | None = None
    ) -> dict[str, list[Route]]:
        """Registry credentials a step holds, by registry: env variables a publish tool reads (whatever
        their source: a secret, an OIDC-minted token), and secrets or inputs named for a registry."""
        found: dict[str, list[Route]] = {}
        env_registry = credential_env_registries()
        stored = ("secret", "variable")
        for key, value in env.items():
            for r in self.routes(value, env, in_script=False, detail=f"env.{key}"):
                by_env = (
                    self._sibling_registry(key, env) or env_registry.get(key.upper()) or registry_from_secret_name(key)
                )
                by_name = registry_from_secret_name(r.name) if r.name and r.kind in stored else None
                reg = by_name or by_env
                if reg and (r.kind in stored or (by_env and r.kind in ("oidc", "job_token", "cloud"))):
                    found.setdefault(reg, []).append(r)
        for key, value in (inputs or {}).items():
            for r in self.routes(value, env, in_script=False, detail=f"with.{key}"):
                by_name = registry_from_secret_name(r.name) if r.name and r.kind in stored else None
                reg = by_name or registry_from_secret_name(key)
                if reg and r.kind in (*stored, "oidc", "job_token"):
                    found.setdefault(reg, []).append(r)
        for r in self.routes(text, env, in_script=True, detail="command line"):
            reg = registry_from_secret_name(r.name) if r.name and r.kind in stored else None
            if reg:
                found.setdefault(reg, []).append(r)
        return found

    def _handed_registry_credential(self, cmd: Command, env: Mapping[str, str]) -> tuple[str, list[Route]] | None:
        """The image registry whose password a command is given as an argument, with the credential: a
        GitLab job's registry password (``$CI_REGISTRY_PASSWORD``: its project's registry), or a secret or
        variable named for an image registry (``$QUAY_PASSWORD``)."""
        args = [w for w in run_words(cmd)[1:] if w.startswith("$") or "${" in w]
        if not args:
            return None
        routes = self.routes(" ".join(args), env, True, "command line")
        if self.refs.ci == "gitlab" and any(r.kind == "job_token" and r.name == "CI_REGISTRY_PASSWORD" for r in routes):
            return "gitlab-registry", [r for r in routes if r.name == "CI_REGISTRY_PASSWORD"]
        for r in routes:
            # named for the registry and for a credential (`$QUAY_PASSWORD`; not a switch, `$PUSH_TO_DOCKER_HUB`)
            named = r.kind in ("secret", "variable") and r.name and _CREDENTIAL_SUFFIX.search(r.name.upper())
            reg = registry_from_secret_name(r.name) if named else None
            if reg is not None and registries().get(reg) is not None and registries()[reg].kind == "image":
                return reg, [r]
        return None

    def _sibling_registry(self, key: str, env: Mapping[str, str]) -> str | None:
        """The registry a credential variable's sibling names: ``DOCKER_REGISTRY: $CI_REGISTRY`` beside
        ``DOCKER_PASSWORD`` (goreleaser's and most image tools' convention)."""
        m = _CREDENTIAL_SUFFIX.search(key.upper())
        if m is None or m.start() == 0:
            return None
        prefix = key.upper()[: m.start()]
        names = {k.upper(): v for k, v in env.items()}
        # NUGET_API_KEY: NUGET_URL (not *_HOST: DOCKER_HOST is the daemon, not a registry)
        for suffix in _SIBLINGS:
            value = names.get(prefix + suffix)
            if value:
                host = self.refs.expand(value, env)
                if "*" not in host and host_of(host) not in ("", "*"):
                    return self.registry_id(host)
        return None

    def hinted(
        self, step: StepView, env: Mapping[str, str], reason: str, line: int | None, skip: Collection[str] = ()
    ) -> None:
        """A multi-registry release tool: a probable publish to each registry it holds a credential for
        (but those of ``skip``)."""
        held = self.credentials(env, "")
        for lg in self.st.logins:
            held.setdefault(lg.registry, list(lg.routes))
        if "cargo" in self.st.configs:
            # `cargo login TOKEN` stored a crates.io token for later `cargo publish` (covector's publish commands)
            held.setdefault("crates", list(self.st.configs["cargo"][1]))
        for config, reg in self.st.config_registry.items():
            # a registry config the job wrote (setup-node's registry-url): its token, else OIDC
            env_names = self.st.config_env.get(config, ("NODE_AUTH_TOKEN",) if config == "npmrc" else ())
            held.setdefault(reg, self.env_routes(env, env_names) or self.fallback(reg, oidc_form=True))
        for reg, routes in sorted(held.items()):
            if reg not in skip and not any(p.registry == reg and p.step == step.index for p in self.out):
                names = ", ".join(sorted({r.name or r.kind for r in routes}))
                self.emit(step, reg, None, routes, "probable", f"{reason} holding {names}", "probable", line)

    def unrecognised(self, step: StepView, cmd: Command, env: Mapping[str, str], line: int | None) -> None:
        """A command the catalogue does not know: a probable publish when the script it runs is named
        like a release (``publish.mjs``, ``nx-release``, ``make release``) and the job holds a
        credential for a registry, holds a GitHub token (a release), logged in to a registry, or can
        publish by OIDC to the registry of the tool or language that runs it."""
        short = f"runs `{_short(cmd.text)}`"
        if _http_write(cmd):
            # An authenticated write to a registry's HTTP API (`curl -u … -X POST …/distribute`).
            found = self.credentials({}, cmd.text)
            urls = re.findall(r"https?://[^\s'\"]+", cmd.text)
            if not found and urls:
                # a credential whose name says nothing, sent to a registry's own host (Gemfury's push URL)
                reg = self.registry_id(self.refs.expand(urls[-1], env))
                routes = [r for r in self.routes(cmd.text, env, True, "command line") if r.kind != "unknown"]
                if reg and not reg.startswith("other:") and routes:
                    found = {reg: routes}
            for reg, routes in sorted(found.items()):
                self.emit(step, reg, None, routes, "probable", f"{short} with its credential", "probable", line)
            return
        ws = run_words(cmd)
        while ws and (ws[0] in _SOURCE_WORDS or ws[0] in _SHELL_KEYWORDS or ws[0] == "sudo"):
            ws = ws[1:]
            while ws and ws[0] in ("-E", "-H", "-n", "--preserve-env"):
                ws = ws[1:]  # `sudo -E chown …`: what sudo runs
        # (`wget URL` downloads; only `--post-file`, `--body-file` or `--method` send anything; a container tool's
        # local work, `docker tag`, `docker manifest create`, leaves any push to a command of its own)
        downloads = ws[:1] == ["wget"] and not any(w.startswith(("--post-file", "--body-file", "--method")) for w in ws)
        # (`curl -L URL -o file`: a download, whatever the URL says; only a body, a form, a file or a method sends)
        downloads = downloads or (ws[:1] == ["curl"] and not any(_CURL_SENDS.fullmatch(w.split("=", 1)[0]) for w in ws))
        # (`semantic-release-cargo --version`: a tool asked for its version or help does nothing else)
        downloads = downloads or (len(ws) >= 2 and all(w in _ONLY_ASKS for w in ws[1:]))
        local = ws[:1] in (["docker"], ["podman"]) and (
            " ".join(ws[1:2]) in _LOCAL_CONTAINER_WORK or " ".join(ws[1:3]) in _LOCAL_CONTAINER_WORK
        )
        if not ws or ws[0].lower() in _FILE_TOOLS or ws[0] in _SHELL_WORDS or ws[0] in ("}", ")") or downloads or local:
            # `cat`, `echo`, `sha256sum`, `Out-File`, a loop's header, a function's closing brace: whatever the
            # step is named, these publish nothing
            return
        if _only_build_tasks(ws):
            return  # `./gradlew ktlintCheck build`, `mvn verify`: the tasks named say what runs, not the step's name
        names = script_names(cmd)
        # the step's name speaks for a command whose own name says nothing (`npm run build:sandbox`)
        label = step.label if step.label and step.label != step.uses else ""
        reads = any(w in _READ_VERBS for w in cmd.words[1:])
        # (a variable's name says nothing: `docker tag "$SRC" "$IMAGE_PUSH_NAME"` pushes nothing)
        said = _VAR_REF.sub(" ", cmd.text)
        pushes = bool(re.search(r"(?:^|[\s=_\"'.:-])push(?:$|[\s=_:\"'-])", said, re.IGNORECASE))
        pushes = (pushes and not cmd.text.startswith("git ")) or _push_flag(cmd, env)
        named_push = any(image_words().search(n) for n in names) or (
            not [n for n in names if not re.fullmatch(r"[\w.-]*:[\w.-]+|build|run", n)]
            and bool(label)
            and image_words().search(label) is not None
            and _READ_LABEL.search(label) is None  # `Pre-pull testcontainer images`
            and _PAGE_ONLY.search(label) is None
            and _LABEL_NOT_RELEASE.search(label) is None
        )
        # a repository script named for building an image (`./scripts/build-latest-image.sh`), which after a
        # registry login is how the image gets there (TeX Live's images: `docker buildx build --push` inside)
        named_push = named_push or _builds_image(ws[0])
        # `make snapshot` with a registry login or a cloud sign-in pushes a snapshot build (karpenter's
        # hack/release/snapshot.sh to its snapshot ECR); without one it is a test's snapshots
        named_push = named_push or any(re.fullmatch(r"snapshots?", n, re.IGNORECASE) for n in names)
        logged_in_push = bool(self.st.logins) and not reads and (pushes or named_push)
        # signed in to a cloud (its registry's credential) without a registry login: what a push-like
        # command pushes goes to that cloud's image registry (`make push-helm-chart` after
        # configure-aws-credentials)
        # configure-aws-credentials); a package tool's release script (`npm run release upload macos`) or a script
        # named for a package format (`./scripts/publish-deb`) uploads to the cloud's storage, not its image registry
        packages = registry_from_runner(_strip_wrappers(cmd)) is not None or any(
            _PACKAGE_FILES.search(n) for n in names
        )
        cloud_push = (
            not logged_in_push
            and bool(self.st.clouds)
            and not reads
            and (pushes or named_push)
            and (not packages or any(_CLOUD_IMAGE.search(n) for n in [*names, label]))
        )
        # (a release tool told to do something else: `release-plz release-pr` opens the release pull request)
        told = [w for w in run_words(cmd)[1:2] if not w.startswith(("-", "$"))]
        release_named = any(release_words().search(n) for n in names) and not any(
            _NOT_A_RELEASE.search(w) and not _AND_PUBLISH.search(w) for w in told
        )
        # a step its author named a release (`name: Build and Publish` over `./Build.ps1`), or an upload
        # (`name: Upload to Docker Hub` over `source ./.multi_arch_docker`): with a registry's credential
        # in hand, below, or a GitHub token and GitHub named (`name: Upload to GitHub`)
        label_says = (
            bool(label)
            and release_words().search(label) is not None
            and _PAGE_ONLY.search(label) is None
            and _LABEL_NOT_RELEASE.search(label) is None
            and _runs_script(cmd)
        )
        label_github = label_says and _GITHUB_NAMED.search(label) is not None
        # (a word cut inside `$( … )` holds spaces: `curl -X POST https://…` is curl, no script)
        for form, words in _script_word_forms():
            # a script named for a tool's publishing verb, with that tool's credential in the step (`npm run web-sign`)
            wrapped = self.env_routes(env, form.credential_env)
            if wrapped and any(words.search(n) for n in names):
                why = f"{short} with {_label(form.registry)}'s credential ({form.name})"
                self.emit(step, form.registry, None, wrapped, "probable", why, "probable", line)
        own_script = _script_path((ws[0].split() or [""])[0])
        handed = self._handed_registry_credential(cmd, env) if own_script else None
        if handed is not None:
            # a repository script handed a registry's login on its command line (`ci/container.ps1
            # $CI_REGISTRY $CI_REGISTRY_USER $CI_REGISTRY_PASSWORD …`) logs in there to push
            reg, routes = handed
            self.emit(
                step, reg, None, routes, "probable", f"{short} given {_label(reg)}'s credential", "probable", line
            )
            return
        if not (logged_in_push or cloud_push or release_named or label_says or _build_entry(cmd)):
            return
        before = len(self.out)
        self.probable(step, cmd.text, env, short, line)
        held_here = len(self.out) > before
        if held_here:
            # a language's own release tool beside the credentials it holds may also publish to that language's
            # registry by Trusted Publishing (electric-sql's `pnpm ci:publish`: npm by OIDC, Hex by its key)
            held = {p.registry for p in self.out[before:]}
            self._oidc_guess(step, cmd, names, short, line, skip=held)
            if not (logged_in_push or release_named):
                return
            # and to the registries the job logged in to (dive's `make ci-release`: goreleaser with a Homebrew tap's
            # token in hand, after logins to Docker Hub and GHCR)
        if release_named and not held_here:
            # a release script told which registry (`publish.raku --target=aur`) after the step stored that registry's
            # credential where the script finds it (`echo "${{ secrets.AUR_SSH_KEY }}" > ~/.ssh/aur`)
            stored = self.credentials({}, step.script or "")
            for reg in dict.fromkeys(r for n in names if (r := registry_from_secret_name(n.upper())) in stored):
                why = f"{short}, for {_label(reg)}, after the step stored its credential"
                self.emit(step, reg, None, _once(stored[reg]), "probable", why, "probable", line)
            if len(self.out) > before:
                return
        if logged_in_push:
            logins = list(self.st.logins)
            if any(lg.host for lg in logins):
                # a Docker config written from a variable, naming no registry (GitLab's DOCKER_AUTH_CONFIG, which
                # runners use to pull), says nothing of where a push goes beside logins that name theirs
                logins = [lg for lg in logins if lg.host or lg.via != "docker config.json"]
            emitted = {p.registry for p in self.out[before:]}
            for lg in {lg.registry: lg for lg in logins}.values():
                if lg.registry in emitted:
                    continue
                why = f"{short} after logging in to {_label(lg.registry)}"
                self.emit(step, lg.registry, None, lg.routes, "probable", why, "probable", line)
            # `make release` holding a GitHub token may make the release too (goreleaser): go on
        elif cloud_push:
            for cloud, routes in sorted(self.st.clouds.items()):
                image_registry = cloud_image_registry(cloud)
                if image_registry is not None:
                    why = f"{short} after signing in to {cloud.upper()} ({_label(image_registry)})"
                    self.emit(step, image_registry, None, routes, "probable", why, "probable", line)
            # a release script may upload to GitHub Releases as well: go on
        elif not (release_named or label_says):
            return  # a build script is a publish only with a registry's credential in hand (above)
        gh = [r for r in self.env_routes(env, ("GH_TOKEN", "GITHUB_TOKEN")) if self.token_can("github-releases", r)]
        if self.refs.ci == "github":  # the job's token handed over on the command line (`create_release "$TOKEN" …`)
            gh += [
                r
                for r in self.routes(cmd.text, env, in_script=True, detail="command line")
                if r.kind == "job_token" and self.token_can("github-releases", r) and r not in gh
            ]
        no_github = any(re.fullmatch(r"--no-github(?:[.-]release)?", w) for w in cmd.words)
        # a script, or a step its author named so (`name: Publish release` over `script/publish`), that makes
        # a release while holding the job's GitHub token
        label_release = label_says and _MAKES_RELEASE.search(label) is not None
        if gh and not no_github and (any(re.search(r"release", n) for n in names) or label_github or label_release):
            self.emit(
                step, "github-releases", None, gh, "probable", f"{short} holding a GitHub token", "probable", line
            )
            if (
                not self.oidc
                or self.st.clouds
                or self.st.oidc_explained
                or registry_from_runner(_strip_wrappers(cmd)) is None
            ):
                return
            # run by a language's own tool (`pnpm release`, not `./scripts/release.sh`) with an OIDC token
            # no cloud sign-in uses: that language's registry by Trusted Publishing too (msw publishes to
            # npm and makes the GitHub release; uv's release.sh, run beside a token broker, only bumps)
        sub = [w for w in run_words(cmd)[1:2] if not w.startswith(("-", "$"))]  # a tool's sub-command
        if (
            self.refs.ci == "gitlab"
            and not any(_NOT_A_RELEASE.search(w) for w in sub)  # `release-helper finish-milestone …`
            and any("release" in n for n in (names[1:] or names))
        ):
            # a release tool's `create-release` holding a GitLab API token (`release-helper create-release
            # $CI_PROJECT_ID $PROJECT_TOKEN`): the project's GitLab release
            gl = [
                r
                for r in self.routes(cmd.text, env, True, "command line")
                if r.kind == "job_token" or (r.kind in ("secret", "variable") and _GITLAB_TOKEN.search(r.name))
            ]
            if gl:
                why = f"{short} holding a GitLab token"
                self.emit(step, "gitlab-releases", None, gl, "probable", why, "probable", line)
                return
        if logged_in_push or cloud_push:
            return  # where it pushes is said above; no registry guessed from the language besides
        # (a label alone guesses nothing; nor does an OIDC token an attestation of the job explains)
        self._oidc_guess(step, cmd, names, short, line, skip=set())

    def _oidc_guess(
        self, step: StepView, cmd: Command, names: list[str], short: str, line: int | None, skip: set[str]
    ) -> None:
        """A release-named command run by a language's own tool in a job with an OIDC token nothing else explains:
        a probable publish to that language's registry by Trusted Publishing (not to one of ``skip``)."""
        told = [w for w in run_words(cmd)[1:] if not w.startswith(("-", "$"))]
        given = told[told.index(names[0]) + 1 :][:1] if names and names[0] in told else []
        if (
            self.oidc
            and not self.st.oidc_explained
            and any(publish_words().search(n) for n in names)
            # (nor a release tool given a sub-command that is not a release: `npm run release install macos`)
            and not any(_NOT_A_RELEASE.search(w) or w in ("get", "upload") for w in given)
        ):
            guess = registry_from_runner(_strip_wrappers(cmd)) or (self.st.setups[-1] if self.st.setups else None)
            if guess is not None and guess not in skip and oidc_publishing(guess, self.refs.ci):
                routes = [Route("oidc", guess, "the job's OIDC token (Trusted Publishing)")]
                why = f"{short} (a {_label(guess)} release tool, with the job's OIDC token)"
                self.emit(step, guess, None, routes, "probable", why, "probable", line)

    # -- git repositories people install from ----------------------------------------------------

    def checkout(self, step: StepView) -> None:
        """``actions/checkout`` of another repository: a packaging repository (a Homebrew tap) checked out
        with the token or SSH key it is given, which a later ``git push`` uses."""
        env = {**step.env, **self.st.exported}
        given = [
            r
            for k in ("token", "ssh-key")
            for r in self.routes(step.inputs.get(k, ""), env, in_script=False, detail=f"actions/checkout with.{k}")
            if r.kind not in ("unknown", "job_token")  # the job's own token cannot push to another repository
        ]
        self.remote("github.com/" + step.inputs["repository"].strip(), env, given, "origin")

    def remote(self, word: str, env: Mapping[str, str], given: Sequence[Route], name: str) -> _Remote | None:
        """Record ``word`` (a remote URL or ``github.com/owner/name``) when it is a packaging repository."""
        expanded = self.refs.expand(word, env)
        registry = packaging_registry(word) or packaging_registry(expanded)
        if registry is None:
            return None
        # a credential written into the URL (`https://${TOKEN}@github.com/o/homebrew-tap.git`) is what pushes
        carried = [
            r for r in self.routes(word, env, in_script=True, detail="in the remote's URL") if r.kind != "unknown"
        ]
        found = _Remote(registry, _URL_USERINFO.sub("//", expanded), name, tuple(dict.fromkeys([*given, *carried])))
        self.st.remotes.append(found)
        return found

    def git_command(self, step: StepView, cmd: Command, env: Mapping[str, str], line: int | None) -> None:
        """``git clone``, ``git remote add``, ``gh repo clone`` of a packaging repository, and ``git push``."""
        ws = list(cmd.words)
        while ws and (_ASSIGNMENT.fullmatch(ws[0]) or ws[0] == "sudo"):
            ws = ws[1:]
        if ws[:3] == ["gh", "repo", "clone"] and len(ws) > 3:
            self.remote(ws[3] if "://" in ws[3] or "@" in ws[3] else "github.com/" + ws[3], env, (), "origin")
            return
        if ws[:1] != ["git"]:
            return
        i = 1
        while i < len(ws) and ws[i].startswith("-"):  # git's own options: `git -C dir push`
            i += 2 if ws[i] in ("-C", "-c") else 1
        sub, args = (ws[i], ws[i + 1 :]) if i < len(ws) else ("", [])
        if sub == "clone":
            origin = flag_values(tuple(args), ("-o", "--origin"))
            for w in args:
                self.remote(w, env, (), origin[0] if origin else "origin")
        elif sub == "remote" and args[:1] in (["add"], ["set-url"]) and len(args) > 2:
            named = [a for a in args[1:] if not a.startswith("-")]
            if len(named) >= 2:
                self.remote(named[1], env, (), named[0])
        elif sub == "push":
            self.git_push(step, cmd, args, env, line)

    def git_push(self, step: StepView, cmd: Command, args: list[str], env: Mapping[str, str], line: int | None) -> None:
        if has_flag(tuple(args), ("--dry-run", "-n")):
            return
        given = [a.split("=", 1)[1] for a in args if a.startswith("--repo=")]
        positional = given + [a for a in args if not a.startswith("-")]
        target = positional[0] if positional else ""
        if any(_review_branch(ref) for ref in positional[1:]):
            return  # a branch for a pull request (`git push origin update-flatpak`): reviewed before it ships
        named = self.remote(target, env, (), "") if target else None
        if named is not None:
            self.st.git_pushes.append(_GitPush(step, line, cmd.text, (named,), True))
            return
        if _REMOTE_URL.search(target):
            return  # pushed to another repository, named by its URL
        # `git push` pushes to origin (the packaging repository a clone or checkout made); `git push aur`
        # to the remote added under that name
        remotes = tuple(r for r in self.st.remotes if r.name == (target or "origin"))
        if remotes:
            self.st.git_pushes.append(_GitPush(step, line, cmd.text, remotes, False))

    def packaging_pushes(self, steps: Sequence[StepView]) -> None:
        """Each push to a packaging repository, with the credential that reaches it: one in its URL or
        given to the checkout, else a secret of the job named for that registry (``AUR_SSH_KEY``), else an
        SSH key the job loads, for an SSH remote."""
        if not self.st.git_pushes:
            return
        hinted: dict[str, list[Route]] = {}
        ssh: list[Route] = []
        for _, key, r in self._stored_refs(steps):
            reg = registry_from_secret_name(r.name)
            if reg is not None:
                hinted.setdefault(reg, []).append(Route(r.kind, r.name, "named for the registry"))
            elif _SSH_KEY.search(r.name) or _SSH_KEY.search(key):
                ssh.append(Route(r.kind, r.name, "an SSH key the job loads"))
        for push in self.st.git_pushes:
            for remote in {r.registry: r for r in push.remotes}.values():
                ssh_remote = not re.match(r"https?://|github\.com/", remote.remote)
                named = hinted.get(remote.registry, [])
                # of the names that say the registry, those that also say a credential (FLATHUB_DEPLOY_KEY,
                # not the DEPLOY_FLATPAK switch beside it)
                named = [r for r in named if _CREDENTIAL_WORD.search(r.name)] or named
                routes = list(remote.routes) or named or (ssh if ssh_remote else [])
                why = f"runs `{_short(push.text)}` to {remote.remote} ({_label(remote.registry)})"
                confidence: Confidence = "certain" if push.named else "probable"
                form = "git push"
                self.emit(push.step, remote.registry, None, routes, form, why, confidence, push.line)
        self.out.sort(key=lambda p: p.step)

    # -- held -------------------------------------------------------------------------------------

    def held(self, steps: Sequence[StepView]) -> None:
        """Registry credentials the job logs in with or reads by a registry's name, that no publish of
        the job uses: the job holds them all the same."""
        used = {(p.registry, r.kind, r.name) for p in self.out for r in p.routes}
        # (a login to a host known only at run time whose credential a push used went to that push's registry)
        used_anywhere = {(r.kind, r.name) for p in self.out if p.confidence != "held" for r in p.routes}
        last = steps[-1] if steps else None
        for lg in self.st.logins:
            stored = [
                r
                for r in lg.routes
                if r.kind in ("secret", "variable")
                and (lg.registry, r.kind, r.name) not in used
                and not (lg.registry == "other:*" and (r.kind, r.name) in used_anywhere)
            ]
            if stored and last is not None:
                self._hold(last, lg.registry, stored, lg.via, f"logs in to {_label(lg.registry)} with it")
                used |= {(lg.registry, r.kind, r.name) for r in stored}
        for step, _, r in self._stored_refs(steps):
            reg = registry_from_secret_name(r.name)
            if (
                reg
                and r.name not in self.st.not_credentials
                and (reg, r.kind, r.name) not in used
                and not any(p.registry == reg and p.confidence != "held" for p in self.out)
            ):
                self._hold(
                    step, reg, [Route(r.kind, r.name, "named for the registry")], "secret name", f"reads {r.name}"
                )
                used.add((reg, r.kind, r.name))

    def _stored_refs(self, steps: Sequence[StepView]) -> Iterator[tuple[StepView, str, Route]]:
        """Every stored secret or variable the steps name, in their environment, inputs or script: (step,
        the env or input name it is given under, "" in the script, route)."""
        for step in steps:
            for key, text in (*step.env.items(), *step.inputs.items(), ("", step.script or "")):
                for r in self.refs.routes(text, step.env, in_script=not key):
                    if r.kind in ("secret", "variable"):
                        yield step, key, r

    def _hold(self, step: StepView, registry: str, routes: list[Route], form: str, reason: str) -> None:
        self.out.append(
            Publish(
                registry,
                None,
                tuple(routes),
                "held",
                form,
                f"{reason} (no publish seen in this job)",
                step.index,
                step.line,
            )
        )

    # -- probable ---------------------------------------------------------------------------------

    def probable(
        self,
        step: StepView,
        text: str,
        env: Mapping[str, str],
        reason: str,
        line: int | None,
        inputs: Mapping[str, str] | None = None,
    ) -> None:
        """A release-like step that holds a registry-shaped credential: a probable publish there."""
        found = self.credentials(env, text, inputs)
        certain = {(p.registry, p.step) for p in self.out}
        for reg, routes in sorted(found.items()):
            if (reg, step.index) in certain:
                continue
            names = ", ".join(sorted({r.name for r in routes}))
            self.emit(
                step,
                reg,
                None,
                routes,
                "probable",
                f"{reason} while holding {names}",
                confidence="probable",
                line=line,
            )


#: Qualifiers that make a release-named script something else (notes, tests, preparation, reading).
_NOT_A_RELEASE = re.compile(
    r"notes|changelog|tests?\b|tests?[_-]|prepare|draft|verify|check|(?:^|[_:-])pr(?:$|[_:-])|version|bump|comment"
    r"|notify|list|download|view|info|lto|build|please|drafter|cleanup|delete|status|dry|install|generate|readme"
    # docker-pushrm pushes a README to the image's page, no image; a release's milestone and issues are tracking
    r"|pushrm|milestone|issues|detect|validat"
    # a script that fetches releases or images reads them (moto's `scripts/emr_get_releases.py` after an AWS sign-in)
    r"|(?:^|[_:-])(?:get|fetch|pull)(?:$|[_:-])"
    # a documentation site (`sbt docs/docusaurusPublishGhpages`, `publish-docs`)
    r"|pages|docusaurus|(?:^|[_:-])(?:docs?|site)(?:$|[_:-])",
    re.IGNORECASE,
)
#: A name that says it publishes after something else (`build-and-publish`, `test_and_release`).
_AND_PUBLISH = re.compile(r"(?:^|[_:-])and[_:-](?:publish|release|deploy|upload|push)", re.IGNORECASE)
_RUNNER_SUB = frozenset({"run", "exec", "x", "dlx", "run-script", "task"})
#: Container sub-commands that work on the machine only (`docker tag`, `docker manifest create`).
_LOCAL_CONTAINER_WORK = frozenset({"tag", "pull", "images", "rmi", "inspect", "load", "save", "manifest create",
                                   "manifest rm", "manifest inspect", "manifest annotate", "image tag", "image pull"})  # fmt: skip
#: pixi's options that take a value (its environment, its manifest).
_PIXI_VALUE_FLAGS = frozenset({"-e", "--environment", "--manifest-path"})
_SHELL_WORDS = frozenset({"for", "while", "until", "if", "then", "else", "elif", "case", "do", "done", "fi", "read",
                          "local", "declare", "return", "[[", "function", "unset", "command", "type", "hash", "shift",
                          "trap", "wait", "readonly", "exit", "break", "continue", "true", "false", ":"})  # fmt: skip
#: Sub-commands that only read: `gh release list`, `… download`.
_READ_VERBS = frozenset({"list", "view", "download", "delete", "inspect", "verify", "status", "show", "get", "ls"})
#: A step name naming GitHub (its releases), not GitHub Pages or Packages.
_GITHUB_NAMED = re.compile(r"\bgithub\b(?![\s_-]*(?:pages|packages|container|registry|ghcr))", re.IGNORECASE)
#: Tools whose arguments are files or text, never a script or target they run: `cat dist/releasetag.txt`
#: and `Out-File "$env:RELEASE_FILE.sha1sum"` name no release step.
_FILE_TOOLS = frozenset({"cat", "echo", "printf", "ls", "cp", "mv", "rm", "rimraf", "mkdir", "touch", "chmod", "chown", "ln",
                         "test", "[", "grep", "sed", "awk", "jq", "yq", "head", "tail", "tee", "cut", "sort", "wc",
                         "find", "tar", "zip", "unzip", "gzip", "sha256sum", "sha512sum", "sha1sum", "shasum",
                         "md5sum", "basename", "dirname", "realpath", "readlink", "diff", "cd", "pushd", "export",
                         "out-file", "set-content", "get-content", "add-content", "write-output", "write-host",
                         "copy-item", "move-item", "remove-item", "new-item", "get-filehash", "compress-archive",
                         # the shell's own: a test, a flag, a loop's end run nothing of their own
                         "[[", "set", "true", "false", ":", "fi", "done", "esac", "exit", "return", "shift", "sleep",
                         "wait", "break", "continue"})  # fmt: skip
#: A `--push` flag (docker buildx's, a build script's), also when an environment variable hands it on.
_PUSH_FLAG = re.compile(r"(?:^|\s)--push(?:=true)?(?=\s|$)")
_TRUE = frozenset({"true", "yes", "1", "on"})
#: Keywords before the command a line runs (`if [ … ]`, `then make push`): what follows is the command.
_SHELL_KEYWORDS = frozenset({"if", "then", "elif", "else", "do", "while", "until", "!"})
#: Words that run what follows in this shell or a subshell: `( source ./.multi_arch_docker && … )`.
_SOURCE_WORDS = frozenset({"(", "{", "source", "."})
#: A variable reference in a word: shell `$X`, `${X}`, PowerShell `$env:X`, `${env:X}`, GitHub `${{ … }}`.
_VAR_REF = re.compile(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$(?:env:)?\w+", re.IGNORECASE)


#: The user and password part of a URL (`https://x-access-token:${T}@github.com/…`).
_URL_USERINFO = re.compile(r"//[^/@\s]*@")
#: A word that is a remote's URL rather than its name: `https://…`, `git@host:…`, `ssh://…`.
_REMOTE_URL = re.compile(r"://|^[\w.-]+@[\w.-]+:|\.git$")
#: A secret, or the input handing it over, that holds an SSH key (`AUR_SSH_PRIVATE`, `ssh-private-key`).
_SSH_KEY = re.compile(r"SSH|DEPLOY_?KEY|PRIVATE_?KEY", re.IGNORECASE)
#: A name that says it holds a credential.
_CREDENTIAL_WORD = re.compile(r"KEY|TOKEN|PASS|SECRET|PRIVATE|AUTH|CRED|PAT\b", re.IGNORECASE)
#: Where a push lands when it lands on the default branch (or makes a tag).
_DEFAULT_BRANCHES = frozenset({"master", "main", "head", "trunk"})


def _review_branch(refspec: str) -> bool:
    """Whether a refspec pushes a literal branch other than the default one (``update-1.2``,
    ``HEAD:bot/bump``): a branch for a pull request. Variables and tags say nothing."""
    dest = refspec.lstrip("+").rsplit(":", 1)[-1].removeprefix("refs/heads/")
    if not dest or "$" in dest or dest.startswith("refs/tags/") or re.fullmatch(r"v?\d[\w.+-]*", dest):
        return False
    return dest.lower() not in _DEFAULT_BRANCHES


#: A comparison inside a GitHub expression (`vars.USE_TESTPYPI == 'true'`, `secrets.T != ''`): its operands
#: are tested, never handed over.
COMPARED = re.compile(
    r"(?:'(?:[^']|'')*'|[\w.\[\]'\"-]+)\s*(?:==|!=)\s*(?:'(?:[^']|'')*'|[\w.\[\]\"-]+)|\b(?:contains|startsWith|endsWith)\([^()]*\)"
)


def _input_values(value: str) -> list[str]:
    """The values an input can take: those of the string literals of a value that is one GitHub
    expression (``${{ cond && 'release' || 'release --snapshot' }}``), else the value itself; literals
    compared in a condition (``vars.X == 'true'``) are not among them."""
    m = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", value, re.DOTALL)
    literals = re.findall(r"'((?:[^']|'')*)'", COMPARED.sub(" ", m.group(1))) if m else []
    if not m:
        # an expression inside a longer value (Pomerium's `release ${{ … && '--snapshot' || '' }} --clean`): the value
        # with each of its literals in its place
        for inner in re.finditer(r"\$\{\{(.*?)\}\}", value, re.DOTALL):
            found = re.findall(r"'((?:[^']|'')*)'", COMPARED.sub(" ", inner.group(1)))
            if found:
                head, tail = value[: inner.start()], value[inner.end() :]
                return [head + lit.replace("''", "'") + tail for lit in found]
    return [lit.replace("''", "'") for lit in literals] or [value]


def run_words(cmd: Command) -> list[str]:
    """A command's words without its ``NAME=value`` assignments: what it runs, and with what. A command
    that only assigns a command's output (``TAG=$(cat dist/releasetag.txt)``, which the word splitter
    cuts inside the parentheses) runs that command; a subshell's parenthesis (``(echo …``) is no word."""
    ws = list(cmd.words)
    if ws and _ASSIGNMENT.fullmatch(ws[0]) and "$((" in ws[0]:
        return []  # `days=$(( (now - then) / 86400 ))` is arithmetic: it runs nothing
    if ws and _ASSIGNMENT.fullmatch(ws[0]) and "$(" in ws[0] and ws[0].count("(") > ws[0].count(")"):
        ws = [ws[0].split("$(", 1)[1], *ws[1:]]
        ws[-1] = ws[-1].removesuffix(")")
    elif ws and ws[0].startswith("(") and len(ws[0]) > 1 and ws[0][1] not in "(":
        ws[0] = ws[0][1:]
    return [w for w in ws if w and not _ASSIGNMENT.fullmatch(w)]


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.DOTALL)
#: An assignment in front of a command that switches its publishing off (`PUBLISH=false make release`, Velero's
#: goreleaser check; `DRY_RUN=1 ./release.sh`).
_OFF_SWITCH = re.compile(
    r"""(?i)(?:(?:PUBLISH|PUSH|RELEASE|UPLOAD|DEPLOY)=["']?(?:false|no|0|off)|DRY_?RUN=["']?(?:true|yes|1|on))["']?"""
)


def _switched_off(cmd: Command) -> bool:
    """A command run with an assignment in front of it that switches its publishing off."""
    for w in cmd.words:
        if not _ASSIGNMENT.fullmatch(w):
            return False
        if _OFF_SWITCH.fullmatch(w):
            return True
    return False


#: The path of a GitLab instance's package API (`/api/v4/projects/<id>/packages/<format>`).
_GITLAB_PACKAGES_API = re.compile(r"/api/v4/projects/[^/\s]+/packages/")
#: A GitLab API token by its name (a project, group or personal access token kept as a CI/CD variable).
_GITLAB_TOKEN = re.compile(
    r"GITLAB|(?:^|_)GL_|PROJECT_(?:ACCESS_)?TOKEN|GROUP_(?:ACCESS_)?TOKEN|PRIVATE_TOKEN", re.IGNORECASE
)
#: A step name that says it makes the release (`Publish release`, `Create the release`), not one that only
#: mentions one (`Ensure release binary is runnable`, `Trigger patch release`).
_MAKES_RELEASE = re.compile(r"\b(?:publish|create|make|cut|perform)\w*\s+(?:(?:the|a|new)\s+)?release\b", re.IGNORECASE)
#: A command named in parts (``upload_release_file``, ``release-helper``): a project's own function or tool.
_COMPOUND = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)+")
#: What a script file's name ends with (``./script/github-release.py``, ``Build.ps1``).
_SCRIPT_EXTENSIONS = (".sh", ".bash", ".ps1", ".py", ".js", ".mjs", ".cjs", ".ts", ".cmd", ".bat", ".rb", ".pl")


def _script_path(word: str) -> bool:
    """A word that names a repository's script: a path (``ci/x.ps1``, ``.\\build.cmd``) or a script file."""
    return (("/" in word or "\\" in word) and "://" not in word) or word.lower().endswith(_SCRIPT_EXTENSIONS)


#: A workspace file a github-script loads (`require('./scripts/x.js')`, `require(`${process.env.GITHUB_WORKSPACE}/x.cjs`)`,
#: `await import('${{ github.workspace }}/x.mjs')`), not a package (`require('fs')`).
_REQUIRED = re.compile(
    r"""\b(?:require|import)\(\s*[`'"](?:\$\{\s*process\.env\.GITHUB_WORKSPACE\s*\}/|\$\{\{\s*github\.workspace\s*\}\}/|\./|\.\./)"""
    r"""([^`'"$]+)[`'"]"""
)


@cache
def _script_word_forms() -> tuple[tuple[CommandForm, re.Pattern[str]], ...]:
    """Command rows a project's script can wrap, with the words of such a script's name."""
    return tuple((f, re.compile(f.script_words, re.IGNORECASE)) for f, _ in command_forms() if f.script_words)


def _spelled_word(word: str, expanded: str) -> str:
    """A command's word with its variables in place, quoted as one word; as written when the value holds
    shell syntax (a value set from a command substitution: `artifactUrl=$(curl … | jq .url)`)."""
    if re.search(r"[$`|;&<>()]", expanded.replace("${", "").replace("*", "")) or not expanded:
        return shlex.quote(word)
    return shlex.quote(expanded)


def _required_script(script: str) -> str | None:
    """The first workspace file a github-script's script loads, or None."""
    m = _REQUIRED.search(script)
    return m.group(1) if m else None


def script_names(cmd: Command) -> list[str]:
    """The names of what a command runs: the script or target after its runner (``npm run ci-publish``
    → ``ci-publish``, ``./scripts/publish.mjs`` → ``publish``, ``make release`` → ``release``, ``tox -e
    X`` → ``X``), release-like ones only when no qualifier says otherwise (``release-notes``)."""
    ws = run_words(cmd)
    while (
        ws
        and (
            ws[0] in ("sudo", "env", "time", "exec", "npx", "bunx", "uvx")
            or ws[0] in _SOURCE_WORDS
            or ws[0] in _SHELL_KEYWORDS  # `if make releaseCocoaPods; then`
            or ws[:2] == ["bundle", "exec"]
        )
    ):
        ws = ws[2:] if ws[:2] == ["bundle", "exec"] else ws[1:]
    out: list[str] = []
    if not ws or ws[0] in _SHELL_WORDS or ws[0].lower() in _FILE_TOOLS or any(w in _READ_VERBS for w in ws[1:]):
        return out
    first = ws[0]
    if "/" in first or first.endswith((".sh", ".py", ".js", ".mjs", ".ts")):
        out.append(first)
    elif _COMPOUND.fullmatch(first) and release_words().search(first):
        out.append(first)  # a function a sourced script defined, or a project's own tool (`create_release`)
    rest = ws[1:]
    if rest and rest[0] in _RUNNER_SUB:
        rest = rest[1:]
    if first == "pixi":
        # pixi's `-e` names the environment the task runs in, not the task (`pixi run -e build publish-conda …`)
        rest = [
            w
            for i, w in enumerate(rest)
            if w not in _PIXI_VALUE_FLAGS and (i == 0 or rest[i - 1] not in _PIXI_VALUE_FLAGS)
        ]
    for i, w in enumerate(rest):
        if w in ("-e", "-s", "--session", "--env", *_TARGET_FLAGS) and i + 1 < len(rest):
            out.append(rest[i + 1])
        elif w.startswith(tuple(f"{f}=" for f in _TARGET_FLAGS)):
            out.append(w.split("=", 1)[1])  # Cake's and Nuke's task (`dotnet run/docker.dll --target=DockerPublish`)
    if first in _MAKES:
        # make's targets: past its flags' values (`make -C backend -j 4 docker-publish`) and assignments
        out += _make_targets(rest)
        rest = []
    elif first == "nix" and ws[1:2] == ["run"]:
        # a flake's app (`nix run --option warn-dirty false .#push-images -- ghcr.io/acme/app`)
        out += [w.split("#", 1)[1] for w in rest if "#" in w and not w.startswith("#")][:1]
        rest = []
    positional = [w for w in rest if not w.startswith("-")]
    # a script file among them is what runs, past a flag's value (`uv run --only-group script ./x.py`)
    files = [w for w in positional if w.lower().endswith(_SCRIPT_EXTENSIONS) and not w.startswith(("*", "$"))]
    out += files[:1] or positional[:1]
    plain = [_VAR_REF.sub("", w) for w in out]
    stems = [re.sub(r"\.[A-Za-z0-9]+$", "", w.rstrip("/").rsplit("/", 1)[-1]) for w in plain]
    stems = [_CAMEL.sub("-", n) for n in stems]  # `DockerPublish` is docker-publish
    # (`build-and-publish` publishes: a qualifier before "and publish" says what else it does)
    return [n for n in stems if n and (not _NOT_A_RELEASE.search(n) or _AND_PUBLISH.search(n))]


def _builds_image(first: str) -> bool:
    """A repository script named for building an image: "build" with an image word as the last word after
    it (`scripts/build-base-image.sh`, `build_docker.sh`) or, with nothing after it, before it
    (`docker-build.sh`); not what is built in a container (`docker-build-package`), not a test image."""
    if not _script_path(first):
        return False
    stem = _CAMEL.sub("-", re.sub(r"\.[A-Za-z0-9]+$", "", first.rstrip("/").rsplit("/", 1)[-1]))
    words = [w for w in re.split(r"[-_.\s]+", stem.lower()) if w]
    if "build" not in words or _NOT_PUSHED.intersection(words):
        return False
    i = words.index("build")
    after = words[i + 1 :]
    return _IMAGE_WORD.fullmatch(after[-1]) is not None if after else any(_IMAGE_WORD.fullmatch(w) for w in words[:i])


_IMAGE_WORD = re.compile(r"images?|docker|container|oci", re.IGNORECASE)
#: Words of an image-build script whose image stays where it was built.
_NOT_PUSHED = frozenset({"test", "tests", "testing", "e2e", "pr", "check", "verify", "lint", "cache", "dry", "local"})


def _cloud_secret_routes(registry: str, env: Mapping[str, str]) -> list[Route]:
    """The cloud a credential for ``registry`` was read from: a variable named for the registry whose value a cloud
    secret store gave (`SONATYPE_PASS=$(aws ssm get-parameter …)`: the job's AWS identity reads it)."""
    found: list[Route] = []
    for key, value in env.items():
        if registry_from_secret_name(key) != registry:
            continue
        for rx, cloud in cloud_secret_reads():
            if rx.search(value):
                found.append(Route("cloud", cloud, f"{key} read from the {cloud} secret store"))
    return _once(found)


def _once(routes: Iterable[Route]) -> list[Route]:
    """``routes`` with one per credential (kind and name): in first-seen order, the last seen kept."""
    return list({(r.kind, r.name): r for r in routes}.values())


def _each_value(text: str, env: Mapping[str, str], depth: int = 0) -> list[Mapping[str, str]]:
    """``env`` once per value of the first variable ``text`` names (directly or through another variable's value)
    that holds several, one per line (a loop's variable); else ``env`` alone."""
    if depth > 3:
        return [env]
    for name in shell_vars(text):
        value = env.get(name)
        if value is None:
            continue
        if "\n" in value and "$" not in value:
            return [{**env, name: line} for line in value.splitlines() if line.strip()]
        found = _each_value(value, env, depth + 1)
        if len(found) > 1:
            return found
    return [env]


#: An image reference starting with a variable or secret named for a user or an organisation (its namespace).
_USER_FIRST = re.compile(
    r"^(?:\$\{\{\s*(?:secrets|vars|env)\.|\$\{?)[A-Za-z0-9_]*(?:USER(?:NAME)?|NAMESPACE|ORG(?:ANI[SZ]ATION)?|OWNER)"
    r"(?:\s*\}\}|\})?/",
    re.IGNORECASE,
)
#: Words of a script's name (or its step's) that say it works on images, for a push to a cloud's image registry.
_CLOUD_IMAGE = re.compile(r"image|docker|container|(?:^|[^a-z])oci|helm|chart|manifest", re.IGNORECASE)
#: Words of a script's name that say it ships package files (to a bucket or a package repository), not images.
_PACKAGE_FILES = re.compile(
    r"(?:^|[^a-z])(?:deb|rpm|apk|wasm|tarballs?|zip|msi|dmg|installers?|bin|binar(?:y|ies)|s3|bucket|cdn)(?:$|[^a-z])",
    re.IGNORECASE,
)
#: A variable naming a mirror, cache or proxy of images (where a job pulls from).
_MIRROR_VAR = re.compile(r"MIRROR|CACHE|PROXY", re.IGNORECASE)


def _target_registry(form: CommandForm, name: str) -> str:
    """The registry of a repository a command names (see ``CommandForm.target_registries``)."""
    for pattern, registry in form.target_registries.items():
        if re.search(pattern, name, re.IGNORECASE):
            return registry
    return "other:*"


_MAKES = frozenset({"make", "gmake", "$(MAKE)", "${MAKE}", "$MAKE"})
#: make's options that take a value as the next word (`-C dir`, `-f file`, `-j 4`).
_MAKE_VALUE_FLAGS = frozenset({"-C", "--directory", "-f", "--file", "--makefile", "-I", "--include-dir", "-o",
                               "--old-file", "-W", "--what-if", "-l", "--load-average"})  # fmt: skip


def _make_targets(args: list[str]) -> list[str]:
    """The targets of a make command line (``args``: after ``make``)."""
    out: list[str] = []
    skip = False
    for i, w in enumerate(args):
        if skip:
            skip = False
            continue
        if w in _MAKE_VALUE_FLAGS or (w in ("-j", "--jobs") and i + 1 < len(args) and args[i + 1].isdigit()):
            skip = True
        elif not w.startswith("-") and "=" not in w:
            out.append(w)
    return out


#: Public package registries whose commands, given GitLab's job token instead, publish to the project's own
#: package registry (the job token authenticates nowhere else).
_PUBLIC_PACKAGE_REGISTRIES = frozenset({"maven-central", "npm", "pypi", "rubygems", "nuget", "crates"})
#: An environment variable holding a GitHub token (`GITHUB_TOKEN`, `JRELEASER_GITHUB_TOKEN`, `GH_TOKEN`).
_GITHUB_TOKEN_ENV = re.compile(r"(?:\w+_)?(?:GITHUB|GH)_TOKEN")
#: A step name that says it fetches or checks images rather than pushing them.
_READ_LABEL = re.compile(r"pull|fetch|download|scan|inspect|verify|cache|test", re.IGNORECASE)
#: A step name that says it checks or prepares a release rather than making it (feast's `Validate Helm chart prior to
#: publishing`, `Build & version operator-specific release files`).
_LABEL_NOT_RELEASE = re.compile(r"validat|verif|\bcheck|\blint|prior to|(?:&|\band)\s+version\b", re.IGNORECASE)
#: A step name that says what it publishes is a page about the package (`DockerHub Publish Readme`), a web site or
#: its documentation, or files in a bucket (checkstyle's `Publish site to AWS S3`).
_PAGE_ONLY = re.compile(r"readme|description|\b(?:web)?site\b|\bdocs?\b|documentation|\bs3\b|bucket", re.IGNORECASE)
#: Flags that name the task a build tool runs (Cake's and Nuke's `--target`, Cake's bootstrapper `-Target`).
_TARGET_FLAGS = ("--target", "-Target", "-target", "--task")
#: Where a CamelCase name's words meet (`DockerPublish`, `PublishNuget`).
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


#: Commands that run a project's own tasks or scripts (what a step named "Publish" may hand its credential to).
_TASK_RUNNERS = frozenset({"make", "just", "task", "rake", "gradle", "mvn", "ant", "dotnet", "cargo", "python",
                           "python3", "node", "bun", "deno", "pwsh", "powershell", "bash", "sh", "nuke", "cake"})  # fmt: skip


def _runs_script(cmd: Command) -> bool:
    """The command runs a repository script or a task runner (``./Build.ps1``, ``make dist``, ``npm run x``),
    not a shell built-in or a plain tool (``if [ -f … ]``, ``echo``, ``npm dist-tag``)."""
    ws = run_words(cmd)
    while ws and (ws[0] in _SOURCE_WORDS or ws[0] in _SHELL_KEYWORDS):  # (`then make build-…`, `else ./x.sh`)
        ws = ws[1:]
    if not ws or ws[0] in _SHELL_WORDS:
        return False
    first = ws[0]
    if _script_path(first):
        return True
    if first in ("npm", "pnpm", "yarn") and len(ws) > 1 and ws[1] in _RUNNER_SUB:
        return True
    return first in _TASK_RUNNERS or first.startswith("gradlew")


#: Gradle and Maven tasks or goals that upload, sign or release: any other task named on the command line
#: (`build`, `check`, `ktlintCheck`, `verify`, `install`) compiles, tests or packages on this machine.
_UPLOAD_TASK = re.compile(r"publish|upload|release|deploy|close|promote|push|sign|bintray|jreleaser|nexus|sonatype|central",
                          re.IGNORECASE)  # fmt: skip


def _only_build_tasks(ws: Sequence[str]) -> bool:
    """A Gradle or Maven run whose named tasks all stay on the machine (none uploads, signs or releases)."""
    if not ws:
        return False
    tool = ws[0].rsplit("/", 1)[-1].lower()
    if tool not in ("gradle", "gradlew", "gradlew.bat", "mvn", "mvnw", "mvnw.cmd"):
        return False
    tasks = [w for w in ws[1:] if not w.startswith("-")]
    if any(_VAR_REF.search(t) for t in tasks):
        return False  # a task given by a variable may be any task
    return bool(tasks) and not any(_UPLOAD_TASK.search(t) for t in tasks)


def _build_entry(cmd: Command) -> bool:
    """A repository's build entry point (``./build.ps1``, ``./Build.sh``, ``build.cmd``, NUKE, Cake): where
    .NET and other projects keep their push, so a registry credential handed to it is a probable publish."""
    ws = run_words(cmd)
    while ws and ws[0] in ("pwsh", "powershell", "bash", "sh", "-File", "-f", "./"):
        ws = ws[1:]
    if ws[:1] == ["dotnet"] and len(ws) > 1:
        ws = ws[1:] if ws[1].lower() in ("nuke", "cake") else []  # `dotnet build` compiles; it is no entry point
    if not ws:
        return False
    first = ws[0].rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return re.fullmatch(r"build(?:\.(?:ps1|sh|cmd|bat|cake|fsx))?|nuke|cake", first, re.IGNORECASE) is not None


def _http_write(cmd: Command) -> bool:
    """An authenticated upload or POST/PUT/PATCH with curl or wget."""
    ws = run_words(cmd)
    while ws and ws[0] in _SHELL_KEYWORDS:  # `for f in *.deb; do curl …; done`
        ws = ws[1:]
    if not ws or ws[0] not in ("curl", "wget"):
        return False
    method = any(w.upper() in ("POST", "PUT", "PATCH") for w in flag_values(tuple(ws), ("-X", "--request", "--method")))
    upload = any(w in ("-T", "--upload-file", "-F", "--form", "--post-file", "--data-binary") for w in ws)
    auth = any(w in ("-u", "--user", "-H", "--header") for w in ws) or any(_URL_CREDENTIAL.match(w) for w in ws)
    return auth and (method or upload)


#: A URL that carries its credential (``https://$FURY_TOKEN@push.fury.io/acme/``, ``https://u:${PASS}@host``).
_URL_CREDENTIAL = re.compile(r"[\"']?https?://[^/@\s]*\$[^/@\s]*@")


#: Flags of registry logins that take a value (the host is the first other argument).
_LOGIN_FLAGS = ("-u", "--username", "--user", "-p", "--password", "--pass")


def _without_first(cmd: Command) -> Command:
    return Command(cmd.text, cmd.words[1:], cmd.stdin, cmd.line)


_COMPUTED_TAG = re.compile(r":[^/:]*(?:\$\(|`).*$", re.DOTALL)
_ENV_EXPR = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _assignment(cmd: Command) -> bool:
    """A command that only sets shell variables (``IMG="$REG/app:1"``, ``assets+=( "$DIR/a.tgz" )``): it runs
    nothing."""
    ws = cmd.words
    if ws and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\+?=\(.*", ws[0], re.DOTALL):
        return ws[-1].endswith(")")  # an array
    return bool(ws) and all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\+?=.*", w, re.DOTALL) for w in ws)


_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash", "/bin/sh", "/bin/bash", "/usr/bin/env"})


def _inner_script(cmd: Command) -> str | None:
    """The script of ``sh -c "…"`` / ``bash -c "…"`` (also at the end of ``docker run … image``), or of ``su USER -c
    "…"`` (lefthook's AUR jobs run their publish script as another user)."""
    ws = cmd.words
    for i, w in enumerate(ws[:-2]):
        if w in _SHELLS and ws[i + 1] in ("-c", "-ec", "-ce", "-lc", "-xc", "-ex"):
            return ws[i + 2]
    if ws[:1] == ("su",) and "-c" in ws[1:-1]:
        return ws[ws.index("-c") + 1]
    return None


def _without(cmd: Command, inner: str) -> Command:
    """``cmd`` with its ``sh -c`` script left out."""
    return replace(cmd, text=cmd.text.replace(inner, " "), words=tuple(w for w in cmd.words if w != inner))


def _write_targets(cmd: Command) -> list[str]:
    """The files a command writes its output to: ``> f``, ``>> f``, ``>f``, and ``tee [-a] f`` (not
    ``/dev/…``, not a descriptor)."""
    ws = cmd.words
    found: list[str] = []
    for i, w in enumerate(ws):
        if w in (">", ">>", "1>", "1>>") and i + 1 < len(ws):
            found.append(ws[i + 1])
        elif w.startswith((">", "1>")) and not w.startswith((">&", "1>&")):
            rest = w.lstrip("1").lstrip(">")
            if rest:
                found.append(rest)
    if ws[:1] == ("tee",):
        found += [w for w in ws[1:] if not w.startswith(("-", ">"))]
    return [f.strip("'\"") for f in found if f.strip("'\"") and not f.strip("'\"").startswith(("/dev/", "&"))]


def _written_value(cmd: Command, targets: list[str]) -> str | None:
    """The one-word value ``echo``/``printf`` writes to ``targets`` (``echo "$REGISTRY/app:$TAG" >
    image-tag.txt``: an image, a URL, a tag; not a text), if that is what ``cmd`` does."""
    if cmd.words[:1] not in (("echo",), ("printf",)) or cmd.stdin is not None:
        return None
    args = [w for w in cmd.words[1:] if w not in _REDIRECTS and not w.startswith((">", "1>", "2>"))]
    args = [w for w in args if w.strip("'\"") not in targets]
    if cmd.words[0] == "echo":
        args = [w for w in args if w not in ("-n", "-e", "-ne", "-en")]
    elif args and "%" in args[0]:
        args = args[1:]  # printf's format
    value = args[0].strip("'\"") if len(args) == 1 else ""
    return value if value and not re.search(r"\s", value) else None


def script_values(scripts: Iterable[str]) -> dict[str, str]:
    """Values the commands of ``scripts`` write to files, file -> the first value written to it (a GitLab
    pipeline's jobs: one job writes ``image-tag.txt``, an artifact, and the next reads it)."""
    found: dict[str, str] = {}
    for script in scripts:
        for cmd in commands(script):
            targets = _write_targets(cmd)
            value = _written_value(cmd, targets) if targets else None
            if value is not None:
                for t in targets:
                    found.setdefault(t, value)
    return found


_READ_FILE = re.compile(r"\$\(\s*(?:cat\s+|<\s*)([^()\s;|&]+)\s*\)|`\s*cat\s+([^`\s;|&]+)\s*`")


def _with_files(cmd: Command, files: Mapping[str, str]) -> Command:
    """``cmd`` with ``$(cat FILE)`` replaced by what the job (or the pipeline) wrote to FILE."""

    def value(m: re.Match[str]) -> str:
        name = (m.group(1) or m.group(2) or "").strip("'\"")
        for path, v in files.items():
            if name == path or name.rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1]:
                return v
        return m.group(0)

    text = _READ_FILE.sub(value, cmd.text)
    if text == cmd.text:
        return cmd
    parsed = commands(text)
    if len(parsed) != 1:
        return cmd
    return replace(cmd, text=text, words=parsed[0].words)


def _names_file(text: str, path: str) -> bool:
    """Whether ``text`` names the file a script wrote as ``path`` (the same words, or the same file name
    under another folder spelling: ``~/x.key`` and ``$HOME/x.key``)."""
    for p in {path, path.rsplit("/", 1)[-1]}:
        if len(p) >= 4 and re.search(rf"(?:^|[\s'\"=/<(]){re.escape(p)}(?=$|[\s'\")|;&])", text):
            return True
    return False


def _docker_config_entries(text: str) -> list[tuple[str, str]]:
    """Each entry of an ``auths`` object written into a Docker config (JSON, quotes maybe escaped): its key (a host,
    maybe a URL or a variable) and the text of its value (the credential's fields)."""
    start = re.search(r'auths\\?"\s*:\s*\{', text)
    if start is None:
        return []
    # (a value's `${VAR}` braces are no object's)
    return re.findall(r'\\?"([^"\\]+)\\?"\s*:\s*\{((?:[^{}]|\$\{[^{}]*\})*)\}', text[start.end() :])


def _docker_config_host(text: str) -> str | None:
    """The first registry host of an ``auths`` object written into a Docker config (JSON, quotes maybe escaped)."""
    m = re.search(r'auths\\?"\s*:\s*\{\s*\\?"([^"\\$*]+)\\?"', text)
    return host_of(m.group(1)) if m else None


def _label(registry: str) -> str:
    r = registries().get(registry)
    return r.label if r is not None else registry.removeprefix("other:")


def _inline_env(cmd: Command) -> dict[str, str]:
    """``NAME=value cmd`` assignments, and ``docker run -e NAME=value`` (the container's environment)."""
    env: dict[str, str] = {}
    for w in cmd.words:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", w, re.DOTALL)
        if m is None:
            break
        env[m.group(1)] = m.group(2)
    if cmd.words[:2] in (("docker", "run"), ("podman", "run")):
        for value in flag_values(cmd.words, ("-e", "--env")):
            name, eq, v = value.partition("=")
            if eq:
                env[name] = v
    return env


_WRAPPERS = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S*)\s+)*(?:(?:sudo|env|time|exec|npx|bunx|uvx|pnpm\s+(?:exec|dlx)|yarn\s+dlx|pipx\s+run"
    r"|poetry\s+run|hatch\s+run|pdm\s+run|uv\s+run|bundle\s+exec)\s+)*"
)


#: `docker run` options that take a value as the next word.
_RUN_VALUE_FLAGS = frozenset({"-e", "--env", "-v", "--volume", "-w", "--workdir", "--name", "-u", "--user", "--network",
                              "--net", "--platform", "--mount", "-p", "--publish", "--env-file", "-l", "--label",
                              "--add-host", "--cpus", "-m", "--memory", "--pull", "--restart", "--shm-size", "--ulimit",
                              "--cap-add", "--cap-drop", "--device", "--dns", "--hostname", "-h", "--ipc", "--pid",
                              "--security-opt", "--tmpfs", "--volumes-from", "--cidfile", "--log-driver", "--log-opt",
                              "--gpus", "--runtime", "--group-add"})  # fmt: skip


def _container_tool(cmd: Command) -> str | None:
    """The command a ``docker run`` (or ``podman run``) runs in its container when the image is a tool named
    like the image (``ghcr.io/canonical/snapcraft:8_core24 upload sp.snap`` → ``snapcraft upload sp.snap``) or
    the entrypoint is given; None when no arguments follow the image or the image is named by a variable."""
    ws = cmd.words
    if ws[:2] not in (("docker", "run"), ("podman", "run")):
        return None
    i, entry = 2, None
    while i < len(ws) and ws[i].startswith("-"):
        w = ws[i]
        if w == "--entrypoint" and i + 1 < len(ws):
            entry, i = ws[i + 1], i + 2
        elif w.startswith("--entrypoint="):
            entry, i = w.split("=", 1)[1], i + 1
        else:
            i += 2 if w in _RUN_VALUE_FLAGS else 1
    if i + 1 >= len(ws) or "$" in ws[i]:
        return None
    name = entry or ws[i].split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name) or name in _SHELLS:
        return None
    return " ".join((name, *ws[i + 1 :]))


def _passed_env(cmd: Command) -> list[str]:
    """Names a ``docker run -e NAME`` (no value) passes from the job's environment into the container."""
    if cmd.words[:2] not in (("docker", "run"), ("podman", "run")):
        return []
    return [v for v in flag_values(cmd.words, ("-e", "--env")) if "=" not in v and re.fullmatch(r"[A-Za-z_]\w*", v)]


def _inert(cmd: Command) -> bool:
    """A command that runs nothing of a release (a scanner, a file tool, `npm run build`)."""
    return inert_commands().search(_strip_wrappers(cmd)) is not None


def _push_flag(cmd: Command, env: Mapping[str, str]) -> bool:
    """Whether a `--push` flag reaches ``cmd``: on its line, or handed on by its environment to a command that
    names the variable or runs a script or task that can read it (`npm run build:sandbox` with `BUILD_FLAGS:
    --push`, `make docker` with `DOCKER_BUILDARGS: --push`); `apk add` or `docker context create` read none."""
    if _PUSH_FLAG.search(cmd.text):
        return True
    # a push switch turned on, on the command line (`make -f docker/Makefile PUSH=yes`) or in the environment a
    # script or task reads (`PUSH_ON_BUILD: "true"`, then `make build-ubuntu22.04`)
    on_line = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in cmd.words if "=" in w}
    switched = [
        k for k, v in {**env, **on_line}.items() if push_switch().search(k) and v.strip("'\" ").lower() in _TRUE
    ]
    if switched and (_runs_script(cmd) or any(k in on_line for k in switched)):
        return True
    carried = [k for k, v in env.items() if _PUSH_FLAG.search(v)]
    if not carried:
        return False
    return _runs_script(cmd) or any(re.search(rf"\$\{{?{re.escape(k)}\b", cmd.text) for k in carried)


def _strip_wrappers(cmd: Command) -> str:
    return _WRAPPERS.sub("", cmd.text.strip())


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _args_after(ws: tuple[str, ...], word: str, skip_values: tuple[str, ...] = ()) -> list[str]:
    """Positional arguments after ``word`` (flags, the values of ``skip_values`` and redirections left out:
    ``docker login --password-stdin < "$FILE"`` names no host)."""
    if word not in ws:
        return []
    rest = ws[ws.index(word) + 1 :]
    out: list[str] = []
    skip = False
    for w in rest:
        if skip:
            skip = False
            continue
        if w in skip_values or w in _REDIRECTS:
            skip = True
            continue
        if w.startswith("-") or w.startswith(("<", ">", "2>", "1>", "&>")):
            continue
        out.append(w)
    return out


#: The end of a credential variable's name (DOCKER_PASSWORD, NUGET_API_KEY): the rest is its family's prefix.
_CREDENTIAL_SUFFIX = re.compile(r"_(?:API_KEY|APIKEY|API_TOKEN|PASSWORD|PASS|TOKEN|KEY|SECRET|PAT|AUTH)$")
#: Suffixes of a variable that names where its sibling credential goes (DOCKER_REGISTRY, NUGET_URL).
_SIBLINGS = ("_REGISTRY", "_REGISTRY_URL", "_URL", "_SOURCE", "_FEED", "_SERVER")

#: Variables that name where images go (`DOCKER_ORG`, `REGISTRY`, `IMAGE_REPO`, `TAGS`), not where they come from or
#: what caches them (`BASE_IMAGE`, `CACHE_REGISTRY`, `PULL_MIRROR`).
_DESTINATION_VAR = re.compile(r"IMAGE|REGISTR|ORG|REPO|NAMESPACE|TAG", re.IGNORECASE)
_SOURCE_VAR = re.compile(r"BASE|FROM|BUILDER|CACHE|PULL|MIRROR|PROXY|UPSTREAM", re.IGNORECASE)
#: curl's flags that send something (a body, a form, a file, a method other than GET).
_CURL_SENDS = re.compile(
    r"-d|--data(?:-\w+)?|-F|--form(?:-string)?|-T|--upload-file|-X|--request|--json|-[a-zA-Z]*[dFTX][a-zA-Z]*"
)
#: Arguments that only ask a tool about itself.
_ONLY_ASKS = frozenset({"--version", "-V", "--help", "-h"})
#: A command substitution inside a word: `` `…` `` or ``$(…)`` (one level of parentheses inside).
_SUBSTITUTION = re.compile(r"`[^`]*`|\$\((?!\()[^()]*(?:\([^()]*\)[^()]*)*\)")
#: Image transports of skopeo and its kin that name a local store, not a registry.
_LOCAL_TRANSPORT = re.compile(
    r"(?:docker-daemon|oci|oci-archive|docker-archive|dir|containers-storage|ostree|sif):(?!//)"
)
#: A value written in a pipeline as a stand-in for a credential kept elsewhere (`TWINE_PASSWORD: xxx`).
#: (an empty value too)
PLACEHOLDER = re.compile(
    r"(?i)(?:|x{2,}|\*{2,}|changeme|change[-_]me|placeholder|dummy|replace[-_]?me|to[-_]?be[-_]?set|set[-_]?me|<[^>]*>)"
)
#: Inputs of an unknown action that name the registry it works with, and that hand it the registry's credential.
_REGISTRY_INPUT = re.compile(
    r"(?:docker[-_]|container[-_]|oci[-_]|image[-_])?registry(?:[-_](?:url|host|server))?", re.I
)
_CREDENTIAL_INPUT = re.compile(r"password|(?:^|[-_])(?:token|pat|secret)$", re.I)
_PUSH_WORDS = re.compile(r"(?:^|[^a-z])(?:release|publish|push|upload)", re.I)

#: Redirection operators written as words of their own (their target is the next word).
_REDIRECTS = frozenset({"<", ">", ">>", "2>", "2>>", "1>", "1>>", "&>", "<<<"})


def _stdin_file(ws: tuple[str, ...]) -> str | None:
    """The file a command reads its input from (``< FILE``, ``<FILE``), if any."""
    for i, w in enumerate(ws):
        if w == "<" and i + 1 < len(ws):
            return ws[i + 1]
        if w.startswith("<") and not w.startswith(("<<", "<(")) and len(w) > 1:
            return w[1:]
    return None


def _cloud_command(text: str) -> str | None:
    for lc in catalogue().login_commands:
        if lc.cloud is not None and lc.regex.search(text):
            return lc.cloud
    return None


_FLAG_WITH_VALUE = frozenset({"--platform", "-f", "--file", "--cache-from", "--cache-to", "--build-arg", "--label",
                              "--target", "--progress", "--builder", "--metadata-file", "--secret", "--ssh", "--output",
                              "-o", "--dest-creds", "--src-creds", "--format", "--annotation", "--provenance", "--sbom"})  # fmt: skip


def _positional(form: CommandForm, ws: tuple[str, ...], text: str) -> list[str]:
    """Positional arguments after the matched command words."""
    m = form.regex.search(text)
    consumed = len(m.group(0).split()) if m else 1
    start = 0
    head = m.group(0).split()[0] if m else ""
    for i, w in enumerate(ws):
        if w.lower().endswith(head.lower()) and head:
            start = i
            break
    rest = ws[start + consumed :]
    out: list[str] = []
    skip = False
    depth = 0  # inside a command or process substitution the word splitter cut (`--x=<(sed "…" f)`)
    for w in rest:
        if depth:
            depth = max(0, depth + w.count("(") - w.count(")"))
            continue
        if "$(" in w or "<(" in w or ">(" in w:
            depth = max(0, w.count("(") - w.count(")"))
            if depth or w.startswith("-"):
                continue
        if skip:
            skip = False
            continue
        if w in _FLAG_WITH_VALUE or w in form.image_flags or w in form.credential_flags or w in _REDIRECTS:
            skip = True  # (a redirection's target is a file: `helm push c.tgz oci://ghcr.io/o/charts 2> .digest`)
            continue
        if w.startswith("-") or w.startswith(("<", ">", "2>", "1>", "&>")):
            continue
        out.append(w)
    return out


def _images(form: CommandForm, ws: tuple[str, ...], text: str) -> list[str]:
    mode = form.images
    out: list[str] = []
    if mode in ("flag", "first_arg_or_flag"):
        out += flag_values(ws, form.image_flags)
    if mode in ("first_arg", "first_arg_or_flag") and not out:
        pos = _positional(form, ws, text)
        out += pos[:1]
    if mode == "last_arg":
        pos = _positional(form, ws, text)
        out += pos[-1:]
    return [re.sub(r"^docker://", "", i).rstrip(")").strip("'\"") for i in out]


def analyse(
    steps: Sequence[StepView],
    refs: Refs,
    *,
    oidc: bool,
    token_scopes: Mapping[str, bool | None] | None = None,
    hosts: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
) -> list[Publish]:
    """Every publish of a job's steps, in step order, then the registry credentials it holds without a
    publish seen (confidence ``held``). ``oidc``: the job can get an OIDC token; ``token_scopes``: which
    scopes of the CI's job token can write (``contents``, ``packages``; None: unknown); ``hosts``: host →
    registry id for hosts the registries table cannot know (a self-managed GitLab's own registries);
    ``files``: values other jobs wrote to files this job may read (:func:`script_values`)."""
    job = _Job(refs, oidc, token_scopes, hosts)
    if files:
        job.st.value_files.update(files)
    for step in steps:
        if step.id and step.inputs:
            given = [
                r
                for k, v in step.inputs.items()
                for r in refs.routes(v, step.env, in_script=False)
                if r.kind in ("secret", "variable", "job_token")
            ]
            if given:
                job.st.step_inputs[step.id] = [Route(r.kind, r.name, f"through step {step.id}") for r in given]
        if step.uses:
            job.action(step)
        if step.script:
            job.script(step, step.script)
    job.packaging_pushes(steps)
    job.held(steps)
    return job.out


class ScopedRefs(Refs, Protocol):
    """Refs that can say which of their repository's facts an analysis of some text can read."""

    def scope(self, text: str) -> Hashable:
        """What of this repository the expansion of ``text`` may read (None: nothing, so the analysis of
        ``text`` is the same in every repository)."""
        ...


class Memo:
    """:func:`analyse`, remembered by everything the analysis reads: the steps (every field, line numbers
    included), the repository facts the refs say the steps may expand to, the OIDC flag, the token scopes
    and the hosts. Workflows copied from an organisation's template into many repositories are analysed
    once; a step that names its repository (``${{ github.repository }}``) is analysed per repository.
    :class:`Publish` and :class:`Route` are frozen, so the remembered records are shared as they are.
    One memo lives for one transform: nothing is kept between scans."""

    def __init__(self) -> None:
        self._seen: dict[Hashable, tuple[Publish, ...]] = {}
        self.hits = 0
        self.misses = 0

    def analyse(
        self,
        steps: Sequence[StepView],
        refs: ScopedRefs,
        *,
        oidc: bool,
        token_scopes: Mapping[str, bool | None] | None = None,
        hosts: Mapping[str, str] | None = None,
    ) -> list[Publish]:
        """:func:`analyse`'s answer, computed once per distinct key."""
        fields = _steps_fields(steps)
        key = (
            fields,
            refs.ci,
            refs.scope("\n".join(f for f in fields if isinstance(f, str))),
            oidc,
            tuple(sorted(token_scopes.items())) if token_scopes else (),
            tuple(sorted(hosts.items())) if hosts else (),
        )
        found = self._seen.get(key)
        if found is None:
            self.misses += 1
            found = self._seen[key] = tuple(analyse(steps, refs, oidc=oidc, token_scopes=token_scopes, hosts=hosts))
        else:
            self.hits += 1
        return list(found)


def _steps_fields(steps: Sequence[StepView]) -> tuple[str | None, ...]:
    # Every field of every step, each with its length-prefixed parts kept apart (a tuple, not a joined
    # string: two different workflows must never share a key, whatever their text holds).
    out: list[str | None] = []
    for s in steps:
        out += (str(s.index), s.label, str(s.line), s.id, s.uses, s.script, str(len(s.inputs)), str(len(s.env)))
        out += (x for kv in s.inputs.items() for x in kv)
        out += (x for kv in s.env.items() for x in kv)
    return tuple(out)


def route_label(registry: str, route: Route) -> str:
    """``pypi:oidc``, ``npm:secret:NPM_TOKEN``: how a registry is published to, for reports and the bench."""
    named = route.kind in ("secret", "variable", "cloud") and route.name
    return f"{registry}:{route.kind}:{route.name}" if named else f"{registry}:{route.kind}"


def publish_attrs(publishes: Sequence[Publish]) -> dict[str, AttrValue]:
    """What a CI job's node says of its publishes, the same for every CI: the registries (and which only
    probably), how each is reached, those whose credential was not traced, credentials merely held, one line
    per publish saying why, and whether it is PyPI Trusted Publishing."""
    registries_all = sorted({p.registry for p in publishes if p.confidence != "held"})
    certain = {p.registry for p in publishes if p.confidence == "certain"}
    counted = [p for p in publishes if p.confidence != "held"]
    return {
        "publishes": tuple(registries_all),
        "publishes_probable": tuple(r for r in registries_all if r not in certain),
        "publish_routes": tuple(sorted({route_label(p.registry, rt) for p in counted for rt in p.routes})),
        "publish_route_unknown": tuple(
            sorted({p.registry for p in counted if all(rt.kind == "unknown" for rt in p.routes)})
        ),
        "holds_credentials": tuple(sorted({p.registry for p in publishes if p.confidence == "held"})),
        # why: one line per publish, for reports and for whoever checks the verdict
        "publish_steps": tuple(
            dict.fromkeys(
                f"{p.registry} ({p.confidence}): {p.reason}" + (f" [line {p.line}]" if p.line else "")
                for p in publishes
            )
        ),
        "pypi_trusted_publishing": any(
            p.registry == "pypi" and any(rt.kind == "oidc" for rt in p.routes) for p in publishes
        ),
    }
