"""The publish catalogue (``publish.yaml``): how CI steps publish, log in and pass credentials.

Shared by the GitHub and GitLab connectors (``connectors/ci/``). Rows are validated here once, on
first use; every registry a row names must be a row of ``registries.yaml``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scanner.knowledge import read_table
from scanner.knowledge.registries import registries

Config = Literal["npmrc", "pypirc", "gem", "cargo", "maven", "docker", "nuget"]
Cloud = Literal["aws", "gcp", "azure"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionForm(_Row):
    """A GitHub action that publishes (``uses: owner/repo``)."""

    uses: str
    #: The `name:` its action.yml declares: a copy of it kept in the repository (a local JavaScript or Docker
    #: action with that name, `uses: ./actions/desktop-deploy`) is read as this action.
    action_names: tuple[str, ...] = ()
    registry: str = ""
    also: tuple[str, ...] = ()
    registry_inputs: tuple[str, ...] = ()
    #: Environment variables naming the repository (a registry id, a host or URL) the action uploads to.
    registry_env: tuple[str, ...] = ()
    image_inputs: tuple[str, ...] = ()
    #: Publishes only when one of these inputs is true (or an expression that can be); else never.
    push_inputs: tuple[str, ...] = ()
    #: ``outputs:`` of a build action: publishes when it asks for ``type=registry`` / ``push=true``.
    outputs_inputs: tuple[str, ...] = ()
    always: bool = False
    credential_inputs: tuple[str, ...] = ()
    credential_env: tuple[str, ...] = ()
    #: With no credential input, the action uses the job's own token (GITHUB_TOKEN).
    default_job_token: bool = False
    #: With no credential, the action publishes with the job's OIDC token (Trusted Publishing).
    oidc: bool = False
    dry_run_inputs: tuple[str, ...] = ()
    #: Inputs that publish by default and turn it off when literally false (buf-action's ``push``).
    off_inputs: tuple[str, ...] = ()
    #: Inputs whose value the action runs as a command (``changesets/action``'s ``publish``).
    command_inputs: tuple[str, ...] = ()
    command_prefix: str = ""
    #: An input naming the action's sub-command, which publishes only for these values.
    command_input: str = ""
    publish_commands: tuple[str, ...] = ()
    default_command: str = ""
    #: Inputs holding a command line: publishes when it matches ``args_publish`` and not ``args_dry_run``.
    args_inputs: tuple[str, ...] = ()
    #: The command line when no `args_inputs` is given (the action's own default).
    args_default: str = ""
    args_publish: str = ""
    args_dry_run: str = ""
    #: A command line matching this publishes only to the registries its environment holds credentials
    #: for (``hinted_env``), not to ``registry``/``also`` (JReleaser's ``publish``: packagers, not Maven Central).
    args_only_hinted: str = ""
    #: A login action that mints a short-lived registry token from the job's OIDC token.
    login: str = ""
    oidc_login: bool = False
    #: Registries the action also publishes to when it is given a command (changesets' releases).
    also_with_command: tuple[str, ...] = ()
    #: Registries the action also publishes to when an input is true (covector's ``createRelease``).
    also_with_inputs: dict[str, str] = Field(default_factory=dict)
    #: No credential, no publish (goreleaser makes no GitHub Release without a token).
    requires_credential: bool = False
    #: A multi-registry release tool: every credential its environment holds for a registry (by the
    #: secret's or the variable's name) is a probable publish there.
    hinted_env: bool = False
    #: Registries the action publishes to by Trusted Publishing when the job has an OIDC token and the step
    #: holds no credential for them (jupyter_releaser's finalize-release: PyPI).
    oidc_registries: tuple[str, ...] = ()
    #: The input naming the repository the action writes to (``target_default`` when absent). Where it
    #: matches ``reviewed_targets`` the action only opens a pull request that repository's maintainers
    #: review and merge (Homebrew's homebrew-core): the job publishes nothing itself.
    target_input: str = ""
    target_default: str = ""
    reviewed_targets: str = ""

    @model_validator(mode="after")
    def _check(self) -> ActionForm:
        if self.target_input and not self.reviewed_targets:
            raise ValueError(f"{self.uses}: target_input needs reviewed_targets")
        for pattern in (self.args_publish, self.args_dry_run, self.args_only_hinted, self.reviewed_targets):
            if pattern:
                re.compile(pattern)
        return self


class ReusableWorkflow(_Row):
    """Another repository's reusable workflow that publishes (``jobs.<id>.uses: owner/repo/.github/workflows/x.yml@ref``):
    its jobs are not in the caller's repository, so what it does is written here."""

    uses: str  # owner/repo/.github/workflows/file.yml (any ref, case-insensitive)
    registry: str = ""
    #: Inputs naming the image it writes to (the registry is the image's host).
    image_inputs: tuple[str, ...] = ()
    #: Keys of the call's ``secrets:`` that carry the registry credential.
    credential_secrets: tuple[str, ...] = ()
    #: It publishes only when one of these inputs is true or an expression (none: always).
    push_inputs: tuple[str, ...] = ()
    #: Inputs that publish by default and turn it off when the call sets one literally false (mozilla's ``push``).
    off_inputs: tuple[str, ...] = ()
    #: With no credential secret, it writes with the caller's GITHUB_TOKEN when the call grants this scope.
    job_token_scope: str = ""
    #: With no credential secret, it publishes with the job's OIDC token when the call grants ``id-token: write``.
    oidc: bool = False
    #: That OIDC token signs in to this cloud, whose registry it pushes to (workload identity federation).
    cloud: Cloud | None = None


