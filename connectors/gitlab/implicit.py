"""Publishes a GitLab job makes with credentials its pipeline never names. Pure: no I/O.

Unlike a GitHub workflow, a GitLab job is handed credentials without asking: every job holds the job
token (``$CI_REGISTRY_PASSWORD`` for its project's container registry) and every CI/CD variable its
scope and protection allow. So a job whose own script or task is named for publishing (``make
release``, ``./scripts/docker-push.sh``, ``rake docker:push``), or that is built from a template
regwarden could not read because its include was not collected (``.build-docker``), can publish
although no credential appears in the file. These are **probable** publishes, with the reason: the
project's container registry (route ``job_token``) for image work in a job that names it, the
registry of the tool that runs a release-named script (``tox -e release`` → PyPI), else an unknown
registry (``other:*``, route ``unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from connectors.ci.publish import Publish, Route, registry_id_for, run_words, split_image
from connectors.ci.shell import Command, commands, functions, shell_vars, with_arguments
from connectors.gitlab.pipeline import JobDef
from connectors.gitlab.refs import CREDENTIAL_NAME
from scanner.knowledge.publish import (
    GitLabTemplate,
    catalogue,
    gitlab_template,
    inert_commands,
    publish_words,
    registry_from_installed_tool,
    registry_from_runner,
    registry_from_secret_name,
    release_switch,
)
from scanner.knowledge.registries import oidc_publishing, registries

#: Words of a script or task that builds, pushes or releases container images.
IMAGE = re.compile(r"docker|image|container|oci(?:$|[^a-z])|kaniko|buildah|buildkit|podman", re.IGNORECASE)
#: A template named after a tool that builds and pushes images (`.kaniko`, `.buildkit`: Eclipse's runner templates).
_IMAGE_TOOL = re.compile(r"(?:^|[^a-z])(?:kaniko|buildkit|buildah)(?:$|[^a-z])", re.IGNORECASE)
#: Words of a script or task that publishes.
PUBLISH = re.compile(r"(?:^|[^a-z])(?:release|publish|push|upload)", re.IGNORECASE)
#: Words of a script that deploys: a publish only when the script also names a registry.
DEPLOY = re.compile(r"(?:^|[^a-z])deploy", re.IGNORECASE)
#: …and of one that builds (an image script named `docker-build` usually pushes what it builds).
IMAGE_ACTION = re.compile(r"(?:^|[^a-z])(?:build|release|publish|push|upload)", re.IGNORECASE)
#: A template named for building an image (`.build-docker`, `.docker_build`, `.kaniko-build`): the two words
#: side by side. Apart, the image is what the build runs in (`.image-linux-build`: Proton Bridge's runner image).
_IMAGE_BUILD = re.compile(
    r"(?:docker|image|container|oci|kaniko|buildah|podman)[-_:.]?build|build[-_:.]?(?:docker|image|container|oci|kaniko|buildah|podman)",
    re.IGNORECASE,
)
#: Uploads and releases that are not a registry's: coverage, documentation, caches, buckets, chat, notes;
#: and a release's package being built (`release:package`).
NOT_REGISTRY = re.compile(
    r"coverage|codecov|docs?(?:$|[^a-z])|pages|report|sentry|sourcemap|artifact|cache|translation|s3|gcs|bucket"
    r"|mirror|sync|notif|slack|notes|changelog|(?<!publish[-_:.])(?<!upload[-_:.])(?<!push[-_:.])package"
    r"|prepare|check|verif(?:y|ication)|validat|test|lint|dry|snapshot|draft|bump|branch"
    # (but "pull or build" builds when the pull finds nothing: igt-gpu-tools' pull-or-rebuild.sh)
    r"|version|tag(?:$|[^a-z])|download|pull(?![-_]or[-_])(?:$|[^a-z])|fetch|licen[cs]e|generate"
    # a release's description, references to it, a preview posted as a comment (LIGO's release scripts)
    r"|metadata|references?|comment|preview|readme|pushrm"
    # the project's git refs pushed to its mirror on another forge (esp-ppq's push_to_github.sh)
    r"|push[-_]?to[-_]?(?:github|gitlab|codeberg|bitbucket)"
    # benchmark results pushed to a branch (Eigen's push_perf_data.sh); test timings for splitting a suite (the knapsack
    # gem's `rake knapsack:upload[…]`, GitLab's Helm chart)
    r"|(?:^|[^a-z])(?:perf|bench(?:mark)?s?|data|timings?)(?:$|[^a-z])|knapsack",
    re.IGNORECASE,
)
_RUNNERS = frozenset({"make", "gmake", "rake", "mage", "just", "task", "invoke", "inv", "fab", "nox", "tox", "npm",
                      "yarn", "pnpm", "bun", "gradle", "./gradlew", "gradlew", "mvn", "./mvnw", "sbt", "cargo",
                      "poetry", "hatch", "pdm", "uv"})  # fmt: skip
#: Task runners whose tasks belong to no ecosystem (a rake task need not be a gem's release).
_TASK_RUNNERS = frozenset({"make", "gmake", "rake", "mage", "just", "task", "invoke", "inv", "fab"})
_SHELLS = frozenset({"bash", "sh", "zsh", "source", ".", "python", "python3", "node", "ruby", "perl", "pwsh"})
_RUN_SUB = frozenset({"run", "exec", "run-script", "-s", "-e", "--session", "--env", "-t", "--target"})
#: Variables that name images (``IMAGE_NAME``, ``DOCKER_NAME``, ``RELEASE_REPO``, ``TAGS``).
_IMAGE_VAR = re.compile(r"IMAGE|DOCKER_NAME|(?:^|_)REPO(?:SITORY)?(?:$|_)|(?:^|_)TAGS?$", re.IGNORECASE)
_OWN_REGISTRY = re.compile(r"\$\{?CI_REGISTRY(?:_IMAGE)?\}?")


def names(cmd: Command) -> list[str]:
    """What a command runs, by name: the script file, or the targets/tasks/sessions of its runner."""
    # (without its assignments; `release_name=$(cat algo/release)` runs `cat`, not a script named `release`)
    ws = run_words(cmd)
    while ws and ws[0] in ("sudo", "env", "time", "exec"):
        ws = ws[1:]
    if ws[:2] == ["bundle", "exec"]:
        ws = ws[2:]
    interpreted = False
    if ws and ws[0] in _SHELLS and len(ws) > 1 and not ws[1].startswith("-"):
        ws = ws[1:]
        interpreted = True  # what an interpreter runs is a script, extension or not (`python3 gitlab-release`)
    if not ws:
        return []
    out: list[str] = []
    first = ws[0]
    if interpreted or "/" in first or first.endswith((".sh", ".py", ".rb", ".js", ".mjs", ".ts", ".ps1")):
        out.append(re.sub(r"\.[A-Za-z0-9]+$", "", first.rstrip("/").rsplit("/", 1)[-1]))
    if first in _RUNNERS or first.endswith("/gradlew"):
        rest = ws[1:]
        if first == "just":
            rest = [w for w in rest if not w.startswith("-")][:1]  # the recipe; the words after it are its arguments
        for i, w in enumerate(rest):
            if w in _RUN_SUB:
                continue
            w = re.sub(r"\[.*$", "", w)  # rake task arguments: `task[$ARG]`
            if not w or w.startswith("-") or "$" in w or "=" in w:
                continue
            if i > 0 and rest[i - 1] in ("-f", "-C", "--file", "--directory"):
                continue
            out.append(w)
    return [n for n in out if n]


def _catalogued(cmd: Command) -> bool:
    c = catalogue()
    return any(f.regex.search(cmd.text) for f in c.commands) or any(
        lc.regex.search(cmd.text) for lc in c.login_commands
    )


def _own_registry(job: JobDef, text: str) -> bool:
    """Whether the job names its project's container registry (its script or its variables)."""
    return bool(_OWN_REGISTRY.search(text)) or any(_OWN_REGISTRY.search(v) for v in job.variables.values())


