"""Rows of the publish-step table (connectors/github/actions.py) beyond the ones the bundle covers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from connectors.ci.publish import StepView, analyse
from connectors.github import SPEC
from connectors.github.refs import GitHubRefs
from scanner.bundle import BundleReader
from scanner.model import Inventory, NodeId, NodeKind

REPO = "github/repos/o/r"
WORKFLOW = """
on: push
permissions: {id-token: write}
jobs:
  ghcr:
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, password: "${{ secrets.REG_TOKEN }}"}
  twine:
    env: {TWINE_PASSWORD: "${{ secrets.REG_TOKEN }}"}
    steps:
      - run: python -m twine upload dist/*
  uv:
    steps:
      - run: uv publish
        env: {UV_PUBLISH_TOKEN: "${{ secrets.REG_TOKEN }}"}
  testpypi-oidc:
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with: {repository-url: "https://test.pypi.org/legacy/"}
  npm-action:
    steps:
      - uses: JS-DevTools/npm-publish@v3
        with: {token: "${{ secrets.REG_TOKEN }}"}
  build-only:
    steps:
      - run: npm publish --dry-run
"""


def _inventory(tmp_path: Path) -> Inventory:
    wf = tmp_path / REPO / "contents/.github/workflows/p.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW, encoding="utf-8")
    secret = {"name": "REG_TOKEN", "created_at": "2024-05-06T07:08:09Z", "updated_at": "2024-05-06T07:08:09Z"}
    (tmp_path / REPO / "actions").mkdir(parents=True)
    (tmp_path / REPO / "actions/secrets.json").write_text(
        json.dumps({"total_count": 1, "secrets": [secret]}), encoding="utf-8"
    )
    return SPEC.inventory(BundleReader(tmp_path))


def _workflow_routes(tmp_path: Path, name: str, text: str) -> Callable[[str], object]:
    """The bundle of one workflow file ``name`` of o/r; each of its jobs' ``publish_routes`` by job id."""
    wf = tmp_path / REPO / f"contents/.github/workflows/{name}"
    wf.parent.mkdir(parents=True)
    wf.write_text(text, encoding="utf-8")
    inv = SPEC.inventory(BundleReader(tmp_path))
    return lambda job: inv.node(NodeId(f"github:job:o/r/.github/workflows/{name}#{job}")).attrs["publish_routes"]


def test_publish_rows(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)

    def attrs(job: str) -> tuple[object, object]:
        n = inv.node(NodeId(f"github:job:o/r/.github/workflows/p.yml#{job}"))
        return n.attrs["publishes"], n.attrs["pypi_trusted_publishing"]

    # a registry login alone publishes nothing (the old table counted it as a publish)
    assert attrs("ghcr") == ((), False)
    assert attrs("twine") == (("pypi",), False)
    assert attrs("uv") == (("pypi",), False)
    # OIDC publishing to Test PyPI is not PyPI Trusted Publishing
    assert attrs("testpypi-oidc") == (("testpypi",), False)
    assert attrs("npm-action") == (("npm",), False)
    # a dry run publishes nothing
    assert attrs("build-only") == ((), False)
    creds = {n.id for n in inv.nodes() if n.kind == NodeKind.CREDENTIAL}
    # one secret used by PyPI and npm steps and a GHCR login: one credential node per registry (the
    # GHCR one held, not seen publishing)
    assert creds == {
        "pypi:token:github/o/r/REG_TOKEN",
        "npm:token:github/o/r/REG_TOKEN",
        "ghcr:token:github/o/r/REG_TOKEN",
    }
    vias = {e.via for e in inv.edges() if e.dst == "pypi:token:github/o/r/REG_TOKEN"}
    assert vias == {"env.TWINE_PASSWORD", "env.UV_PUBLISH_TOKEN"}


REUSABLE = """
on: push
permissions: {contents: read}
jobs:
  pub-dev:
    permissions: {id-token: write}
    uses: dart-lang/ecosystem/.github/workflows/publish.yaml@v1
  pub-dev-no-oidc:
    uses: dart-lang/ecosystem/.github/workflows/publish.yaml@v1
  provenance-to-release:
    permissions: {contents: write, id-token: write, actions: read}
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
    with: {base64-subjects: "${{ needs.build.outputs.hashes }}", upload-assets: true}
  provenance-kept:
    permissions: {contents: write, id-token: write, actions: read}
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
    with: {base64-subjects: "${{ needs.build.outputs.hashes }}"}
  image-provenance:
    permissions: {packages: write, id-token: write, actions: read}
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0
    with: {image: "ghcr.io/${{ github.repository }}", digest: "${{ needs.build.outputs.digest }}"}
    secrets: {registry-password: "${{ secrets.GITHUB_TOKEN }}"}
  unknown-workflow:
    uses: acme/workflows/.github/workflows/lint.yml@main
  docker-builder:
    permissions: {packages: write}
    uses: docker/github-builder/.github/workflows/build.yml@v1
    with: {output: image, push: true, meta-images: ghcr.io/o/r}
  docker-builder-no-push:
    uses: docker/github-builder/.github/workflows/build.yml@v1
    with: {output: image, meta-images: ghcr.io/o/r}
"""


def test_reusable_workflow_rows(tmp_path: Path) -> None:
    # Another repository's reusable workflow publishes what publish.yaml's reusable_workflows says, with the
    # credential the call gives it; one the table does not know (and not named like a release) publishes nothing.
    routes = _workflow_routes(tmp_path, "r.yml", REUSABLE)

    assert routes("pub-dev") == ("pub-dev:oidc",)
    assert routes("pub-dev-no-oidc") == ("pub-dev:unknown",)  # never dropped: the route is not known
    assert routes("provenance-to-release") == ("github-releases:job_token",)
    assert routes("provenance-kept") == ()  # upload-assets not set: nothing leaves the workflow
    assert routes("image-provenance") == ("ghcr:job_token",)
    assert routes("unknown-workflow") == ()
    # docker/github-builder (svix): pushes `meta-images` when `push` is true, to GHCR with the caller's token
    assert routes("docker-builder") == ("ghcr:job_token",)
    assert routes("docker-builder-no-push") == ()


def _publishes(*steps: StepView, oidc: bool = False) -> set[tuple[str, str, tuple[str, ...]]]:
    found = analyse(list(steps), GitHubRefs("o/r"), oidc=oidc)
    return {(p.registry, p.confidence, tuple(sorted(f"{r.kind}:{r.name}" for r in p.routes))) for p in found}


AWS_LOGIN = StepView(0, "aws", 1, None, "aws-actions/configure-aws-credentials@v4",
                     {"role-to-assume": "${{ secrets.ROLE_ARN }}", "aws-region": "us-east-1"}, None, {})  # fmt: skip


def test_a_push_script_after_a_cloud_sign_in_probably_pushes_to_that_clouds_registry() -> None:
    # aws/aws-node-termination-handler: configure-aws-credentials (OIDC), then `make push-helm-chart`
    push = StepView(1, "Sync Helm Chart to ECR Public", 2, None, None, {}, "make push-helm-chart", {})
    assert _publishes(AWS_LOGIN, push) == {("ecr", "probable", ("cloud:aws",))}
    test = StepView(1, "test", 2, None, None, {}, "make e2e-test", {})
    assert _publishes(AWS_LOGIN, test) == set()


def test_a_registry_credential_handed_to_a_build_script_is_a_probable_publish() -> None:
    # serilog, fluentassertions: `./Build.ps1` with NUGET_API_KEY (the push is in the script)
    env = {"NUGET_API_KEY": "${{ secrets.NUGET_API_KEY }}"}
    build = StepView(1, "Build", 2, None, None, {}, "./Build.ps1", env)
    assert _publishes(build) == {("nuget", "probable", ("secret:NUGET_API_KEY",))}
    assert _publishes(StepView(1, "Build", 2, None, None, {}, "./Build.ps1", {})) == set()


def test_a_step_named_publish_counts_only_for_what_runs_a_script() -> None:
    env = {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"}
    script = StepView(1, "Build and Publish", 2, None, None, {}, "./scripts/ci.sh", env)
    assert _publishes(script) == {("npm", "probable", ("secret:NPM_TOKEN",))}
    check = StepView(1, "Publish", 2, None, None, {}, 'if [ -f "pkg.tgz" ]; then echo ok; fi', env)
    assert _publishes(check) == {("npm", "held", ("secret:NPM_TOKEN",))}  # held, not seen publishing


def test_an_installer_named_after_a_release_publishes_nothing() -> None:
    # cargo-binstall's install-from-binstall-release.sh, run with a GitHub token to read releases
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    step = StepView(1, "install", 2, None, None, {}, "./install-from-binstall-release.sh", env)
    assert _publishes(step) == set()


def test_an_image_named_only_at_run_time_goes_where_the_job_logged_in() -> None:
    # kaito: `image_ref="${REGISTRY}/${IMAGE_NAME}"` then `--tag "${image_ref}:nightly-latest"`
    login = StepView(0, "login", 1, None, "docker/login-action@v3",
                     {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    push = StepView(1, "push", 2, None, None, {},
                    'docker buildx imagetools create --tag "${image_ref}:nightly-latest" "${image_ref}:v1"', {})  # fmt: skip
    assert {p[0] for p in _publishes(login, push)} == {"ghcr"}


def test_a_command_kept_in_an_env_variable_is_that_command() -> None:
    # lerna-lite: `echo "Q=…" >> $GITHUB_ENV`, then `run: ${{ env.Q }}` (the runner substitutes it first)
    setq = StepView(
        0, "query", 1, None, None, {}, 'echo "PUBLISH_QUERY=npm publish --access public" >> $GITHUB_ENV', {}
    )
    run = StepView(
        1, "publish", 2, None, None, {}, "${{ env.PUBLISH_QUERY }}", {"NODE_AUTH_TOKEN": "${{ secrets.NPM }}"}
    )
    assert _publishes(setq, run) == {("npm", "certain", ("secret:NPM",))}


def test_a_variable_exported_earlier_in_the_script_names_the_image() -> None:
    # ko-build/ko: `export KO_DOCKER_REPO=<account>.dkr.ecr.<region>.amazonaws.com/repo`, then `ko build`; the
    # push uses the job's AWS sign-in (ko's credential helper), not a registry login
    script = "export KO_DOCKER_REPO=123456789012.dkr.ecr.us-west-2.amazonaws.com/app\nko build --bare ./cmd"
    step = StepView(1, "build", 2, None, None, {}, script, {})
    assert _publishes(AWS_LOGIN, step) == {("ecr", "certain", ("cloud:aws",))}


def test_local_and_kind_registries_publish_nothing() -> None:
    for script in (
        "KO_DOCKER_REPO=kind.local ko apply -f ./test",
        "KO_DOCKER_REPO=registry.localhost:5000 ko build ./",
    ):
        assert _publishes(StepView(1, "e2e", 2, None, None, {}, script, {})) == set(), script


def test_a_tag_computed_by_a_command_keeps_the_images_registry() -> None:
    # sealed-secrets: `imgpkg push -b ghcr.io/<owner>/bundle:$(yq .version < Chart.yaml)` after a GHCR login
    login = StepView(0, "login", 1, None, None, {}, 'echo "$T" | ko login ghcr.io -u bot --password-stdin',
                     {"T": "${{ secrets.GHCR_PAT }}"})  # fmt: skip
    push = StepView(
        1, "push", 2, None, None, {}, "imgpkg push -b ghcr.io/acme/bundle:$(yq .version < Chart.yaml) -f b/", {}
    )
    assert _publishes(login, push) == {("ghcr", "certain", ("secret:GHCR_PAT",))}


INHERIT = """
on: push
jobs:
  image:
    uses: acme/shared/.github/workflows/docker-publish-image.yml@main
    secrets: inherit
    with: {image-name: ghcr.io/acme/app}
  deploy:
    uses: acme/shared/.github/workflows/deploy.yml@main
    secrets: inherit
"""


def test_a_publish_workflow_given_every_secret_is_a_probable_publish(tmp_path: Path) -> None:
    # shlink: another repository's docker-publish-image.yml called with `secrets: inherit`; one named to
    # deploy is a deployment
    wf = tmp_path / REPO / "contents/.github/workflows/i.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(INHERIT, encoding="utf-8")
    inv = SPEC.inventory(BundleReader(tmp_path))

    def attrs(job: str) -> tuple[object, object]:
        n = inv.node(NodeId(f"github:job:o/r/.github/workflows/i.yml#{job}"))
        return n.attrs["publishes"], n.attrs["publishes_probable"]

    assert attrs("image") == (("ghcr",), ("ghcr",))
    assert attrs("deploy") == ((), ())


def test_this_repositorys_own_workflow_called_by_its_full_name_is_judged_where_it_is(tmp_path: Path) -> None:
    # amplify-ui, matrix-js-sdk: `uses: aws-amplify/amplify-ui/.github/workflows/reusable-tagged-publish.yml@main`
    # names a workflow of the same repository, whose jobs publish (or not) themselves; the caller is no probable publish
    calls = INHERIT.replace("acme/shared/", "o/r/")
    publish = "on: workflow_call\njobs:\n  p:\n    steps:\n      - run: npm publish\n"
    flows = tmp_path / REPO / "contents/.github/workflows"
    flows.mkdir(parents=True)
    (flows / "i.yml").write_text(calls, encoding="utf-8")
    (flows / "docker-publish-image.yml").write_text(publish, encoding="utf-8")
    inv = SPEC.inventory(BundleReader(tmp_path))

    def publishes(path: str) -> object:
        return inv.node(NodeId(f"github:job:o/r/.github/workflows/{path}")).attrs["publishes"]

    assert publishes("i.yml#image") == ()
    assert publishes("docker-publish-image.yml#p") == ("npm",)
    # another repository's workflow of the same name is still read from the call
    other = tmp_path / "other"
    (other / REPO / "contents/.github/workflows").mkdir(parents=True)
    (other / REPO / "contents/.github/workflows/i.yml").write_text(INHERIT, encoding="utf-8")
    node = SPEC.inventory(BundleReader(other)).node(NodeId("github:job:o/r/.github/workflows/i.yml#image"))
    assert node.attrs["publishes"] == ("ghcr",)


def test_changesets_v2_publish_script_and_uppt_publish_by_trusted_publishing() -> None:
    # SvelteKit: changesets/action v2 renamed `publish` to `publish-script` (#681); nuxt/cli: danielroe/uppt/publish
    changesets = StepView(0, "release", 1, None, "changesets/action@v2.0.0-next.4",
                          {"publish-script": "pnpm changeset:release"}, None, {})  # fmt: skip
    assert {p[0] for p in _publishes(changesets, oidc=True)} == {"npm", "github-releases"}
    uppt = StepView(0, "publish", 1, None, "danielroe/uppt/publish@7bcfb53", {"files": "${{ needs.pack.outputs.files }}"},
                    None, {})  # fmt: skip
    assert _publishes(uppt, oidc=True) == {("npm", "certain", ("oidc:npm",))}


def test_cargo_release_without_publishing_publishes_nothing() -> None:
    # bevy's post-release bump: `cargo release … --no-publish --execute --no-tag --no-push`
    bump = _run(0, 'cargo release "${next_version}" --workspace --no-publish --execute --no-tag --no-push')
    assert _publishes(bump) == set()
    assert {p[0] for p in _publishes(_run(0, "cargo release 1.2.0 --workspace --execute"))} == {"crates"}


def test_dotnet_build_is_not_a_build_entry_point() -> None:
    env = {"NUGET_API_KEY": "${{ secrets.NUGET_API_KEY }}"}
    assert {p[1] for p in _publishes(StepView(1, "compile", 2, None, None, {}, "dotnet build -c Release", env))} == {
        "held"
    }
    assert {p[1] for p in _publishes(StepView(1, "ci", 2, None, None, {}, "dotnet nuke Push", env))} == {"probable"}


def test_a_key_stored_by_nuget_setapikey_reaches_a_later_release_script() -> None:
    # gsudo: `nuget setapikey ${{ secrets.NUGET_APIKEY }}`, then `./build/06-release-Nuget.ps1` (the push is inside)
    store = StepView(0, "key", 1, None, None, {}, "nuget setapikey ${{ secrets.NUGET_APIKEY }}", {})
    run = StepView(1, "push", 2, None, None, {}, "./build/06-release-Nuget.ps1", {})
    assert _publishes(store, run) == {("nuget", "probable", ("secret:NUGET_APIKEY",))}
    choco = StepView(0, "key", 1, None, None, {}, "choco apikey --key ${{ secrets.CHOCO }} --source https://push.chocolatey.org/", {})  # fmt: skip
    assert _publishes(choco, StepView(1, "push", 2, None, None, {}, "./build/05-release-Chocolatey.ps1", {})) == {
        ("chocolatey", "probable", ("secret:CHOCO",))
    }


def test_make_release_after_a_registry_login_may_also_make_the_github_release() -> None:
    # stern: docker/login-action to GHCR, then `make release` (goreleaser) with GITHUB_TOKEN
    login = StepView(0, "login", 1, None, "docker/login-action@v4",
                     {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    release = StepView(1, "Release", 2, None, None, {}, "make release", {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"})
    assert {(p[0], p[1]) for p in _publishes(login, release)} == {("ghcr", "probable"), ("github-releases", "probable")}


def test_a_release_script_holding_a_taps_token_also_pushes_where_the_job_logged_in() -> None:
    # wagoodman/dive: logins to Docker Hub and GHCR, then `make ci-release` (goreleaser) with TAP_GITHUB_TOKEN and
    # GITHUB_TOKEN: the tap, the images and the release
    hub = StepView(0, "hub", 1, None, "docker/login-action@v3",
                   {"username": "${{ secrets.DOCKER_USERNAME }}", "password": "${{ secrets.DOCKER_PASSWORD }}"}, None, {})  # fmt: skip
    ghcr = StepView(1, "ghcr", 2, None, "docker/login-action@v3",
                    {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    env = {"TAP_GITHUB_TOKEN": "${{ secrets.TAP_GITHUB_TOKEN }}", "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    release = StepView(2, "Release", 3, None, None, {}, "make ci-release", env)
    found = {p[0] for p in _publishes(hub, ghcr, release) if p[1] == "probable"}
    assert found == {"homebrew", "dockerhub", "ghcr", "github-releases"}
    # without the logins: the tap and the release only
    assert {p[0] for p in _publishes(release) if p[1] == "probable"} == {"homebrew", "github-releases"}


def test_a_package_script_named_for_a_tools_publishing_verb_runs_it_with_its_credential() -> None:
    # ajayyy/SponsorBlock: `npm run web-sign` (web-ext sign, to AMO) with WEB_EXT_API_KEY and WEB_EXT_API_SECRET
    env = {
        "WEB_EXT_API_KEY": "${{ secrets.WEB_EXT_API_KEY }}",
        "WEB_EXT_API_SECRET": "${{ secrets.WEB_EXT_API_SECRET }}",
    }
    found = _publishes(_run(0, "npm run web-sign", env))
    assert {(r, c) for r, c, _ in found} == {("firefox-amo", "probable")}
    assert not {r for r, c, _ in _publishes(_run(0, "npm run web-sign")) if c != "held"}  # no credential: a build
    assert not {r for r, c, _ in _publishes(_run(0, "npm run web-build", env)) if c != "held"}  # another script


def test_a_push_command_uses_the_key_a_login_stored_earlier() -> None:
    # jbang: `choco apikey -k ${{ secrets.CHOCO_API_KEY }} -source …`, then `choco push … -s …`
    script = ("choco apikey -k ${{ secrets.CHOCO_API_KEY }} -source https://push.chocolatey.org/\n"
              "choco push acme.1.0.nupkg -s https://push.chocolatey.org/")  # fmt: skip
    found = _publishes(StepView(1, "push", 2, None, None, {}, script, {}))
    assert ("chocolatey", "certain", ("secret:CHOCO_API_KEY",)) in found


def test_jreleaser_publish_pushes_only_where_it_holds_credentials() -> None:
    # jbang: `jreleaser publish` (packagers) after Docker Hub and Quay logins: those, not Maven Central
    hub = StepView(
        0, "hub", 1, None, "docker/login-action@v3", {"password": "${{ secrets.DOCKER_PASSWORD }}"}, None, {}
    )
    quay = StepView(1, "quay", 2, None, "docker/login-action@v3",
                    {"registry": "quay.io", "password": "${{ secrets.QUAY_PASSWORD }}"}, None, {})  # fmt: skip
    publish = StepView(2, "publish", 3, None, "jreleaser/release-action@v2", {"arguments": "publish"}, None, {})
    assert {p[0] for p in _publishes(hub, quay, publish) if p[1] != "held"} == {"dockerhub", "quay"}


def test_a_credential_written_to_a_file_is_held_by_the_commands_that_name_the_file() -> None:
    # a token decoded into a file, handed to the login by the file's name under another folder spelling
    env = {"CREDS": "${{ secrets.SNAP_STORE_LOGIN }}"}
    write = StepView(1, "creds", 2, None, None, {}, 'echo "$CREDS" | base64 -d > "$HOME/store.login"', env)
    login = StepView(
        2, "upload", 3, None, None, {}, "snapcraft login --with ~/store.login\nsnapcraft upload a.snap", {}
    )
    assert _publishes(write, login) == {("snapcraft", "certain", ("secret:SNAP_STORE_LOGIN",))}
    # the same upload without the file: no credential named
    assert _publishes(login) == {("snapcraft", "certain", ("unknown:",))}
    # a file written from no credential carries none
    plain = StepView(1, "creds", 2, None, None, {}, 'echo "hello" > "$HOME/store.login"', {})
    assert _publishes(plain, login) == {("snapcraft", "certain", ("unknown:",))}


def test_a_shell_condition_in_an_upload_step_pushes_nothing() -> None:
    # supabase/auth: `if [ "$RELEASE_CANDIDATE" == "true" ]` and `GH_TOKEN='${{ github.token }}' gh pr comment …`
    # in a step named "Upload release artifacts" after an AWS sign-in are no image pushes
    script = (
        'if [ "$RELEASE_CANDIDATE" == "true" ]\nthen\n'
        '  GH_TOKEN=\'${{ github.token }}\' gh pr comment "$PR" -b "published"\nfi'
    )
    step = StepView(1, "Upload release artifacts", 2, None, None, {}, script, {})
    assert _publishes(AWS_LOGIN, step) == set()
    push = StepView(1, "Upload release artifacts", 2, None, None, {}, 'if [ -n "$X" ]; then make push; fi', {})
    assert _publishes(AWS_LOGIN, push) == {("ecr", "probable", ("cloud:aws",))}


def test_a_registry_login_with_no_password_after_a_cloud_sign_in_uses_the_cloud() -> None:
    # supabase/auth: docker/login-action to an ECR host with no username or password signs in with AWS
    login = StepView(1, "ecr", 2, None, "docker/login-action@v3",
                     {"registry": "646182064048.dkr.ecr.us-east-1.amazonaws.com"}, None, {})  # fmt: skip
    push = StepView(2, "push", 3, None, None, {}, "docker push 646182064048.dkr.ecr.us-east-1.amazonaws.com/auth:1", {})
    assert _publishes(AWS_LOGIN, login, push) == {("ecr", "certain", ("cloud:aws",))}
    assert _publishes(login, push) == {("ecr", "certain", ("unknown:",))}


def test_a_feed_url_beside_a_key_names_where_the_key_publishes() -> None:
    # jbogard/MediatR: NUGET_URL (a MyGet feed) beside NUGET_API_KEY, handed to ./Push.ps1
    env = {"NUGET_URL": "https://www.myget.org/F/mediatr-ci/api/v3/index.json",
           "NUGET_API_KEY": "${{ secrets.CI_FEED_KEY }}"}  # fmt: skip
    step = StepView(1, "Push", 2, None, None, {}, "./Push.ps1", env)
    assert _publishes(step) == {("myget", "probable", ("secret:CI_FEED_KEY",))}
    env = {"NUGET_API_KEY": "${{ secrets.CI_FEED_KEY }}"}
    assert _publishes(StepView(1, "Push", 2, None, None, {}, "./Push.ps1", env)) == {
        ("nuget", "probable", ("secret:CI_FEED_KEY",))
    }


def test_binstar_is_anaconda_client() -> None:
    # holoviz/param: the token interpolated into the command line
    up = "binstar --token ${{ secrets.CONDA_UPLOAD_TOKEN }} upload --user pyviz --label=dev dist/*.conda"
    assert _publishes(StepView(1, "up", 2, None, None, {}, up, {})) == {
        ("anaconda", "certain", ("secret:CONDA_UPLOAD_TOKEN",))
    }
    assert _publishes(StepView(1, "v", 2, None, None, {}, "binstar --version", {})) == set()


def test_only_a_one_word_value_written_to_a_file_stands_for_the_file() -> None:
    # supabase/auth: `echo "## Checksums" > checksums.txt`, later `X=$(cat checksums.txt)` runs no `Checksums`
    script = 'echo "## Checksums" > checksums.txt\nCONTENT=$(cat checksums.txt)'
    step = StepView(1, "Upload release artifacts", 2, None, None, {}, script, {})
    assert _publishes(AWS_LOGIN, step) == set()
    script = 'echo "docker.io/acme/app:1" > tag.txt\ndocker push "$(cat tag.txt)"'
    login = StepView(0, "login", 1, None, "docker/login-action@v3", {"password": "${{ secrets.HUB }}"}, None, {})
    assert _publishes(login, StepView(1, "push", 2, None, None, {}, script, {})) == {
        ("dockerhub", "certain", ("secret:HUB",))
    }


def test_a_build_handed_a_push_flag_by_its_environment_pushes() -> None:
    # gemini-cli: `npm run build:sandbox -- --image …` with BUILD_SANDBOX_FLAGS '--platform … --push'
    login = StepView(0, "login", 1, None, "docker/login-action@v3", {"password": "${{ secrets.HUB }}"}, None, {})
    run = 'npm run build:sandbox -- --image "google/sandbox:1"'
    env = {"BUILD_SANDBOX_FLAGS": "--platform linux/amd64 --push"}
    assert _publishes(login, StepView(1, "publish", 2, None, None, {}, run, env)) == {
        ("dockerhub", "probable", ("secret:HUB",))
    }
    assert _publishes(login, StepView(1, "publish", 2, None, None, {}, run, {})) == {
        ("dockerhub", "held", ("secret:HUB",))
    }


TOKEN = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}


def test_the_script_a_runner_runs_is_named_past_a_flags_value() -> None:
    # streamlink: `uv run --frozen --only-group script ./script/github-release.py …` (not the group `script`)
    run = "uv run --frozen --only-group script ./script/github-release.py dist/*.tar.gz"
    assert _publishes(StepView(1, "Github release", 2, None, None, {}, run, TOKEN)) == {
        ("github-releases", "probable", ("job_token:GITHUB_TOKEN",))
    }
    test = "uv run --frozen --only-group script ./script/run-tests.py"
    assert _publishes(StepView(1, "Tests", 2, None, None, {}, test, TOKEN)) == set()


def test_a_github_token_handed_to_a_release_function_on_its_command_line() -> None:
    # tealdeer: `source ./scripts/upload-asset.sh` then `upload_release_file ${{ secrets.GITHUB_TOKEN }} …`
    run = (
        "source ./scripts/upload-asset.sh\n"
        "upload_release_file ${{ secrets.GITHUB_TOKEN }} ${{ github.repository }} v1 out/app app"
    )
    assert _publishes(StepView(1, "Upload", 2, None, None, {}, run, {})) == {
        ("github-releases", "probable", ("job_token:GITHUB_TOKEN",))
    }
    # the same function without the token, or a token-holding function not named for a release
    assert (
        _publishes(StepView(1, "Upload", 2, None, None, {}, run.replace("${{ secrets.GITHUB_TOKEN }} ", ""), {}))
        == set()
    )
    other = "source ./scripts/lib.sh\nlist_assets ${{ secrets.GITHUB_TOKEN }} o/r"
    assert _publishes(StepView(1, "List", 2, None, None, {}, other, {})) == set()


def test_a_form_upload_to_a_registry_host_with_the_token_in_its_url() -> None:
    # miniflux: Gemfury's push URL carries the token; inside a `for … do … done` loop
    run = "for f in *.deb; do curl -F package=@$f https://$FURY_TOKEN@push.fury.io/miniflux/; done"
    env = {"FURY_TOKEN": "${{ secrets.FURY_TOKEN }}"}
    assert _publishes(StepView(1, "Upload", 2, None, None, {}, run, env)) == {
        ("fury", "probable", ("secret:FURY_TOKEN",))
    }
    # a download of the same URL sends nothing
    get = "curl -fsSL https://$FURY_TOKEN@push.fury.io/miniflux/list"
    assert _publishes(StepView(1, "List", 2, None, None, {}, get, env)) == {("fury", "held", ("secret:FURY_TOKEN",))}


def test_gradle_tasks_that_stay_on_the_machine_publish_nothing_whatever_the_step_is_named() -> None:
    # pinterest/ktlint: `name: Build with release Kotlin version` over `./gradlew ktlintCheck build`, signing key held
    env = {"ORG_GRADLE_PROJECT_signingInMemoryKey": "${{ secrets.ORG_GRADLE_PROJECT_SIGNINGKEY }}",
           "ORG_GRADLE_PROJECT_mavenCentralPassword": "${{ secrets.CENTRAL_PORTAL_TOKEN }}"}  # fmt: skip
    label = "Build with release Kotlin version"
    build = _publishes(StepView(1, label, 2, None, None, {}, "./gradlew ktlintCheck build", env))
    assert {c for _, c, _ in build} <= {"held"}
    publish = _publishes(StepView(1, label, 2, None, None, {}, "./gradlew clean publishToMavenCentral", env))
    assert ("maven-central", "certain") in {(r, c) for r, c, _ in publish}
    # a task given by a variable may be any task
    any_task = _publishes(StepView(1, label, 2, None, None, {}, "./gradlew $TASKS", env))
    assert "maven-central" in {r for r, c, _ in any_task if c != "held"}


def test_a_step_named_for_making_the_release_over_a_script_holding_the_github_token() -> None:
    # ViewComponent: `name: Publish release` over `script/publish` with GH_TOKEN (gh release create inside)
    env = {"GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    assert _publishes(StepView(1, "Publish release", 2, None, None, {}, "script/publish", env)) == {
        ("github-releases", "probable", ("job_token:GITHUB_TOKEN",))
    }
    # cargo-binstall: a step that only mentions a release
    step = StepView(1, "Ensure release binary is runnable", 2, None, None, {}, "just e2e-tests", env)
    assert _publishes(step) == set()


def test_homebrew_and_pub_dev_credentials_by_name() -> None:
    from scanner.knowledge.publish import registry_from_secret_name

    for name in ("HOMEBREW_TAP_GITHUB_TOKEN", "BREW_GITHUB_TOKEN", "HOMEBREW_TOKEN", "TAP_GITHUB_TOKEN"):
        assert registry_from_secret_name(name) == "homebrew", name
    for name in ("PUB_CREDENTIALS", "pub-credentials-json", "PUB_DEV_TOKEN"):
        assert registry_from_secret_name(name) == "pub-dev", name
    for name in ("GITHUB_TOKEN", "PUBLISH_TOKEN", "TAPE_TOKEN"):
        assert registry_from_secret_name(name) not in ("homebrew", "pub-dev"), name
    # cfug/dio: an issue-comment release action handed pub.dev's credentials.json
    step = StepView(1, "release", 2, None, "cfug/dio_issue_release_action@v2",
                    {"github-token": "${{ secrets.CFUG_PUBLISHER }}", "pub-credentials-json": "${{ secrets.CREDENTIAL_JSON }}"},
                    None, {})  # fmt: skip
    assert ("pub-dev", "probable", ("secret:CREDENTIAL_JSON",)) in _publishes(step)


def _run(index: int, script: str, env: dict[str, str] | None = None, label: str = "run") -> StepView:
    return StepView(index, label, index + 1, None, None, {}, script, env or {})


def test_a_push_to_a_checked_out_homebrew_tap_publishes_with_the_checkout_token() -> None:
    # spring-boot's update-homebrew-tap: actions/checkout of spring-io/homebrew-tap with a token, commit, push
    tap = StepView(0, "Check out tap", 1, None, "actions/checkout@v4",
                   {"repository": "acme/homebrew-tap", "token": "${{ secrets.BOT_REPO_TOKEN }}", "path": "tap"},
                   None, {})  # fmt: skip
    commit = "cd tap\ncp ../dist/app.rb Formula/app.rb\ngit commit -am 'app 1.2'\n"
    assert _publishes(tap, _run(1, commit + "git push")) == {("homebrew", "probable", ("secret:BOT_REPO_TOKEN",))}
    # no push: the token is only held (it is not named for Homebrew, so nothing is said of it)
    assert _publishes(tap, _run(1, commit)) == set()
    # a branch for a pull request, and a dry run, publish nothing
    assert _publishes(tap, _run(1, commit + "git push origin bump-app-1.2")) == set()
    assert _publishes(tap, _run(1, commit + "git push --dry-run")) == set()
    # the push goes to another repository named by its URL
    assert _publishes(tap, _run(1, commit + "git push https://github.com/acme/app.git HEAD:main")) == set()
    # homebrew-core only takes reviewed pull requests: a push there is to a fork
    core = StepView(0, "core", 1, None, "actions/checkout@v4", {"repository": "Homebrew/homebrew-core"}, None, {})
    assert _publishes(core, _run(1, commit + "git push")) == set()


def test_a_push_to_a_cloned_packaging_repository_uses_the_credential_in_its_url_or_named_for_it() -> None:
    clone = "git clone https://x-access-token:${{ secrets.BOT_PAT }}@github.com/acme/scoop-bucket.git b\ncd b\n"
    assert _publishes(_run(0, clone + "git push")) == {("scoop", "probable", ("secret:BOT_PAT",))}
    # an AUR package: the remote added under its own name, the key in a secret named for the AUR
    aur = (
        'echo "$AUR_KEY" > ~/.ssh/aur\ngit remote add aur ssh://aur@aur.archlinux.org/app.git\ngit push aur HEAD:master'
    )
    env = {"AUR_KEY": "${{ secrets.AUR_SSH_PRIVATE_KEY }}"}
    assert _publishes(_run(0, aur, env)) == {("aur", "probable", ("secret:AUR_SSH_PRIVATE_KEY",))}
    # `git push` with no remote goes to origin, not to the AUR remote added beside it
    assert _publishes(_run(0, aur.replace("git push aur HEAD:master", "git push"), env)) == {
        ("aur", "held", ("secret:AUR_SSH_PRIVATE_KEY",))
    }
    # the push names the packaging repository itself: certain
    direct = "git push ssh://aur@aur.archlinux.org/app.git master"
    assert _publishes(_run(0, direct, env)) == {("aur", "certain", ("secret:AUR_SSH_PRIVATE_KEY",))}
    # an SSH key the job loads under a name that says nothing of the AUR
    keyed = {"KEY": "${{ secrets.DEPLOY_SSH_KEY }}"}
    assert _publishes(_run(0, direct, keyed)) == {("aur", "certain", ("secret:DEPLOY_SSH_KEY",))}
    # cloned only to read a package's PKGBUILD: no push, no publish
    read = "git clone https://aur.archlinux.org/app.git\ncat app/PKGBUILD"
    assert _publishes(_run(0, read)) == set()


def test_docker_hub_by_oidc_then_a_build_tools_publish_target() -> None:
    # GitTools/GitVersion: docker/login-action v4.6 with DOCKERHUB_OIDC_CONNECTIONID and no password, then
    # Cake's `dotnet run/docker.dll --target=DockerPublish` (and `DockerManifest`) push the images
    login = StepView(0, "Login to DockerHub", 1, None, "docker/login-action@v4",
                     {"username": "gittools"}, None, {"DOCKERHUB_OIDC_CONNECTIONID": "${{ vars.DOCKERHUB_CONNECTION }}"})  # fmt: skip
    push = _run(1, "dotnet run/docker.dll --target=DockerPublish --arch=amd64 --docker_registry dockerhub")
    assert _publishes(login, push) == {("dockerhub", "probable", ("oidc:dockerhub",))}
    manifest = _run(1, "dotnet run/docker.dll --target=DockerManifest --arch=amd64 --arch=arm64")
    assert _publishes(login, manifest) == {("dockerhub", "probable", ("oidc:dockerhub",))}
    # the connection id alone is no credential; a task that builds only pushes nothing
    assert _publishes(login, _run(1, "dotnet run/docker.dll --target=DockerBuild --arch=amd64")) == set()
    # a README sent to Docker Hub's API is a page, whatever the step is called
    readme = StepView(1, "DockerHub Publish Readme", 2, None, None, {}, "dotnet run/docker.dll --target=DockerHubReadmePublish",
                      {"DOCKER_PASSWORD": "${{ secrets.DOCKER_PASSWORD }}"})  # fmt: skip
    assert {c for _, c, _ in _publishes(readme)} <= {"held"}


def test_a_maven_deploy_to_a_directory_on_the_runner_publishes_nothing() -> None:
    # pmd/pmd: `deploy:deploy -DaltDeploymentRepository="dogfood::file://$(pwd)/target/staging"`, then upload-artifact
    local = './mvnw verify deploy:deploy -DaltDeploymentRepository="dogfood::file://$(pwd)/target/staging"'
    assert _publishes(_run(0, local)) == set()
    remote = "./mvnw deploy -DaltDeploymentRepository=acme::https://nexus.acme.example/repository/releases"
    assert {r for r, c, _ in _publishes(_run(0, remote))} == {"other:nexus.acme.example"}


def test_a_documentation_task_named_publish_publishes_nothing() -> None:
    # scalameta/scalafmt: `sbt docs/docusaurusPublishGhpages` beside Sonatype credentials
    env = {"SONATYPE_PASSWORD": "${{ secrets.SONATYPE_PASSWORD }}"}
    step = StepView(0, "Publish website", 1, None, None, {}, "sbt docs/docusaurusPublishGhpages", env)
    assert {c for _, c, _ in _publishes(step)} <= {"held"}
    step = StepView(0, "Publish", 1, None, None, {}, "./scripts/publish-release.sh", env)
    assert ("maven-central", "probable", ("secret:SONATYPE_PASSWORD",)) in _publishes(step)


def test_a_registry_chosen_by_an_expression_is_each_registry_it_can_name() -> None:
    # orhun/git-cliff: maturin-action with MATURIN_REPOSITORY and the token chosen by the same variable
    env = {
        "MATURIN_PYPI_TOKEN": "${{ vars.USE_TESTPYPI == 'true' && secrets.TESTPYPI_API_TOKEN || secrets.PYPI_API_TOKEN }}",
        "MATURIN_REPOSITORY": "${{ vars.USE_TESTPYPI == 'true' && 'testpypi' || 'pypi' }}",
    }
    step = StepView(0, "publish", 1, None, "PyO3/maturin-action@v1", {"command": "upload", "args": "*.whl"}, None, env)
    assert _publishes(step) == {
        ("pypi", "certain", ("secret:PYPI_API_TOKEN",)),
        ("testpypi", "certain", ("secret:TESTPYPI_API_TOKEN",)),
    }


def test_a_here_document_written_to_the_gem_credentials_reaches_gem_push() -> None:
    # DataDog/dd-trace-rb: a token minted by Octo STS from the job's OIDC token, written to ~/.gem/credentials
    sts = StepView(
        0, "token", 1, "generate-token", "DataDog/dd-octo-sts-action@v1", {"policy": "self.build-gem"}, None, {}
    )
    write = _run(1, "mkdir -p ~/.gem\ncat > ~/.gem/credentials <<'CREDENTIALS'\n---\n"
                    ":github: Bearer ${{ steps.generate-token.outputs.token }}\nCREDENTIALS\nchmod 0600 ~/.gem/credentials")  # fmt: skip
    push = _run(2, "gem push --key github --host https://rubygems.pkg.github.com/DataDog pkg/app.gem")
    assert _publishes(sts, write, push, oidc=True) == {("github-packages", "certain", ("oidc:github-releases",))}
    # fed to a shell, a here-document is commands: the publish inside is seen
    shell = _run(1, "bash <<EOF\nnpm publish\nEOF", {"NODE_AUTH_TOKEN": "${{ secrets.NPM_TOKEN }}"})
    assert ("npm", "certain", ("secret:NPM_TOKEN",)) in _publishes(shell)


def test_a_script_named_with_dashes_for_a_registry_names_it() -> None:
    from scanner.knowledge.publish import registry_from_secret_name

    assert registry_from_secret_name("publish-crates-io") == "crates"
    assert registry_from_secret_name("upload.pypi") == "pypi"
    assert registry_from_secret_name("publish-release") is None


def test_an_oidc_token_an_attestation_explains_is_no_trusted_publishing_guess() -> None:
    # GitTools/GitVersion: `dotnet run/release.dll --target=PublishRelease` beside actions/attest-build-provenance
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    release = StepView(1, "Release", 2, None, None, {}, "pnpm release", env)
    guessed = _publishes(release, oidc=True)
    assert ("npm", "probable", ("oidc:npm",)) in guessed
    attest = StepView(0, "attest", 1, None, "actions/attest-build-provenance@v2", {"subject-path": "dist/*"}, None, {})
    assert {r for r, _, _ in _publishes(attest, release, oidc=True)} == {"github-releases"}


def test_a_pull_retry_loop_after_a_login_pushes_nothing() -> None:
    # triggerdotdev/trigger.dev: `pull() { for attempt in 1 2 3; do docker pull "$1" … done }` under a step named
    # "Pre-pull testcontainer images", after a Docker Hub login
    login = StepView(0, "login", 1, None, "docker/login-action@v3",
                     {"username": "${{ secrets.DOCKERHUB_USERNAME }}", "password": "${{ secrets.DOCKERHUB_TOKEN }}"}, None, {})  # fmt: skip
    script = 'pull() {\n  for attempt in 1 2 3; do\n    docker pull "$1" && return 0\n    sleep 10\n  done\n  return 1\n}\npull postgres:14'
    pull = StepView(1, "🐳 Pre-pull testcontainer images", 2, None, None, {}, script, {})
    assert {c for _, c, _ in _publishes(login, pull)} <= {"held"}
    push = StepView(1, "Push images", 2, None, None, {}, "./scripts/images.sh", {})
    assert ("dockerhub", "probable") in {(r, c) for r, c, _ in _publishes(login, push)}


def test_an_image_named_by_a_variable_the_script_assigned_is_that_image() -> None:
    # paperless-ngx merge-and-push: `dockerhub_tag="${tag/${GHCR_REPO}/docker.io/paperlessngx/paperless-ngx}"`,
    # then `skopeo copy --all "docker://${tag}" "docker://${dockerhub_tag}"`, after logins to three registries
    logins = [
        StepView(i, "login", i + 1, None, "docker/login-action@v3", {"registry": host, "password": f"${{{{ secrets.{name} }}}}"}, None, {})
        for i, (host, name) in enumerate((("ghcr.io", "GITHUB_TOKEN"), ("docker.io", "DOCKERHUB_TOKEN"), ("quay.io", "QUAY_TOKEN")))
    ]  # fmt: skip
    script = (
        "for tag in ${TAGS}; do\n"
        '  dockerhub_tag="${tag/${GHCR_REPO}/docker.io/paperlessngx/paperless-ngx}"\n'
        '  skopeo copy --all "docker://${tag}" "docker://${dockerhub_tag}"\ndone'
    )
    env = {"TAGS": "${{ steps.meta.outputs.tags }}", "GHCR_REPO": "ghcr.io/paperless-ngx/paperless-ngx"}
    copy = StepView(3, "Copy to Docker Hub", 4, None, None, {}, script, env)
    assert {(r, c) for r, c, _ in _publishes(*logins, copy) if c != "held"} == {("dockerhub", "certain")}


def test_a_release_target_after_a_shell_keyword_is_still_named() -> None:
    # PostHog/posthog-ios: `if make releaseCocoaPods; then exit 0; fi` holding COCOAPODS_TRUNK_TOKEN
    env = {"COCOAPODS_TRUNK_TOKEN": "${{ secrets.COCOAPODS_TRUNK_TOKEN }}"}
    step = StepView(0, "Publish to CocoaPods", 1, None, None, {}, "if make releaseCocoaPods; then\n  exit 0\nfi", env)
    assert ("cocoapods", "probable", ("secret:COCOAPODS_TRUNK_TOKEN",)) in _publishes(step)


def test_editing_a_releases_notes_publishes_nothing_publishing_its_draft_does() -> None:
    # triggerdotdev/trigger.dev update-release: `gh release edit "${TAG}" --notes-file …`
    env = {"GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    notes = StepView(0, "notes", 1, None, None, {}, 'gh release edit "${TAG}" --notes-file /tmp/notes.md', env)
    assert _publishes(notes) == set()
    publish = StepView(0, "publish", 1, None, None, {}, 'gh release edit "${TAG}" --draft=false', env)
    assert _publishes(publish) == {("github-releases", "certain", ("job_token:GITHUB_TOKEN",))}


def test_a_gradle_release_task_beside_the_plugin_portal_publish_makes_the_github_release() -> None:
    # JLLeitschuh/ktlint-gradle: `./plugin/gradlew … candidate publishPlugins githubRelease`
    env = {"GRADLE_PUBLISH_SECRET": "${{ secrets.GRADLE_PUBLISH_SECRET }}", "GITHUB_KEY": "${{ secrets.GITHUB_TOKEN }}"}
    both = _run(0, "./plugin/gradlew -p ./plugin -Preleasing candidate publishPlugins githubRelease", env)
    assert {r for r, _, _ in _publishes(both)} == {"gradle-plugin-portal", "github-releases"}
    portal = _run(0, "./plugin/gradlew -p ./plugin -Preleasing candidate publishPlugins", env)
    assert {r for r, _, _ in _publishes(portal)} == {"gradle-plugin-portal"}


def test_a_maven_central_task_beside_the_plugin_portal_publish_publishes_there_with_its_own_credential() -> None:
    # GradleUp/shadow: `./gradlew publishToMavenCentral publishPlugins` with both pairs of credentials
    env = {
        "GRADLE_PUBLISH_SECRET": "${{ secrets.GRADLE_SECRET }}",
        "ORG_GRADLE_PROJECT_mavenCentralPassword": "${{ secrets.CENTRAL_PORTAL_PASSWORD }}",
    }
    both = _publishes(_run(0, "./gradlew publishToMavenCentral publishPlugins", env))
    assert {(r, c) for r, c, _ in both} == {("gradle-plugin-portal", "certain"), ("maven-central", "certain")}
    assert ("maven-central", "certain", ("secret:CENTRAL_PORTAL_PASSWORD",)) in both
    assert {r for r, _, _ in _publishes(_run(0, "./gradlew :plugin:publish publishPlugins", env))} == {
        "gradle-plugin-portal",
        "maven-central",
    }


def test_an_arithmetic_assignment_runs_no_command() -> None:
    # orhun/git-cliff's fixtures action: `days_since_last_release=$(( (now - previous_release) / 86400 ))`
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    arith = _run(
        0, "days_since_last_release=$(( (current_release_timestamp - previous_release_timestamp) / 86400 ))", env
    )
    assert _publishes(arith) == set()


def test_a_here_document_piped_to_a_shell_is_commands() -> None:
    env = {"NODE_AUTH_TOKEN": "${{ secrets.NPM_TOKEN }}"}
    piped = _run(0, "cat <<EOF | sh\nnpm publish\nEOF", env)
    assert ("npm", "certain", ("secret:NPM_TOKEN",)) in _publishes(piped)
    written = _run(0, "cat > notes.md <<EOF\nnpm publish\nEOF", env)
    assert "npm" not in {r for r, c, _ in _publishes(written) if c != "held"}


def test_jreleasers_default_command_publishes_each_registry_with_its_own_token() -> None:
    # jqno/equalsverifier: jreleaser/release-action with no `arguments` (its default is full-release)
    env = {
        "JRELEASER_GITHUB_TOKEN": "${{ secrets.JRELEASER_GITHUB_TOKEN }}",
        "JRELEASER_MAVENCENTRAL_SONATYPE_TOKEN": "${{ secrets.JRELEASER_MAVENCENTRAL_SONATYPE_TOKEN }}",
    }
    step = StepView(0, "Run JReleaser", 1, None, "jreleaser/release-action@v2", {"version": "1.22.0"}, None, env)
    certain = {(r, routes) for r, c, routes in _publishes(step) if c == "certain"}
    assert certain == {
        ("maven-central", ("secret:JRELEASER_MAVENCENTRAL_SONATYPE_TOKEN",)),
        ("github-releases", ("secret:JRELEASER_GITHUB_TOKEN",)),
    }


def test_a_build_and_publish_script_publishes_hex_docs_do_not() -> None:
    # hediet/vscode-drawio: `yarn run-script build-and-publish` with VSCE_PAT; elixir-tesla: `mix hex.publish docs`
    env = {"VSCE_PAT": "${{ secrets.MARKETPLACE_TOKEN }}"}
    step = _run(0, "yarn run-script build-and-publish", env)
    assert ("vscode-marketplace", "probable", ("secret:MARKETPLACE_TOKEN",)) in _publishes(step)
    docs = _run(0, "mix hex.publish docs --yes", {"HEX_API_KEY": "${{ secrets.HEX_API_KEY }}"})
    assert {c for _, c, _ in _publishes(docs)} <= {"held"}


def test_setup_ko_logs_in_to_ghcr_with_the_job_token_and_names_the_repository() -> None:
    # ko-build/setup-ko action.yml: `ko login ghcr.io` with github.token, KO_DOCKER_REPO for later steps
    setup = StepView(0, "install ko", 1, None, "ko-build/setup-ko@v0.10", {}, None, {})
    build = StepView(1, "build", 2, None, None, {}, "ko build ./cmd/app", {})
    assert _publishes(setup, build) == {("ghcr", "certain", ("job_token:",))}
    # a repository set beforehand: no login to ghcr, and ko pushes there
    hub = {"KO_DOCKER_REPO": "docker.io/acme"}
    setup_hub = StepView(0, "install ko", 1, None, "ko-build/setup-ko@v0.10", {}, None, hub)
    build_hub = StepView(1, "build", 2, None, None, {}, "ko build ./cmd/app", hub)
    assert {reg for reg, _, _ in _publishes(setup_hub, build_hub)} == {"dockerhub"}


def test_a_token_chosen_into_github_env_keeps_the_values_it_was_chosen_from() -> None:
    # grafana/helm-charts update-helm-repo.yaml: AUTHTOKEN set from one of three tokens, then GH_TOKEN
    choose = StepView(
        0,
        "Set the correct token",
        1,
        None,
        None,
        {},
        """if [[ -n "${APP}" ]]; then
  echo "AUTHTOKEN=${APP_TOKEN}" >> $GITHUB_ENV
else
  echo "AUTHTOKEN=${REPO_TOKEN}" >> $GITHUB_ENV
fi""",
        {"APP_TOKEN": "${{ secrets.APP_TOKEN }}", "REPO_TOKEN": "${{ secrets.HELM_REPO_TOKEN }}"},
    )
    release = StepView(
        1,
        "release",
        2,
        None,
        None,
        {},
        """assets=( "dist/app.tgz" )
assets+=( "dist/app.tgz.prov" )
gh release create v1 "${assets[@]}" """,
        {"GH_TOKEN": "${{ env.AUTHTOKEN }}"},
    )
    assert _publishes(choose, release) == {
        ("github-releases", "certain", ("secret:APP_TOKEN", "secret:HELM_REPO_TOKEN")),
    }


def test_a_flakes_push_app_after_registry_logins_probably_pushes_there() -> None:
    # crossplane: `nix run .#push-images -- ghcr.io/crossplane/crossplane` after docker/login-action to ghcr
    login = StepView(0, "login", 1, None, "docker/login-action@v4",
                     {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    push = StepView(
        1, "push", 2, None, None, {}, "nix run --option warn-dirty false .#push-images -- ghcr.io/acme/app", {}
    )
    assert _publishes(login, push) == {("ghcr", "probable", ("job_token:GITHUB_TOKEN",))}
    check = StepView(1, "check", 2, None, None, {}, "nix run .#check-diff", {})
    assert _publishes(login, check) == set()


def test_a_release_script_holding_a_browser_stores_credential_probably_publishes_there() -> None:
    # violentmonkey: `node scripts/amo-upload.mjs` with AMO_KEY/AMO_SECRET; Edge with EDGE_API_KEY
    amo = StepView(1, "Publish to AMO", 2, None, None, {}, "if ! node scripts/amo-upload.mjs; then exit 1; fi",
                   {"AMO_SECRET": "${{ secrets.AMO_SECRET }}"})  # fmt: skip
    assert _publishes(amo) == {("firefox-amo", "probable", ("secret:AMO_SECRET",))}
    edge = StepView(1, "Publish to Edge", 2, None, None, {}, "node scripts/publish.mjs dist.zip",
                    {"EDGE_API_KEY": "${{ secrets.EDGE_API_KEY }}"})  # fmt: skip
    assert _publishes(edge) == {("edge-addons", "probable", ("secret:EDGE_API_KEY",))}
    # a variable that only names the add-on is no credential
    ident = StepView(1, "Publish to Edge", 2, None, None, {}, "node scripts/publish.mjs dist.zip",
                     {"EDGE_PRODUCT_ID": "${{ secrets.EDGE_PRODUCT_ID }}"})  # fmt: skip
    assert _publishes(ident) == set()


def test_an_image_copied_to_a_name_sed_makes_goes_where_the_replacement_says() -> None:
    # svix: `dest="$(echo "$source" | sed -e 's,ghcr.io/svix/x-staging,docker.io/svix/x,')"; regctl image copy …`
    login = StepView(
        0, "hub", 1, None, "docker/login-action@v4", {"password": "${{ secrets.DOCKERHUB_TOKEN }}"}, None, {}
    )
    copy = StepView(
        1,
        "copy",
        2,
        None,
        None,
        {},
        """for source in ghcr.io/svix/x-staging:1; do
  dest="$(echo "$source" | sed -e 's,ghcr.io/svix/x-staging,docker.io/svix/x,')"
  regctl image copy "$source" "$dest"
done""",
        {},
    )
    ghcr = StepView(0, "ghcr", 1, None, "docker/login-action@v4",
                    {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    assert _publishes(ghcr, login, copy) == {("dockerhub", "certain", ("secret:DOCKERHUB_TOKEN",))}


def test_an_authenticated_call_to_packagists_update_api_publishes_there() -> None:
    # svix php-release: the update hook that makes Packagist read the new version
    run = 'curl -X POST "https://packagist.org/api/update-package?username=acme&apiToken=$PACKAGIST_API_KEY" -H "content-type: application/json"'
    hook = StepView(
        1, "Update Packagist", 2, None, None, {}, run, {"PACKAGIST_API_KEY": "${{ secrets.PACKAGIST_API_KEY }}"}
    )
    assert _publishes(hook) == {("packagist", "probable", ("secret:PACKAGIST_API_KEY",))}
    read = StepView(1, "Read Packagist", 2, None, None, {}, "curl -s https://packagist.org/packages/acme/app.json", {})
    assert _publishes(read) == set()


def test_a_login_to_a_registry_named_at_run_time_is_not_docker_hub() -> None:
    # rhdh-operator: `registry: ${{ env.REGISTRY }}` (a repository variable) with `password: ${{ secrets.QUAY_TOKEN }}`
    env = {"REGISTRY": "${{ vars.REGISTRY }}"}
    login = StepView(0, "login", 1, None, "docker/login-action@v3",
                     {"registry": "${{ env.REGISTRY }}", "password": "${{ secrets.QUAY_TOKEN }}"}, None, env)  # fmt: skip
    push = StepView(
        1, "push", 2, None, None, {}, "sudo apt-get -y install podman\npodman push ${REGISTRY}/acme/app:1", env
    )
    assert _publishes(login, push) == {("quay", "certain", ("secret:QUAY_TOKEN",))}
    plain = StepView(0, "login", 1, None, "docker/login-action@v3",
                     {"registry": "${{ env.REGISTRY }}", "password": "${{ secrets.REGISTRY_PASSWORD }}"}, None, env)  # fmt: skip
    assert {reg for reg, _, _ in _publishes(plain, push)} == {"other:*"}


# -- held-out round 20 ---------------------------------------------------------------------------------------


def test_an_action_run_from_its_image_is_judged_by_the_images_name() -> None:
    # shlink-web-client: `uses: docker://antonyurchenko/git-release:latest` with GITHUB_TOKEN in env
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    step = StepView(
        0, "Publish release with assets", 1, None, "docker://antonyurchenko/git-release:latest", {}, None, env
    )
    assert ("github-releases", "probable", ("job_token:GITHUB_TOKEN",)) in _publishes(step)
    hosted = StepView(0, "x", 1, None, "docker://ghcr.io/acme/git-release:1", {}, None, env)
    assert {r for r, _, _ in _publishes(hosted)} == {"github-releases"}
    lint = StepView(0, "Lint", 1, None, "docker://ghcr.io/acme/linter:1", {}, None, env)
    assert _publishes(lint) == set()


def test_an_image_named_under_a_user_name_is_on_the_default_registry_not_any_logged_in_one() -> None:
    # sqlfluff: logins to Docker Hub, dhi.io (to pull base images) and ghcr; tags `${{ secrets.DOCKERHUB_USERNAME }}/…`
    logins = [
        StepView(i, "login", i + 1, None, "docker/login-action@v3", {"registry": host, "password": pw}, None, {})
        for i, (host, pw) in enumerate(
            (("", "${{ secrets.DOCKERHUB_TOKEN }}"), ("dhi.io", "${{ secrets.DOCKERHUB_TOKEN }}"))
        )
    ]
    push = StepView(2, "push", 3, None, "docker/build-push-action@v6",
                    {"push": "true", "tags": "${{ secrets.DOCKERHUB_USERNAME }}/sqlfluff:latest"}, None, {})  # fmt: skip
    assert {r for r, c, _ in _publishes(*logins, push) if c != "held"} == {"dockerhub"}


def test_covector_publishes_with_the_credentials_its_job_holds_and_releases_when_asked() -> None:
    # tauri-apps/wry: `cargo login ${{ secrets.ORG_CRATES_IO_TOKEN }}`, then covector `version-or-publish`
    login = _run(0, "cargo login ${{ secrets.ORG_CRATES_IO_TOKEN }}")
    inputs = {"token": "${{ secrets.GITHUB_TOKEN }}", "command": "version-or-publish", "createRelease": "true"}
    step = StepView(1, "covector", 2, None, "jbolda/covector/packages/action@covector-v0", inputs, None, {})
    found = _publishes(login, step)
    assert {r for r, _, _ in found} == {"crates", "github-releases"}
    assert ("crates", "probable", ("secret:ORG_CRATES_IO_TOKEN",)) in found
    status = StepView(
        1, "covector", 2, None, "jbolda/covector/packages/action@covector-v0", {"command": "status"}, None, {}
    )
    assert {c for _, c, _ in _publishes(login, status)} == {"held"}


def test_make_snapshot_after_a_cloud_sign_in_pushes_a_snapshot_build() -> None:
    # karpenter: configure-aws-credentials, then `make snapshot` (hack/release/snapshot.sh pushes to ECR)
    assert {r for r, _, _ in _publishes(AWS_LOGIN, _run(1, "make snapshot"))} == {"ecr"}
    assert _publishes(_run(1, "make snapshot")) == set()


def test_a_site_sent_to_a_bucket_and_a_releases_milestones_publish_nothing() -> None:
    # checkstyle: `name: Publish site to AWS S3` over `./.ci/site.sh publish-site` after configure-aws-credentials;
    # `./.ci/release-close-create-milestone.sh` and `release-create-issues-in-other-repos.sh` holding a GitHub token
    site = _run(1, "./.ci/site.sh publish-site", label="Publish site to AWS S3")
    assert _publishes(AWS_LOGIN, site) == set()
    env = {"GITHUB_TOKEN": "${{ secrets.PAT }}"}
    for script in ("./.ci/release-close-create-milestone.sh", "./.ci/release-create-issues-in-other-repos.sh 1.0"):
        assert _publishes(_run(0, script, env)) == set(), script
    assert _publishes(_run(0, "./.ci/release.sh 1.0", env)) != set()


def test_a_multi_line_value_written_to_github_env_names_the_images_of_later_steps() -> None:
    # vaultwarden, uv: `{ echo "TAGS<<EOF"; echo "$TAGS"; echo EOF; } >> "$GITHUB_ENV"`; box: line by line with a
    # random delimiter (`echo "DOCKER_TAGS<<$EOF" >> $GITHUB_ENV` … `echo "$EOF" >> $GITHUB_ENV`)
    grouped = _run(
        0,
        '{\n  echo "TAGS<<EOF"\n  echo "ghcr.io/acme/app:1"\n  echo "quay.io/acme/app:1"\n  echo EOF\n} >> "$GITHUB_ENV"',
    )
    lines = _run(
        0,
        'EOF=$(dd if=/dev/urandom bs=15 count=1 status=none | base64)\necho "TAGS<<$EOF" >> $GITHUB_ENV\n'
        'echo "ghcr.io/acme/app:1" >> $GITHUB_ENV\necho "quay.io/acme/app:1" >> $GITHUB_ENV\necho "$EOF" >> $GITHUB_ENV',
    )
    push = StepView(
        1, "push", 2, None, "docker/build-push-action@v6", {"push": "true", "tags": "${{ env.TAGS }}"}, None, {}
    )
    for first in (grouped, lines):
        assert {r for r, c, _ in _publishes(first, push) if c != "held"} == {"ghcr", "quay"}


def test_a_value_a_conditional_step_exports_again_keeps_the_earlier_one() -> None:
    # box: release tags for Docker Hub, then `if: github.event_name != 'release'` sets ghcr's
    release = _run(0, 'echo "TAGS=docker.io/acme/app:1" >> $GITHUB_ENV')
    other = StepView(1, "run", 2, None, None, {}, 'echo "TAGS=ghcr.io/acme/app" >> $GITHUB_ENV', {}, conditional=True)
    push = StepView(
        2, "push", 3, None, "docker/build-push-action@v6", {"push": "true", "tags": "${{ env.TAGS }}"}, None, {}
    )
    assert {r for r, c, _ in _publishes(release, other, push) if c != "held"} == {"dockerhub", "ghcr"}
    always = StepView(1, "run", 2, None, None, {}, 'echo "TAGS=ghcr.io/acme/app" >> $GITHUB_ENV', {})
    assert {r for r, c, _ in _publishes(release, always, push) if c != "held"} == {"ghcr"}


# -- held-out round 21 ---------------------------------------------------------------------------------------


def test_a_functions_body_runs_where_it_is_called_with_its_arguments() -> None:
    # the OpenID conformance suite defines `upload()` (a GCR push) in a before_script every job runs; one job calls it
    defined = 'upload() {\n  docker push "$1"\n}\nfunction lint {\n  echo lint\n}\n'
    assert _publishes(_run(0, defined + "lint")) == set()
    called = _publishes(_run(0, defined + "upload ghcr.io/acme/app:1"))
    assert {r for r, c, _ in called if c != "held"} == {"ghcr"}


def test_a_package_release_script_after_a_cloud_sign_in_is_no_image_push() -> None:
    # autify-cli: `npm run release upload macos` (to S3); falco: `./scripts/publish-deb`; beside `make release` (ECR)
    assert _publishes(AWS_LOGIN, _run(1, "npm run release upload macos")) == set()
    assert _publishes(AWS_LOGIN, _run(1, "./scripts/publish-deb -f /tmp/falco.deb")) == set()
    assert {r for r, _, _ in _publishes(AWS_LOGIN, _run(1, "make release"))} == {"ecr"}
    assert {r for r, _, _ in _publishes(AWS_LOGIN, _run(1, "npm run push-image"))} == {"ecr"}


def test_jupyter_releaser_publishes_to_pypi_by_trusted_publishing_with_the_jobs_oidc_token() -> None:
    # voila-dashboards/voila: finalize-release with NPM_TOKEN in env and `id-token: write`, no PYPI_TOKEN
    finalize = StepView(0, "Finalize Release", 1, None, "jupyter-server/jupyter_releaser/.github/actions/finalize-release@v2",
                        {"token": "${{ steps.app-token.outputs.token }}"}, None, {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"})  # fmt: skip
    found = {(r, routes) for r, _, routes in _publishes(finalize, oidc=True)}
    assert ("pypi", ("oidc:pypi",)) in found
    assert ("npm", ("secret:NPM_TOKEN",)) in found
    assert "pypi" not in {r for r, _, _ in _publishes(finalize)}  # no OIDC token: no Trusted Publishing
    with_token = replace(finalize, env={"PYPI_TOKEN": "${{ secrets.PYPI_TOKEN }}"})
    assert {(r, rs) for r, _, rs in _publishes(with_token, oidc=True) if r == "pypi"} == {
        ("pypi", ("secret:PYPI_TOKEN",))
    }


def test_a_copy_into_a_hugging_face_bucket_publishes_there() -> None:
    # gradio-app/gradio: the pull request's wheel to `hf://buckets/gradio/pypi-previews/<sha>/`, which its comment tells
    # people to pip install; a copy out of a bucket is a download
    env = {"HF_TOKEN": "${{ secrets.PYPI_PREVIEWS_TOKEN }}"}
    up = "hf buckets cp ${{ steps.w.outputs.name }} hf://buckets/gradio/pypi-previews/${{ needs.changes.outputs.sha }}/"
    # (the secret's name says PyPI: held, not published there)
    assert {(r, routes) for r, c, routes in _publishes(_run(0, up, env)) if c != "held"} == {
        ("huggingface", ("secret:PYPI_PREVIEWS_TOKEN",))
    }
    down = "hf buckets cp hf://buckets/gradio/pypi-previews/abc/gradio.whl ./dist/"
    assert not {r for r, c, _ in _publishes(_run(0, down, env)) if c != "held"}


def test_a_cloud_clis_own_sign_in_holds_the_clouds_credential() -> None:
    # Azure/karpenter-provider-azure: `az login --identity`, then `./hack/release/release.sh` (images and charts to ACR)
    found = _publishes(_run(0, "az login --identity\n./hack/release/release.sh"))
    assert {(r, routes) for r, _, routes in found} == {("acr", ("cloud:azure",))}
    assert _publishes(_run(0, "./hack/release/release.sh")) == set()
    # what sudo runs is the command (`sudo chown …` in a step named "Build, publish, and install"): no push
    step = _run(1, 'sudo chown "$(id -u):$(id -g)" "$GOCACHE"', label="Build, publish, configure, and install")
    assert _publishes(_run(0, "az login --identity"), step) == set()


def test_a_script_that_fetches_releases_after_a_cloud_sign_in_is_no_image_push() -> None:
    # getmoto/moto: configure-aws-credentials, then `python scripts/emr_get_releases.py` (reads EMR's releases
    # through boto3 and opens a pull request with them); `fetch-images.sh`, `pull_release.sh` alike
    for script in ("python scripts/emr_get_releases.py", "./fetch-images.sh", "./ci/pull_release.sh"):
        assert _publishes(AWS_LOGIN, _run(1, script)) == set(), script
    assert {r for r, _, _ in _publishes(AWS_LOGIN, _run(1, "python scripts/release_images.py"))} == {"ecr"}
    assert {r for r, _, _ in _publishes(AWS_LOGIN, _run(1, "./pull-and-push-images.sh"))} == {"ecr"}


def test_a_release_tool_given_a_sub_command_that_is_no_release_is_no_trusted_publish() -> None:
    # autify-cli: `npm run release install macos` with an OIDC token; `npm run release publish` publishes to npm
    install = _publishes(_run(0, "npm run release install macos"), oidc=True)
    assert install == set()
    assert {r for r, _, _ in _publishes(_run(0, "npm run release publish"), oidc=True)} == {"npm"}


def test_an_action_named_for_a_registry_publishes_with_the_credential_set_up_for_it() -> None:
    # cucumber/messages: rubygems/configure-rubygems-credentials, then cucumber/action-publish-rubygem
    creds = StepView(0, "creds", 1, None, "rubygems/configure-rubygems-credentials@v2", {}, None, {})
    publish = StepView(
        1, "publish", 2, None, "cucumber/action-publish-rubygem@v2", {"working-directory": "ruby"}, None, {}
    )
    assert {r for r, _, _ in _publishes(creds, publish, oidc=True)} == {"rubygems"}
    assert _publishes(publish) == set()


def test_make_manifest_after_a_registry_login_pushes_the_manifest() -> None:
    # microsoft/retina: `az acr login -n $ACR`, `make manifest COMPONENT=retina IMAGE_REGISTRY=$ACR`
    azure = StepView(0, "az", 1, None, "azure/login@v2", {"client-id": "${{ secrets.AZURE_CLIENT_ID }}"}, None, {})
    step = _run(
        1, "az acr login -n ${{ vars.ACR_NAME }}\nmake manifest COMPONENT=retina IMAGE_REGISTRY=${{ vars.ACR_NAME }}"
    )
    assert {r for r, _, _ in _publishes(azure, step)} == {"acr"}
    assert _publishes(azure, _run(1, "az acr login -n x\nmake .manifests.done")) == set()


def test_a_cloud_tool_set_up_after_a_sign_in_keeps_its_credential() -> None:
    # pomerium: google-github-actions/auth with a key, setup-gcloud with none, `gcloud auth configure-docker`, a push
    auth = StepView(
        0, "auth", 1, None, "google-github-actions/auth@v2", {"credentials_json": "${{ secrets.GCP_SA }}"}, None, {}
    )
    setup = StepView(1, "sdk", 2, None, "google-github-actions/setup-gcloud@v2", {}, None, {})
    push = _run(2, "gcloud auth configure-docker\ndocker push gcr.io/acme/app:1")
    assert ("gar", "certain", ("secret:GCP_SA",)) in _publishes(auth, setup, push)


def test_a_release_script_told_its_registry_after_the_step_stored_that_credential() -> None:
    # lefthook's AUR jobs: `su runner -c '… echo "${{ secrets.AUR_SSH_KEY }}" > ~/.ssh/aur … raku publish.raku --target=aur'`
    script = (
        'su runner -c \'\n  mkdir -p ~/.ssh\n  echo "${{ secrets.AUR_SSH_KEY }}" > ~/.ssh/aur\n'
        "  raku packaging/scripts/publish.raku --target=aur\n'"
    )
    assert ("aur", "probable", ("secret:AUR_SSH_KEY",)) in _publishes(_run(0, script))
    told_nothing = script.replace(" --target=aur", "")
    assert "aur" not in {r for r, c, _ in _publishes(_run(0, told_nothing)) if c != "held"}


def test_an_expression_inside_an_argument_line_is_each_of_its_values() -> None:
    # pomerium: goreleaser `args: release ${{ … dry_run == 'true' && '--snapshot' || '' }} --clean`
    args = "release ${{ github.event.inputs.dry_run == 'true' && '--snapshot' || '' }} --clean"
    step = StepView(0, "gr", 1, None, "goreleaser/goreleaser-action@v6", {"args": args},
                    None, {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"})  # fmt: skip
    assert {r for r, _, _ in _publishes(step)} == {"github-releases"}
    dry = StepView(0, "gr", 1, None, "goreleaser/goreleaser-action@v6", {"args": "release --snapshot --clean"},
                   None, {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"})  # fmt: skip
    assert _publishes(dry) == set()


# -- held-out round 22 ---------------------------------------------------------------------------------------


def test_a_secrets_managers_outputs_are_the_secrets_it_fetched() -> None:
    # pulumi-command: `steps.esc-secrets.outputs.NPM_TOKEN` after pulumi/esc-action (not `secrets.outputs`)
    esc = StepView(0, "esc", 1, "esc-secrets", "pulumi/esc-action@v1", {}, None, {})
    env = {"NODE_AUTH_TOKEN": "${{ steps.esc-secrets.outputs.NPM_TOKEN }}"}
    assert ("npm", "certain", ("secret:NPM_TOKEN",)) in _publishes(esc, _run(1, "npm publish", env))
    other = StepView(0, "x", 1, "esc-secrets", "acme/compute@v1", {}, None, {})
    assert ("npm", "certain", ("secret:NPM_TOKEN",)) not in _publishes(other, _run(1, "npm publish", env))


def test_pixis_environment_is_not_its_task() -> None:
    # hvPlot: `pixi run -e build publish-conda --token ${{ secrets.CONDA_UPLOAD_TOKEN }} upload …`
    step = _run(
        0, "pixi run -e build publish-conda --token ${{ secrets.CONDA_UPLOAD_TOKEN }} upload --user pyviz f.conda"
    )
    assert ("anaconda", "probable", ("secret:CONDA_UPLOAD_TOKEN",)) in _publishes(step)


def test_a_write_token_for_hugging_face_held_by_an_upload_script() -> None:
    # datadex: `make upload` with HUGGINGFACE_TOKEN; a bare HF_TOKEN says nothing of publishing
    env = {"HUGGINGFACE_TOKEN": "${{ secrets.HUGGINGFACE_TOKEN }}"}
    assert {r for r, c, _ in _publishes(_run(0, "make upload", env)) if c != "held"} == {"huggingface"}
    assert _publishes(_run(0, "make upload", {"HF_TOKEN": "${{ secrets.HF_TOKEN }}"})) == set()


def test_downloads_and_local_container_work_push_nothing_after_a_sign_in() -> None:
    # feast: `wget https://apache.jfrog.io/…/$(lsb_release …).deb` after configure-aws-credentials; StackGres:
    # `docker tag "$SRC" "$IMAGE_PUSH_NAME"` (a variable's name is no push)
    assert _publishes(AWS_LOGIN, _run(1, "wget https://apache.jfrog.io/arrow/$(lsb_release --id --short).deb")) == set()
    assert _publishes(AWS_LOGIN, _run(1, 'docker tag "$SRC" "$IMAGE_PUSH_NAME"')) == set()
    assert _publishes(AWS_LOGIN, _run(1, 'docker manifest create "$IMAGE_PUSH_NAME" a b')) == set()


def test_a_step_named_for_checking_a_release_makes_none() -> None:
    # feast: `name: Validate Helm chart prior to publishing` over `./infra/scripts/helm/validate-….sh`
    env = {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"}
    check = _run(0, "./infra/scripts/helm/check.sh", env, label="Validate Helm chart prior to publishing")
    assert {c for _, c, _ in _publishes(check)} == {"held"}
    real = _run(0, "./infra/scripts/npm/run.sh", env, label="Publish to npm")
    assert {r for r, _, _ in _publishes(real)} == {"npm"}


def test_a_loops_variable_names_an_image_once_per_value() -> None:
    # StackGres: `for IMAGE_PUSH_REGISTRY in $TARGET_REGISTRIES` with `TARGET_REGISTRIES: "docker.io quay.io"`
    script = (
        'for R in $TARGET_REGISTRIES\ndo\n  export IMAGE_PUSH_NAME="$R/acme/app:1"\n'
        '  docker push "$IMAGE_PUSH_NAME"\ndone'
    )
    step = _run(0, script, {"TARGET_REGISTRIES": "docker.io quay.io"})
    assert {r for r, c, _ in _publishes(step) if c != "held"} == {"dockerhub", "quay"}


# -- held-out round 23 ---------------------------------------------------------------------------------------


def test_a_command_line_that_is_one_opaque_expression_may_publish() -> None:
    # mariadb-operator: goreleaser `args: ${{ needs.args.outputs.RELEASE_ARGS }}`
    env = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    opaque = StepView(0, "gr", 1, None, "goreleaser/goreleaser-action@v6",
                      {"args": "${{ needs.args.outputs.RELEASE_ARGS }}"}, None, env)  # fmt: skip
    assert {r for r, _, _ in _publishes(opaque)} == {"github-releases"}
    snapshot = StepView(0, "gr", 1, None, "goreleaser/goreleaser-action@v6",
                        {"args": "${{ inputs.dry && 'release --snapshot' || 'build' }}"}, None, env)  # fmt: skip
    assert _publishes(snapshot) == set()


def test_a_package_script_for_electron_handed_the_publish_flag_runs_electron_builder() -> None:
    # Beekeeper Studio: `yarn run electron:build --publish always` with GH_TOKEN; `npx rimraf …` deletes files
    env = {"GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    found = _publishes(_run(0, "yarn run electron:build --publish always", env))
    assert ("github-releases", "certain", ("job_token:GITHUB_TOKEN",)) in found
    assert _publishes(_run(0, "yarn run electron:build --publish never", env)) == set()
    gcp = StepView(
        0, "auth", 1, None, "google-github-actions/auth@v2", {"credentials_json": "${{ secrets.SA }}"}, None, {}
    )
    assert _publishes(gcp, _run(1, 'npx rimraf "dist/!(*.exe|*.deb)"')) == set()


def test_a_language_release_tool_holding_another_registrys_key_may_also_publish_by_trusted_publishing() -> None:
    # electric-sql: `pnpm ci:publish` with HEX_API_KEY in a job with `id-token: write` (npm by OIDC, Hex by its key)
    env = {"HEX_API_KEY": "${{ secrets.HEX_API_KEY }}"}
    both = {r for r, c, _ in _publishes(_run(0, "pnpm ci:publish", env), oidc=True) if c != "held"}
    assert both == {"hex", "npm"}
    assert {r for r, c, _ in _publishes(_run(0, "pnpm ci:publish", env)) if c != "held"} == {"hex"}


def test_jreleasers_maven_plugin_goals_release_like_its_command() -> None:
    # mapstruct: `./mvnw … -Pjreleaser jreleaser:release` with JRELEASER_GITHUB_TOKEN and the Central token
    env = {"JRELEASER_GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
           "JRELEASER_MAVENCENTRAL_SONATYPE_TOKEN": "${{ secrets.SONATYPE_CENTRAL_TOKEN }}"}  # fmt: skip
    goal = _run(0, "./mvnw -ntp -B --file pom.xml -pl :mapstruct-parent -Pjreleaser jreleaser:release", env)
    assert {p[0] for p in _publishes(goal)} == {"maven-central", "github-releases"}
    assert {p[1] for p in _publishes(_run(0, "./mvnw -Pjreleaser jreleaser:config", env))} <= {"held"}


def test_round_28_image_and_chart_push_forms() -> None:
    login = StepView(0, "login", 1, None, "docker/login-action@v3",
                     {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    # spegel: `helm push … oci://ghcr.io/… 2> .digest` pushes to GHCR, not to the redirection's file
    helm = _run(1, "helm push spegel-1.0.tgz oci://ghcr.io/${{ github.repository_owner }}/helm-charts 2> .digest")
    assert {p[0] for p in _publishes(login, helm)} == {"ghcr"}
    # dex: an image name a step wrote to $GITHUB_OUTPUT, signed by a later step
    name = StepView(1, "name", 2, "image-name", None, {},
                    'echo "value=ghcr.io/${{ github.repository }}" >> "$GITHUB_OUTPUT"', {})  # fmt: skip
    sign = _run(2, "cosign sign --yes ${{ steps.image-name.outputs.value }}@sha256:abc")
    assert {p[0] for p in _publishes(login, name, sign)} == {"ghcr"}
    # a copy into the local daemon pushes nothing (`skopeo copy oci:image:tag docker-daemon:$name`)
    local = _run(1, 'skopeo copy "oci:image:$image_tag" "docker-daemon:$image_name"')
    assert {p[1] for p in _publishes(login, local)} <= {"held"}
    # fineract: a project's jib task with the password on the command line
    jib = _run(0, "./gradlew :fineract-provider:jib -Djib.to.auth.password=${{secrets.DOCKERHUB_TOKEN}} "
                  "-Djib.to.image=apache/fineract")  # fmt: skip
    assert _publishes(jib) == {("dockerhub", "certain", ("secret:DOCKERHUB_TOKEN",))}


def test_an_unknown_action_handed_a_registry_and_its_credential_to_publish() -> None:
    # capsule: peak-scale's make-ko-publish and helm-oci-chart, given `registry: ghcr.io` and `registry-password`
    inputs = {"registry": "ghcr.io", "registry-username": "${{ github.actor }}",
              "registry-password": "${{ secrets.GITHUB_TOKEN }}"}  # fmt: skip
    ko = StepView(0, "Publish Capsule", 1, None, "peak-scale/github-actions/make-ko-publish@v0.2.0", inputs, None, {})
    assert _publishes(ko) == {("ghcr", "probable", ("job_token:GITHUB_TOKEN",))}
    chart = StepView(0, "Helm | Publish", 1, None, "peak-scale/github-actions/helm-oci-chart@v0.2.0", inputs, None, {})
    assert {p[0] for p in _publishes(chart)} == {"ghcr"}
    # nothing says it publishes: a login or a scan
    scan = StepView(0, "Scan", 1, None, "acme/image-scan@v1", inputs, None, {})
    assert _publishes(scan) == set()


def test_the_mcp_registry_by_oidc_or_a_token_and_a_release_pull_request() -> None:
    # github-mcp-server: `mcp-publisher login github-oidc` then `mcp-publisher publish`
    login, publish = _run(0, "./mcp-publisher login github-oidc"), _run(1, "./mcp-publisher publish")
    assert _publishes(login, publish, oidc=True) == {("mcp-registry", "certain", ("oidc:mcp-registry",))}
    assert _publishes(_run(0, "./mcp-publisher validate"), oidc=True) == set()
    token = _run(0, "./mcp-publisher login github --token ${{ secrets.MCP_TOKEN }}")
    assert _publishes(token, publish) == {("mcp-registry", "certain", ("secret:MCP_TOKEN",))}
    # rust-sdk: `release-plz release-pr` holding the crates token opens the release pull request
    env = {"CARGO_REGISTRY_TOKEN": "${{ secrets.CARGO_REGISTRY_TOKEN }}", "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    assert {p[1] for p in _publishes(_run(0, "release-plz release-pr", env))} <= {"held"}
    assert {p[0] for p in _publishes(_run(0, "release-plz release", env))} == {"crates", "github-releases"}


def test_round_29_publish_forms() -> None:
    # topgrade: unknown actions named for a registry, handed a credential named for the same registry
    aur = StepView(0, "Publish source AUR package", 1, None, "varabyte/update-aur-package@v1.0.4",
                   {"package_name": "topgrade", "ssh_private_key": "${{ secrets.AUR_SSH_PRIVATE_KEY }}"}, None, {})  # fmt: skip
    assert _publishes(aur) == {("aur", "probable", ("secret:AUR_SSH_PRIVATE_KEY",))}
    winget = StepView(0, "winget", 1, None, "michidk/winget-updater@v1.1.7",
                      {"komac-token": "${{ secrets.WINGET_TOKEN }}", "identifier": "a.b"}, None, {})  # fmt: skip
    assert {p[0] for p in _publishes(winget)} == {"winget"}
    other = StepView(0, "aur", 1, None, "acme/update-aur-package@v1", {"token": "${{ secrets.SLACK_TOKEN }}"}, None, {})
    assert _publishes(other) == set()
    # nodejs.org: Node's own script runner runs the release script, with the job's OIDC token
    assert {(p[0], p[2]) for p in _publishes(_run(0, "node --run release"), oidc=True)} == {("npm", ("oidc:npm",))}
    # replay-cli: Yarn Berry's `.yarnrc.yml` holds the npm token
    write = _run(0, 'echo "npmAuthToken: $NPM_TOKEN" >> .yarnrc.yml', {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"})
    assert _publishes(write, _run(1, "yarn npm publish --tag next")) == {("npm", "certain", ("secret:NPM_TOKEN",))}
    # psono: an images' deploy script after registry logins pushes there
    login = StepView(0, "login", 1, None, "docker/login-action@v3", {"password": "${{ secrets.HUB }}"}, None, {})
    assert {p[0] for p in _publishes(login, _run(1, "sh ./var/deploy-docker.sh"))} == {"dockerhub"}


SHARED = """
on: push
permissions: {contents: read}
jobs:
  plugin-cd:
    permissions: {contents: write}
    uses: jenkins-infra/github-reusable-workflows/.github/workflows/maven-cd.yml@v1
    secrets: {MAVEN_USERNAME: "${{ secrets.MAVEN_USERNAME }}", MAVEN_TOKEN: "${{ secrets.MAVEN_TOKEN }}"}
  gar:
    permissions: {contents: read, id-token: write}
    uses: mozilla/deploy-actions/.github/workflows/build-and-push.yml@ef0f0373
    with: {image_name: app, gar_name: "${{ vars.GAR }}"}
  gar-built-only:
    permissions: {contents: read, id-token: write}
    uses: mozilla/deploy-actions/.github/workflows/build-and-push.yml@ef0f0373
    with: {image_name: app, push: false}
  unknown-release:
    uses: acme/shared/.github/workflows/release.yml@main
    secrets: {GH_TOKEN: "${{ secrets.BOT_GITHUB_TOKEN }}"}
  unknown-release-other-secret:
    uses: acme/shared/.github/workflows/release.yml@main
    secrets: {WEBHOOK_URL: "${{ secrets.WEBHOOK_URL }}"}
  unknown-image-push:
    permissions: {packages: write, contents: read}
    uses: acme/shared/.github/workflows/build-and-push-multiarch-image.yml@main
    with: {imageName: app}
  unknown-image-push-read-only:
    uses: acme/shared/.github/workflows/build-and-push-multiarch-image.yml@main
    with: {imageName: app}
"""


def test_shared_reusable_workflows_of_other_organisations(tmp_path: Path) -> None:
    # Round 30: the Jenkins plugin CD workflow (jenkinsci/configuration-as-code-plugin), Mozilla's image build by
    # workload identity (fx-private-relay) and GOV.UK's shared release and image workflows (email-alert-api)
    routes = _workflow_routes(tmp_path, "s.yml", SHARED)

    # two rows of one workflow: Jenkins' Maven repository with the token, the GitHub release with the caller's token
    assert routes("plugin-cd") == ("github-releases:job_token", "jenkins-repo:secret:MAVEN_TOKEN")
    # the caller's OIDC token signs in to Google Cloud; `push: false` only builds
    assert routes("gar") == ("gar:cloud:gcp",)
    assert routes("gar-built-only") == ()
    # a workflow the table does not know, named for releasing and handed a GitHub token: the release it makes
    assert routes("unknown-release") == ("github-releases:secret:BOT_GITHUB_TOKEN",)
    assert routes("unknown-release-other-secret") == ()
    # named for pushing an image and granted packages: write: GHCR with the caller's token; without the grant, nothing
    assert routes("unknown-image-push") == ("ghcr:job_token",)
    assert routes("unknown-image-push-read-only") == ()


NEEDS = """
on: push
permissions: {contents: read, packages: write}
env: {REGISTRY: ghcr.io}
jobs:
  export-registry:
    runs-on: ubuntu-latest
    outputs:
      registry: ${{ steps.export.outputs.registry }}
    steps:
      - id: export
        run: |
          echo "registry=$(echo "${{ env.REGISTRY }}/${{ github.repository }}" | tr [:upper:] [:lower:])" >> $GITHUB_OUTPUT
  publish-images:
    needs: export-registry
    env:
      REGISTRY: ${{ needs.export-registry.outputs.registry }}
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with: {registry: "${{ env.REGISTRY }}", username: "${{ github.actor }}", password: "${{ secrets.GITHUB_TOKEN }}"}
      - run: make push
"""


def test_an_output_of_a_needed_job_names_the_registry(tmp_path: Path) -> None:
    # Azure Fleet (round 30): the registry is another job's output, written lower-cased by `tr` to $GITHUB_OUTPUT
    assert _workflow_routes(tmp_path, "n.yml", NEEDS)("publish-images") == ("ghcr:job_token",)


def test_a_switch_in_front_of_a_release_turns_it_off() -> None:
    # Velero's goreleaser check: `GITHUB_TOKEN=… PUBLISH=false make release` only tries the release
    off = StepView(0, "dry run", 1, None, None, {}, "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }} PUBLISH=false make release", {})  # fmt: skip
    assert _publishes(off) == set()
    dry = StepView(0, "dry run", 1, None, None, {}, "DRY_RUN=1 npm publish", {})
    assert _publishes(dry) == set()
    on = StepView(0, "release", 1, None, None, {}, "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }} PUBLISH=true make release", {})  # fmt: skip
    assert {p[0] for p in _publishes(on)} == {"github-releases"}


def test_maven_credentials_written_to_gradle_properties_reach_the_publish_task() -> None:
    # JabRef (round 30): `cat >> gradle.properties <<EOF` … `mavenCentralPassword=${{ secrets.X }}` before the task
    store = StepView(0, "store secrets", 1, None, None, {},
                     "cat >> gradle.properties <<EOF\nmavenCentralUsername=${{ secrets.CENTRAL_USER }}\n"
                     "mavenCentralPassword=${{ secrets.CENTRAL_PASSWORD }}\nEOF\n", {})  # fmt: skip
    publish = StepView(
        1, "publish", 2, None, None, {}, "gradle :lib:publishAllPublicationsToMavenCentralRepository", {}
    )
    found = _publishes(store, publish)
    assert {p[0] for p in found} == {"maven-central"}
    assert "secret:CENTRAL_PASSWORD" in next(iter(found))[2]


def test_a_maven_property_naming_the_repository_and_its_token() -> None:
    # VTK (round 30): `mvn … deploy -Dvtk.maven.repo=https://maven.pkg.github.com/kitware/vtk -Dvtk.github.token=$MAVEN_PASSWORD`
    # (a variable the form does not know by name: only the property hands it over)
    deploy = StepView(0, "upload", 1, None, None, {},
                      "mvn --settings settings.xml deploy -Dvtk.maven.repo=https://maven.pkg.github.com/kitware/vtk "
                      "-Dvtk.github.token=$GPR_PAT", {"GPR_PAT": "${{ secrets.GPR_TOKEN }}"})  # fmt: skip
    assert _publishes(deploy) == {("github-packages", "certain", ("secret:GPR_TOKEN",))}


def test_an_unnamed_image_goes_to_the_login_its_environment_names() -> None:
    # Mailu (round 31): `docker buildx bake --push` whose bake file tags `${DOCKER_ORG}/…`, with DOCKER_ORG=ghcr.io/…, after
    # logins to GHCR (push) and Docker Hub (pulls): GHCR; a base image's variable names no destination
    ghcr = StepView(0, "ghcr", 1, None, "docker/login-action@v3",
                    {"registry": "ghcr.io", "password": "${{ secrets.GITHUB_TOKEN }}"}, None, {})  # fmt: skip
    hub = StepView(1, "hub", 2, None, "docker/login-action@v3",
                   {"username": "${{ secrets.HUB_USER }}", "password": "${{ secrets.HUB_PASSWORD }}"}, None, {})  # fmt: skip
    bake = StepView(2, "bake", 3, None, None, {}, "docker buildx bake --push --file ./tests/build-ci.hcl",
                    {"DOCKER_ORG": "ghcr.io/${{ github.repository_owner }}"})  # fmt: skip
    assert {p[0] for p in _publishes(ghcr, hub, bake) if p[1] != "held"} == {"ghcr"}
    base = replace(bake, env={"BASE_IMAGE": "ghcr.io/acme/base:1"})
    assert {p[0] for p in _publishes(ghcr, hub, base) if p[1] != "held"} == {"ghcr", "dockerhub"}


def test_a_variable_whose_value_starts_with_a_host_is_no_namespace() -> None:
    # Mailu's mirror: `regctl image copy docker.io/alpine:"$TAG" "$DOCKER_ORG"/alpine:"$TAG"`, DOCKER_ORG=ghcr.io/mailu
    copy = StepView(0, "mirror", 1, None, None, {}, './regctl image copy docker.io/alpine:"$TAG" "$DOCKER_ORG"/alpine:"$TAG"',
                    {"DOCKER_ORG": "ghcr.io/${{ github.repository_owner }}", "TAG": "${{ inputs.tag }}"})  # fmt: skip
    assert {p[0] for p in _publishes(copy)} == {"ghcr"}
    # a user name first is still Docker Hub's namespace
    user = replace(copy, env={"DOCKER_ORG": "${{ secrets.DOCKERHUB_USERNAME }}", "TAG": "1"})
    assert {p[0] for p in _publishes(user)} == {"dockerhub"}


def test_a_repository_url_exported_on_conditions_names_each_registry() -> None:
    # pyca/bcrypt (round 31): PYPI_URL written to GITHUB_ENV by two conditional steps (PyPI or Test PyPI by the dispatch's
    # choice), then `repository-url: ${{ env.PYPI_URL }}`
    pypi = StepView(0, "pypi", 1, None, None, {}, 'echo "PYPI_URL=https://upload.pypi.org/legacy/" >> $GITHUB_ENV', {},
                    conditional=True)  # fmt: skip
    test = StepView(1, "test", 2, None, None, {}, 'echo "PYPI_URL=https://test.pypi.org/legacy/" >> $GITHUB_ENV', {},
                    conditional=True)  # fmt: skip
    publish = StepView(2, "publish", 3, None, "pypa/gh-action-pypi-publish@v1",
                       {"repository-url": "${{ env.PYPI_URL }}"}, None, {})  # fmt: skip
    assert {p[0] for p in _publishes(pypi, test, publish, oidc=True)} == {"pypi", "testpypi"}


def test_an_image_action_runs_its_tool_with_its_args() -> None:
    # example42/puppet-tp (round 32): `uses: docker://puppet/pdk:3.0.0.0` with `args: release publish --forge-token …`
    pdk = StepView(0, "publish", 1, None, "docker://puppet/pdk:3.0.0.0",
                   {"args": "release publish --forge-token ${{ secrets.PUPPET_FORGE_API_KEY }} --force"}, None, {})  # fmt: skip
    assert _publishes(pdk) == {("puppet-forge", "certain", ("secret:PUPPET_FORGE_API_KEY",))}
    build = replace(pdk, inputs={"args": "build --force"})
    assert _publishes(build) == set()


def test_a_docker_config_with_an_entry_per_registry_logs_in_to_each() -> None:
    # NLX's kaniko jobs (round 32): one `auths` entry for the project's registry with the job token, one for Docker Hub
    config = (
        'echo "{\\"auths\\":{\\"https://${CI_REGISTRY}\\":{\\"username\\":\\"${CI_REGISTRY_USER}\\", \\"password\\":'
        '\\"${CI_REGISTRY_PASSWORD}\\" },\\"https://index.docker.io/v1/\\":{\\"username\\":\\"${DOCKERHUB_USERNAME}\\",'
        ' \\"password\\":\\"${DOCKERHUB_PASSWORD}\\"}}}" > /kaniko/.docker/config.json'
    )
    write = StepView(0, "config", 1, None, None, {}, config, {"CI_REGISTRY": "ghcr.io", "DOCKERHUB_PASSWORD": "${{ secrets.HUB }}",
                     "CI_REGISTRY_PASSWORD": "${{ secrets.GHCR }}"})  # fmt: skip
    push = StepView(1, "push", 2, None, None, {}, "crane push image.tar docker.io/acme/app:1", {})
    assert {p for p in _publishes(write, push) if p[1] != "held"} == {("dockerhub", "certain", ("secret:HUB",))}


def test_installing_a_release_tool_runs_nothing() -> None:
    # rmcp-openapi (round 32): `npm install -g semantic-release@… @semantic-release/gitlab@…` and a download of
    # `semantic-release-cargo` before the job's own `semantic-release --dry-run`
    install = StepView(0, "install", 1, None, None, {},
                       "npm install -g semantic-release@24 @semantic-release/git@10\n"
                       "curl -L https://github.com/x/semantic-release-cargo/releases/download/v2/semantic-release-cargo -o /usr/local/bin/semantic-release-cargo\n"
                       "semantic-release-cargo --version\n",
                       {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"})  # fmt: skip
    assert {p for p in _publishes(install) if p[1] != "held"} == set()
    run = replace(install, script="npx semantic-release")
    assert {p[0] for p in _publishes(run)} == {"github-releases"}