class ImageSource(_Row):
    """An action whose inputs name the images a later push step pushes (``docker/metadata-action``)."""

    uses: str
    inputs: tuple[str, ...]


class LoginAction(_Row):
    """A GitHub action that logs in to a registry or a cloud, or writes a registry config file."""

    uses: str
    registry: str = ""
    registry_inputs: tuple[str, ...] = ()
    default_registry: str = ""
    cloud: Cloud | None = None
    oidc_inputs: tuple[str, ...] = ()
    #: Environment variables that, with no credential given, make the login to ``default_registry`` an
    #: exchange of the job's OIDC token (docker/login-action's DOCKERHUB_OIDC_CONNECTIONID).
    oidc_env: tuple[str, ...] = ()
    credential_inputs: tuple[str, ...] = ()
    writes_config: Config | None = None
    credential_env: tuple[str, ...] = ()
    env_prefixes: tuple[str, ...] = ()
    #: Inputs that name the environment variables holding the credential (setup-java's server-password).
    env_name_inputs: tuple[str, ...] = ()
    default_env_names: tuple[str, ...] = ()
    #: With no credential given, the action logs in with the job's own token (GITHUB_TOKEN).
    default_job_token: bool = False
    #: Variables the action sets for the job's later steps (through GITHUB_ENV), an expression in the value
    #: expanded: setup-ko's ``KO_DOCKER_REPO``, where a later ``ko build`` pushes.
    exports: dict[str, str] = {}
    #: The action neither logs in nor sets ``exports`` when one of these variables is already set.
    skipped_if_env: tuple[str, ...] = ()


ImagesFrom = Literal["first_arg", "last_arg", "flag", "first_arg_or_flag", "none"]


