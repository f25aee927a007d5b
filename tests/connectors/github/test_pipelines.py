"""Pipelines as people write them: each class of publishing and of outsiders' ways in, with a
pipeline that must be reported and a near-identical one that must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.github import SPEC
from scanner.bundle import BundleReader
from scanner.model import AttrValue, EdgeKind, Inventory, NodeId

REPO = "acme/app"
WF = f"github/repos/{REPO}/contents/.github/workflows/ci.yml"


def _inventory(tmp_path: Path, workflow: str, files: dict[str, str] | None = None) -> Inventory:
    for rel, text in {WF: workflow, **(files or {})}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return SPEC.inventory(BundleReader(tmp_path))


def _job(inv: Inventory, job: str = "j") -> dict[str, AttrValue]:
    return dict(inv.node(NodeId(f"github:job:{REPO}/.github/workflows/ci.yml#{job}")).attrs)


def _controls(attrs: dict[str, AttrValue]) -> tuple[str, ...]:
    controls = attrs["outsider_control"]
    assert isinstance(controls, tuple)
    return tuple(str(c) for c in controls)


def _one_step(run: str, env: str = "", on: str = "push", perms: str = "") -> str:
    return f"on: {on}\n{perms}jobs:\n  j:\n    runs-on: x\n{env}    steps:\n      - run: {run}\n"


# -- publishing: recognised forms -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "registry"),
    [
        ('twine upload -u __token__ -p "$PYPI_TOKEN" dist/*', "pypi"),
        ("twine upload --repository-url https://test.pypi.org/legacy/ dist/*", "testpypi"),
        ("npm publish --access public", "npm"),
        ("docker push acme/app:1", "dockerhub"),
        ("docker push ghcr.io/acme/app:1", "ghcr"),
    ],
)
def test_publish_forms(tmp_path: Path, run: str, registry: str) -> None:
    env = "    env:\n      PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}\n      NODE_AUTH_TOKEN: ${{ secrets.NPM }}\n"
    attrs = _job(_inventory(tmp_path, _one_step(run, env)))
    assert attrs["publishes"] == (registry,)
    assert attrs["publishes_probable"] == ()


def test_twine_password_flag_from_a_variable_names_the_secret(tmp_path: Path) -> None:
    env = "    env:\n      PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}\n"
    inv = _inventory(tmp_path, _one_step('twine upload -u __token__ -p "$PYPI_TOKEN" dist/*', env))
    assert _job(inv)["publish_routes"] == ("pypi:secret:PYPI_TOKEN",)
    secret = f"github:secret:{REPO}/PYPI_TOKEN"
    assert {e.dst for e in inv.edges() if e.src == secret and e.kind is EdgeKind.EXPOSES} == {
        f"pypi:token:github/{REPO}/PYPI_TOKEN"
    }


@pytest.mark.parametrize(
    "run",
    [
        "npm publish --dry-run",  # a dry run publishes nothing
        "docker push localhost:5000/acme/app:1",  # a push to a local registry is no publish
        "twine check dist/*",
        "docker build -t acme/app:1 .",
    ],
)
def test_not_publishing(tmp_path: Path, run: str) -> None:
    env = "    env:\n      NODE_AUTH_TOKEN: ${{ secrets.NPM }}\n"
    assert _job(_inventory(tmp_path, _one_step(run, env)))["publishes"] == ()


def test_testpypi_is_not_pypi(tmp_path: Path) -> None:
    wf = (
        "on: push\njobs:\n  j:\n    permissions: {id-token: write}\n    steps:\n"
        "      - uses: pypa/gh-action-pypi-publish@release/v1\n"
        "        with: {repository-url: 'https://test.pypi.org/legacy/'}\n"
    )
    attrs = _job(_inventory(tmp_path, wf))
    assert (attrs["publishes"], attrs["pypi_trusted_publishing"]) == (("testpypi",), False)


# -- publishing: scripts the catalogue does not know (probable, never dropped) ----------------------


@pytest.mark.parametrize(
    ("run", "env", "registry"),
    [
        ("node ./scripts/publish.mjs", "NPM_TOKEN: ${{ secrets.NPM_TOKEN }}", "npm"),
        ("pnpm nx-release", "NODE_AUTH_TOKEN: ${{ secrets.NPM }}", "npm"),
        ("./scripts/publish", "PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}", "pypi"),
        ("make release", "TWINE_PASSWORD: ${{ secrets.PYPI }}", "pypi"),
    ],
)
def test_unrecognised_release_script_holding_a_registry_credential_is_a_probable_publish(
    tmp_path: Path, run: str, env: str, registry: str
) -> None:
    attrs = _job(_inventory(tmp_path, _one_step(run, f"    env:\n      {env}\n")))
    assert (attrs["publishes"], attrs["publishes_probable"]) == ((registry,), (registry,))
    twin = _job(_inventory(tmp_path / "twin", _one_step("make test", f"    env:\n      {env}\n")))
    # the same credential in a job that runs no release: held (third-party code beside it can take
    # it), not published
    assert twin["publishes"] == ()
    assert twin["holds_credentials"] == (registry,)


@pytest.mark.parametrize(
    ("name", "script", "published"),
    [
        # zwave-js: `name: Publish PR build to npm`, NPM_TOKEN in env, the script loads a repository script
        ("Publish PR build to npm", "require(`${process.env.GITHUB_WORKSPACE}/.github/bot-scripts/index.cjs`)", True),
        ("Publish PR build to npm", "const s = require('./scripts/release.js'); await s()", True),
        # named for a comment, or loading only a package: nothing published
        ("Post the result", "require(`${process.env.GITHUB_WORKSPACE}/.github/bot-scripts/index.cjs`)", False),
        ("Publish PR build to npm", "const fs = require('fs')", False),
    ],
)
def test_a_github_script_step_that_loads_a_repository_script_runs_it(
    tmp_path: Path, name: str, script: str, published: bool
) -> None:
    wf = f"""on: push
jobs:
  j:
    steps:
      - name: {name}
        uses: actions/github-script@v7
        env:
          NPM_TOKEN: ${{{{ secrets.NPM_TOKEN }}}}
        with:
          script: |
            {script}
"""
    attrs = _job(_inventory(tmp_path, wf))
    assert attrs["publishes_probable"] == (("npm",) if published else ())
    assert attrs["holds_credentials"] == (() if published else ("npm",))


# -- images: the pushed repository is named, so Docker Hub's connector links to it ------------------


def test_docker_login_and_build_push_name_the_docker_hub_repository(tmp_path: Path) -> None:
    wf = """on: push
jobs:
  j:
    steps:
      - uses: docker/login-action@v3
        with: {username: acme, password: "${{ secrets.DOCKERHUB_TOKEN }}"}
      - uses: docker/build-push-action@v6
        with: {push: true, tags: "acme/app:latest"}
"""
    inv = _inventory(tmp_path, wf)
    cred = f"dockerhub:token:github/{REPO}/DOCKERHUB_TOKEN"
    grants = {e.dst for e in inv.edges() if e.src == cred and e.kind is EdgeKind.GRANTS}
    assert grants == {"dockerhub:repository:acme/app"}
    twin = _inventory(tmp_path / "twin", wf.replace("push: true", "push: false"))
    assert _job(twin)["publishes"] == ()


@pytest.mark.parametrize(("packages", "published"), [("write", ("ghcr",)), ("read", ())])
def test_ghcr_with_the_job_token_needs_packages_write(
    tmp_path: Path, packages: str, published: tuple[str, ...]
) -> None:
    wf = f"""on: push
jobs:
  j:
    permissions: {{contents: read, packages: {packages}}}
    steps:
      - uses: docker/login-action@v3
        with: {{registry: ghcr.io, username: x, password: "${{{{ secrets.GITHUB_TOKEN }}}}"}}
      - run: docker push ghcr.io/acme/app:1
"""
    attrs = _job(_inventory(tmp_path, wf))
    assert attrs["publishes"] == published
    if published:
        assert attrs["publish_routes"] == ("ghcr:job_token",)


# -- where code comes from ------------------------------------------------------------------------


def test_local_composite_actions_are_expanded_in_both_forms(tmp_path: Path) -> None:
    action = "runs:\n  using: composite\n  steps:\n    - run: npm publish\n      shell: bash\n"
    files = {f"github/repos/{REPO}/contents/.github/actions/pub/action.yml": action}
    for form in ("./.github/actions/pub", "$/.github/actions/pub"):
        wf = f"on: push\njobs:\n  j:\n    env: {{NODE_AUTH_TOKEN: '${{{{ secrets.NPM }}}}'}}\n    steps:\n      - uses: {form}\n"
        attrs = _job(_inventory(tmp_path / form.replace("/", "_"), wf, files))
        assert attrs["publishes"] == ("npm",), form


def test_a_vendored_copy_of_a_catalogued_action_is_read_as_that_action(tmp_path: Path) -> None:
    # OpenMarch: ./actions/desktop-deploy is samuelmeuli/action-electron-builder copied in (node12, same name)
    action = "name: Electron Builder Action\ninputs:\n  github_token: {required: true}\nruns:\n  using: node12\n  main: index.js\n"
    files = {f"github/repos/{REPO}/contents/actions/desktop-deploy/action.yml": action}
    wf = """on: push
