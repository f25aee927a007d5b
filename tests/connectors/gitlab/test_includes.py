"""Each kind of ``include:`` followed as GitLab follows it, with a job that must publish and a near-identical
one that must not; an include that was not collected is a gap naming it, and the rest is analysed."""

from __future__ import annotations

from pathlib import Path

from scanner.model import EdgeKind, NodeId
from tests.connectors.gitlab.estate import gaps, job, pipeline, publishes, routes

PUBLISH = "release:\n  script: [npm publish]\n"
CHECK = "release:\n  script: [npm pack]\n"


def test_local_include(tmp_path: Path) -> None:
    ci = "include:\n  - local: /ci/release.yml\n"
    inv = pipeline(tmp_path / "a", ci, {"ci/release.yml": PUBLISH})
    assert publishes(inv, "release") == ("npm",)
    # the job is reported where it is written
    assert job(inv, "release")["workflow_path"] == "ci/release.yml"
    assert publishes(pipeline(tmp_path / "b", ci, {"ci/release.yml": CHECK}), "release") == ()


def test_local_include_as_a_plain_string_and_by_wildcard(tmp_path: Path) -> None:
    inv = pipeline(tmp_path / "a", "include: ci/release.yml\n", {"ci/release.yml": PUBLISH})
    assert publishes(inv, "release") == ("npm",)
    files = {"ci/jobs/a.yml": PUBLISH, "ci/jobs/b.yml": "other:\n  script: [make]\n", "ci/x.yml": CHECK}
    inv = pipeline(tmp_path / "b", "include:\n  - local: 'ci/jobs/*.yml'\n", files)
    assert publishes(inv, "release") == ("npm",)
    assert publishes(inv, "other") == ()


def test_local_include_not_collected_is_a_gap(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, "include:\n  - local: /ci/release.yml\nbuild:\n  script: [make]\n")
    assert ("local include ci/release.yml of acme/app", "not collected") in gaps(inv)
    assert publishes(inv, "build") == ()


def test_including_file_overrides_the_included_job(tmp_path: Path) -> None:
    ci = "include:\n  - local: /ci/release.yml\nrelease:\n  script: [npm pack]\n"
    assert publishes(pipeline(tmp_path / "a", ci, {"ci/release.yml": PUBLISH}), "release") == ()
    keeps = "include:\n  - local: /ci/release.yml\nrelease:\n  stage: deploy\n"
    assert publishes(pipeline(tmp_path / "b", keeps, {"ci/release.yml": PUBLISH}), "release") == ("npm",)


TEMPLATE_V1 = ".npm-release:\n  script: [npm publish]\ninclude:\n  - local: /shared.yml\n"
TEMPLATE_V2 = ".npm-release:\n  script: [npm pack]\n"


def test_project_include_at_a_ref_with_its_own_local_include(tmp_path: Path) -> None:
    other = "gitlab/projects/acme/ci-templates/-/raw"
    files = {
        f"{other}/v1/templates/npm.yml": TEMPLATE_V1,
        f"{other}/v1/shared.yml": ".shared:\n  image: node:22\n",
        f"{other}/v2/templates/npm.yml": TEMPLATE_V2,
    }
    ci = "include:\n  - project: acme/ci-templates\n    ref: {ref}\n    file: /templates/npm.yml\n"
    ci += "release:\n  extends: [.shared, .npm-release]\n"
    inv = pipeline(tmp_path / "a", ci.format(ref="v1"), files)
    assert publishes(inv, "release") == ("npm",)
    # the included project's `local:` is a file of that project at that ref
    assert job(inv, "release")["image"] == "node:22"
    tp = inv.node(NodeId("gitlab:include:acme/ci-templates:/templates/npm.yml@v1"))
    assert tp.attrs["pinned"] is False
    assert any(e.dst == tp.id and e.kind is EdgeKind.RUNS_CODE_OF for e in inv.edges())
    assert publishes(pipeline(tmp_path / "b", ci.format(ref="v2"), files), "release") == ()