class CommandForm(_Row):
    """A shell command that publishes."""

    name: str
    pattern: str
    #: A command line this row recognises as a publish, and a near-identical one it must not (a dry
    #: run, a read): both are run by tests/scanner/test_knowledge_publish.py.
    example: str = ""
    not_example: str = ""
    registry: str = ""
    also: tuple[str, ...] = ()
    #: Registries it also publishes to when its command line matches the pattern (a Gradle build running
    #: the github-release plugin's `githubRelease` task beside `publishPlugins`), with the GitHub token.
    also_when: dict[str, str] = {}
    #: A pattern whose group names the repository the command publishes to (Gradle's
    #: `publishAllPublicationsTo<Name>Repository`), and that name's registry by pattern (case-insensitive,
    #: first match; ``""``: a local directory, no publish; no match: a repository of the project's own,
    #: ``other:*``). Where the command names repositories, they replace ``registry``.
    target_pattern: str = ""
    target_registries: dict[str, str] = {}
    registry_flags: tuple[str, ...] = ()
    #: A pattern over the command's words whose group 1 is the repository's URL (a build property naming it,
    #: `-Dvtk.maven.repo=https://maven.pkg.github.com/kitware/vtk`); like ``registry_flags``, it names where it goes.
    registry_property: str = ""
    credential_flags: tuple[str, ...] = ()
    #: A pattern over the command's words whose group 1 is the credential (`-Dvtk.github.token=$MAVEN_PASSWORD`).
    credential_property: str = ""
    credential_env: tuple[str, ...] = ()
    #: Environment variable prefixes that carry a credential (``POETRY_PYPI_TOKEN_<repo>``).
    env_prefixes: tuple[str, ...] = ()
    config: Config | None = None
    dry_run_flags: tuple[str, ...] = ()
    oidc: bool = False
    images: ImagesFrom | None = None
    image_flags: tuple[str, ...] = ()
    images_env: tuple[str, ...] = ()
    #: Publishes only when one of these appears as a word or inside one (``--push``, ``type=registry``).
    requires_flag_or_value: tuple[str, ...] = ()
    #: The credential comes from a registry login earlier in the job.
    credential: Literal["login"] | None = None
    #: The registry is the host of the URL the command sends to.
    registry_from_url: bool = False
    requires_credential: bool = False
    #: With no credential named, the tool uses the CI job's own token (``release-cli`` reads CI_JOB_TOKEN).
    default_job_token: bool = False
    #: The registry when the job runs in that CI, instead of ``registry`` (semantic-release makes GitLab
    #: releases from GitLab CI).
    in_ci: dict[str, str] = {}
    #: Environment variables naming where the tool uploads (``TWINE_REPOSITORY_URL``); flags win.
    registry_env: tuple[str, ...] = ()
    #: The credential can be anywhere on the command line (a header, ``-u``, a ``?job_token=`` query).
    credential_anywhere: bool = False
    #: A project's script whose name matches this (``npm run web-sign``), run while the step holds one of
    #: ``credential_env``, runs this command: a probable publish with that credential.
    script_words: str = ""
    hinted_env: bool = False
    #: The command uses the cloud CLI's credentials (from the job's cloud login).
    cloud: Cloud | None = None
    #: Whether holding one of ``credential_env`` is evidence of publishing there (a probable guess).
    guess_from_env: bool = True

    @model_validator(mode="after")
    def _check(self) -> CommandForm:
        re.compile(self.pattern)
        if not self.registry and self.images is None and not self.images_env and not self.registry_from_url:
            raise ValueError(f"command {self.name!r}: needs a registry, images or registry_from_url")
        return self

    @property
    def regex(self) -> re.Pattern[str]:
        """The pattern, anchored at the start of a command word."""
        return _word_regex(self.pattern)


class CloudSecretRead(_Row):
    """A command that reads a secret from ``cloud``'s secret store with the job's cloud identity."""

    cloud: str
    pattern: str