jobs:
  j:
    steps:
      - uses: ./actions/desktop-deploy
        with: {github_token: "${{ secrets.github_token }}", release: "${{ startsWith(github.ref, 'refs/tags/v') }}"}
"""
    assert _job(_inventory(tmp_path / "vendored", wf, files))["publish_routes"] == ("github-releases:job_token",)
    other = {k: v.replace("Electron Builder Action", "Desktop packaging") for k, v in files.items()}
    assert _job(_inventory(tmp_path / "other", wf, other))["publishes"] == ()


def test_uncollected_local_action_is_a_gap(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "on: push\njobs:\n  j:\n    steps:\n      - uses: ./.github/actions/missing\n")
    missing = f"github/repos/{REPO}/contents/.github/actions/missing/action.yml"
    (gap,) = [g for g in inv.gaps if g.scope == REPO and g.what.startswith("steps of local action")]
    # The gap names the file by its bundle path (it named it relative to the repository before issue 15).
    assert gap.reason.startswith(f"{missing} not collected")
    # ... and the job that runs it says what all of its steps run is unknown, naming the file (RB11).
    assert _job(inv)["unknown"] == ("steps",)
    assert _job(inv)["unknown_why"] == f"{missing} not collected"


def test_collected_local_action_leaves_the_steps_known(tmp_path: Path) -> None:
    action = "runs:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n"
    inv = _inventory(
        tmp_path,
        "on: push\njobs:\n  j:\n    steps:\n      - uses: ./.github/actions/here\n",
        {f"github/repos/{REPO}/contents/.github/actions/here/action.yml": action},
    )
    assert "unknown" not in _job(inv)
    assert not [g for g in inv.gaps if g.what.startswith("steps of")]


def test_uncollected_local_reusable_workflow_is_a_gap(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "on: push\njobs:\n  j:\n    uses: ./.github/workflows/called.yml\n")
    missing = f"github/repos/{REPO}/contents/.github/workflows/called.yml"
    assert _job(inv)["unknown_why"] == f"{missing} not collected"
    assert [g for g in inv.gaps if g.reason.startswith(f"{missing} not collected")]


def test_uncollected_action_of_the_organization_is_a_gap(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "on: push\njobs:\n  j:\n    steps:\n      - uses: acme/shared/setup@v1\n")
    missing = "github/action-refs/acme/shared/v1/setup/action.yml"
    assert _job(inv)["unknown_why"] == f"{missing} not collected"
    assert [g for g in inv.gaps if g.reason.startswith(f"{missing} not collected")]
    # A third party's action is judged by its pin: its definition is not expected in the bundle.
    other = _inventory(tmp_path / "x", "on: push\njobs:\n  j:\n    steps:\n      - uses: vendor/setup@v1\n")
    assert "unknown" not in _job(other)


def test_parallel_step_groups_are_steps(tmp_path: Path) -> None:
    wf = """on: push
jobs:
  j:
    env: {NODE_AUTH_TOKEN: "${{ secrets.NPM }}"}
    steps:
      - parallel:
          - run: npm test
          - run: npm publish
      - wait-all:
"""
    assert _job(_inventory(tmp_path, wf))["publishes"] == ("npm",)


# -- outsiders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expr", "controlled"),
    [
        ("pull_request_target", "github.head_ref", True),
        ("pull_request", "github.head_ref", False),  # fork runs get no secrets and a read-only token
        ("issue_comment", "github.event.comment.body", True),
        ("issues", "github.event.issue.title", True),
        ("discussion", "github.event.discussion.body", True),
        ("discussion_comment", "github.event.comment.body", True),
        ("pull_request_review", "github.event.review.body", False),  # runs like pull_request
        ("pull_request_target", "github.base_ref", False),  # the maintainers' branch name
        ("workflow_run", "github.event.pull_request.title", False),  # not this event's field
    ],
)
def test_template_injection_from_outsiders(tmp_path: Path, on: str, expr: str, controlled: bool) -> None:
    inv = _inventory(tmp_path, _one_step(f'echo "${{{{ {expr} }}}}"', on=on))
    controls = _job(inv)["outsider_control"]
    assert bool(controls) is controlled, controls
    if controlled:
        edge = next(
            e for e in inv.edges() if e.kind is EdgeKind.RUNS_CODE_OF and e.dst.startswith("github:untrusted-code:")
        )
        assert dict(edge.conditions)["outsider"] == "injection"
        assert dict(edge.conditions)["detail"] == expr


def test_the_same_value_through_env_is_no_injection(tmp_path: Path) -> None:
    run = 'echo "$TITLE"'
    env = "    env:\n      TITLE: ${{ github.event.issue.title }}\n"
    assert _job(_inventory(tmp_path, _one_step(run, env, on="issues")))["outsider_control"] == ()


def test_a_maintainers_only_condition_gates_outsiders(tmp_path: Path) -> None:
    wf = """on: issue_comment
jobs:
  j:
    if: contains(fromJSON('["OWNER","MEMBER"]'), github.event.comment.author_association)
    steps:
      - run: echo "${{ github.event.comment.body }}"
"""
    attrs = _job(_inventory(tmp_path, wf))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)


def test_a_comment_gate_does_not_bind_the_pull_request_checked_out_after_it(tmp_path: Path) -> None:
    # zwave-js `publish-pr`: one maintainer's "@zwave-js-bot pack this" starts the job, which checks out
    # `refs/pull/N/merge` and builds and publishes it: whatever the author pushed after the maintainer read it runs
    # (time of check to time of use; CodeQL's actions/untrusted-checkout-toctou). The comment's text stays gated.
    wf = """on: issue_comment
jobs:
  j:
    if: github.event.comment.user.login == 'AlCalzone'
    steps:
      - uses: actions/checkout@v4
        with: {ref: "refs/pull/${{ github.event.issue.number }}/merge"}
      - run: yarn build && echo "${{ github.event.comment.body }}"
"""
    attrs = _job(_inventory(tmp_path, wf))
    controls = attrs["outsider_control"]
    assert isinstance(controls, tuple)
    assert len(controls) == 1
    assert "refs/pull/" in str(controls[0])
    assert "after a maintainer's comment started it" in str(controls[0])
    assert attrs["outsider_gated"] is False
    # a gate on where the code comes from (its head is a branch of this repository) binds it
    origin = wf.replace(
        "if: github.event.comment.user.login == 'AlCalzone'",
        "if: github.event.comment.user.login == 'AlCalzone' && "
        "github.event.pull_request.head.repo.full_name == github.repository",
    )
    attrs = _job(_inventory(tmp_path / "origin", origin))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    # a branch a step looked up, checked out from this repository, is no pull request's head
    named = wf.replace('"refs/pull/${{ github.event.issue.number }}/merge"', '"${{ steps.pr.outputs.branch }}"')
    named = named.replace("    steps:\n", "    steps:\n      - id: pr\n        run: gh pr view --json headRefName\n")
    attrs = _job(_inventory(tmp_path / "named", named))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    # the gate in a job it needs admits the same command, and binds the code no better
    needs = wf.replace("  j:\n    if: github.event.comment.user.login == 'AlCalzone'\n",
                       "  ok:\n    if: github.event.comment.user.login == 'AlCalzone'\n    steps:\n      - run: 'true'\n"
                       "  j:\n    needs: ok\n")  # fmt: skip
    assert "after a maintainer's comment started it" in _controls(_job(_inventory(tmp_path / "needs", needs)))[0]
    # on pull_request_target the same gate admits the author's own pull request only by a maintainer's say: gated
    target = wf.replace("on: issue_comment", "on: pull_request_target").replace(
        "github.event.comment.user.login", "github.actor"
    )
    assert _job(_inventory(tmp_path / "target", target))["outsider_gated"] is True


def test_actions_that_check_out_or_look_up_a_comments_pull_request(tmp_path: Path) -> None:
    # r-lib/actions' pr-commands.yaml example, copied by R packages (bioRad): a maintainer's `/document` starts the
    # job, pr-fetch checks out the pull request's head branch from the author's fork, roxygen2 runs its code
    wf = """on: issue_comment
jobs:
  j:
    if: ${{ github.event.issue.pull_request && github.event.comment.author_association == 'MEMBER' }}
    steps:
      - uses: actions/checkout@v4
      - uses: r-lib/actions/pr-fetch@v2
        with: {repo-token: "${{ secrets.GITHUB_TOKEN }}"}
      - run: roxygen2::roxygenise()
        shell: Rscript {0}
"""
    controls = _controls(_job(_inventory(tmp_path, wf)))
    assert len(controls) == 1
    assert "r-lib/actions/pr-fetch" in controls[0]
    assert "after a maintainer's comment started it" in controls[0]
    # the fetch alone runs nothing
    quiet = wf.replace("      - run: roxygen2::roxygenise()\n        shell: Rscript {0}\n", "")
    assert _job(_inventory(tmp_path / "quiet", quiet))["outsider_control"] == ()
    # xt0rted/pull-request-comment-branch looks the pull request up: its head commit, checked out, is the author's
    # code as last pushed; its base branch is this repository's
    lookup = """on: issue_comment