#: GitLab's registry variables a job can point elsewhere.
_REGISTRY_VARIABLES = frozenset({"CI_REGISTRY", "CI_REGISTRY_IMAGE", "CI_REGISTRY_PASSWORD"})


def _publish(job: JobDef, registry: str, reason: str, line: int | None, text: str = "") -> Publish:
    if registry == "gitlab-registry":
        route = Route("job_token", "CI_REGISTRY_PASSWORD", "every job holds the job token for its project's registry")
    elif oidc_publishing(registry, "gitlab") and _token_for(job, registry):
        # the job has an OIDC token meant for the registry (its audience names it: `npm:registry.npmjs.org`,
        # `pypi`), and the registry takes one from GitLab (Trusted Publishing)
        route = Route("oidc", registry, "the job's id_tokens (Trusted Publishing)")
    elif len(named := _credentials_read(text)) == 1:
        # the script the job runs is handed its credential unnamed, but the job reads exactly one
        # credential-named variable (gnome-build-meta: `if [ -n "$OCI_REGISTRY_PASSWORD" ] …; publish-oci-quay.sh`)
        route = Route("secret", named[0], "the one credential-named variable the job's script reads")
    elif not named and (required := rule_credential(job)) is not None:
        # …or that its rules require to be set (regex2json's `if: '$GITLAB_API_TOKEN && …'` before `/gitlab-release`)
        route = required
    else:
        route = Route("unknown", "", "a CI/CD variable the pipeline does not name")
    return Publish(registry, None, (route,), "probable", "implicit credentials", reason, -1, line)