class LoginCommand(_Row):
    """A shell command that logs in to a registry (or writes its config)."""

    name: str
    pattern: str
    registry: str = ""
    default_registry: str = ""
    cloud: Cloud | None = None
    host_arg: bool = False
    credential_flags: tuple[str, ...] = ()
    #: The credential is piped in (``echo $T | docker login --password-stdin``).
    stdin: bool = False
    positional_credential: bool = False
    #: The word after which the positional credential comes (``cargo login TOKEN``, ``nuget setapikey KEY``).
    credential_after: str = "login"
    #: A ``config set`` line: the registry and credential are in the rest of the line.
    config_line: bool = False
    #: Names a repository for later commands (``poetry config repositories.NAME URL``, ``dotnet nuget add
    #: source URL --name NAME``): a regex whose named groups ``name`` and ``url`` are read (else ``name`` from
    #: ``name_flags`` and the URL from the line); a later ``--repository NAME`` publishes there.
    alias_pattern: str = ""
    name_flags: tuple[str, ...] = ()
    #: The credential is anywhere on the line (``poetry config http-basic.NAME USER PASSWORD``).
    credential_anywhere: bool = False

    @model_validator(mode="after")
    def _check(self) -> LoginCommand:
        re.compile(self.pattern)
        if self.alias_pattern:
            re.compile(self.alias_pattern)
        return self

    @property
    def regex(self) -> re.Pattern[str]:
        """The pattern, anchored at the start of a command word."""
        return _word_regex(self.pattern)


class ConfigWrite(_Row):
    """A line written into a registry's config file that carries its credential."""

    config: Config
    marker: str
    default_registry: str
    #: The config file's own paths (``.pypirc``, ``.gem/credentials``): a credential written whole into one
    #: (``echo "$PYPIRC" > ~/.pypirc``) is that registry's, even with no marker in sight. Matched against the
    #: end of the path written to, at a ``/`` or the path's start.
    files: tuple[str, ...] = ()

    @property
    def regex(self) -> re.Pattern[str]:
        """The marker pattern."""
        return re.compile(self.marker, re.IGNORECASE | re.MULTILINE)

    def names_file(self, path: str) -> bool:
        """Whether ``path`` (as a script writes it: ``~/.pypirc``, ``$HOME/.cargo/credentials.toml``) is
        this config's file."""
        p = path.strip("'\"")
        return any(p == f or p.endswith("/" + f) for f in self.files)


class SecretHint(_Row):
    """A secret name that says which registry's credential it holds."""

    registry: str
    pattern: str


class RunnerHint(_Row):
    """The registry a tool's release scripts publish to."""

    registry: str
    pattern: str


class PackagingRepository(_Row):
    """Git repositories people install from: a ``git push`` to one publishes to ``registry``."""

    registry: str
    #: Matches the remote as written (``ssh://aur@aur.archlinux.org/x.git``, ``git@github.com:o/homebrew-x``),
    #: or ``github.com/owner/name`` for a GitHub repository named alone (``actions/checkout``'s ``repository``).
    pattern: str
    #: Repositories of the same shape changed only through pull requests their maintainers review
    #: (homebrew-core): a push there goes to a fork and publishes nothing.
    reviewed: str = ""

    @model_validator(mode="after")
    def _compiles(self) -> PackagingRepository:
        for pattern in (self.pattern, self.reviewed):
            if pattern:
                re.compile(pattern)
        return self


class SetupHint(_Row):
    """The registry of the language a setup action installs."""

    uses: str
    registry: str


class ScriptAction(_Row):
    """An action that runs a shell script given as one of its inputs (a retry wrapper, a container or
    emulator runner): what the script runs is what the step runs."""

    uses: str
    inputs: tuple[str, ...]


class GitLabTemplate(_Row):
    """A hidden job of another project's GitLab CI include that publishes (``extends: .publish_nightly``): the
    template is not in the extending project's files, so what it does is written here."""

    template: str  # the template's name, a regular expression matched in full
    include: str  # the project and file it comes from, for the reader
    registry: str
    #: CI/CD variables of the extending project that hold the credential the template uses.
    credential_variables: tuple[str, ...] = ()
    #: It signs in with the job's own token (GitLab's registry and packages).
    job_token: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> GitLabTemplate:
        re.compile(self.template)
        if not self.credential_variables and not self.job_token:
            raise ValueError(f"gitlab_templates: {self.template!r} names no credential")
        return self