jobs:
  j:
    steps:
      - uses: xt0rted/pull-request-comment-branch@v3
        id: pr
      - uses: actions/checkout@v4
        with: {ref: "${{ steps.pr.outputs.head_sha }}"}
      - run: make format
"""
    controls = _controls(_job(_inventory(tmp_path / "lookup", lookup)))
    assert len(controls) == 1
    assert "looked up when the job runs" in controls[0]
    base = lookup.replace("head_sha", "base_ref")
    assert _job(_inventory(tmp_path / "base", base))["outsider_control"] == ()
    # behind a comment gate the looked-up commit is still whatever the author pushed by then
    gated = lookup.replace("  j:\n", "  j:\n    if: github.event.comment.author_association == 'OWNER'\n")
    controls = _controls(_job(_inventory(tmp_path / "gated", gated)))
    assert len(controls) == 1
    assert "after a maintainer's comment started it" in controls[0]
    # the same commit checked out by git
    by_git = gated.replace('      - uses: actions/checkout@v4\n        with: {ref: "${{ steps.pr.outputs.head_sha }}"}\n',
                           '      - run: git checkout ${{ steps.pr.outputs.head_sha }}\n')  # fmt: skip
    assert "after a maintainer's comment started it" in _controls(_job(_inventory(tmp_path / "git", by_git)))[0]
    # its head branch, checked out from this repository, is no fork's code: gated like any looked-up branch
    branch = gated.replace("head_sha", "head_ref")
    attrs = _job(_inventory(tmp_path / "branch", branch))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    # its branch name pasted into a script is the author's text
    pasted = lookup.replace("      - run: make format\n", '      - run: echo "${{ steps.pr.outputs.head_ref }}"\n')
    pasted = pasted.replace('        with: {ref: "${{ steps.pr.outputs.head_sha }}"}\n', "")
    assert _controls(_job(_inventory(tmp_path / "pasted", pasted))) == (
        "issue_comment: injects steps.pr.outputs.head_ref",
    )


def test_checkout_of_the_pull_request_head_then_running_it(tmp_path: Path) -> None:
    wf = """on: pull_request_target
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - run: npm ci
"""
    assert _job(_inventory(tmp_path, wf))["checks_out_untrusted"] is True
    # the base branch, checked out the same way: the maintainers' code
    twin = wf.replace("github.event.pull_request.head.sha", "github.event.pull_request.base.sha")
    assert _job(_inventory(tmp_path / "twin", twin))["checks_out_untrusted"] is False


def test_a_fetch_of_the_pull_request_is_data_until_checked_out(tmp_path: Path) -> None:
    fetch = "git fetch origin pull/${{ github.event.pull_request.number }}/head:pr"
    wf = f"on: pull_request_target\njobs:\n  j:\n    steps:\n      - run: {fetch}\n      - run: npm ci\n"
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    checked = f"on: pull_request_target\njobs:\n  j:\n    steps:\n      - run: {fetch} && git checkout pr\n      - run: npm ci\n"
    assert _job(_inventory(tmp_path / "twin", checked))["checks_out_untrusted"] is True


def test_workflow_run_artifacts_executed_in_the_workspace(tmp_path: Path) -> None:
    upstream = "name: Build\non: pull_request\njobs:\n  b:\n    steps:\n      - run: make\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/build.yml": upstream}
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: actions/download-artifact@v4
        with: {run-id: "${{ github.event.workflow_run.id }}", github-token: "${{ github.token }}"}
      - run: npm ci
"""
    controls = _job(_inventory(tmp_path, wf, files))["outsider_control"]
    assert isinstance(controls, tuple)
    assert len(controls) == 1
    assert "artifacts" in str(controls[0])
    # unpacked elsewhere and only read: nothing of theirs runs
    twin = wf.replace('github-token: "${{ github.token }}"', 'path: "${{ runner.temp }}/a"').replace(
        "npm ci", "cat ${{ runner.temp }}/a/pr.txt"
    )
    assert _job(_inventory(tmp_path / "twin", twin, files))["outsider_control"] == ()


def test_a_permission_check_binds_the_starter_not_the_commit_an_artifact_names(tmp_path: Path) -> None:
    # amplify-ui's fork tests: a maintainer's approving review starts "Receive Fork Review" on the fork's pull request,
    # whose artifact names the commit to test; a job checks the starter's permission, the next reads the commit from
    # the artifact, and the jobs after it check that commit out and build it. The check admits the maintainer, but the
    # artifact (made by the fork's own run) may name any commit.
    upstream = "name: Receive Fork Review\non: pull_request_review\njobs:\n  r:\n    steps:\n      - run: echo\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/review.yml": upstream}
    wf = """on:
  workflow_run:
    workflows: [Receive Fork Review]
    types: [completed]
jobs:
  check:
    steps:
      - uses: actions/github-script@v7
        with:
          script: |
            const { data: { permission } } = await github.rest.repos.getCollaboratorPermissionLevel({owner, repo, username})
            if (permission !== 'write') core.setFailed('no')
  setup:
    needs: check
    outputs:
      commit_id: ${{ steps.read.outputs.result }}
    steps:
      - uses: actions/download-artifact@v4
        with: {run-id: "${{ github.event.workflow_run.id }}", github-token: "${{ github.token }}"}
      - id: read
        uses: actions/github-script@v7
        with:
          result-encoding: string
          script: return require('fs').readFileSync('./commit_id', 'utf-8')
  test:
    needs: setup
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ needs.setup.outputs.commit_id }}"}
      - run: yarn install && yarn test
"""
    inv = _inventory(tmp_path, wf, files)
    test = _job(inv, "test")
    assert "a ref named by the triggering run's artifact" in str(test["outsider_control"])
    # a gate on the triggering run's actor (dependabot's pull requests) binds what its artifact says: gated
    actor = wf.replace("  test:\n    needs: setup\n", "  test:\n    needs: setup\n"
                       "    if: github.actor == 'dependabot[bot]'\n")  # fmt: skip
    assert _job(_inventory(tmp_path / "actor", actor, files), "test")["outsider_control"] == ()
    # the base branch checked out after the same check runs nothing of theirs
    base = wf.replace('with: {ref: "${{ needs.setup.outputs.commit_id }}"}', "with: {ref: main}")
    assert _job(_inventory(tmp_path / "base", base, files), "test")["outsider_control"] == ()


def test_an_artifact_in_a_folder_of_its_own_is_read_only_by_steps_that_may_open_it(tmp_path: Path) -> None:
    # rollup's REPL upload: the artifact lands in `repl-artefacts/`; a step whose commands are all in view looks the
    # pull request's number up through the API and never opens the folder, so its output is not the artifact's text
    upstream = "name: Build\non: pull_request\njobs:\n  b:\n    steps:\n      - run: make\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/build.yml": upstream}
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: actions/download-artifact@v4
        with: {run-id: "${{ github.event.workflow_run.id }}", github-token: "${{ github.token }}", path: repl-artefacts}
      - id: pr
        run: |
          PR=$(gh api "/repos/${{ github.repository }}/pulls" --jq ".[0].number")
          if [[ -z "$PR" || ! "$PR" =~ ^[0-9]+$ ]]; then exit 1; fi
          echo "number=$PR" >> "$GITHUB_OUTPUT"
      - uses: actions/github-script@v7
        with:
          script: |
            github.rest.issues.createComment({issue_number: ${{ steps.pr.outputs.number }}, body: 'x'})
"""
    assert _job(_inventory(tmp_path, wf, files))["outsider_control"] == ()
    # a program of the repository may open the folder (yew's `python3 ci/make_example_size_cmt.py`)
    opened = wf.replace('PR=$(gh api "/repos/${{ github.repository }}/pulls" --jq ".[0].number")',
                        "PR=$(python3 ci/read_pr.py)")  # fmt: skip
    assert "artifact text pasted" in str(_job(_inventory(tmp_path / "opened", opened, files))["outsider_control"])
    # and a step that names it reads it
    named = wf.replace('PR=$(gh api "/repos/${{ github.repository }}/pulls" --jq ".[0].number")',
                       "PR=$(cat repl-artefacts/pr.txt)")  # fmt: skip
    assert "artifact text pasted" in str(_job(_inventory(tmp_path / "named", named, files))["outsider_control"])


def test_an_action_that_fails_for_starters_without_a_permission_gates_the_job(tmp_path: Path) -> None:
    # Nextcloud's `/compile` command: skjnldsv/check-actor-permission with `require: write` stops the job for
    # commenters who cannot write; the job after it checks out the branch the comment's pull request names
    wf = """on: issue_comment
jobs:
  init:
    outputs:
      head_ref: ${{ steps.branch.outputs.head_ref }}
    steps:
      - uses: skjnldsv/check-actor-permission@v2
        with: {require: write}
      - uses: xt0rted/pull-request-comment-branch@v3
        id: branch
  process:
    needs: init
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ needs.init.outputs.head_ref }}"}
      - run: npm ci && npm run build && git push origin ${{ needs.init.outputs.head_ref }}