def rule_credential(job: JobDef) -> Route | None:
    """The one credential-named variable the job's rules require to be set, as a route (regex2json's `if:
    '$GITLAB_API_TOKEN && …'`; tuxpkg's `$FLIT_USERNAME != null && $FLIT_PASSWORD != null` before `flit publish`)."""
    named = _credentials_read(_rule_conditions(job))
    return (
        Route("secret", named[0], "the one credential-named variable the job's rules require")
        if len(named) == 1
        else None
    )


def _rule_conditions(job: JobDef) -> str:
    """The ``if:`` conditions of the job's rules, one per line."""
    rules = job.body.get("rules")
    return "\n".join(str(r.get("if", "")) for r in rules if isinstance(r, dict)) if isinstance(rules, list) else ""


def _credentials_read(text: str) -> list[str]:
    """The credential-named variables a job's script reads, GitLab's own (the job token) left out."""
    return sorted({n for n in shell_vars(text) if CREDENTIAL_NAME.search(n) and not n.startswith("CI_")})


def _oidc_registry(job: JobDef) -> str | None:
    """The one registry the job's ``id_tokens`` are meant for, among those that take GitLab's OIDC tokens
    (passbolt's `NPM_ID_TOKEN: {aud: "npm:registry.npmjs.org"}` beside `publish.sh`): where its publish script goes."""
    found = {r for r in registries() if oidc_publishing(r, "gitlab") and _token_for(job, r)}
    return found.pop() if len(found) == 1 else None


def _token_for(job: JobDef, registry: str) -> bool:
    """Whether one of the job's ``id_tokens`` has an audience naming ``registry`` (its id or one of its hosts)."""
    known = registries().get(registry)
    names = {registry, *(known.hosts if known is not None else ())}
    return any(n in aud.lower() for _, auds in job.id_tokens for aud in auds for n in names)


def script_publishes(
    job: JobDef, credentials_unlisted: bool, expand: Callable[[str], str], hosts: Mapping[str, str]
) -> list[Publish]:
    """Probable publishes of the job's scripts and tasks named for publishing (see the module's note);
    ``expand`` resolves the job's variables, ``hosts`` are the instance's own registry hosts."""
    out: list[Publish] = []
    seen: set[str] = set()
    text = "\n".join(s.text for s in job.scripts)
    # a function's body runs where the job calls it, not where a before_script defines it
    defined: dict[str, str] = {}
    bodies = []
    for s in job.scripts:
        stripped, found = functions(s.text)
        defined.update(found)
        bodies.append(stripped)
    ran: tuple[str, str, int | None] | None = None  # the first script of the repository the job runs
    for s, body in zip(job.scripts, bodies, strict=True):
        for cmd in _calls_expanded(commands(body), defined):
            if _catalogued(cmd) or inert_commands().search(cmd.text.strip()):
                continue
            line = s.line + cmd.line if s.line is not None else job.line
            if ran is None and _runs_repository_script(cmd) and (script := names(cmd)):
                ran = (cmd.text, script[0], line)
            for name in names(cmd):
                for reg in _registries_for(job, cmd, name, text, credentials_unlisted, expand, hosts):
                    if reg not in seen:
                        seen.add(reg)
                        why = f"runs `{_short(cmd.text)}` ({name}) with credentials GitLab hands the job"
                        out.append(_publish(job, reg, why, line, text))
    for key, value in job.own_variables.items():
        # `RELEASE_TO_AUR: 1` beside `ci/update-aur.sh`: the switch turns the script's release to that registry on
        switch = release_switch().match(key)
        on = value.strip("'\" ").lower() in ("true", "yes", "1", "on")
        target = registry_from_secret_name(switch.group("target")) if switch is not None and on else None
        if target is not None and ran is not None and credentials_unlisted and target not in seen:
            seen.add(target)
            why = f"runs `{_short(ran[0])}` ({ran[1]}) with {key}: {value.strip()} and credentials GitLab hands the job"
            out.append(_publish(job, target, why, ran[2], text))
    return out


