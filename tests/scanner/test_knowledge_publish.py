"""The publish catalogue, row by row: each command row's `example` publishes to its registry and its
`not_example` does not; each action row publishes with the inputs below and not without them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from connectors.ci.publish import Publish, StepView, analyse
from connectors.ci.shell import commands
from connectors.github.refs import GitHubRefs
from scanner.knowledge.publish import (
    CommandForm,
    action_forms,
    any_command,
    catalogue,
    command_forms,
    login_actions,
    registry_from_secret_name,
)
from scanner.knowledge.registries import registries
from scanner.yaml12 import load_yaml

#: Credentials every example step holds (fake values: secret references only).
ENV = {
    name: "${{ secrets.FAKE_CREDENTIAL }}"
    for name in {n for c in catalogue().commands for n in c.credential_env} | {"KO_DOCKER_REPO"}
    if name != "KO_DOCKER_REPO"
}
ENV["KO_DOCKER_REPO"] = "docker.io/acme"
LOGIN = StepView(0, "login", 1, None, "docker/login-action@v3", {"password": "${{ secrets.HUB }}"}, None, {})


def _run(steps: list[StepView], *, oidc: bool = True) -> list[Publish]:
    return [p for p in analyse(steps, GitHubRefs("acme/app"), oidc=oidc) if p.confidence == "certain"]


def _script(text: str, env: Mapping[str, str] = ENV) -> list[StepView]:
    return [LOGIN, StepView(1, "step", 2, None, None, {}, text, dict(env))]


def _expected(row: CommandForm) -> str:
    if row.registry_from_url:
        return "jfrog"  # the example uploads to acme.jfrog.io
    if row.registry:
        return row.registry
    return "dockerhub"  # image rows: the examples push to docker.io


@pytest.mark.parametrize("row", catalogue().commands, ids=lambda r: r.name)
def test_command_row_example_publishes_and_its_twin_does_not(row: CommandForm) -> None:
    assert row.example, f"{row.name}: add an example to publish.yaml"
    assert row.not_example, f"{row.name}: add a not_example to publish.yaml"
    found = {p.registry for p in _run(_script(row.example))}
    assert _expected(row) in found, (row.name, found)
    assert not _run(_script(row.not_example)), row.name


#: Action rows: inputs that make the step publish, and a near-identical step that does not.
ACTIONS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    # uses: (expected registry, publishing inputs, non-publishing inputs)
    "pypa/gh-action-pypi-publish": ("pypi", {"password": "${{ secrets.PYPI }}"},
                                    {"repository-url": "http://localhost:8080/legacy/", "password": "x"}),
    "js-devtools/npm-publish": ("npm", {"token": "${{ secrets.NPM }}"}, {"token": "${{ secrets.NPM }}", "dry-run": "true"}),
    "changesets/action": ("npm", {"publish": "pnpm changeset publish"}, {"version": "pnpm changeset version"}),
    "changesets/action/publish": ("npm", {}, {}),
    "danielroe/uppt/publish": ("npm", {}, {}),
    "afaundez/chef-supermarket-action": ("chef-supermarket", {"category": "Package Management"}, {}),
    "jenkins-infra/jenkins-maven-cd-action": ("jenkins-repo", {"MAVEN_USERNAME": "${{ secrets.MAVEN_USERNAME }}",
                                                               "MAVEN_TOKEN": "${{ secrets.MAVEN_TOKEN }}"}, {}),
    "cycjimmy/semantic-release-action": ("github-releases", {}, {"dry_run": "true"}),
    "jbolda/covector/packages/action": ("github-releases", {"command": "publish", "createRelease": "true"},
                                        {"command": "status", "createRelease": "true"}),
    "docker/build-push-action": ("dockerhub", {"push": "true", "tags": "acme/app:1"}, {"push": "false", "tags": "acme/app:1"}),
    "useblacksmith/build-push-action": ("dockerhub", {"push": "true", "tags": "acme/app:1"}, {"tags": "acme/app:1"}),
    "depot/build-push-action": ("dockerhub", {"push": "true", "tags": "acme/app:1"}, {"tags": "acme/app:1"}),
    "depot/bake-action": ("dockerhub", {"push": "true", "set": "*.tags=acme/app:1"}, {"set": "*.tags=acme/app:1"}),
    "docker/bake-action": ("dockerhub", {"push": "true", "set": "*.tags=acme/app:1"}, {"set": "*.tags=acme/app:1"}),
    "redhat-actions/push-to-registry": ("quay", {"registry": "quay.io/acme", "password": "${{ secrets.Q }}"},
                                        {"registry": "localhost:5000/acme"}),
    "mr-smithers-excellent/docker-build-push": ("dockerhub", {"image": "acme/app", "registry": "docker.io",
                                                              "password": "${{ secrets.HUB }}"},
                                                {"image": "acme/app", "registry": "localhost:5000/acme"}),
    "artis3n/ansible_galaxy_collection": ("ansible-galaxy", {"api_key": "${{ secrets.GALAXY }}"}, {"api_key": ""}),
    "softprops/action-gh-release": ("github-releases", {"files": "dist/*"}, {"files": "dist/*", "token": ""}),
    "ncipollo/release-action": ("github-releases", {"artifacts": "dist/*"}, {"token": ""}),
    "svenstaro/upload-release-action": ("github-releases", {"file": "dist/x"}, {"repo_token": ""}),
    "actions/create-release": ("github-releases", {"tag_name": "v1"}, {}),
    "actions/upload-release-asset": ("github-releases", {"asset_path": "x"}, {}),
    "marvinpinto/action-automatic-releases": ("github-releases", {"repo_token": "${{ secrets.GITHUB_TOKEN }}"}, {}),
    "release-drafter/release-drafter": ("github-releases", {"publish": "true"}, {}),
    "googleapis/release-please-action": ("github-releases", {}, {"token": ""}),
    "google-github-actions/release-please-action": ("github-releases", {}, {"token": ""}),
    "goreleaser/goreleaser-action": ("github-releases", {"args": "release --clean"}, {"args": "release --snapshot"}),
    "helm/chart-releaser-action": ("github-releases", {}, {}),
    "appany/helm-oci-chart-releaser": ("ghcr", {"registry": "ghcr.io", "registry_password": "${{ secrets.CR }}"},
                                       {"registry": "localhost:5000"}),
    "rust-lang/crates-io-auth-action": ("", {}, {}),
    "katyo/publish-crates": ("crates", {"registry-token": "${{ secrets.C }}"}, {"dry-run": "true"}),
    "release-plz/action": ("crates", {"command": "release"}, {"command": "release-pr"}),
    "marcoieni/release-plz-action": ("crates", {"command": "release"}, {"command": "release-pr"}),
    "taiki-e/upload-rust-binary-action": ("github-releases", {"bin": "app"}, {"token": ""}),
    "rubygems/release-gem": ("rubygems", {}, {}),
    "rubygems/configure-rubygems-credentials": ("", {}, {}),
    "nuget/login": ("", {}, {}),
    # jupyter_releaser: a draft release is nothing anyone installs; finalize-release publishes it
    "jupyter-server/jupyter_releaser/.github/actions/prep-release": ("", {}, {}),
    "jupyter-server/jupyter_releaser/.github/actions/populate-release": ("", {}, {}),
    "jupyter-server/jupyter_releaser/.github/actions/finalize-release": ("github-releases", {"token": "${{ secrets.APP }}"}, {}),
    # a tap of the project's own publishes; a pull request to homebrew-core (the default) does not
    "mislav/bump-homebrew-formula-action": ("homebrew", {"formula-name": "app", "homebrew-tap": "acme/homebrew-tap"},
                                            {"formula-name": "app"}),
    "dawidd6/action-homebrew-bump-formula": ("homebrew", {"formula": "app", "tap": "acme/homebrew-tap"},
                                             {"formula": "app", "tap": "Homebrew/core"}),
    "justintime50/homebrew-releaser": ("homebrew", {"homebrew_owner": "acme"}, {}),
    "pyo3/maturin-action": ("pypi", {"command": "upload"}, {"command": "build"}),
    "haaleo/publish-vscode-extension": ("open-vsx", {"pat": "${{ secrets.OVSX }}"}, {"pat": "x", "dryRun": "true"}),
    "lannonbr/vsce-action": ("vscode-marketplace", {"args": "publish -p $VSCE_TOKEN"}, {"args": "package"}),
    "snapcore/action-publish": ("snapcraft", {"snap": "x.snap"}, {}),
    "gradle/gradle-build-action": ("maven-central", {"arguments": "publishToSonatype"}, {"arguments": "build"}),
    "jreleaser/release-action": ("maven-central", {"arguments": "full-release"}, {"arguments": "config"}),
    "actions/github-script": ("github-releases", {"script": "await github.rest.repos.createRelease({tag_name: 'v1'})"},
                              {"script": "await github.rest.repos.getRelease({release_id: 1})"}),
    "yyx990803/release-tag": ("github-releases", {"tag_name": "v1"}, {}),
    "vedantmgoyal9/winget-releaser": ("winget", {"token": "${{ secrets.WINGET }}"}, {}),
    "vedantmgoyal2009/winget-releaser": ("winget", {"token": "${{ secrets.WINGET }}"}, {}),
    # Komac submits only when told to; an `args` computed by an earlier step may tell it
    "michidk/run-komac": ("winget", {"args": "update Acme.App --version 1.2 --urls $U --submit"},
                          {"args": "update Acme.App --version 1.2 --urls $U --dry-run"}),
    "nextcloud-releases/nextcloud-appstore-push-action": ("nextcloud-appstore",
                                                          {"appstore_token": "${{ secrets.APPSTORE_TOKEN }}"}, {}),
    "bufbuild/buf-action": ("buf", {"token": "${{ secrets.BUF_TOKEN }}"}, {"token": "${{ secrets.BUF_TOKEN }}", "push": "false"}),
    "ansible/ansible-publish-action": ("ansible-galaxy", {"api_key": "${{ secrets.GALAXY }}"}, {}),
    "juliaregistries/tagbot": ("github-releases", {"token": "${{ secrets.GITHUB_TOKEN }}"}, {"token": ""}),
    "nvim-neorocks/luarocks-tag-release": ("luarocks", {}, {}),
    # fourmolu: `hackageToken: ${{ secrets[…] }}`; a candidate upload (no `publish: true`) uses the same token
    "haskell-actions/hackage-publish": ("hackage", {"hackageToken": "${{ secrets.HACKAGE_TOKEN }}"}, {}),
    "wdzeng/edge-addon": ("edge-addons", {"api-key": "${{ secrets.EDGE_API_KEY }}"}, {}),
    "cachix/cachix-action": ("cachix", {"name": "acme", "authToken": "${{ secrets.CACHIX_AUTH_TOKEN }}"},
                             {"name": "acme", "authToken": "${{ secrets.CACHIX_AUTH_TOKEN }}", "skipPush": "true"}),
    "stefanprodan/helm-gh-pages": ("helm-pages", {"token": "${{ secrets.CHARTS_TOKEN }}"}, {}),
    "actions/publish-immutable-action": ("ghcr", {"github-token": "${{ secrets.GITHUB_TOKEN }}"}, {}),
    # mint a GitHub token from the job's OIDC token: they publish nothing by themselves
    "octo-sts/action": ("", {}, {}),
    "datadog/dd-octo-sts-action": ("", {}, {}),
    "samuelmeuli/action-electron-builder": ("github-releases", {"release": "true", "github_token": "${{ secrets.GITHUB_TOKEN }}"},
                                            {"github_token": "${{ secrets.GITHUB_TOKEN }}"}),
    "johannesjo/action-electron-builder": ("github-releases", {"release": "true", "github_token": "${{ secrets.GITHUB_TOKEN }}"},
                                           {"github_token": "${{ secrets.GITHUB_TOKEN }}", "release": "false"}),
}  # fmt: skip
#: Rows no input turns into a non-publish: their twin is the same step with no credential anywhere,
#: which still publishes (the catalogue never drops a publish) with route `unknown`.
NEEDS_CREDENTIAL = {"softprops/action-gh-release", "justintime50/homebrew-releaser", "jupyter-server/jupyter_releaser/.github/actions/finalize-release", "ncipollo/release-action", "svenstaro/upload-release-action",
                    "actions/create-release", "actions/upload-release-asset", "marvinpinto/action-automatic-releases",
                    "googleapis/release-please-action", "google-github-actions/release-please-action",
                    "helm/chart-releaser-action", "rubygems/release-gem", "snapcore/action-publish",
                    "yyx990803/release-tag", "vedantmgoyal9/winget-releaser", "vedantmgoyal2009/winget-releaser",
                    "cycjimmy/semantic-release-action", "changesets/action/publish",
                    "taiki-e/upload-rust-binary-action", "artis3n/ansible_galaxy_collection",
                    "nextcloud-releases/nextcloud-appstore-push-action", "stefanprodan/helm-gh-pages",
                    "actions/publish-immutable-action", "ansible/ansible-publish-action",
                    "nvim-neorocks/luarocks-tag-release", "wdzeng/edge-addon", "haskell-actions/hackage-publish",
                    "danielroe/uppt/publish", "jenkins-infra/jenkins-maven-cd-action",
                    "afaundez/chef-supermarket-action"}  # fmt: skip


@pytest.mark.parametrize(("args", "publishes"), [("--debug", True), ("", True), ("release --clean", True),
                                                  ("build --clean", False), ("release --snapshot", False)])  # fmt: skip
def test_goreleaser_with_no_sub_command_releases(args: str, publishes: bool) -> None:
    # `goreleaser` alone (flags only, or nothing) runs `goreleaser release`
    inputs = {"args": args} if args else {}
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    step = StepView(1, "step", 2, None, "goreleaser/goreleaser-action@v6", inputs, None, env)
    assert ("github-releases" in {p.registry for p in _run([step], oidc=False)}) is publishes


def test_goreleaser_args_chosen_by_an_expression_publish_when_one_choice_does() -> None:
    # fzf: a tag push releases, a manual run makes a snapshot; the step can publish
    env = {"GITHUB_TOKEN": "${{ secrets.RELEASE_PAT }}"}
    either = "${{ github.event_name == 'push' && 'release --clean' || 'release --snapshot --clean --skip=publish' }}"
    never = "${{ inputs.x && 'release --snapshot' || 'build --clean' }}"
    for args, publishes in ((either, True), (never, False)):
        step = StepView(1, "step", 2, None, "goreleaser/goreleaser-action@v6", {"args": args}, None, env)
        assert ("github-releases" in {p.registry for p in _run([step], oidc=False)}) is publishes, args


@pytest.mark.parametrize(("override", "publishes"), [("*.output=type=image,push-by-digest=true,push=true", True),
                                                     ("*.push=true", True), ("*.output=type=registry", True),
                                                     ("*.output=type=local,dest=./out", False),
                                                     ("*.output=type=image,push=false", False)])  # fmt: skip
def test_bake_set_overrides_that_push(override: str, publishes: bool) -> None:
    # vaultwarden: no `push:` input; `set:` pushes by digest to where the job logged in
    step = StepView(
        1, "bake", 2, None, "docker/bake-action@v7", {"set": f"*.platform=linux/amd64\n{override}"}, None, {}
    )
    assert ("dockerhub" in {p.registry for p in _run([LOGIN, step])}) is publishes


def test_a_deno_release_step_publishes_to_jsr_by_oidc() -> None:
    # hono: `deno run -A jsr:@david/publish-on-tag` in a step named "Publish to JSR", id-token: write
    steps = [
        StepView(0, "setup", 1, None, "denoland/setup-deno@v2", {}, None, {}),
        StepView(1, "Publish to JSR", 2, None, None, {}, "deno run -A jsr:@david/publish-on-tag@0.1.4", {}),
    ]
    found = {
        (p.registry, p.confidence, tuple(r.kind for r in p.routes))
        for p in analyse(steps, GitHubRefs("a/b"), oidc=True)
    }
    assert ("jsr", "probable", ("oidc",)) in found
    assert not analyse(steps, GitHubRefs("a/b"), oidc=False)  # no OIDC token, no credential: nothing to publish with


def test_a_release_script_holding_a_github_token_and_an_unused_oidc_token_publishes_both() -> None:
    # msw: `pnpm release` with GITHUB_TOKEN and id-token: write (npm Trusted Publishing), no cloud sign-in
    steps = [
        StepView(0, "node", 1, None, "actions/setup-node@v4", {"node-version": "24"}, None, {}),
        StepView(1, "Release", 2, None, None, {}, "pnpm release", {"GITHUB_TOKEN": "${{ secrets.GH_ADMIN_TOKEN }}"}),
    ]
    with_oidc = {p.registry for p in analyse(steps, GitHubRefs("a/b"), oidc=True)}
    assert with_oidc == {"github-releases", "npm"}
    assert {p.registry for p in analyse(steps, GitHubRefs("a/b"), oidc=False)} == {"github-releases"}
    aws = StepView(
        0,
        "aws",
        1,
        None,
        "aws-actions/configure-aws-credentials@v4",
        {"role-to-assume": "arn:aws:iam::1:role/r"},
        None,
        {},
    )
    # the OIDC token is the cloud sign-in's: no npm guess beside the release
    assert "npm" not in {p.registry for p in analyse([aws, *steps], GitHubRefs("a/b"), oidc=True)}


def test_every_action_row_has_an_example() -> None:
    assert set(action_forms()) == set(ACTIONS)


@pytest.mark.parametrize("uses", sorted(ACTIONS))
def test_action_row(uses: str) -> None:
    registry, yes, no = ACTIONS[uses]
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}", "CR_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
           "SNAPCRAFT_STORE_CREDENTIALS": "${{ secrets.SNAP }}", "VSCE_TOKEN": "${{ secrets.VSCE }}",
           "NPM_TOKEN": "${{ secrets.NPM }}", "CARGO_REGISTRY_TOKEN": "${{ secrets.CRATES }}"}  # fmt: skip
    step = StepView(1, "step", 2, None, f"{uses}@v1", yes, None, env)
    found = {p.registry for p in _run([LOGIN, step], oidc=True)}
    if not registry:
        # a login that mints a registry token: it publishes nothing by itself
        assert found == set(), (uses, found)
        return
    assert registry in found, (uses, found)
    if uses in NEEDS_CREDENTIAL:
        bare = StepView(1, "step", 2, None, f"{uses}@v1", {}, None, {})
        routes = {r.kind for p in analyse([bare], GitHubRefs("acme/app"), oidc=False) for r in p.routes}
        assert routes, uses
        assert routes <= {"unknown", "job_token"}, (uses, routes)
        return
    twin = StepView(1, "step", 2, None, f"{uses}@v1", no, None, env)
    twin_found = {p.registry for p in _run([twin], oidc=True)}
    assert registry not in twin_found, (uses, twin_found)


def test_every_login_row_gives_a_later_push_its_credential() -> None:
    for uses, row in login_actions().items():
        if row.writes_config is not None or row.cloud is not None or not row.credential_inputs:
            continue  # configs, clouds and env-configured CLIs are judged by the steps that use them
        inputs = {
            **dict.fromkeys(row.credential_inputs, "${{ secrets.REG }}"),
            **dict.fromkeys(row.registry_inputs, "docker.io"),
        }
        step = StepView(0, "login", 1, None, f"{uses}@v1", inputs, None, {})
        # an image registry's login serves `docker push`; another's, that registry's own command (`eas update`)
        text = "docker push acme/app:1"
        if row.registry and registries()[row.registry].kind != "image":
            text = next(c.example for c in catalogue().commands if c.registry == row.registry)
        push = StepView(1, "push", 2, None, None, {}, text, {})
        routes = {r.name for p in _run([step, push]) for r in p.routes}
        assert "REG" in routes, uses


def test_registry_ids_in_the_catalogue_exist() -> None:
    # validated when the catalogue loads; this pins it to a test that names the rule
    assert catalogue() is not None
    assert {"pypi", "npm", "dockerhub", "ghcr", "github-releases"} <= set(registries())


def _real_commands() -> list[str]:
    """Every shell command of the real workflows and pipelines here: the fidelity corpora of public
    repositories (GitHub ``run:`` and GitLab ``script:`` lines), as the publish analysis splits them."""
    root = Path(__file__).parents[2] / "bench" / "fidelity"
    scripts: list[str] = []

    def walk(doc: object) -> None:
        if isinstance(doc, dict):
            for k, v in doc.items():
                if k in ("run", "script", "before_script", "after_script"):
                    lines = [v] if isinstance(v, str) else v if isinstance(v, list) else []
                    scripts.extend(x for x in lines if isinstance(x, str))
                walk(v)
        elif isinstance(doc, list):
            for v in doc:
                walk(v)

    for path in sorted(root.glob("*/corpus/**/*.y*ml")):
        try:
            walk(load_yaml(path.read_text(encoding="utf-8", errors="replace")))
        except (yaml.YAMLError, ValueError, RecursionError):
            continue
    return sorted({cmd.text for script in scripts for cmd in commands(script)})


def test_the_joined_command_pattern_matches_exactly_where_some_row_matches() -> None:
    # The analysis searches each command once with the joined pattern and tries the rows (in table
    # order) only where it matched: that must never hide a row's match, nor find one no row has.
    joined = any_command()
    assert joined is not None
    rows = command_forms()
    assert [form for form, _ in rows] == list(catalogue().commands)
    texts = [t for c in catalogue().commands for t in (c.example, c.not_example) if t] + _real_commands()
    assert len(texts) > 2_000
    matched = 0
    for text in texts:
        want = any(regex.search(text) for _, regex in rows)
        assert bool(joined.search(text)) == want, text
        matched += want
    assert matched > 150  # both answers are exercised


def test_no_command_pattern_blows_up_on_a_long_run_of_options() -> None:
    # A pipeline is attacker-controllable text: a pattern whose options can be read two ways (`--?\S+`
    # before `-\S+`) backtracks exponentially on a line of forty flags that ends without a publish
    # (flat-manager-client's first pattern did). Each row is tried in a child process; one that does not
    # finish within the generous limit is named (a hang check, not a timing).
    script = (
        "import sys\n"
        "from scanner.knowledge.publish import catalogue\n"
        "for row in catalogue().commands:\n"
        "    head = row.example.split()[0]\n"
        "    for tail in (' '.join(f'--o{i} --p{i}' for i in range(40)), ' '.join(f'--o{i} v{i}' for i in range(40)),\n"
        "                 ' '.join(f'-o{i}' for i in range(40))):\n"
        "        print(row.name, flush=True)\n"
        "        row.regex.search(f'{head} {tail} zzz')\n"
        "print('done', flush=True)\n"
    )
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"command pattern did not finish: {out.splitlines()[-1] if out else '?'}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.endswith("done\n")


def test_a_variable_named_as_a_setting_holds_no_credential() -> None:
    # islandoftex/images/texlive: `PUSH_TO_DOCKER_HUB` is a switch, `DOCKER_HUB_USER` a name
    assert registry_from_secret_name("DOCKER_HUB_PASSWORD") == "dockerhub"
    assert registry_from_secret_name("PUSH_TO_DOCKER_HUB") is None
    assert registry_from_secret_name("DOCKER_HUB_USER") is None
    assert registry_from_secret_name("DOCKER_HUB_IMAGE") is None
    assert registry_from_secret_name("push_to_dockerhub") == "dockerhub"  # a script's name still says where


@pytest.mark.parametrize(
    ("script", "texts"),
    [
        # inside `[[ … ]]`, `||` and `&&` join conditions: one test, not two commands (rollup's PR number check)
        (
            'if [[ -z "$N" || ! "$N" =~ ^[0-9]+$ ]]; then exit 1; fi',
            ['if [[ -z "$N" || ! "$N" =~ ^[0-9]+$ ]]', "then exit 1", "fi"],
        ),
        ("[[ -f x ]] && ./run.sh || echo no", ["[[ -f x ]]", "./run.sh", "echo no"]),
        ("x=[[ && make", ["x=[[", "make"]),
    ],
)
def test_conditions_inside_a_double_bracket_test_are_one_command(script: str, texts: list[str]) -> None:
    assert [c.text for c in commands(script)] == texts