"""
    inv = _inventory(tmp_path, wf)
    assert (_job(inv, "process")["outsider_control"], _job(inv, "process")["outsider_gated"]) == ((), True)
    # without `require` it only reports the level: the job is the commenter's, branch name and all
    loose = wf.replace("        with: {require: write}\n", "")
    controls = _controls(_job(_inventory(tmp_path / "loose", loose), "process"))
    assert "issue_comment: injects needs.init.outputs.head_ref" in controls


@pytest.mark.parametrize(
    ("uses", "extra", "controlled"),
    [
        ("dawidd6/action-download-artifact@v6", "", False),  # v4 on: a search skips forks' runs
        ("dawidd6/action-download-artifact@v6", ", allow_forks: true", True),
        ("dawidd6/action-download-artifact@v6", ', run_id: "${{ github.event.workflow_run.id }}"', True),
        ("dawidd6/action-download-artifact@v3", "", True),  # before v4 forks were allowed by default
        ("dawidd6/action-download-artifact@0123456789abcdef0123456789abcdef01234567", "", True),  # unknown release
    ],
)
def test_a_download_action_that_skips_forks_runs_brings_no_outsiders_files(
    tmp_path: Path, uses: str, extra: str, controlled: bool
) -> None:
    # samuelcolvin/watchfiles: dawidd6/action-download-artifact@v6 searching by commit, then a script runs
    upstream = "name: ci\non: pull_request\njobs:\n  b:\n    steps:\n      - run: make\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/build.yml": upstream}
    wf = f"""on:
  workflow_run:
    workflows: [ci]
    types: [completed]
jobs:
  j:
    steps:
      - uses: {uses}
        with: {{workflow: ci.yml, commit: "${{{{ github.event.workflow_run.head_sha }}}}"{extra}}}
      - run: ./preview.sh docs
"""
    controls = _job(_inventory(tmp_path, wf, files))["outsider_control"]
    assert bool(controls) is controlled, controls


@pytest.mark.parametrize(
    ("extra", "run", "controlled"),
    [
        # pydantic/genai-prices: `name: "(diff-)?coverage-html.*"`, `name_is_regexp: true`: each matching artifact in a
        # folder named for it (dawidd6's main.js at 0015e1bd, line 291); `uvx smokeshow upload coverage-html` runs
        # nothing from there
        (', name: "(diff-)?coverage-html.*", name_is_regexp: true', "uvx smokeshow upload coverage-html", False),
        # a script run from such a folder is theirs
        (', name: "(diff-)?coverage-html.*", name_is_regexp: true', "bash coverage-html/post.sh", True),
        # merged into `path` (merge_multiple), or no name at all (folders the maker names: `.github`): the workspace
        (', name: "coverage-html.*", name_is_regexp: true, merge_multiple: true', "uvx smokeshow upload x", True),
        ("", "uvx smokeshow upload coverage-html", True),
    ],
)
def test_artifacts_unpacked_into_folders_named_by_a_pattern(
    tmp_path: Path, extra: str, run: str, controlled: bool
) -> None:
    upstream = "name: CI\non: pull_request\njobs:\n  b:\n    steps:\n      - run: make\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/build.yml": upstream}
    wf = f"""on:
  workflow_run:
    workflows: [CI]
    types: [completed]
jobs:
  j:
    steps:
      - uses: dawidd6/action-download-artifact@v21
        with: {{workflow: build.yml, commit: "${{{{ github.event.workflow_run.head_sha }}}}", allow_forks: true{extra}}}
      - run: {run}
"""
    assert bool(_controls(_job(_inventory(tmp_path, wf, files)))) is controlled


@pytest.mark.parametrize(("typ", "reported"), [("string", ("version",)), ("choice", ())])
def test_free_text_dispatch_inputs_in_a_script(tmp_path: Path, typ: str, reported: tuple[str, ...]) -> None:
    options = "\n        options: [a, b]" if typ == "choice" else ""
    wf = f"""on:
  workflow_dispatch:
    inputs:
      version:
        type: {typ}{options}
jobs:
  j:
    steps:
      - run: ./release.sh ${{{{ inputs.version }}}}
"""
    assert _job(_inventory(tmp_path, wf))["starter_injections"] == reported


# -- held-out round 7 (bench/fidelity/heldout/README.md): classes found missing ------------------


MATRIX_PUBLISH = """on: push
jobs:
  j:
    runs-on: x
    strategy:
      matrix:
        include:
          - cmd: vsce
            pat: MARKETPLACE_TOKEN
          - cmd: ovsx
            pat: OPENVSX_TOKEN
    steps:
      - run: npx ${{ matrix.cmd }} publish --pat ${{ secrets[matrix.pat] }}
"""


def test_a_matrix_chooses_the_tool_and_its_secret(tmp_path: Path) -> None:
    # rust-lang/rust-analyzer: one leg per marketplace, each with its own token
    inv = _inventory(tmp_path, MATRIX_PUBLISH)
    attrs = _job(inv)
    assert attrs["publishes"] == ("open-vsx", "vscode-marketplace")
    assert attrs["publish_routes"] == (
        "open-vsx:secret:OPENVSX_TOKEN",
        "vscode-marketplace:secret:MARKETPLACE_TOKEN",
    )
    job = f"github:job:{REPO}/.github/workflows/ci.yml#j"
    read = {e.dst for e in inv.edges() if e.src == job and e.kind is EdgeKind.CAN_READ_SECRET}
    assert read == {f"github:secret:{REPO}/MARKETPLACE_TOKEN", f"github:secret:{REPO}/OPENVSX_TOKEN"}
    # the same step whose matrix is known only at run time names no tool
    dynamic = MATRIX_PUBLISH.replace(
        "      matrix:\n        include:\n          - cmd: vsce\n            pat: MARKETPLACE_TOKEN\n"
        "          - cmd: ovsx\n            pat: OPENVSX_TOKEN\n",
        "      matrix: ${{ fromJSON(needs.plan.outputs.legs) }}\n",
    )
    assert _job(_inventory(tmp_path / "dynamic", dynamic))["publishes"] == ()


@pytest.mark.parametrize(
    ("label", "run", "secret", "registry"),
    [
        # koalaman/shellcheck: the uploads are in repository scripts the steps are named for
        (
            "Upload to Docker Hub",
            "( source ./.multi_arch_docker && set -eux && multi_arch_docker::main )",
            "DOCKER_PASSWORD",
            "dockerhub",
        ),
        ("Upload to GitHub", "./.github_deploy", "GITHUB_TOKEN", "github-releases"),
    ],
)
def test_a_step_named_for_an_upload_runs_a_script_with_the_credential(
    tmp_path: Path, label: str, run: str, secret: str, registry: str
) -> None:
    env = f"        env:\n          {secret}: ${{{{ secrets.{secret} }}}}\n"
    wf = f"on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - name: {label}\n{env}        run: {run}\n"
    attrs = _job(_inventory(tmp_path / "named", wf))
    assert registry in tuple(attrs["publishes_probable"] or ()), attrs["publish_steps"]  # type: ignore[arg-type]
    # the same script under a name that says nothing of an upload is no publish
    plain = wf.replace(f"name: {label}", "name: Tidy up")
    assert registry not in tuple(_job(_inventory(tmp_path / "plain", plain))["publishes_probable"] or ())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "run",
    [
        "TAG=$(cat dist/releasetag.txt)",  # projen: a file named for a release, read
        'Out-File "$env:RELEASE_FILE.sha1sum"',  # elixir: a checksum written next to a release file
        'shasum -a 256 "$RELEASE_FILE" > "${RELEASE_FILE}.sha256sum"',
    ],
)
def test_reading_or_writing_a_release_named_file_publishes_nothing(tmp_path: Path, run: str) -> None:
    wf = (
        "on: push\njobs:\n  j:\n    runs-on: x\n    permissions:\n      id-token: write\n    steps:\n"
        "      - uses: actions/setup-node@v4\n"
        "      - uses: azure/login@v2\n        with:\n          client-id: x\n"
        f"      - name: Create Release Hashes\n        run: '{run}'\n"
    )
    attrs = _job(_inventory(tmp_path, wf))
    assert attrs["publishes"] == (), attrs["publish_steps"]
    # a release script in the same place is still a probable publish
    wf2 = wf.replace(f"run: '{run}'", "run: ./scripts/release.sh").replace("Create Release Hashes", "Release")
    assert _job(_inventory(tmp_path / "script", wf2))["publishes_probable"] != ()


# -- held-out round 10 (bench/fidelity/heldout/README.md): classes found missing ------------------


def _pull_request_workflow(name: str = "Build", file: str = "build.yml") -> dict[str, str]:
    """The bundle file of a workflow outsiders' pull requests run, which a `workflow_run` job follows."""
    upstream = f"name: {name}\non: pull_request\njobs:\n  b:\n    steps:\n      - run: make\n"
    return {f"github/repos/{REPO}/contents/.github/workflows/{file}": upstream}