def test_project_include_pinned_to_a_sha(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    files = {f"gitlab/projects/acme/ci-templates/-/raw/{sha}/templates/npm.yml": PUBLISH}
    ci = f"include:\n  - project: acme/ci-templates\n    ref: {sha}\n    file: templates/npm.yml\n"
    inv = pipeline(tmp_path, ci, files)
    assert publishes(inv, "release") == ("npm",)
    assert inv.node(NodeId(f"gitlab:include:acme/ci-templates:/templates/npm.yml@{sha}")).attrs["pinned"] is True


def test_project_include_without_ref_is_that_projects_default_branch(tmp_path: Path) -> None:
    files = {"gitlab/projects/acme/ci-templates/repository/files/templates/npm.yml": PUBLISH}
    ci = "include:\n  - project: acme/ci-templates\n    file: [templates/npm.yml]\n"
    assert publishes(pipeline(tmp_path, ci, files), "release") == ("npm",)


def test_project_include_not_collected_is_a_gap(tmp_path: Path) -> None:
    ci = "include:\n  - project: acme/ci-templates\n    ref: main\n    file: /npm.yml\nrelease:\n  extends: .npm-release\n"
    inv = pipeline(tmp_path, ci)
    assert ("project include acme/ci-templates:/npm.yml@main", "not collected") in gaps(inv)
    # a job built from a template of that include, named for releases: a probable publish
    assert publishes(inv, "release") == ("other:*",)
    assert job(inv, "release")["publishes_probable"] == ("other:*",)


def test_a_template_not_collected_counts_as_an_image_build_only_when_named_for_one(tmp_path: Path) -> None:
    # Proton Bridge: `.image-linux-build` is the image the build runs in, not an image it builds
    ci = "include:\n  - project: acme/ci-templates\n    file: /images.yml\nbuild:\n  extends: .image-linux-build\n"
    assert publishes(pipeline(tmp_path / "runner", ci), "build") == ()
    for name in (".build-docker", ".docker_build", ".image-push"):
        named = ci.replace(".image-linux-build", name)
        assert publishes(pipeline(tmp_path / name, named), "build") == ("gitlab-registry",), name


def test_an_image_builder_template_pushes_where_the_job_points_the_registry_variables(tmp_path: Path) -> None:
    # eclipse/xfsc: `.buildkit` from an uncollected project include, CI_REGISTRY* pointed at a Harbor
    ci = (
        "include:\n  - project: eclipsefdn/ci-templates\n    file: /jobs/buildkit.gitlab-ci.yml\n"
        "keycloak:\n  extends: .buildkit\n  variables:\n    CI_REGISTRY: ${HARBOR_HOST}\n"
        "    CI_REGISTRY_PASSWORD: ${HARBOR_PASSWORD}\n"
    )
    inv = pipeline(tmp_path / "harbor", ci)
    assert routes(inv, "keycloak") == ("other:*:secret:HARBOR_PASSWORD",)
    own = ci.split("  variables:")[0] + "\n"
    assert routes(pipeline(tmp_path / "own", own), "keycloak") == ("gitlab-registry:job_token",)


def test_template_include(tmp_path: Path) -> None:
    ci = "include:\n  - template: Acme/Npm.gitlab-ci.yml\n"
    tpl = "gitlab/templates/gitlab_ci_ymls/Acme/Npm.gitlab-ci.yml"
    inv = pipeline(tmp_path / "a", ci, {tpl: PUBLISH})
    assert publishes(inv, "release") == ("npm",)
    assert inv.node(NodeId("gitlab:include:template:Acme/Npm.gitlab-ci.yml")).attrs["include"] == "template"
    assert publishes(pipeline(tmp_path / "b", ci, {tpl: CHECK}), "release") == ()
    missing = pipeline(tmp_path / "c", ci + "build:\n  script: [make]\n")
    assert ("template Acme/Npm.gitlab-ci.yml", "not collected") in gaps(missing)


def test_component_include_on_another_instance_is_a_gap(tmp_path: Path) -> None:
    ci = "include:\n  - component: gitlab.example.org/acme/components/npm@1.0\nbuild:\n  script: [make]\n"
    inv = pipeline(tmp_path, ci)
    assert any(w == "component gitlab.example.org/acme/components/npm@1.0" and "not on the collected instance" in r
               for w, r in gaps(inv))  # fmt: skip


def test_component_in_a_folder_with_template_yml(tmp_path: Path) -> None:
    files = {"gitlab/projects/acme/components/-/raw/2.0/templates/npm/template.yml": PUBLISH}
    inv = pipeline(tmp_path, "include:\n  - component: $CI_SERVER_FQDN/acme/components/npm@2.0\n", files)
    assert publishes(inv, "release") == ("npm",)


def test_remote_include_is_a_third_party_and_a_gap(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, "include: https://example.org/ci.yml\nbuild:\n  script: [make]\n")
    assert inv.node(NodeId("gitlab:include:https://example.org/ci.yml")).attrs["pinned"] is False
    assert any(w == "remote include https://example.org/ci.yml" for w, _ in gaps(inv))


def test_include_that_includes_itself_is_a_gap(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, "include:\n  - local: /a.yml\n", {"a.yml": "include:\n  - local: /a.yml\n" + PUBLISH})
    assert publishes(inv, "release") == ("npm",)
    assert any("includes itself" in r for _, r in gaps(inv))


def test_include_path_with_an_unknown_variable_is_a_gap(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, "include:\n  - local: /ci/$FLAVOUR.yml\nbuild:\n  script: [make]\n")
    assert any(w == "include /ci/$FLAVOUR.yml in .gitlab-ci.yml" for w, _ in gaps(inv))
    known = pipeline(tmp_path / "b", "include:\n  - local: /ci/$CI_PROJECT_NAME.yml\n", {"ci/app.yml": PUBLISH})
    assert publishes(known, "release") == ("npm",)


def test_a_catalogued_template_of_another_project_publishes_where_its_row_says(tmp_path: Path) -> None:
    # GNOME/epiphany: `extends: .publish_nightly` from GNOME/citemplates (flat-manager push to GNOME's nightly
    # repository with the REPO_TOKEN_FILE variable); fontconfig: freedesktop's `.fdo.qemu-build@freebsd`
    ci = (
        "include:\n  - project: GNOME/citemplates\n    file: flatpak/flatpak_ci_initiative.yml\n"
        "nightly:\n  extends: .publish_nightly\n"
    )
    assert routes(pipeline(tmp_path / "gnome", ci), "nightly") == ("gnome-nightly:secret:REPO_TOKEN_FILE",)
    fdo = (
        "include:\n  - project: freedesktop/ci-templates\n    file: /templates/freebsd.yml\n"
        "freebsd:14.4@container-prep:\n  extends: .fdo.qemu-build@freebsd\n"
    )
    assert routes(pipeline(tmp_path / "fdo", fdo), "freebsd:14.4@container-prep") == ("gitlab-registry:job_token",)
    # a template of the same includes the table does not name, and not named for publishing, publishes nothing
    other = ci.replace(".publish_nightly", ".flatpak@x86_64")
    assert publishes(pipeline(tmp_path / "other", other), "nightly") == ()


def test_a_job_an_uncollected_include_defines_is_read_by_its_name(tmp_path: Path) -> None:
    # pesummary: `docker_push` overrides only its before_script; the component that defines it was not collected
    ci = (
        "include:\n  - project: computing/gitlab-ci-templates\n    file: docker.yml\n"
        "docker_push:\n  before_script:\n    - export TAG=1\n"
        "docs:\n  before_script:\n    - export X=1\n"
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "docker_push") == ("gitlab-registry",)
    assert publishes(inv, "docs") == ()
    own = ci.replace("    - export TAG=1\n", "    - export TAG=1\n  script:\n    - make test\n")
    assert publishes(pipeline(tmp_path / "own", own), "docker_push") == ()