class Catalogue(_Row):
    """The whole publish catalogue."""

    actions: tuple[ActionForm, ...]
    image_sources: tuple[ImageSource, ...]
    logins: tuple[LoginAction, ...]
    commands: tuple[CommandForm, ...]
    login_commands: tuple[LoginCommand, ...]
    config_writes: tuple[ConfigWrite, ...]
    secret_hints: tuple[SecretHint, ...]
    read_only_names: str
    setting_names: str = ""
    release_words: str
    publish_words: str
    image_words: str
    #: Variables that switch a build script's push on (``PUSH_ON_BUILD: "true"``, ``make … PUSH=yes``).
    push_switches: str = "(?!)"
    release_switches: str = "(?!)"
    release_runners: tuple[RunnerHint, ...]
    #: A publish tool a job installs: a release target or script run after it (`make upload`) uses it.
    installed_tools: tuple[RunnerHint, ...] = ()
    setup_hints: tuple[SetupHint, ...]
    inert_commands: str
    reusable_workflows: tuple[ReusableWorkflow, ...] = ()
    packaging_repositories: tuple[PackagingRepository, ...] = ()
    oidc_consumers: tuple[str, ...] = ()
    secret_stores: tuple[str, ...] = ()
    cloud_secret_reads: tuple[CloudSecretRead, ...] = ()
    script_actions: tuple[ScriptAction, ...] = ()
    gitlab_templates: tuple[GitLabTemplate, ...] = ()

    @model_validator(mode="after")
    def _registries_exist(self) -> Catalogue:
        known = set(registries())
        named: list[tuple[str, str]] = []
        for a in self.actions:
            named += [(a.uses, r) for r in (a.registry, a.login, *a.also) if r]
        for lg in self.logins:
            named += [(lg.uses, r) for r in (lg.registry, lg.default_registry) if r]
        for c in self.commands:
            named += [
                (c.name, r)
                for r in (c.registry, *c.also, *c.in_ci.values(), *c.also_when.values(), *c.target_registries.values())
                if r and r != "other:*"
            ]
        for lc in self.login_commands:
            named += [(lc.name, r) for r in (lc.registry, lc.default_registry) if r]
        named += [(w.config, w.default_registry) for w in self.config_writes]
        named += [(h.pattern, h.registry) for h in self.secret_hints]
        named += [(r.pattern, r.registry) for r in (*self.release_runners, *self.installed_tools)]
        named += [(h.uses, h.registry) for h in self.setup_hints]
        named += [(a.uses, r) for a in self.actions for r in a.also_with_command]
        named += [(a.uses, r) for a in self.actions for r in a.also_with_inputs.values()]
        named += [(w.uses, w.registry) for w in self.reusable_workflows if w.registry]
        named += [(p.pattern, p.registry) for p in self.packaging_repositories]
        named += [(t.template, t.registry) for t in self.gitlab_templates]
        for where, r in named:
            if r not in known:
                raise ValueError(f"publish.yaml: {where!r} names unknown registry {r!r}")
        seen: set[str] = set()
        for uses in (
            *(a.uses for a in self.actions),
            *(a.uses for a in self.logins),
            *(a.uses for a in self.image_sources),
        ):
            key = uses.lower()
            if key in seen:
                raise ValueError(f"publish.yaml: action {uses!r} listed twice")
            seen.add(key)
        return self


@cache
def _word_regex(pattern: str) -> re.Pattern[str]:
    # A command word starts a line, follows a separator, a path (``./node_modules/.bin/``) or a
    # wrapper (``npx``, ``sudo``, ``python -m``): the pattern must not match inside another word.
    return re.compile(r"(?:^|(?<=[\s/;&|(`\"'=]))(?:" + pattern + ")", re.IGNORECASE)


@cache
def catalogue() -> Catalogue:
    """The validated catalogue."""
    return Catalogue.model_validate(read_table("publish.yaml"))