ARTIFACT_NUMBER = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: actions/github-script@v7
        with:
          script: |
            const d = await github.rest.actions.downloadArtifact({owner: 'o', repo: 'r', artifact_id: 1, archive_format: 'zip'});
            require('fs').writeFileSync('pr_number.zip', Buffer.from(d.data));
      - run: unzip pr_number.zip
      - id: pr
        run: |
          build_id=$(curl -H "Authorization: Bearer ${{ secrets.GITHUB_TOKEN }}" "https://api.github.com/x" | jq ".id")
          pr_number=$(cat ./pr_number)
          echo "pr_number=$pr_number" >> $GITHUB_OUTPUT
      - uses: actions/github-script@v7
        with:
          script: |
            const pr = "${{ steps.pr.outputs.pr_number }}";
"""


def test_text_an_artifact_carries_pasted_into_a_script_is_artifact_control(tmp_path: Path) -> None:
    # zeriontech/zerion-wallet-extension (reported by Adnan Khan): a PR number read from the untrusted run's
    # artifact, pasted into github-script; an output named `…number` sanitises nothing an artifact wrote
    files = _pull_request_workflow()
    controls = _job(_inventory(tmp_path, ARTIFACT_NUMBER, files))["outsider_control"]
    assert isinstance(controls, tuple)
    assert len(controls) == 1, controls
    assert "artifact" in str(controls[0])
    assert "steps.pr.outputs.pr_number" in str(controls[0])
    # handed over in the environment instead (cfug/dio): read as data, nothing pasted into code
    twin = ARTIFACT_NUMBER.replace(
        '        with:\n          script: |\n            const pr = "${{ steps.pr.outputs.pr_number }}";\n',
        "        env: {PR: '${{ steps.pr.outputs.pr_number }}'}\n"
        "        with:\n          script: |\n            const pr = process.env.PR;\n",
    )
    assert _job(_inventory(tmp_path / "twin", twin, files))["outsider_control"] == ()


SIZE_COMMENT = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: actions/checkout@v6
      - uses: actions/download-artifact@v8
        with: {run-id: "${{ github.event.workflow_run.id }}", name: size-info, path: size-info/}
      - run: python3 ci/make_size_comment.py
      - uses: actions/github-script@v8
        with:
          script: |
            await github.rest.issues.createComment({...context.repo, issue_number: ${{ env.PR_NUMBER }}, body: 'x'})
"""


def test_artifact_text_checked_to_be_digits_sets_no_variable_of_theirs(tmp_path: Path) -> None:
    # yewstack/yew's docs previews: the pull request number read from the artifact, tested against ^[0-9]+$ (exit
    # otherwise), then written to GITHUB_ENV; unchecked, its newlines would set any variable (GHSL-2024-177)
    files = _pull_request_workflow()
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: actions/download-artifact@v8
        with: {run-id: "${{ github.event.workflow_run.id }}", name: pr-info, path: artifacts}
      - run: |
          pr_number=$(cat "artifacts/.PR_INFO")
          if ! [[ "$pr_number" =~ ^[0-9]+$ ]]; then
            exit 1
          fi
          echo "PR_NUMBER=$pr_number" >> $GITHUB_ENV
"""
    assert _controls(_job(_inventory(tmp_path, wf, files))) == ()
    unchecked = wf.replace('if ! [[ "$pr_number" =~ ^[0-9]+$ ]]; then', 'if [ -z "$pr_number" ]; then')
    (control,) = _controls(_job(_inventory(tmp_path / "unchecked", unchecked, files)))
    assert "artifact text written to GITHUB_ENV" in control


def test_an_output_known_exactly_carries_only_what_its_value_does(tmp_path: Path) -> None:
    # JabRef's PR commenter (round 30): the number read from the artifact is tested to be digits before it is
    # written as an output, and a second step passes it on beside the run's own id; pasted later, neither is theirs
    files = _pull_request_workflow()
    checked = ARTIFACT_NUMBER.replace(
        '          echo "pr_number=$pr_number" >> $GITHUB_OUTPUT\n',
        '          if ! [[ "$pr_number" =~ ^[0-9]+$ ]]; then\n'
        '            echo "pr_number=" >> "$GITHUB_OUTPUT"\n'
        "            exit 0\n"
        "          fi\n"
        '          echo "pr_number=$pr_number" >> $GITHUB_OUTPUT\n'
        "      - id: vars\n"
        "        run: |\n"
        '          echo "pr_number=${{ steps.pr.outputs.pr_number }}" >> $GITHUB_OUTPUT\n'
        '          echo "run_id=${{ github.event.workflow_run.id }}" >> $GITHUB_OUTPUT\n',
    ).replace(
        'steps.pr.outputs.pr_number }}";\n', 'steps.vars.outputs.pr_number }}" + ${{ steps.vars.outputs.run_id }};\n'
    )
    assert "steps.vars.outputs.run_id" in checked
    assert _controls(_job(_inventory(tmp_path, checked, files))) == ()
    # unchecked, the number is whatever the artifact's maker wrote, and it travels through the second step
    unchecked = checked.replace('if ! [[ "$pr_number" =~ ^[0-9]+$ ]]; then', 'if [ -z "$pr_number" ]; then')
    controls = _controls(_job(_inventory(tmp_path / "unchecked", unchecked, files)))
    assert any("steps.vars.outputs.pr_number" in c for c in controls), controls
    assert not any("run_id" in c for c in controls), controls


def test_an_action_handed_a_file_of_the_artifact_outputs_its_text(tmp_path: Path) -> None:
    # gradio's website build: the `changes` job unpacks the pull request run's artifact and reads it with
    # gradio-app/github/actions/json-to-output (`path: output.json`); the build job checks out the repository and
    # branch those outputs name, and builds them
    files = _pull_request_workflow()
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  changes:
    outputs:
      source_repo: ${{ steps.json.outputs.source_repo }}
      source_branch: ${{ steps.json.outputs.source_branch }}
    steps:
      - uses: actions/download-artifact@v4
        with: {name: changes, run-id: "${{ github.event.workflow_run.id }}"}
      - uses: gradio-app/github/actions/json-to-output@main
        id: json
        with: {path: output.json}
  j:
    needs: changes
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ needs.changes.outputs.source_branch }}
          repository: ${{ needs.changes.outputs.source_repo }}
      - run: pnpm install && pnpm build
"""
    assert any(
        "pr-head-checkout" in c or "runs the pull request" in c
        for c in _controls(_job(_inventory(tmp_path, wf, files)))
    )
    # the same action given no file (its outputs are what it computes): nothing of theirs
    quiet = wf.replace("        with: {path: output.json}\n", "        with: {value: '{}'}\n")
    assert _controls(_job(_inventory(tmp_path / "quiet", quiet, files))) == ()


def test_a_variable_a_script_exported_from_the_artifact_is_theirs(tmp_path: Path) -> None:
    # yewstack/yew's size comment: the base branch's `ci/make_example_size_cmt.py` reads the pull request's artifact
    # and exports PR_NUMBER to GITHUB_ENV, pasted into github-script's source as `${{ env.PR_NUMBER }}`
    files = _pull_request_workflow()
    (control,) = _controls(_job(_inventory(tmp_path, SIZE_COMMENT, files)))
    assert "artifact text pasted: env.PR_NUMBER" in control
    # exported where the workflow shows it, after a check (karpenter's website preview): the workflow's own value
    shown = SIZE_COMMENT.replace(
        "      - run: python3 ci/make_size_comment.py\n",
        "      - uses: actions/github-script@v8\n        with:\n          script: |\n"
        "            if (/^[0-9]+$/.test(n)) core.exportVariable('PR_NUMBER', n)\n",
    )
    assert _controls(_job(_inventory(tmp_path / "shown", shown, files))) == ()
    # no script ran after the artifact landed: nothing exported it from there
    quiet = SIZE_COMMENT.replace("      - run: python3 ci/make_size_comment.py\n", "")
    assert _controls(_job(_inventory(tmp_path / "quiet", quiet, files))) == ()


def test_reading_and_uploading_an_artifact_runs_nothing_of_it(tmp_path: Path) -> None:
    # pmd/pmd: the PR's docs artifact unpacked, synced to S3, its summary read into a check run
    files = _pull_request_workflow()
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - run: |
          curl -L -H "Authorization: Bearer $GH_TOKEN" --output artifact.zip "$URL"
          unzip -q artifact.zip
      - run: |
          if [ -e "report/index.html" ]; then
            aws s3 sync report "s3://previews/pr-${PR}" --no-progress
          else
            echo "No report"
          fi
      - run: |
          timestamp="$(date -uIs)"
          summary="$(cat report/summary.txt)"
          gh api /repos/o/r/check-runs -f "output[summary]=${summary}" -f "started_at=${timestamp}"