def _calls_expanded(cmds: list[Command], defined: Mapping[str, str], depth: int = 0) -> list[Command]:
    """``cmds`` with each call of a function the job defined replaced by its body's commands."""
    out: list[Command] = []
    for cmd in cmds:
        body = defined.get(cmd.words[0]) if cmd.words and depth < 3 else None
        if body is None:
            out.append(cmd)
        else:
            called = commands(with_arguments(body, cmd.words[1:]))
            out += [replace(c, line=cmd.line) for c in _calls_expanded(called, defined, depth + 1)]
    return out


def named_images(job: JobDef, expand: Callable[[str], str], hosts: Mapping[str, str]) -> list[str]:
    """The registries of the images the job's own variables name (``IMAGE_NAME``, ``DOCKER_NAME``, ``TAGS``…);
    the pipeline's global variables name images of every job (builders, services), not what this one pushes."""
    out: list[str] = []
    for key, value in job.own_variables.items():
        if not _IMAGE_VAR.search(key):
            continue
        for item in re.split(r"[\s,]+", expand(value)):
            ref = item.strip().strip("'\"")
            if not re.fullmatch(r"[A-Za-z0-9._\-/:@]+", ref) or "/" not in ref:
                continue  # a bare word is a tag or a name, not an image reference
            host, _ = split_image(ref)
            reg = hosts.get(host) or registry_id_for(host)
            if reg != "other:*":
                out.append(reg)
    return list(dict.fromkeys(out))


def _registries_for(
    job: JobDef,
    cmd: Command,
    name: str,
    text: str,
    unlisted: bool,
    expand: Callable[[str], str],
    hosts: Mapping[str, str],
) -> list[str]:
    if NOT_REGISTRY.search(name):
        return []
    own = _own_registry(job, text)
    # a script that names its registry (`publish-npm.ts`, `create-github-release.ts`, `publish-oci-quay.sh`)
    # says where it goes; one that deploys to a registry it names publishes there (`deploy-flatpak.sh`)
    named = registry_from_secret_name(name) or _oidc_registry(job)
    pushes = (PUBLISH.search(name) is not None or (named is not None and DEPLOY.search(name) is not None)) and unlisted
    moved = _moved_registry(job.variables)
    # a repository script handed a Dockerfile builds that image, whatever it is called
    # (igt-gpu-tools: `.gitlab-ci/pull-or-rebuild.sh base Dockerfile.build-debian build-debian`)
    builds = IMAGE_ACTION.search(name) is not None or _hands_dockerfile(cmd)
    image_work = IMAGE.search(name) is not None or _hands_dockerfile(cmd)
    if image_work and (pushes or (builds and (own or moved is not None))):
        # pushed where its variables say, else where its name says, else where the pipeline points GitLab's
        # registry variables (GNOME's `CI_REGISTRY_IMAGE: quay.io/…`), else to the project's registry (the job
        # token pushes there whatever the script is called), else somewhere regwarden cannot tell
        found = named_images(job, expand, hosts) or [named or moved or ("gitlab-registry" if own else "other:*")]
        return found
    if not pushes:
        return []
    bare = re.sub(r"^(?:sudo\s+|env\s+|bundle\s+exec\s+)+", "", cmd.text.strip())
    # the publish tool the job installed before it (`pip3 install twine`, then `make upload`) is what it uploads with
    installed = registry_from_installed_tool(text)
    if bare.split(" ", 1)[0] in _TASK_RUNNERS or not publish_words().search(name):
        return [named or _forge_release(name) or installed or "other:*"]
    return [named or _forge_release(name) or registry_from_runner(bare) or installed or "other:*"]


def _forge_release(name: str) -> str | None:
    """The releases of the forge a release task names (gradle-josm-plugin's `releaseToGitlab`, a `release-github`
    script): its release, not the package registry of the tool that runs it; a script that creates a release
    (`tools/create-release.sh`, SANE; not `make-release-build.py`, GROMACS's upload to its FTP site) makes one on the
    GitLab it runs on."""
    if re.search(r"git[-_]?hub", name, re.IGNORECASE) and re.search(r"release|upload", name, re.IGNORECASE):
        return "github-releases"  # (an upload to GitHub is a release's assets: OpenTodoList's `ci/github-upload.py`)
    if not re.search(r"release", name, re.IGNORECASE):
        return None
    if re.search(r"git[-_]?lab|create[-_]?release", name, re.IGNORECASE):
        return "gitlab-releases"
    return None