@cache
def command_forms() -> tuple[tuple[CommandForm, re.Pattern[str]], ...]:
    """The publish commands in table order, each with its compiled pattern."""
    return tuple((form, form.regex) for form in catalogue().commands)


@cache
def any_command() -> re.Pattern[str] | None:
    """One pattern that matches wherever some publish command's pattern matches: most commands of a
    script are none of them, and one search says so where each form's own search took one each.
    None when the patterns cannot be joined (a group name used in two of them): search each then."""
    try:
        return re.compile("|".join(f"(?:{regex.pattern})" for _, regex in command_forms()), re.IGNORECASE)
    except re.error:
        return None


@cache
def action_forms() -> dict[str, ActionForm]:
    """Publishing actions by lower-case ``owner/repo[/path]``."""
    return {a.uses.lower(): a for a in catalogue().actions}


@cache
def vendored_actions() -> dict[str, str]:
    """Catalogued actions by the `name:` their action.yml declares (lower case): ``uses`` of each."""
    return {n.lower(): a.uses for a in catalogue().actions for n in a.action_names}


@cache
def script_actions() -> dict[str, tuple[str, ...]]:
    """Actions that run a script given as an input, by lower-case ``owner/repo``: the inputs holding it."""
    return {a.uses.lower(): a.inputs for a in catalogue().script_actions}


def gitlab_template(name: str) -> GitLabTemplate | None:
    """The catalogued template a GitLab job's ``extends:`` names, if any."""
    return next((t for t in catalogue().gitlab_templates if re.fullmatch(t.template, name)), None)


@cache
def reusable_workflows() -> dict[str, tuple[ReusableWorkflow, ...]]:
    """Other repositories' publishing reusable workflows by lower-case ``owner/repo/path``: one row per registry
    each writes to (the Jenkins plugin release deploys to Jenkins' Maven repository and makes the GitHub release)."""
    out: dict[str, tuple[ReusableWorkflow, ...]] = {}
    for w in catalogue().reusable_workflows:
        out[w.uses.lower()] = (*out.get(w.uses.lower(), ()), w)
    return out


@cache
def login_actions() -> dict[str, LoginAction]:
    """Login actions by lower-case ``owner/repo[/path]``."""
    return {a.uses.lower(): a for a in catalogue().logins}


@cache
def image_sources() -> dict[str, ImageSource]:
    """Image-naming actions by lower-case ``owner/repo[/path]``."""
    return {a.uses.lower(): a for a in catalogue().image_sources}


#: A forge's API tokens serve many purposes: holding one says nothing about publishing to any one registry.
_API_TOKENS = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "GL_TOKEN", "CI_JOB_TOKEN"})


@cache
def credential_env_registries() -> dict[str, str]:
    """Environment variable → the registry whose publish tool reads it as a credential (first row wins)."""
    out: dict[str, str] = {}
    for c in catalogue().commands:
        for name in c.credential_env if c.guess_from_env else ():
            if c.registry and name not in _API_TOKENS:
                out.setdefault(name.upper(), c.registry)
    for a in catalogue().actions:
        for name in a.credential_env:
            if a.registry and name not in _API_TOKENS:
                out.setdefault(name.upper(), a.registry)
    return out


@cache
def _hints() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(h.pattern, re.IGNORECASE), h.registry) for h in catalogue().secret_hints)


@cache
def _read_only() -> re.Pattern[str]:
    return re.compile(catalogue().read_only_names, re.IGNORECASE)


@cache
def _settings() -> re.Pattern[str] | None:
    pattern = catalogue().setting_names
    return re.compile(pattern) if pattern else None