"""
    assert _job(_inventory(tmp_path, wf, files))["outsider_control"] == ()
    # a command substituted into an assignment runs: `v=$(./report/version.sh)` executes the artifact
    ran = wf.replace('timestamp="$(date -uIs)"', 'timestamp="$(./tool.sh)"')
    assert _job(_inventory(tmp_path / "ran", ran, files))["outsider_control"] != ()


def test_a_workflow_run_admitting_only_this_repositorys_branches_is_gated(tmp_path: Path) -> None:
    # DataDog/dd-trace-rb lock-dependency-commit: head_repository must be this repository (no fork's run)
    files = _pull_request_workflow("Lock", "lock.yml")
    wf = """on:
  workflow_run:
    workflows: [Lock]
    types: [completed]
jobs:
  j:
    if: ${{ github.event.workflow_run.head_repository.full_name == github.event.workflow_run.repository.full_name }}
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.workflow_run.head_sha }}"}
      - run: bundle exec rake lock
"""
    attrs = _job(_inventory(tmp_path, wf, files))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    # a fork's run only: the opposite condition admits exactly the outsiders
    forks = wf.replace("full_name == github.event", "full_name != github.event")
    assert _job(_inventory(tmp_path / "forks", forks, files))["outsider_control"] != ()


def test_after_an_untrusted_checkout_a_step_that_only_echoes_its_values_reports_nothing_of_theirs(
    tmp_path: Path,
) -> None:
    # stakater/Reloader /loadtest: after the pull request's head is checked out, `steps.cluster` echoes a fixed
    # cluster name; pasted later it is no injection (the checkout itself is reported)
    wf = """on: issue_comment
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "refs/pull/${{ github.event.issue.number }}/head"}
      - id: cluster
        run: |
          if [ -n "${{ inputs.cluster }}" ]; then
            echo "name=${{ inputs.cluster }}" >> $GITHUB_OUTPUT
          else
            echo "name=reloader-loadtest" >> $GITHUB_OUTPUT
          fi
      - run: kind delete cluster --name ${{ steps.cluster.outputs.name }}
"""
    controls = _job(_inventory(tmp_path, wf))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "injects" in str(c)] == [], controls
    # a value read from the checked-out files is theirs to choose
    read = wf.replace('echo "name=reloader-loadtest"', 'echo "name=$(cat .cluster-name)"')
    controls = _job(_inventory(tmp_path / "read", read))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "injects steps.cluster.outputs.name" in str(c)], controls


# -- held-out round 11 (bench/fidelity/heldout/README.md): reported outsider flaws and look-alikes ---------


def test_a_step_that_runs_only_on_another_event_runs_nothing_for_outsiders(tmp_path: Path) -> None:
    # Kong/kubernetes-ingress-controller checks.yaml#up-to-date: the head checkout runs only on push
    wf = """on: [push, pull_request_target]
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        if: github.event_name == 'push' &&
          (startsWith(github.ref, 'refs/heads/main') || startsWith(github.ref, 'refs/heads/release/'))
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - run: make check
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    either = wf.replace("github.event_name == 'push' &&", "github.event_name == 'push' ||")
    assert _job(_inventory(tmp_path / "either", either))["outsider_control"] != ()


def test_uploading_coverage_from_a_checked_out_head_runs_nothing_of_it(tmp_path: Path) -> None:
    # Kong _test_reports.yaml: the pull request's head checked out, reports sent to Codecov; a workflow started
    wf = """on: pull_request_target
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - uses: codecov/codecov-action@v5
        with: {token: "${{ secrets.CODECOV_TOKEN }}"}
      - run: gh workflow run e2e.yaml --ref "$BRANCH"
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    built = wf.replace("gh workflow run e2e.yaml", "make test &&  gh workflow run e2e.yaml")
    assert _job(_inventory(tmp_path / "built", built))["outsider_control"] != ()


def test_a_script_run_as_a_condition_after_checking_out_the_head_runs_it(tmp_path: Path) -> None:
    # `if ./build.sh; then`: the condition of an if, while or until is a command like any other
    wf = """on: pull_request_target
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - run: |
          if ./build.sh; then
            echo built
          fi
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] != ()
    # tests, reads and loops over the files run none of them, nor does a no-op
    tests = wf.replace(
        "if ./build.sh; then",
        'while read -r f; do echo "$f"; done < files.txt\n          [ -f VERSION ] && cat VERSION\n'
        '          if [[ "$(cat VERSION)" == 1.* ]] && command -v jq; then :',
    )
    assert _job(_inventory(tmp_path / "tests", tests))["outsider_control"] == ()
    # a script run inside a test's substitution runs all the same
    sub = wf.replace("if ./build.sh; then", 'if [ "$(./version.sh)" = 1 ]; then')
    assert _job(_inventory(tmp_path / "sub", sub))["outsider_control"] != ()


def test_a_label_on_the_pull_request_is_no_gate_when_new_commits_run_the_job(tmp_path: Path) -> None:
    # DataDog/terraform-provider-datadog test_integration.yml, Netflix/metaflow s3_tests: the label stays on
    # the pull request, and a `synchronize` run checks it again with the author's new head
    wf = """on:
  pull_request_target:
    types: [labeled, synchronize]
jobs:
  j:
    if: contains(github.event.pull_request.labels.*.name, 'ci/integrations')
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - run: make testacc
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] != ()
    default_types = wf.replace("\n    types: [labeled, synchronize]", "")
    assert _job(_inventory(tmp_path / "default", default_types))["outsider_control"] != ()
    # run only when labelled: the label holds for the head it was put on
    labelled = wf.replace("[labeled, synchronize]", "[labeled]")
    attrs = _job(_inventory(tmp_path / "labelled", labelled))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    # the labeled event's own label is a gate whatever the types
    own = wf.replace(
        "contains(github.event.pull_request.labels.*.name, 'ci/integrations')",
        "github.event.label.name == 'ci/integrations'",
    )
    assert _job(_inventory(tmp_path / "own", own))["outsider_gated"] is True


def test_a_retry_wrappers_command_is_the_steps_script(tmp_path: Path) -> None:
    # super-productivity: nick-fields/retry's `command` runs snapcraft in its container image
    wf = """on: release
jobs:
  snap:
    runs-on: ubuntu-latest
    env:
      SNAPCRAFT_STORE_CREDENTIALS: ${{ secrets.SNAPCRAFT_STORE_CREDENTIALS }}
    steps:
      - uses: nick-fields/retry@v3
        with:
          max_attempts: 5
          command: |
            docker run --rm -v "$PWD:/project" -e SNAPCRAFT_STORE_CREDENTIALS ghcr.io/canonical/snapcraft:8_core24 upload sp.snap --release edge
"""
    inv = _inventory(tmp_path / "retry", wf)
    assert _job(inv, "snap")["publish_routes"] == ("snapcraft:secret:SNAPCRAFT_STORE_CREDENTIALS",)
    # the image's tool with another sub-command publishes nothing
    twin = wf.replace("upload sp.snap --release edge", "pack")
    assert _job(_inventory(tmp_path / "pack", twin), "snap")["publish_routes"] == ()


def test_a_workflow_run_started_by_a_push_is_gated(tmp_path: Path) -> None:
    # conda's track-base-branch: only pushes (people who can write) start the runs it follows
    upstream = "name: Tests\non: [push, pull_request]\njobs:\n  t:\n    steps:\n      - run: make\n"
    files = {f"github/repos/{REPO}/contents/.github/workflows/tests.yml": upstream}
    wf = """on:
  workflow_run:
    workflows: [Tests]
    types: [completed]
jobs:
  j:
    if: github.event.workflow_run.event == 'push'
    steps:
      - uses: actions/download-artifact@v4
        with: {run-id: "${{ github.event.workflow_run.id }}", github-token: "${{ github.token }}"}
      - run: bencher run --file results.json
"""
    assert _job(_inventory(tmp_path / "push", wf, files))["outsider_gated"] is True
    pulls = wf.replace("== 'push'", "== 'pull_request'")
    assert _job(_inventory(tmp_path / "pulls", pulls, files))["outsider_control"] != ()


def test_a_needed_jobs_number_and_sha_outputs_are_no_text(tmp_path: Path) -> None:
    # KEDA pr-e2e: `needs.triage.outputs.pr_num` / `commit_sha`, read from the API by the triage job
    wf = """on: issue_comment
jobs:
  triage:
    outputs:
      pr_num: ${{ steps.pr.outputs.number }}
      title: ${{ github.event.issue.title }}
    steps:
      - id: pr
        run: echo "number=${{ github.event.issue.number }}" >> "$GITHUB_OUTPUT"
  j:
    needs: triage
    steps:
      - run: echo "PR ${{ needs.triage.outputs.pr_num }}"
"""
    assert _job(_inventory(tmp_path / "num", wf), "j")["outsider_control"] == ()
    title = wf.replace("needs.triage.outputs.pr_num", "needs.triage.outputs.title")
    assert _job(_inventory(tmp_path / "title", title), "j")["outsider_control"] != ()


def test_a_merged_pull_request_is_gated(tmp_path: Path) -> None:
    # PostgREST backport.yaml: the head of a merged pull request is what a maintainer merged
    wf = """on:
  pull_request_target:
    types: [closed, labeled]