#: A Dockerfile by its usual names (`Dockerfile`, `Dockerfile.build-debian`, `ci/app.Dockerfile`, `Containerfile`).
_DOCKERFILE = re.compile(
    r"(?:.*/)?(?:(?:Docker|Container)file(?:[.-][\w.-]+)?|[\w.-]+\.(?:docker|container)file)", re.I
)
#: Words of a Dockerfile's name whose image stays in the job (a test image).
_LOCAL_IMAGE = re.compile(r"(?:^|[^a-z])(?:test|tests|testing|e2e|lint|check|dev)(?:$|[^a-z])", re.IGNORECASE)


def _past_prefixes(cmd: Command) -> list[str]:
    """A command's words from what it runs: past a shell, `sudo`, `env`, `time` or `exec` in front."""
    ws = list(cmd.words)
    while ws and ws[0] in _SHELLS | {"sudo", "env", "time", "exec"} and len(ws) > 1:
        ws = ws[1:]
    return ws


def _runs_repository_script(cmd: Command) -> bool:
    """Whether a command runs a file of the repository (a path, or a file with a script's extension)."""
    ws = _past_prefixes(cmd)
    return bool(ws) and ("/" in ws[0] or ws[0].endswith((".sh", ".py", ".rb", ".ps1", ".pl")))


def _hands_dockerfile(cmd: Command) -> bool:
    """Whether a repository script (a path, or a file with a script's extension) is handed a Dockerfile that is not
    a test image's."""
    if not _runs_repository_script(cmd):
        return False
    ws = _past_prefixes(cmd)
    files = [w.strip("'\"") for w in ws[1:] if _DOCKERFILE.fullmatch(w.strip("'\""))]
    return bool(files) and not any(_LOCAL_IMAGE.search(f.rsplit("/", 1)[-1]) for f in files)


def _moved_registry(variables: Mapping[str, str]) -> str | None:
    """The registry ``variables`` point GitLab's ``CI_REGISTRY`` (or ``CI_REGISTRY_IMAGE``) at, when they name one
    by a literal host (GNOME's `CI_REGISTRY_IMAGE: quay.io/gnome_infrastructure/…`): the images a job's scripts or
    templates push by those variables go there."""
    for key in ("CI_REGISTRY", "CI_REGISTRY_IMAGE"):
        value = variables.get(key, "").strip().strip("'\"")
        if value and "$" not in value:
            reg = registry_id_for(value)
            if reg != "other:*":
                return reg
    return None


def template_publishes(job: JobDef, bases: Iterable[str]) -> list[Publish]:
    """A job built from templates that were not collected: a catalogued template (publish.yaml
    ``gitlab_templates``) publishes where its row says; others count when named for image builds or releases."""
    for base in bases:
        known = gitlab_template(base)
        if known is not None:
            return [_known_template(job, base, known)]
        if NOT_REGISTRY.search(base):
            continue
        if IMAGE.search(base) and (PUBLISH.search(base) or _IMAGE_BUILD.search(base) or _IMAGE_TOOL.search(base)):
            moved = {k: v for k, v in job.own_variables.items() if k in _REGISTRY_VARIABLES}
            if moved:
                # the job points GitLab's registry variables elsewhere (Eclipse's jobs: `CI_REGISTRY: ${HARBOR_HOST}`,
                # `CI_REGISTRY_PASSWORD: ${HARBOR_PASSWORD}`): the template pushes there, with that credential
                where = moved.get("CI_REGISTRY") or moved.get("CI_REGISTRY_IMAGE") or ""
                why = (
                    f"extends {base}, a template of an include that was not collected, with CI_REGISTRY set to {where}"
                )
                registry = _moved_registry(job.own_variables) or "other:*"
                return [_publish(job, registry, why, job.line, "\n".join(moved.values()))]
            why = f"extends {base}, a template of an include that was not collected (image builds push to the project's registry)"
            return [_publish(job, "gitlab-registry", why, job.line)]
        if PUBLISH.search(base):
            return [
                _publish(job, "other:*", f"extends {base}, a template of an include that was not collected", job.line)
            ]
    return []


def _known_template(job: JobDef, base: str, known: GitLabTemplate) -> Publish:
    why = f"extends {base}, {known.include}'s template (publish.yaml gitlab_templates)"
    if known.job_token:
        route = Route("job_token", "CI_JOB_TOKEN", f"{base} signs in with the job's token")
    else:
        # the CI/CD variable the template reads (GNOME's REPO_TOKEN_FILE), whether or not the job names it
        route = Route("secret", known.credential_variables[0], f"{base} reads it")
    return Publish(known.registry, None, (route,), "probable", "catalogued template", why, -1, job.line)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