def registry_from_secret_name(name: str) -> str | None:
    """The registry a secret's name says it holds a publish credential for, or None (also for names
    that say they only read, and for variables named as settings: `PUSH_TO_DOCKER_HUB`, `DOCKER_HUB_USER`)."""
    settings = _settings()
    if settings is not None and settings.search(name):
        return None
    # a script or input named with dashes or dots says the same (`publish-crates-io.py`, `pub-credentials`)
    name = name.replace("-", "_").replace(".", "_")
    if _read_only().search(name):
        return None
    for rx, registry in _hints():
        if rx.search(name):
            return registry
    return None


@cache
def release_words() -> re.Pattern[str]:
    """Words that mark a script as a release step."""
    return re.compile(catalogue().release_words, re.IGNORECASE)


@cache
def publish_words() -> re.Pattern[str]:
    """Words that mark a script as a release step, for guesses made without a credential."""
    return re.compile(catalogue().publish_words, re.IGNORECASE)


@cache
def image_words() -> re.Pattern[str]:
    """Words of a command that pushes images."""
    return re.compile(catalogue().image_words, re.IGNORECASE)


@cache
def _tool_hints(table: Literal["release_runners", "installed_tools"]) -> tuple[tuple[re.Pattern[str], str], ...]:
    rows: tuple[RunnerHint, ...] = getattr(catalogue(), table)
    return tuple((re.compile(h.pattern), h.registry) for h in rows)


def _first_registry(table: Literal["release_runners", "installed_tools"], text: str) -> str | None:
    return next((registry for rx, registry in _tool_hints(table) if rx.search(text)), None)


def registry_from_runner(command: str) -> str | None:
    """The registry a release-like command publishes to, from the tool that runs it."""
    return _first_registry("release_runners", command)


@cache
def _packaging() -> tuple[tuple[re.Pattern[str], re.Pattern[str] | None, str], ...]:
    return tuple(
        (
            re.compile(p.pattern, re.IGNORECASE),
            re.compile(p.reviewed, re.IGNORECASE) if p.reviewed else None,
            p.registry,
        )
        for p in catalogue().packaging_repositories
    )


def packaging_registry(remote: str) -> str | None:
    """The registry a git remote is a packaging repository of (``aur``, ``homebrew``...), or None: also
    for a repository changed only by reviewed pull requests."""
    for rx, reviewed, registry in _packaging():
        if rx.search(remote):
            return None if reviewed is not None and reviewed.search(remote) else registry
    return None


@cache
def cloud_secret_reads() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(command pattern, cloud) of the commands that read a cloud secret store."""
    return tuple((re.compile(r.pattern), r.cloud) for r in catalogue().cloud_secret_reads)


@cache
def oidc_consumers() -> frozenset[str]:
    """Actions (lower-case ``owner/repo[/path]``) that use the job's OIDC token without publishing."""
    return frozenset(a.lower() for a in catalogue().oidc_consumers)


@cache
def secret_stores() -> frozenset[str]:
    """Actions whose outputs are secrets fetched from a secrets manager (lower-case ``owner/repo[/path]``)."""
    return frozenset(a.lower() for a in catalogue().secret_stores)


@cache
def setup_hints() -> dict[str, str]:
    """Setup actions by lower-case ``owner/repo[/path]`` → registry."""
    return {h.uses.lower(): h.registry for h in catalogue().setup_hints}


@cache
def inert_commands() -> re.Pattern[str]:
    """Commands that never publish."""
    return re.compile(catalogue().inert_commands, re.IGNORECASE)


def registry_from_installed_tool(script: str) -> str | None:
    """The registry of the publish tool a job's script installs (``pip3 install requests twine``: PyPI), or None."""
    return _first_registry("installed_tools", script)


@cache
def release_switch() -> re.Pattern[str]:
    """Matches a variable name that switches a release to one registry on (``RELEASE_TO_AUR``); group ``target``."""
    return re.compile(catalogue().release_switches)


@cache
def push_switch() -> re.Pattern[str]:
    """Matches a variable name that switches a build's push on (``PUSH_ON_BUILD``, ``PUSH``, ``DOCKER_PUSH``)."""
    return re.compile(catalogue().push_switches)