jobs:
  j:
    if: github.event.pull_request.merged && startsWith(github.event.label.name, 'backport')
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.pull_request.head.sha }}"}
      - run: make backport
"""
    assert _job(_inventory(tmp_path / "merged", wf))["outsider_gated"] is True
    open_pr = wf.replace(
        "if: github.event.pull_request.merged && startsWith(github.event.label.name, 'backport')",
        "if: \"!github.event.pull_request.merged && startsWith(github.event.label.name, 'backport')\"",
    )
    assert _job(_inventory(tmp_path / "open", open_pr))["outsider_control"] != ()


def test_a_forks_repository_name_is_no_text_a_shell_runs(tmp_path: Path) -> None:
    # elementary-data/elementary check-fork-status: names are letters, digits, `.`, `-`, `_` only
    run = 'echo "fork=${{ github.event.pull_request.head.repo.full_name != github.repository }}"'
    wf = f"on: pull_request_target\njobs:\n  j:\n    steps:\n      - run: echo ${{{{ github.event.pull_request.head.repo.full_name }}}}\n      - run: {run}\n"
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    branch = wf.replace("head.repo.full_name }}", "head.ref }}")
    assert _job(_inventory(tmp_path / "branch", branch))["outsider_control"] != ()


AGENT = """on:
  issues:
    types: [opened]
jobs:
  j:
    steps:
      - uses: anthropics/claude-code-action@v1
        with:
          github_token: ${{ secrets.GITHUB_TOKEN }}
          allowed_non_write_users: "*"
          claude_args: --allowedTools "Bash,Read"
          prompt: |
            Triage issue #${{ github.event.issue.number }}: ${{ github.event.issue.title }}
      - run: make report
"""


def test_outsider_text_in_an_agents_prompt_is_an_injection(tmp_path: Path) -> None:
    # cline/cline "Clinejection" (Feb 2026): an issue title pasted into claude-code-action's prompt, any user
    controls = _job(_inventory(tmp_path, AGENT))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "github.event.issue.title" in str(c)], controls
    # without allowed_non_write_users the action stops for anyone who cannot write: a gate
    gated = AGENT.replace('          allowed_non_write_users: "*"\n', "")
    attrs = _job(_inventory(tmp_path / "gated", gated))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)


def test_a_reusable_workflow_checks_out_what_its_callers_job_read_from_the_api(tmp_path: Path) -> None:
    # graphql/graphql-js: any commenter's `@github-actions run-benchmark` → a job outputs the PR read from the
    # API → a reusable workflow checks out its merge commit and runs the benchmark
    caller = """on: issue_comment
jobs:
  accept:
    outputs:
      pr: ${{ steps.parse.outputs.pr }}
    steps:
      - id: parse
        uses: actions/github-script@v7
        with:
          script: |
            const { data } = await github.request(context.payload.issue.pull_request.url);
            core.setOutput('pr', JSON.stringify(data));
  bench:
    needs: [accept]
    uses: ./.github/workflows/bench.yml
    with:
      pr: ${{ needs.accept.outputs.pr }}
"""
    callee = """on:
  workflow_call:
    inputs:
      pr: {required: true, type: string}
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ fromJSON(inputs.pr).merge_commit_sha }}"}
      - run: npm run benchmark
"""
    files = {f"github/repos/{REPO}/contents/.github/workflows/bench.yml": callee}
    inv = _inventory(tmp_path, caller, files)
    node = inv.node(NodeId(f"github:job:{REPO}/.github/workflows/bench.yml#j"))
    assert node is not None
    assert node.attrs["outsider_control"] != ()
    # the same caller passing a fixed ref: the maintainers' code
    fixed = caller.replace("pr: ${{ needs.accept.outputs.pr }}", 'pr: \'{"merge_commit_sha": "main"}\'')
    inv = _inventory(tmp_path / "fixed", fixed, files)
    node = inv.node(NodeId(f"github:job:{REPO}/.github/workflows/bench.yml#j"))
    assert node is not None
    assert node.attrs["outsider_control"] == ()


def test_a_remote_actions_outputs_after_an_artifact_are_what_it_computed(tmp_path: Path) -> None:
    # EnricoMi/publish-unit-test-result-action: the PR run's test XML parsed by the action; its conclusion
    # pasted into a script is the action's, not the artifact's text
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: dawidd6/action-download-artifact@v6
        with: {run_id: "${{ github.event.workflow_run.id }}", path: artifacts}
      - id: results
        uses: EnricoMi/publish-unit-test-result-action/composite@v2
        with: {files: "artifacts/**/*.xml"}
      - run: echo "${{ fromJSON(steps.results.outputs.json).conclusion }}"
"""
    assert _job(_inventory(tmp_path, wf, _pull_request_workflow()))["outsider_control"] == ()


# -- held-out round 12 (bench/fidelity/heldout/README.md) ----------------------------------------------


def test_artifact_text_written_to_github_env_is_artifact_control(tmp_path: Path) -> None:
    # litestar-org/litestar docs-preview (GHSL-2024-177): `echo "PR_NUMBER=$(cat docs-preview/.pr_number)" >> $GITHUB_ENV`
    wf = """on:
  workflow_run:
    workflows: [Build]
    types: [completed]
jobs:
  j:
    steps:
      - uses: dawidd6/action-download-artifact@v6
        with: {run_id: "${{ github.event.workflow_run.id }}", path: docs-preview, name: docs-preview}
      - run: echo "PR_NUMBER=$(cat docs-preview/.pr_number)" >> $GITHUB_ENV
      - uses: JamesIves/github-pages-deploy-action@v4
        with: {folder: docs-preview/html, target-folder: "${{ env.PR_NUMBER }}"}
"""
    controls = _job(_inventory(tmp_path, wf, _pull_request_workflow()))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "GITHUB_ENV" in str(c)], controls
    # a fixed value written there is no one's text
    fixed = wf.replace('"PR_NUMBER=$(cat docs-preview/.pr_number)"', '"DEPLOY=1"')
    assert _job(_inventory(tmp_path / "fixed", fixed, _pull_request_workflow()))["outsider_control"] == ()


def test_a_gate_in_one_alternative_does_not_gate_the_others(tmp_path: Path) -> None:
    # google-github-actions/run-gemini-cli triage: `github.event_name == 'issues' || (… author_association …)`,
    # the issue handed to the agent in its environment
    wf = """on:
  issues: {types: [opened]}
  issue_comment: {types: [created]}
jobs:
  j:
    if: |-
      github.event_name == 'issues' ||
      (github.event_name == 'issue_comment' && contains(fromJSON('["OWNER", "MEMBER"]'), github.event.comment.author_association))
    steps:
      - uses: google-github-actions/run-gemini-cli@v0
        env: {ISSUE_TITLE: "${{ github.event.issue.title }}"}
        with: {prompt: "Triage the issue whose title is in ${ISSUE_TITLE}."}
"""
    controls = _job(_inventory(tmp_path, wf))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "github.event.issue.title" in str(c)], controls
    # gated in every alternative: maintainers only
    gated = wf.replace("github.event_name == 'issues' ||\n", "")
    assert _job(_inventory(tmp_path / "gated", gated))["outsider_gated"] is True
    # the same text in the environment of a plain script is safe: quoting protects a shell, not an agent
    script = wf.replace("uses: google-github-actions/run-gemini-cli@v0", 'run: echo "$ISSUE_TITLE"').replace(
        '        with: {prompt: "Triage the issue whose title is in ${ISSUE_TITLE}."}\n', ""
    )
    assert _job(_inventory(tmp_path / "script", script))["outsider_control"] == ()


def test_a_pull_request_checked_out_into_a_folder_runs_only_where_a_step_works_in_it(tmp_path: Path) -> None:
    # apache/arrow-adbc dev_pr (after its fix): the PR into `pr_checkout`, read by the base's own script
    wf = """on: pull_request_target
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4
        with: {path: pr_checkout, ref: "${{ github.event.pull_request.merge_commit_sha }}"}
      - run: python .github/workflows/dev_pr/title_check.py $(pwd)/pr_checkout
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    inside = wf.replace("      - run: python", "      - working-directory: pr_checkout\n        run: python")
    assert _job(_inventory(tmp_path / "inside", inside))["outsider_control"] != ()
    built = wf.replace("python .github/workflows/dev_pr/title_check.py $(pwd)/pr_checkout", "cd pr_checkout && npm ci")
    assert _job(_inventory(tmp_path / "built", built))["outsider_control"] != ()


def test_a_head_named_as_one_repository_is_a_gate(tmp_path: Path) -> None:
    # rrweb-io/rrweb style-check#prettier: `github.event.pull_request.head.repo.full_name == 'rrweb-io/rrweb'`
    wf = """on: pull_request_target
jobs:
  j:
    if: github.event_name == 'push' || github.event.pull_request.head.repo.full_name == 'acme/app'
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.head_ref }}"}
      - run: yarn format
"""
    attrs = _job(_inventory(tmp_path, wf))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)


def test_a_composite_action_running_an_agent_reads_the_calling_steps_environment(tmp_path: Path) -> None:
    # run-gemini-cli's own workflows: `uses: ./` with ISSUE_TITLE in `env:`; the action runs
    # `gemini --yolo --prompt "${PROMPT}"`, and composite steps see the calling step's environment
    action = """runs:
  using: composite
  steps:
    - shell: bash
      env: {PROMPT: "${{ inputs.prompt }}"}
      run: |
        if ! gemini --yolo --prompt "${PROMPT}" > out.txt; then exit 1; fi
"""
    wf = """on:
  issues: {types: [opened]}
jobs:
  j:
    steps:
      - uses: ./.github/actions/agent
        env: {ISSUE_TITLE: "${{ github.event.issue.title }}"}
        with: {prompt: "The issue's title is in ISSUE_TITLE."}
"""
    files = {f"github/repos/{REPO}/contents/.github/actions/agent/action.yml": action}
    controls = _job(_inventory(tmp_path, wf, files))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "github.event.issue.title" in str(c)], controls
    # the same action running a plain tool: the title stays data in its environment
    tool = action.replace('gemini --yolo --prompt "${PROMPT}"', 'grep -c bug <<< "${ISSUE_TITLE}"')
    files = {f"github/repos/{REPO}/contents/.github/actions/agent/action.yml": tool}
    assert _job(_inventory(tmp_path / "tool", wf, files))["outsider_control"] == ()


# -- held-out round 20 ---------------------------------------------------------------------------------------


def test_a_switched_off_job_or_step_runs_nothing_for_outsiders(tmp_path: Path) -> None:
    # vscode-icons coverage.yml#code-climate: `if: false` on a workflow_run job that checks out the run's head
    wf = """on:
  workflow_run: {workflows: [Tests], types: [completed]}
jobs:
  j:
    if: false
    steps:
      - uses: actions/checkout@v4
        with: {ref: "${{ github.event.workflow_run.head_sha }}"}
      - run: npm ci && npm test
"""
    assert _job(_inventory(tmp_path, wf))["outsider_control"] == ()
    step_off = wf.replace("    if: false\n", "").replace(
        "      - run: npm ci", "      - if: ${{ false }}\n        run: npm ci"
    )
    assert _job(_inventory(tmp_path / "step", step_off))["outsider_control"] == ()
    on = wf.replace("    if: false\n", "")
    assert _job(_inventory(tmp_path / "on", on))["outsider_control"] != ()


def test_an_artifact_an_earlier_job_made_from_their_code_runs_in_the_jobs_that_unpack_it(tmp_path: Path) -> None:
    # checkstyle regression-report: `checkout_and_cache` checks out the pull request and uploads the workspace;
    # the jobs that need it download it, `tar -xvf workspace.tar` and run `./.ci/…` scripts
    wf = """on: issue_comment
jobs:
  checkout:
    steps:
      - uses: actions/checkout@v4
        with: {ref: "refs/pull/${{ github.event.issue.number }}/head"}
      - run: tar -cf "$RUNNER_TEMP/workspace.tar" .
      - uses: actions/upload-artifact@v4
        with: {name: "ws-${{ github.run_id }}", path: "${{ runner.temp }}/workspace.tar"}
  j:
    needs: [checkout]
    steps:
      - uses: actions/download-artifact@v4
        with: {name: "ws-${{ github.run_id }}", path: .}
      - run: tar -xvf workspace.tar
      - run: ./.ci/parse.sh
"""
    controls = _job(_inventory(tmp_path, wf))["outsider_control"]
    assert isinstance(controls, tuple)
    assert [c for c in controls if "artifact" in str(c)], controls
    # unpacked into a folder of its own and only copied from there: nothing of theirs runs
    apart = wf.replace("tar -xvf workspace.tar", "tar -xvf workspace.tar -C .ci-temp/reports").replace(
        "./.ci/parse.sh", "aws s3 cp .ci-temp/reports s3://bucket --recursive"
    )
    assert _job(_inventory(tmp_path / "apart", apart))["outsider_control"] == ()
    # the same artifact made from the base branch's code is theirs in nothing
    base = wf.replace('        with: {ref: "refs/pull/${{ github.event.issue.number }}/head"}\n', "")
    assert _job(_inventory(tmp_path / "base", base))["outsider_control"] == ()


def test_a_switched_off_job_publishes_nothing(tmp_path: Path) -> None:
    # electric-sql: `npm-publish` with `if: ${{ false }}` ("re-enable by removing this")
    wf = """on: push
jobs:
  j:
    if: ${{ false }}
    runs-on: x
    permissions: {id-token: write}
    steps:
      - run: npm publish --provenance
"""
    assert _job(_inventory(tmp_path, wf))["publishes"] == ()
    on = wf.replace("    if: ${{ false }}\n", "")
    assert _job(_inventory(tmp_path / "on", on))["publishes"] == ("npm",)


def test_a_commenter_looked_up_in_an_allow_list_is_a_gate(tmp_path: Path) -> None:
    # tdesign-vue-next: a `check` job reads `.pr-comment-ci-whitelist` and compares the commenter's login; the
    # jobs that need it check out the pull request and run `pnpm install`
    wf = """on: issue_comment
jobs:
  check:
    outputs: {next: "${{ steps.a.outputs.next }}"}
    steps:
      - uses: actions/github-script@v7
        id: a
        with:
          script: |
            const user = context.payload.comment.user.login
            const whitelist = require('fs').readFileSync('.github/.whitelist', 'utf8')
            if (whitelist.split('\\n').includes(user)) core.setOutput('next', 'go')
  j:
    needs: check
    if: needs.check.outputs.next == 'go'
    steps:
      - run: gh pr checkout ${{ github.event.issue.number }}
      - run: pnpm install
"""
    # the allow-list admits the commenter: what stays the outsiders' is the pull request checked out after the
    # comment (its author can push in between; see the comment-gate test above), not the whole job
    (gated,) = _controls(_job(_inventory(tmp_path, wf)))
    assert gated.endswith("after a maintainer's comment started it")
    anyone = wf.replace("const whitelist = require('fs').readFileSync('.github/.whitelist', 'utf8')", "const list = []")
    anyone = anyone.replace("whitelist.split('\\n').includes(user)", "list.length === 0")
    (open_to_all,) = _controls(_job(_inventory(tmp_path / "anyone", anyone)))
    assert "comment started it" not in open_to_all


def test_bonk_checks_the_commenters_permission_unless_told_any(tmp_path: Path) -> None:
    # ask-bonk/ask-bonk/github (action.yml at 4022737a): `permissions` defaults to write, `any` admits everyone
    wf = """on: issue_comment
jobs:
  j:
    steps:
      - uses: ask-bonk/ask-bonk/github@main
        with: {model: m, prompt: "Fix: ${{ github.event.comment.body }}"}
"""
    attrs = _job(_inventory(tmp_path, wf))
    assert (attrs["outsider_control"], attrs["outsider_gated"]) == ((), True)
    anyone = wf.replace("model: m,", "model: m, permissions: any,")
    assert "github.event.comment.body" in _controls(_job(_inventory(tmp_path / "any", anyone)))[0]


def test_hub_pr_checkout_is_the_pull_request_too(tmp_path: Path) -> None:
    # slate's `/release:next`: one maintainer's comment, then `hub pr checkout N`, the build and `npm publish`
    wf = """on: issue_comment
jobs:
  j:
    if: github.event.sender.login == 'ianstormtaylor'
    steps:
      - uses: actions/checkout@v4
      - run: hub pr checkout ${{ github.event.issue.number }}
      - run: yarn install && yarn build
"""
    assert "after a maintainer's comment started it" in _controls(_job(_inventory(tmp_path, wf)))[0]


FORK_CHOICE = """on: pull_request_target
jobs:
  j:
    steps:
      - uses: actions/checkout@v6
        with:
          ref: ${{ REF }}
      - run: npm ci && npx commitlint --from HEAD~1
"""


@pytest.mark.parametrize(
    ("ref", "theirs"),
    [
        # ibis' pr-title (round 32): a fork's run checks out the default branch; the head only of the repository's own
        (
            "github.event.pull_request.head.repo.fork && github.event.repository.default_branch || github.event.pull_request.head.sha",
            False,
        ),
        (
            "!github.event.pull_request.head.repo.fork && github.event.pull_request.head.sha || github.event.repository.default_branch",
            False,
        ),
        (
            "github.event.pull_request.head.repo.full_name == github.repository && github.event.pull_request.head.sha || 'main'",
            False,
        ),
        # the other way round, a fork's head is what runs
        (
            "github.event.pull_request.head.repo.fork && github.event.pull_request.head.sha || github.event.repository.default_branch",
            True,
        ),
        ("github.event.pull_request.head.sha", True),
    ],
)
def test_a_checkout_choosing_by_where_the_pull_request_comes_from(tmp_path: Path, ref: str, theirs: bool) -> None:
    controls = _controls(_job(_inventory(tmp_path, FORK_CHOICE.replace("REF", ref))))
    assert bool(controls) is theirs, controls
