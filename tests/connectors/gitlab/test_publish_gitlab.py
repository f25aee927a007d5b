"""GitLab's own ways to publish and its own credentials, through the shared catalogue: the project's container
registry with $CI_REGISTRY_PASSWORD, the package registry with $CI_JOB_TOKEN (PyPI, npm, Maven, generic),
GitLab Releases, id_tokens (PyPI Trusted Publishing), named repositories; each with a near-identical job that
must not publish."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Action, EdgeKind, NodeId
from tests.connectors.gitlab.estate import job, pipeline, publishes, routes

#: (job script that publishes, near-identical one that does not, expected publish route)
CASES: dict[str, tuple[str, str, str]] = {
    "docker-registry": (
        """
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
""",
        """
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" .
    - docker run "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" pytest
""",
        "gitlab-registry:job_token",
    ),
    "kaniko": (
        """
    - echo "{\\"auths\\":{\\"${CI_REGISTRY}\\":{\\"auth\\":\\"$(printf "%s:%s" "${CI_REGISTRY_USER}" "${CI_REGISTRY_PASSWORD}" | base64 | tr -d '\\n')\\"}}}" > /kaniko/.docker/config.json
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_TAG}"
""",
        """
    - echo "{\\"auths\\":{\\"${CI_REGISTRY}\\":{\\"auth\\":\\"$(printf "%s:%s" "${CI_REGISTRY_USER}" "${CI_REGISTRY_PASSWORD}" | base64 | tr -d '\\n')\\"}}}" > /kaniko/.docker/config.json
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_TAG}" --no-push
""",
        "gitlab-registry:job_token",
    ),
    "pypi-package-registry": (
        """
    - TWINE_PASSWORD=${CI_JOB_TOKEN} TWINE_USERNAME=gitlab-ci-token python -m twine upload --repository-url ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi dist/*
""",
        """
    - TWINE_PASSWORD=${CI_JOB_TOKEN} TWINE_USERNAME=gitlab-ci-token python -m twine check dist/*
""",
        "gitlab-packages:job_token",
    ),
    "npm-package-registry": (
        """
    - echo "//${CI_SERVER_HOST}/api/v4/projects/${CI_PROJECT_ID}/packages/npm/:_authToken=${CI_JOB_TOKEN}" > .npmrc
    - npm publish
""",
        """
    - echo "//${CI_SERVER_HOST}/api/v4/projects/${CI_PROJECT_ID}/packages/npm/:_authToken=${CI_JOB_TOKEN}" > .npmrc
    - npm publish --dry-run
""",
        "gitlab-packages:job_token",
    ),
    "maven-package-registry": ("\n    - mvn deploy -s ci_settings.xml\n", "\n    - mvn verify -s ci_settings.xml\n",
                               "gitlab-packages:job_token"),
    "generic-package": (
        """
    - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tgz "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/generic/app/1.0/app.tgz"'
""",
        """
    - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --output app.tgz "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/generic/app/1.0/app.tgz"'
""",
        "gitlab-packages:job_token",
    ),
    "poetry-named-repository": (
        """
    - poetry config repositories.gitlab "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"
    - poetry config http-basic.gitlab gitlab-ci-token "$CI_JOB_TOKEN"
    - poetry publish --repository gitlab
""",
        """
    - poetry config repositories.gitlab "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"
    - poetry config http-basic.gitlab gitlab-ci-token "$CI_JOB_TOKEN"
    - poetry publish --repository gitlab --dry-run
""",
        "gitlab-packages:job_token",
    ),
    "release-cli": ("\n    - release-cli create --tag-name $CI_COMMIT_TAG\n", "\n    - release-cli get --tag-name $CI_COMMIT_TAG\n",
                    "gitlab-releases:job_token"),
    "glab-release": ("\n    - glab release create $CI_COMMIT_TAG dist/*\n", "\n    - glab release view $CI_COMMIT_TAG\n",
                     "gitlab-releases:job_token"),
    "deploy-token": (
        """
    - docker login -u "$CI_DEPLOY_USER" -p "$CI_DEPLOY_PASSWORD" "$CI_REGISTRY"
    - docker push "$CI_REGISTRY_IMAGE:latest"
""",
        """
    - docker login -u "$CI_DEPLOY_USER" -p "$CI_DEPLOY_PASSWORD" "$CI_REGISTRY"
    - docker pull "$CI_REGISTRY_IMAGE:latest"
""",
        "gitlab-registry:secret:CI_DEPLOY_PASSWORD",
    ),
    "stored-token": (
        "\n    - twine upload -u __token__ -p \"$CI_TWINE_PASSWORD\" dist/*\n",
        "\n    - twine check dist/*\n",
        "pypi:secret:CI_TWINE_PASSWORD",
    ),
    # mayan-edms: a whole .pypirc kept in a variable, written to the file twine reads
    "pypirc-file-from-a-variable": (
        "\n    - echo \"$PYPIRC\" > ~/.pypirc\n    - twine upload --verbose dist/* -r pypi\n",
        "\n    - echo \"$PYPIRC\" > ~/.pypirc\n    - twine check dist/*\n",
        "pypi:secret:PYPIRC",
    ),
    # Remmina: store credentials decoded into a file, then `snapcraft login --with` that file
    "snapcraft-login-file": (
        """
    - echo $SNAPCRAFT_LOGIN | base64 --decode --ignore-garbage > snapcraft.login
    - snapcraft login --with snapcraft.login
    - snapcraft upload remmina_amd64.snap --release edge
""",
        """
    - echo $SNAPCRAFT_LOGIN | base64 --decode --ignore-garbage > snapcraft.login
    - snapcraft login --with snapcraft.login
    - snapcraft whoami
""",
        "snapcraft:secret:SNAPCRAFT_LOGIN",
    ),
}  # fmt: skip


def _ci(script: str) -> str:
    return f"publish:\n  image: python:3.12\n  script:{script}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_gitlab_publish_form_and_its_twin(tmp_path: Path, case: str) -> None:
    yes, no, route = CASES[case]
    inv = pipeline(tmp_path / "yes", _ci(yes))
    assert routes(inv, "publish") == (route,), job(inv, "publish")["publish_steps"]
    twin = pipeline(tmp_path / "no", _ci(no))
    assert publishes(twin, "publish") == (), job(twin, "publish")["publish_steps"]


def test_the_projects_own_registry_is_its_registry_node(tmp_path: Path) -> None:
    inv = pipeline(tmp_path, _ci(CASES["docker-registry"][0]))
    grants = [e for e in inv.edges() if e.kind is EdgeKind.GRANTS and e.dst == NodeId("gitlab:registry:acme/app")]
    assert [(e.src, e.actions) for e in grants] == [
        (NodeId("gitlab:job:acme/app/.gitlab-ci.yml#publish"), frozenset({Action.PUBLISH}))
    ]


def test_release_keyword_is_a_gitlab_release_with_the_job_token(tmp_path: Path) -> None:
    ci = "release:\n  script: [echo releasing]\n  release:\n    tag_name: $CI_COMMIT_TAG\n    description: notes\n"
    inv = pipeline(tmp_path / "a", ci)
    assert routes(inv, "release") == ("gitlab-releases:job_token",)
    assert NodeId("gitlab:releases:acme/app") in inv
    twin = pipeline(tmp_path / "b", "release:\n  script: [echo releasing]\n")
    assert publishes(twin, "release") == ()


TRUSTED = """
publish:
  image: python:3.12
{tokens}  script:
    - oidc_token=$(python -m id PYPI)
    - resp=$(curl -X POST https://pypi.org/_/oidc/mint-token -d "{{\\"token\\":\\"${{oidc_token}}\\"}}")
    - api_token=$(jq --raw-output '.token' <<< "${{resp}}")
    - twine upload -u __token__ -p "${{api_token}}" dist/*
"""


def test_id_tokens_are_pypi_trusted_publishing(tmp_path: Path) -> None:
    tokens = "  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n"
    inv = pipeline(tmp_path / "a", TRUSTED.format(tokens=tokens))
    attrs = job(inv, "publish")
    assert (attrs["publish_routes"], attrs["pypi_trusted_publishing"], attrs["oidc"]) == (("pypi:oidc",), True, True)
    assert attrs["id_token_audiences"] == ("pypi",)
    # without id_tokens the same script mints nothing: the token it uploads with comes from nowhere known
    twin = job(pipeline(tmp_path / "b", TRUSTED.format(tokens="")), "publish")
    assert (twin["publish_routes"], twin["pypi_trusted_publishing"]) == (("pypi:unknown",), False)


def test_id_tokens_name_the_oidc_subjects_for_cloud_trusts(tmp_path: Path) -> None:
    ci = "deploy:\n  id_tokens:\n    AWS_TOKEN:\n      aud: sts.amazonaws.com\n  script: [make]\n  rules:\n"
    ci += "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
    meta = [{"id": 7, "path_with_namespace": "acme/app", "default_branch": "main"}]
    inv = pipeline(tmp_path, ci, {"gitlab/groups/acme/projects.json": meta})
    attrs = job(inv, "deploy")
    assert attrs["oidc_subjects"] == ("project_path:acme/app:ref_type:branch:ref:main",)
    assert attrs["ref"] == "refs/heads/main"


def test_self_managed_registry_from_the_project_record(tmp_path: Path) -> None:
    """A self-managed instance's registry host is its own container registry (the project record says which)."""
    meta = [{"id": 7, "path_with_namespace": "acme/app", "default_branch": "main",
             "web_url": "https://gitlab.example.com/acme/app",
             "container_registry_image_prefix": "registry.example.com/acme/app"}]  # fmt: skip
    script = '\n    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"\n'
    script += "    - docker push registry.example.com/acme/app:1\n"
    inv = pipeline(tmp_path / "a", _ci(script), {"gitlab/groups/acme/projects.json": meta})
    assert routes(inv, "publish") == ("gitlab-registry:job_token",)
    # without the project record, the job's one login (to its GitLab's registry, with the job token) still says which
    # registry the unknown host is: the job token signs in nowhere else (round 21, Arch's registry.archlinux.org)
    assert routes(pipeline(tmp_path / "b", _ci(script)), "publish") == ("gitlab-registry:job_token",)
    # with a second login, the host is just some registry
    other = script.replace(
        "    - docker push", '    - docker login -u u -p "$HUB_TOKEN" hub.example.com\n    - docker push'
    )
    assert publishes(pipeline(tmp_path / "c", _ci(other)), "publish") == ("other:registry.example.com",)


def test_docker_run_shell_script_sees_the_containers_environment(tmp_path: Path) -> None:
    script = """
    - |
      docker run --rm -e GITLAB_TOKEN=$RELEASE_TOKEN goreleaser/goreleaser:v2 bash -c "
        goreleaser release --clean
      "
"""
    assert routes(pipeline(tmp_path / "a", _ci(script)), "publish") == ("gitlab-releases:secret:RELEASE_TOKEN",)
    twin = script.replace("--clean", "--snapshot")
    assert publishes(pipeline(tmp_path / "b", _ci(twin)), "publish") == ()


def test_a_registry_the_job_token_signs_in_to_is_the_instances_own(tmp_path: Path) -> None:
    script = '\n    - docker login -u gitlab-ci-token -p "$CI_JOB_TOKEN" registry.example.com\n'
    script += "    - docker push registry.example.com/acme/app:1\n"
    assert routes(pipeline(tmp_path / "a", _ci(script)), "publish") == ("gitlab-registry:job_token",)
    twin = script.replace('"$CI_JOB_TOKEN"', '"$REGISTRY_PASSWORD"')
    assert publishes(pipeline(tmp_path / "b", _ci(twin)), "publish") == ("other:registry.example.com",)


def test_the_pipelines_own_value_of_a_predefined_name_wins(tmp_path: Path) -> None:
    """A pipeline that sets CI_REGISTRY_IMAGE pushes where it says; one that exports another password under
    CI_REGISTRY_PASSWORD (in a branch that may not run) logs in with that or with the job token."""
    ci = "variables:\n  CI_REGISTRY_IMAGE: docker.io/acme/app\n" + _ci(
        '\n    - docker login -u "$HUB_USER" -p "$HUB_PASSWORD"\n    - docker push "$CI_REGISTRY_IMAGE:1"\n'
    )
    assert routes(pipeline(tmp_path / "a", ci), "publish") == ("dockerhub:secret:HUB_PASSWORD",)
    script = """
    - if [ "$CI_PROJECT_NAMESPACE" = security ]; then export CI_REGISTRY_PASSWORD=$CANONICAL_PASSWORD; fi
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - docker push "$CI_REGISTRY_IMAGE:1"
"""
    assert routes(pipeline(tmp_path / "b", _ci(script)), "publish") == (
        "gitlab-registry:job_token",
        "gitlab-registry:secret:CANONICAL_PASSWORD",
    )


def test_a_release_target_after_installing_a_publish_tool_uploads_with_it(tmp_path: Path) -> None:
    # mattbas/python-lottie: `pip3 install requests twine`, a downloaded `gitlab-release` script run by python3 (no
    # extension), then `make upload` (its Makefile runs `twine upload`)
    job = (
        "build_tags:\n  only: [tags]\n  script:\n"
        "    - curl https://raw.githubusercontent.com/inetprocess/gitlab-release/master/gitlab-release >gitlab-release\n"
        "{install}"
        '    - python3 gitlab-release -m "notes" dist/*\n'
        "    - make upload VERSION=1.0\n"
    )
    found = publishes(pipeline(tmp_path, job.format(install="    - pip3 install requests twine\n")), "build_tags")
    assert set(found) == {"gitlab-releases", "pypi"}
    assert set(publishes(pipeline(tmp_path / "b", job.format(install="")), "build_tags")) == {
        "gitlab-releases",
        "other:*",
    }


def test_an_api_call_to_a_url_the_script_put_in_a_variable_is_judged_with_it_in_place(tmp_path: Path) -> None:
    # framasoft/framadate: the release's asset link POSTed to "${PROJECT_API_URL}/releases/…" with a Private-Token
    # header; a variable set from a command substitution (the upload's URL) stays as written
    job = (
        "pages:\n  script:\n"
        '    - export PROJECT_API_URL="https://framagit.org/api/v4/projects/${CI_PROJECT_ID}"\n'
        "    - 'export HEADER=\"Private-Token: ${GITLAB_API_TOKEN}\"'\n"
        '    - export url=$(curl -s --request POST --header "${HEADER}" --form "file=@a.zip" '
        '"${PROJECT_API_URL}/uploads" | jq .url)\n'
        '    - curl -s --request POST --header "${HEADER}" --data url="${url}" '
        '"${PROJECT_API_URL}/{what}/${CI_COMMIT_TAG}/assets/links"\n'
    )
    assert publishes(pipeline(tmp_path, job.replace("{what}", "releases")), "pages") == ("gitlab-releases",)
    assert publishes(pipeline(tmp_path / "b", job.replace("{what}", "repository/tags")), "pages") == ()


def test_a_build_with_its_push_switch_on_after_a_login_pushes(tmp_path: Path) -> None:
    # NVIDIA's driver images: `PUSH_ON_BUILD: "true"`, `docker login … $CI_REGISTRY`, then a build target or script
    # chosen in an if/else (`then ./scripts/precompiled.sh build; else make build-…; fi`)
    job = (
        'img:\n  variables:\n    IMAGE_NAME: ${CI_REGISTRY_IMAGE}\n    PUSH_ON_BUILD: "{on}"\n'
        '  before_script:\n    - docker login -u "${CI_REGISTRY_USER}" -p "${CI_REGISTRY_PASSWORD}" "${CI_REGISTRY}"\n'
        '  script:\n    - if [[ "${PRECOMPILED}" == "true" ]]; then ./scripts/precompiled.sh build; '
        "else make build-${DIST}-${DRIVER_VERSION}; fi\n"
    )
    assert publishes(pipeline(tmp_path, job.replace("{on}", "true")), "img") == ("gitlab-registry",)
    assert publishes(pipeline(tmp_path / "off", job.replace("{on}", "false")), "img") == ()
    # on the command line (cado-nfs: `make -f docker/Makefile PUSH=yes`)
    line = (
        "containers:\n  script:\n    - echo $CI_JOB_TOKEN | docker login -u gitlab-ci-token --password-stdin "
        "$CI_REGISTRY\n    - make -f docker/Makefile {push}\n"
    )
    assert publishes(pipeline(tmp_path / "yes", line.replace("{push}", "PUSH=yes")), "containers") == (
        "gitlab-registry",
    )
    assert publishes(pipeline(tmp_path / "no", line.replace("{push}", "")), "containers") == ()


def test_a_push_of_git_refs_to_a_mirror_on_another_forge_publishes_nothing(tmp_path: Path) -> None:
    # espressif/esp-ppq: `source ${CI_PROJECT_DIR}/.gitlab/tool/push_to_github.sh` (git push to its GitHub mirror)
    job = "push_to_github:\n  script:\n    - source ${CI_PROJECT_DIR}/.gitlab/tool/push_to_github.sh\n"
    assert publishes(pipeline(tmp_path, job), "push_to_github") == ()


def test_a_job_its_rules_keep_out_of_every_pipeline_publishes_nothing(tmp_path: Path) -> None:
    # os85/rodauth-oauth and os85/httpx: the release job's one rule is `if: $CI_COMMIT_TAG, when: never`; with no
    # rule left to match, GitLab adds the job to no pipeline ("no rules match, so the job is not added",
    # docs.gitlab.com/ci/jobs/job_rules; gitlab-org/gitlab#218791). A catch-all rule after it lets it run.
    job = (
        "release:\n  image: registry.gitlab.com/gitlab-org/release-cli:latest\n"
        "  rules:\n    - if: $CI_COMMIT_TAG\n      when: never\n{extra}"
        "  script: [release-cli create --tag-name $CI_COMMIT_TAG]\n"
    )
    assert publishes(pipeline(tmp_path, job.format(extra="")), "release") == ()
    assert publishes(pipeline(tmp_path / "b", job.format(extra="    - when: on_success\n")), "release") == (
        "gitlab-releases",
    )


def test_a_release_script_that_names_its_registry_publishes_there(tmp_path: Path) -> None:
    # DataDog/browser-sdk: `node ./scripts/deploy/publish-npm.ts` with a token it fetches itself; a
    # script that names no registry stays an unknown one
    ci = (
        "publish-npm:\n  script: [node ./scripts/deploy/publish-npm.ts]\n"
        "gh-release:\n  script: [node scripts/release/create-github-release.ts]\n"
        "publish-other:\n  script: [node ./scripts/deploy/publish-bundles.ts]\n"
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "publish-npm") == ("npm",)
    assert publishes(inv, "gh-release") == ("github-releases",)
    assert publishes(inv, "publish-other") == ("other:*",)


def test_an_image_scanner_after_a_registry_login_pushes_nothing(tmp_path: Path) -> None:
    # psono-server: `trivy image $CONTAINER_TEST_IMAGE` after `docker login … $CI_REGISTRY` reads the image
    ci = (
        "scan:\n  script:\n"
        "    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY\n"
        "    - trivy image --severity HIGH,CRITICAL $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\n"
    )
    assert publishes(pipeline(tmp_path, ci), "scan") == ()


def test_a_release_script_with_an_id_token_for_its_registry_publishes_by_oidc(tmp_path: Path) -> None:
    # gitlab-org/orbit: `./scripts/release/publish-npm.sh` with an id_token for npm (Trusted Publishing); an
    # id_token meant for another service (DataDog's dd-octo-sts) says nothing of how npm is reached
    ci = (
        "npm-oidc:\n  id_tokens:\n    NPM_ID_TOKEN:\n      aud: npm:registry.npmjs.org\n"
        "  script: [./scripts/release/publish-npm.sh]\n"
        "npm-other:\n  id_tokens:\n    STS_TOKEN:\n      aud: dd-octo-sts\n"
        "  script: [./scripts/release/publish-npm.sh]\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "npm-oidc") == ("npm:oidc",)
    assert routes(inv, "npm-other") == ("npm:unknown",)


def test_quotes_inside_an_image_name_join_its_parts(tmp_path: Path) -> None:
    # mayan-edms: `docker push registry-1.docker.io/mayanedms/mayanedms:v"$DOCKER_VERSION"`, the version read by
    # `cat` in backquotes, is a Docker Hub push, not one to every registry the job logged in to
    ci = (
        "push:\n  script:\n"
        "    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY\n"
        "    - docker login -u mayan -p $DOCKER_HUB_PASSWORD\n"
        "    - DOCKER_VERSION=`cat docker/rootfs/version`\n"
        '    - docker push registry-1.docker.io/mayanedms/mayanedms:v"$DOCKER_VERSION"\n'
    )
    assert publishes(pipeline(tmp_path, ci), "push") == ("dockerhub",)


def test_a_put_of_form_fields_is_an_api_call_not_an_upload(tmp_path: Path) -> None:
    # appsemble: merging merge requests through the API (`--request PUT --data-urlencode …`)
    ci = (
        "merge:\n  script:\n    - |\n"
        '      curl --request PUT --header "PRIVATE-TOKEN: $TOKEN" --url "$CI_API_V4_URL/projects/1/merge_requests/2/merge"'
        ' --data-urlencode "auto_merge=true"\n'
        "upload:\n  script:\n    - |\n"
        '      curl --request PUT --header "PRIVATE-TOKEN: $TOKEN" --data-binary @app.tgz "https://acme.jfrog.io/artifactory/generic/app.tgz"\n'
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "merge") == ()
    assert publishes(inv, "upload") == ("jfrog",)


def test_a_gitlab_release_tool_makes_a_gitlab_release(tmp_path: Path) -> None:
    # tozd/waf: `/gitlab-release` (tozd's tool) with a CI/CD variable token
    ci = "sync_releases:\n  script: [/gitlab-release]\n"
    assert publishes(pipeline(tmp_path, ci), "sync_releases") == ("gitlab-releases",)


def test_an_image_script_that_names_its_registry_pushes_there_with_the_one_credential_read(tmp_path: Path) -> None:
    # GNOME/gnome-build-meta: `./.gitlab-ci/scripts/publish-oci-quay.sh` behind a check of $OCI_REGISTRY_PASSWORD;
    # an image script naming no registry, in a job that does not name the project's registry, stays unknown
    ci = (
        "deploy-oci:\n  script:\n"
        "    - |\n"
        '      if [ -n "$OCI_REGISTRY_PASSWORD" ]; then\n'
        "          ./.gitlab-ci/scripts/publish-oci-quay.sh\n"
        "      fi\n"
        "deploy-other:\n  script: [./.gitlab-ci/scripts/publish-oci.sh]\n"
        "deploy-two:\n  script:\n"
        '    - test -n "$A_TOKEN" && test -n "$B_PASSWORD" && ./.gitlab-ci/scripts/publish-oci-quay.sh\n'
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "deploy-oci") == ("quay:secret:OCI_REGISTRY_PASSWORD",)
    assert routes(inv, "deploy-other") == ("other:*:unknown",)
    assert routes(inv, "deploy-two") == ("quay:unknown",)  # two credentials read: which one is not said


def test_a_deploy_script_publishes_only_when_it_names_a_registry(tmp_path: Path) -> None:
    # gnome-build-meta: `bash …/deploy-flatpak.sh` (flat-manager, Flathub) with `--token-file "${REPO_TOKEN_FILE}"`;
    # a deploy script naming no registry deploys an application; a script generating release contents
    # for GitLab Pages publishes nothing
    ci = (
        "deploy-flatpak:\n"
        "  script:\n"
        '    - bash "$CI_PROJECT_DIR/.gitlab-ci/scripts/deploy-flatpak.sh"\n'
        "  after_script:\n"
        '    - flat-manager-client --token-file "${REPO_TOKEN_FILE}" purge $(cat build.txt)\n'
        "deploy-app:\n  script: [bash ./scripts/deploy-app.sh]\n"
        "pages:\n  id_tokens:\n    T:\n      aud: pypi\n"
        "  script: [python3 .gitlab-ci/scripts/generate_release_contents.py]\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "deploy-flatpak") == ("flathub:secret:REPO_TOKEN_FILE",)
    assert publishes(inv, "deploy-app") == ()
    assert publishes(inv, "pages") == ()


def test_a_job_token_upload_to_a_url_from_a_variable_is_a_gitlab_package(tmp_path: Path) -> None:
    # archlinux/archlinux-docker: the URL comes from another job's dotenv; the job token only opens GitLab
    up = 'curl -sSf --header "JOB-TOKEN: ${CI_JOB_TOKEN}" --upload-file "output/rootfs.tar.zst" "${PACKAGE_REGISTRY_URL}/"'
    inv = pipeline(tmp_path / "token", f"publish:\n  script:\n    - '{up}'\n")
    assert routes(inv, "publish") == ("gitlab-packages:job_token",)
    other = up.replace("JOB-TOKEN: ${CI_JOB_TOKEN}", "Authorization: Bearer ${UPLOAD_TOKEN}")
    inv = pipeline(tmp_path / "other", f"publish:\n  script:\n    - '{other}'\n")
    assert publishes(inv, "publish") == ("other:*",)


def test_a_process_substitution_is_not_the_image_pushed(tmp_path: Path) -> None:
    # archlinux/archlinux-docker: `--sign-by-sigstore=<(sed "…" file)` before the image
    push = (
        'podman push --sign-by-sigstore=<(sed "s/TEMPLATE/${SIGSTORE_ID_TOKEN}/" sigstore-param-file.yaml) '
        '"$CI_REGISTRY_IMAGE:base-$CI_COMMIT_REF_SLUG"'
    )
    inv = pipeline(tmp_path, f"build:\n  script:\n    - podman login -u x -p y $CI_REGISTRY\n    - '{push}'\n")
    assert publishes(inv, "build") == ("gitlab-registry",)


def test_a_password_read_from_a_file_is_no_registry_host(tmp_path: Path) -> None:
    # Linaro/tuxmake: `docker login --password-stdin < "${DOCKER_PASSWORD_FILE}"`, a file-type variable;
    # the `<` is a redirection, not the host logged in to
    login = 'docker login --username="${DOCKER_USERNAME}" --password-stdin < "${DOCKER_PASSWORD_FILE}"'
    inv = pipeline(tmp_path, f"publish:\n  script:\n    - '{login}'\n    - docker push tuxmake/base:latest\n")
    assert routes(inv, "publish") == ("dockerhub:secret:DOCKER_PASSWORD_FILE",)


def test_a_containers_passed_through_variables_are_the_jobs(tmp_path: Path) -> None:
    # hectorjsmith/fail2ban-prometheus-exporter: goreleaser's image run with `-e DOCKER_PASSWORD -e GITLAB_TOKEN`
    # (the job's own values), DOCKER_REGISTRY beside DOCKER_PASSWORD naming the registry they open
    ci = (
        "release:\n"
        "  variables:\n"
        "    DOCKER_REGISTRY: $CI_REGISTRY\n    DOCKER_USERNAME: $CI_REGISTRY_USER\n"
        "    DOCKER_PASSWORD: $CI_REGISTRY_PASSWORD\n"
        "  script: |\n"
        "    docker run --rm -v $PWD:/src -w /src -e DOCKER_USERNAME -e DOCKER_PASSWORD -e DOCKER_REGISTRY \\\n"
        "      -e GITLAB_TOKEN goreleaser/goreleaser release --clean\n"
    )
    inv = pipeline(tmp_path / "yes", ci)
    assert set(routes(inv, "release")) == {"gitlab-registry:job_token", "gitlab-releases:secret:GITLAB_TOKEN"}
    # without the token passed in, goreleaser has no credential to release with
    inv = pipeline(tmp_path / "no", ci.replace("-e GITLAB_TOKEN ", ""))
    assert "gitlab-releases:secret:GITLAB_TOKEN" not in routes(inv, "release")


def test_an_image_name_another_job_wrote_to_a_file_is_the_image_pushed(tmp_path: Path) -> None:
    # ozgsec-web-frontend: a `tag` job writes "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" to image-tag.txt (an artifact);
    # kaniko then pushes `--destination $(cat image-tag.txt)`, and cosign signs it there
    ci = (
        'tag:\n  script:\n    - echo "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" > image-tag.txt\n'
        "  artifacts:\n    paths: [image-tag.txt]\n"
        "build:\n  script:\n    - /kaniko/executor --context $CI_PROJECT_DIR --destination $(cat image-tag.txt)\n"
        "sign:\n  script:\n"
        '    - echo "$CI_JOB_TOKEN" | oras login $CI_REGISTRY -u $CI_REGISTRY_USER --password-stdin\n'
        '    - cosign sign --yes --key $COSIGN_PRIVATE_KEY "$(cat image-tag.txt)@$(cat digest.txt)"\n'
        'verify:\n  script:\n    - cosign verify --key cosign.pub "$(cat image-tag.txt)"\n'
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "tag") == ()
    assert publishes(inv, "build") == ("gitlab-registry",)
    assert routes(inv, "sign") == ("gitlab-registry:job_token",)
    assert publishes(inv, "verify") == ()
    # a file no job wrote names no image
    inv = pipeline(tmp_path / "unwritten", ci.replace("> image-tag.txt", "> other.txt"))
    assert publishes(inv, "build") == ("other:*",)


def test_a_release_tools_create_release_with_a_gitlab_token_is_a_gitlab_release(tmp_path: Path) -> None:
    # gajim: `release-helper create-release $CI_PROJECT_ID $PROJECT_TOKEN …` (its own tool, not in the repository)
    ci = (
        "publish-release:\n  script:\n"
        "    - release-helper finish-milestone $CI_PROJECT_ID $PROJECT_TOKEN --version=$V\n"
        "    - release-helper create-release $CI_PROJECT_ID $PROJECT_TOKEN --version=$V --tag=$CI_COMMIT_TAG\n"
        "milestone:\n  script:\n    - release-helper finish-milestone $CI_PROJECT_ID $PROJECT_TOKEN --version=$V\n"
        "untokened:\n  script:\n    - release-helper create-release $CI_PROJECT_ID --version=$V\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "publish-release") == ("gitlab-releases:secret:PROJECT_TOKEN",)
    assert publishes(inv, "milestone") == ()
    assert publishes(inv, "untokened") == ()


def test_a_script_handed_the_registry_login_pushes_to_that_registry(tmp_path: Path) -> None:
    # gstreamer: `ci/docker/windows/container.ps1 $CI_REGISTRY $CI_REGISTRY_USER $CI_REGISTRY_PASSWORD …`
    ci = (
        "windows-image:\n  script:\n"
        "    - ci/docker/windows/container.ps1 $CI_REGISTRY $CI_REGISTRY_USER $CI_REGISTRY_PASSWORD $IMAGE\n"
        "windows-build:\n  script:\n    - ci/docker/windows/build.ps1 $IMAGE\n"
        # archlinux-docker: a login call to Docker Hub's API (to edit a description) pushes nothing
        "describe:\n  script:\n"
        '    - TOKEN="$(curl -X POST https://hub.docker.com/v2/users/login -d "{\\"password\\": \\"${DOCKERHUB_PASSWORD}\\"}")"\n'
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "windows-image") == ("gitlab-registry:job_token",)
    assert publishes(inv, "windows-build") == ()
    assert publishes(inv, "describe") == ()


def test_a_push_to_an_aur_or_flathub_repository_publishes_there_a_branch_for_review_does_not(tmp_path: Path) -> None:
    # timvisee/ffsend: the AUR package cloned over SSH, committed and pushed with the key of $AUR_SSH_PRIVATE
    # gajim: its Flathub repository cloned and pushed; veloren/airshipper: a branch pushed for a pull request
    ci = (
        "package-aur:\n  script:\n"
        '    - echo "$AUR_SSH_PRIVATE" > /root/.ssh/id_rsa\n'
        "    - git clone ssh://aur@aur.archlinux.org/app.git aur-app\n"
        "    - cd aur-app\n    - git commit -am release\n    - git push\n"
        "deploy-flatpak:\n  before_script:\n"
        '    - .ci/prepare_git.sh github.com "${FLATHUB_DEPLOY_KEY}"\n'
        "  script:\n"
        "    - git clone git@github.com:flathub/org.acme.App.git\n"
        "    - cd org.acme.App\n"
        '    - git commit -m "$CI_COMMIT_TAG$DEPLOY_FLATPAK"\n'
        "    - git push\n"
        "flatpak-branch:\n  script:\n"
        '    - git clone "https://${BOT_TOKEN}@github.com/flathub/org.acme.App.git"\n'
        "    - cd org.acme.App\n"
        '    - git push --set-upstream origin "bot/update_version"\n'
        "aur-check:\n  script:\n"
        "    - git clone https://aur.archlinux.org/app.git\n    - makepkg --printsrcinfo -p app/PKGBUILD\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "package-aur") == ("aur:secret:AUR_SSH_PRIVATE",)
    # the key, not the switch named for Flathub beside it
    assert routes(inv, "deploy-flatpak") == ("flathub:secret:FLATHUB_DEPLOY_KEY",)
    assert publishes(inv, "flatpak-branch") == ()
    assert publishes(inv, "aur-check") == ()


def test_a_release_script_named_with_dashes_for_a_registry_publishes_there(tmp_path: Path) -> None:
    # GNOME/glycin: `./build-aux/publish-crates-io.py` (cargo publish inside), its token a CI/CD variable
    ci = (
        "build-release-tarball:\n  script:\n    - ./build-aux/publish-crates-io.py\n"
        "check-crates:\n  script:\n    - ./build-aux/check-crates-io.py\n"
        'ota:\n  script:\n    - npx eas-cli update --branch production --message "$MESSAGE" --non-interactive\n'
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "build-release-tarball") == ("crates",)
    assert publishes(inv, "check-crates") == ()
    # Expo's over-the-air update (minds/mobile-native): its token a CI/CD variable the file does not name
    assert routes(inv, "ota") == ("expo:unknown",)


def test_release_metadata_references_and_preview_comments_are_no_publish(tmp_path: Path) -> None:
    # ligolang/ligo: `./.ci/scripts/release_metadata/edit_release_metadata.sh …`, `publish_preview_as_MR_comment.sh`
    ci = (
        "metadata:\n  script:\n    - ./.ci/scripts/release_metadata/edit_release_metadata.sh V $CI_COMMIT_TAG\n"
        "preview:\n  script:\n    - ./.ci/scripts/publish_preview_as_MR_comment.sh $CI_PROJECT_ID $CI_MERGE_REQUEST_IID\n"
        "release:\n  script:\n    - ./.ci/scripts/publish_release.sh $CI_COMMIT_TAG\n"
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "metadata") == ()
    assert publishes(inv, "preview") == ()
    assert publishes(inv, "release") != ()


def test_a_build_handed_the_job_token_publishes_to_the_projects_package_registry(tmp_path: Path) -> None:
    # islandoftex/arara: `./gradlew publishAllPublicationsToGitLabRepository -PjobToken=$CI_JOB_TOKEN`
    ci = (
        "publish:gitlab:\n  script:\n    - ./gradlew publishAllPublicationsToGitLabRepository -PjobToken=$CI_JOB_TOKEN\n"
        "publish:central:\n  script:\n    - ./gradlew publishToSonatype -PsonatypePassword=$SONATYPE_PASSWORD\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "publish:gitlab") == ("gitlab-packages:job_token",)
    assert publishes(inv, "publish:central") == ("maven-central",)


def test_twine_with_a_pypi_id_token_publishes_by_trusted_publishing(tmp_path: Path) -> None:
    # cobib/cobib: `id_tokens: {PYPI_ID_TOKEN: {aud: pypi}}` then `twine upload dist/*` (Twine 6.1+)
    ci = (
        "publish-pypi:\n  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n  script:\n    - twine upload dist/*\n"
        "publish-plain:\n  script:\n    - twine upload dist/*\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "publish-pypi") == ("pypi:oidc",)
    assert routes(inv, "publish-plain") == ("pypi:unknown",)


def test_an_image_build_script_after_registry_logins_pushes_where_the_job_logged_in(tmp_path: Path) -> None:
    # islandoftex/images/texlive: logins in before_script, behind switches that are no credentials
    ci = """build:
  image: docker:latest
  before_script:
    - if [ ! -z "$PUSH_TO_GITLAB" ]; then docker login -u gitlab-ci-token -p $CI_JOB_TOKEN registry.gitlab.com; fi
    - if [ ! -z "$PUSH_TO_DOCKER_HUB" ]; then docker login -u $DOCKER_HUB_USER -p $DOCKER_HUB_PASSWORD; fi
  script:
    - ./scripts/build-latest-image.sh "$RELEASE_IMAGE" "$DOCKER_HUB_IMAGE" "$PUSH_TO_GITLAB" "$PUSH_TO_DOCKER_HUB"
"""
    inv = pipeline(tmp_path / "image", ci)
    assert sorted(routes(inv, "build")) == ["dockerhub:secret:DOCKER_HUB_PASSWORD", "gitlab-registry:job_token"]
    # Mender: logged in to pull the builder image; what is built in a container is a package
    package = ci.replace("./scripts/build-latest-image.sh", "./docker-build-package")
    assert publishes(pipeline(tmp_path / "package", package), "build") == ()
    tests = ci.replace("build-latest-image", "build-test-image")
    assert publishes(pipeline(tmp_path / "tests", tests), "build") == ()


def test_a_python_script_of_the_project_named_for_a_release_goes_to_an_unknown_destination(tmp_path: Path) -> None:
    # GROMACS archive:full-release: make-release-build.py rsyncs tarballs to its FTP site, not to PyPI
    script = _ci("\n    - python admin/make-release-build.py --server\n")
    assert publishes(pipeline(tmp_path / "script", script), "publish") == ("other:*",)
    tox = _ci("\n    - tox -e release\n")
    assert publishes(pipeline(tmp_path / "tox", tox), "publish") == ("pypi",)


def test_a_login_to_a_mirror_pulls_and_shell_builtins_push_nothing(tmp_path: Path) -> None:
    # Mender's server images: logins to its registry and to an ECR pull-through cache (named by
    # MIRROR_REGISTRY), `--push` handed to the Makefile in DOCKER_BUILDARGS; `unset`, `apk add`, `docker context`
    # push nothing whatever the environment holds
    ci = """variables:
  MIRROR_REGISTRY: "017659451055.dkr.ecr.eu-central-1.amazonaws.com/dockerhub"
  ECR_REGISTRY: "017659451055.dkr.ecr.eu-central-1.amazonaws.com"
build:
  variables:
    DOCKER_BUILDARGS: "--push"
  before_script:
    - docker login --username $CI_REGISTRY_USER --password $CI_REGISTRY_PASSWORD $CI_REGISTRY
    - aws ecr get-login-password --region eu-central-1 | docker login --username AWS --password-stdin "${ECR_REGISTRY}"
    - unset DOCKER_AUTH_CONFIG
    - apk add make
  script:
    - make -C backend -j 4 docker MIRROR_REGISTRY="${MIRROR_REGISTRY}"
"""
    inv = pipeline(tmp_path / "build", ci)
    assert routes(inv, "build") == ("gitlab-registry:job_token",)
    # without the switch handed on, the Makefile's `docker` target only builds
    plain = ci.replace('    DOCKER_BUILDARGS: "--push"\n', '    DOCKER_BUILDARGS: "--load"\n')
    assert publishes(pipeline(tmp_path / "plain", plain), "build") == ()


def test_a_push_flag_handed_over_in_a_variable_reaches_the_command_that_names_it(tmp_path: Path) -> None:
    ci = _ci("\n    - docker build ${DOCKER_BUILDARGS} -t ${CI_REGISTRY_IMAGE}:tester .\n").replace(
        "  image: python:3.12\n", '  image: docker:27\n  variables:\n    DOCKER_BUILDARGS: "--push"\n'
    )
    assert publishes(pipeline(tmp_path / "push", ci), "publish") == ("gitlab-registry",)
    load = ci.replace('DOCKER_BUILDARGS: "--push"', 'DOCKER_BUILDARGS: "--load"')
    assert publishes(pipeline(tmp_path / "load", load), "publish") == ()


def test_gradle_publish_tasks_name_their_repository(tmp_path: Path) -> None:
    # JOSM/gradle-josm-plugin: GitLab's package registry, a Sonatype staging repository, a local directory
    gitlab = pipeline(tmp_path / "gitlab", _ci("\n    - ./gradlew publishAllPublicationsToGitlabRepository\n"))
    assert publishes(gitlab, "publish") == ("gitlab-packages",)
    staging = pipeline(
        tmp_path / "oss", _ci("\n    - ./gradlew publishAllPublicationsToOssSonatypeStagingRepository\n")
    )
    assert publishes(staging, "publish") == ("maven-central",)
    local = pipeline(
        tmp_path / "local", _ci("\n    - ./gradlew publishAllPublicationsToBuildDirRepository dokkaHtml\n")
    )
    assert publishes(local, "publish") == ()
    own = pipeline(tmp_path / "own", _ci("\n    - ./gradlew publishMavenPublicationToAcmeReleasesRepository\n"))
    assert publishes(own, "publish") == ("other:*",)


def test_a_publish_script_beside_an_id_token_for_a_registry_publishes_there_by_oidc(tmp_path: Path) -> None:
    # passbolt_styleguide: `NPM_ID_TOKEN: {aud: "npm:registry.npmjs.org"}`, then `bash …/publish.sh`
    ci = """publish:
  id_tokens:
    NPM_ID_TOKEN:
      aud: "npm:registry.npmjs.org"
  script:
    - bash .gitlab-ci/scripts/bin/publish.sh
"""
    assert routes(pipeline(tmp_path / "npm", ci), "publish") == ("npm:oidc",)
    sigstore = ci.replace('"npm:registry.npmjs.org"', "sigstore")
    assert publishes(pipeline(tmp_path / "sigstore", sigstore), "publish") == ("other:*",)


def test_scripts_publishing_packages_publish_and_benchmark_data_pushes_do_not(tmp_path: Path) -> None:
    # IronFox: `scripts/ci-publish-packages.sh`; Eigen: `. ci/scripts/push_perf_data.sh` (a branch of its own)
    packages = pipeline(tmp_path / "packages", _ci("\n    - bash scripts/ci-publish-packages.sh\n"))
    assert publishes(packages, "publish") == ("other:*",)
    building = pipeline(tmp_path / "building", _ci("\n    - bash scripts/release-package.sh\n"))
    assert publishes(building, "publish") == ()
    perf = pipeline(tmp_path / "perf", _ci("\n    - . ci/scripts/push_perf_data.sh\n"))
    assert publishes(perf, "publish") == ()


def test_an_image_build_script_pushes_where_the_pipeline_points_its_registry_image(tmp_path: Path) -> None:
    # GNOME/gnome-runtime-images: `CI_REGISTRY_IMAGE: quay.io/gnome_infrastructure/…`, `bash ./scripts/build-image.sh`
    ci = (
        "variables:\n  CI_REGISTRY_IMAGE: quay.io/gnome_infrastructure/gnome-runtime-images\n"
        "base:\n  image: quay.io/buildah/stable:latest\n  script:\n    - bash ./scripts/build-image.sh\n"
    )
    assert publishes(pipeline(tmp_path / "quay", ci), "base") == ("quay",)
    plain = ci.split("base:")[0].replace("quay.io/gnome_infrastructure/gnome-runtime-images", "${CI_REGISTRY}/x")
    plain += "base:\n  image: quay.io/buildah/stable:latest\n  script:\n    - bash ./scripts/build-image.sh\n"
    assert publishes(pipeline(tmp_path / "own", plain), "base") == ("gitlab-registry",)


# -- held-out round 20 ---------------------------------------------------------------------------------------


def test_a_script_handed_a_dockerfile_builds_and_pushes_that_image(tmp_path: Path) -> None:
    # drm/igt-gpu-tools: `.gitlab-ci/pull-or-rebuild.sh base Dockerfile.build-debian build-debian` beside
    # `BUILD_CONTAINERS_IMAGE: $CI_REGISTRY/$CI_PROJECT_PATH/build-buildah:latest`
    ci = (
        "variables:\n  BUILD_IMAGE: $CI_REGISTRY/$CI_PROJECT_PATH/build-buildah:latest\n"
        "containers:\n  script:\n    - .gitlab-ci/pull-or-rebuild.sh base Dockerfile.build-debian build-debian\n"
    )
    assert routes(pipeline(tmp_path / "yes", ci), "containers") == ("gitlab-registry:job_token",)
    # a test image stays in the job; a script that only pulls pushes nothing
    test_image = ci.replace("Dockerfile.build-debian", "Dockerfile.test")
    assert publishes(pipeline(tmp_path / "test", test_image), "containers") == ()
    pulls = ci.replace("pull-or-rebuild.sh base Dockerfile.build-debian build-debian", "pull-image.sh build-debian")
    assert publishes(pipeline(tmp_path / "pull", pulls), "containers") == ()


def test_a_registry_login_on_the_push_command_line_is_its_credential(tmp_path: Path) -> None:
    # igt-gpu-tools: `buildah push --creds $CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD $IMAGE docker://$IMAGE`
    ci = _ci(
        "\n    - buildah push --creds $CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD $CI_REGISTRY_IMAGE/b:1"
        " docker://$CI_REGISTRY_IMAGE/b:1\n"
    )
    assert routes(pipeline(tmp_path / "buildah", ci), "publish") == ("gitlab-registry:job_token",)


def test_podman_pushes_to_its_last_argument(tmp_path: Path) -> None:
    # CPAchecker: `podman push $CI_REGISTRY_IMAGE$IMAGE docker.io/sosylab/cpachecker$IMAGE` after both logins
    ci = _ci(
        "\n    - podman login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY"
        "\n    - podman login -u $DOCKER_HUB_USER -p $DOCKER_HUB_TOKEN docker.io"
        "\n    - podman push $CI_REGISTRY_IMAGE:1 docker.io/sosylab/cpachecker:1"
        "\n    - podman push $CI_REGISTRY_IMAGE:1\n"
    )
    assert set(publishes(pipeline(tmp_path, ci), "publish")) == {"dockerhub", "gitlab-registry"}


def test_a_file_posted_with_a_users_password_is_an_upload(tmp_path: Path) -> None:
    # rdiffweb: Nexus's APT upload, `curl -u "$NEXUS_USR:$NEXUS_PWD" --data-binary "@$FILE" "$APT_URL"`
    ci = _ci(
        '\n    - curl --fail -u "$NEXUS_USR:$NEXUS_PWD" --data-binary "@$FILE" "https://nexus.acme.example/repo/"\n'
    )
    assert "other:nexus.acme.example:secret:NEXUS_PWD" in routes(pipeline(tmp_path / "deb", ci), "publish")
    api = ci.replace('"@$FILE"', '"@payload.json"')
    assert publishes(pipeline(tmp_path / "api", api), "publish") == ()


def test_release_management_scripts_and_readme_pushes_publish_nothing(tmp_path: Path) -> None:
    # dataeval: `create_release_branch.py`, `validate_release_label.py`, `push_verification.py`; rdiffweb's
    # `/docker-pushrm` (a README to Docker Hub)
    for script in (
        ".gitlab/scripts/create_release_branch.py",
        ".gitlab/scripts/validate_release_label.py",
        ".gitlab/scripts/push_verification.py",
        "/docker-pushrm",
    ):
        inv = pipeline(tmp_path / script.rsplit("/", 1)[-1], _ci(f"\n    - {script}\n"))
        assert publishes(inv, "publish") == (), script


def test_a_release_task_naming_gitlab_makes_a_gitlab_release(tmp_path: Path) -> None:
    # JOSM MapWithAI: gradle-josm-plugin's `./gradlew releaseToGitlab`
    inv = pipeline(tmp_path / "gl", _ci("\n    - ./gradlew releaseToGitlab\n"))
    assert publishes(inv, "publish") == ("gitlab-releases",)
    inv = pipeline(tmp_path / "mvn", _ci("\n    - ./gradlew releaseToCentral\n"))
    assert publishes(inv, "publish") == ("maven-central",)


def test_a_build_publishing_to_its_gitlabs_packages_presumes_the_job_token(tmp_path: Path) -> None:
    # MapWithAI, gradle-josm-plugin: `./gradlew publishAllPublicationsToGitlabRepository`, credentials in build.gradle
    inv = pipeline(tmp_path, _ci("\n    - ./gradlew publishAllPublicationsToGitlabRepository\n"))
    assert routes(inv, "publish") == ("gitlab-packages:job_token",)


# -- held-out round 21 ---------------------------------------------------------------------------------------


def test_a_before_script_function_publishes_only_in_the_job_that_calls_it(tmp_path: Path) -> None:
    # openid/conformance-suite: `.auto_devops` defines `upload()` (a GCR push) and `mirror()` (skopeo to $3)
    ci = (
        "before_script:\n  - |\n    function upload() {\n      docker push gcr.io/acme/app:1\n    }\n"
        '    mirror() {\n      skopeo copy docker://$1 --dest-creds "$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD" docker://$2\n    }\n'
        "test:\n  script:\n    - mvn test\n"
        "push:\n  script:\n    - upload\n"
        'copy:\n  script:\n    - mirror docker.io/moby/buildkit "$CI_REGISTRY_IMAGE/buildkit:1"\n'
    )
    inv = pipeline(tmp_path, ci)
    assert publishes(inv, "test") == ()
    assert publishes(inv, "push") == ("gar",)
    assert routes(inv, "copy") == ("gitlab-registry:job_token",)


def test_a_push_to_an_unknown_host_after_the_one_login_to_the_instances_registry(tmp_path: Path) -> None:
    # archlinux/buildbtw: `podman login $CI_REGISTRY` with the job token, `podman push registry.archlinux.org/…`
    ci = _ci(
        '\n    - echo "$CI_JOB_TOKEN" | podman login $CI_REGISTRY -u $CI_REGISTRY_USER --password-stdin'
        "\n    - podman push registry.acme.example/acme/app:1\n"
    )
    assert routes(pipeline(tmp_path / "one", ci), "publish") == ("gitlab-registry:job_token",)
    two = ci.replace(
        "    - podman push", "    - podman login -u u -p $HARBOR_PASSWORD harbor.acme.example\n    - podman push"
    )
    assert "gitlab-registry" not in publishes(pipeline(tmp_path / "two", two), "publish")


def test_the_registry_password_of_a_job_pointing_ci_registry_elsewhere_is_a_project_variable(tmp_path: Path) -> None:
    # xfce4-dev-tools: `CI_REGISTRY: "docker.io"`, `docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY`
    ci = (
        'build:\n  variables:\n    CI_REGISTRY: "docker.io"\n    IMAGE: index.docker.io/xfce/xfce-build:1\n'
        "  script:\n    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY\n    - docker push $IMAGE\n"
    )
    assert routes(pipeline(tmp_path / "hub", ci), "build") == ("dockerhub:secret:CI_REGISTRY_PASSWORD",)
    own = ci.replace('    CI_REGISTRY: "docker.io"\n', "").replace(
        "index.docker.io/xfce/xfce-build:1", "$CI_REGISTRY_IMAGE:1"
    )
    assert routes(pipeline(tmp_path / "own", own), "build") == ("gitlab-registry:job_token",)


# -- held-out round 22 ---------------------------------------------------------------------------------------


def test_a_docker_config_written_from_a_variable_signs_in_where_no_password_is_given(tmp_path: Path) -> None:
    # StackGres: `cat "$DOCKER_AUTH_CONFIG" > ~/.docker/config.json`, `echo | docker login "$CI_REGISTRY" || docker
    # login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"`, then pushes; later the config is
    # replaced by `cp "$REGISTRY_AUTH_FILE" ~/.docker/config.json` before pushes to Quay
    ci = _ci(
        '\n    - mkdir -p $HOME/.docker\n    - cat "$DOCKER_AUTH_CONFIG" > "$HOME/.docker/config.json"'
        '\n    - echo | docker login "$CI_REGISTRY" || docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"'
        "\n    - docker push $CI_REGISTRY_IMAGE/app:1\n"
    )
    assert set(routes(pipeline(tmp_path / "own", ci), "publish")) == {
        "gitlab-registry:job_token",
        "gitlab-registry:secret:DOCKER_AUTH_CONFIG",
    }
    quay = _ci('\n    - cp "$REGISTRY_AUTH_FILE" ~/.docker/config.json\n    - docker push quay.io/acme/app:1\n')
    assert routes(pipeline(tmp_path / "quay", quay), "publish") == ("quay:secret:REGISTRY_AUTH_FILE",)


def test_a_just_recipes_arguments_are_not_recipes_and_a_create_release_script_is_a_gitlab_release(
    tmp_path: Path,
) -> None:
    # signstar: `just install-alpm-package-set publish`; SANE: `./tools/create-release.sh`
    assert (
        publishes(pipeline(tmp_path / "just", _ci("\n    - just install-alpm-package-set publish\n")), "publish") == ()
    )
    inv = pipeline(tmp_path / "rel", _ci("\n    - ./tools/create-release.sh\n"))
    assert publishes(inv, "publish") == ("gitlab-releases",)


def test_werf_exports_the_images_to_its_tags(tmp_path: Path) -> None:
    # Polemarch: `werf cr login -u $U -p $P index.docker.io`, `werf export --repo=… --tag=index.docker.io/…`
    ci = _ci(
        "\n    - werf cr login -u $POLEMARCH_DOCKER_USER -p $POLEMARCH_DOCKER_PASSWORD index.docker.io"
        "\n    - werf export --repo=$WERF_REPO/storage --tag=index.docker.io/acme/app:1\n"
    )
    assert routes(pipeline(tmp_path, ci), "publish") == ("dockerhub:secret:POLEMARCH_DOCKER_PASSWORD",)


# -- held-out round 23 ---------------------------------------------------------------------------------------


def test_an_upload_to_any_gitlabs_package_api_is_to_its_package_registry(tmp_path: Path) -> None:
    # NOMAD: `twine upload -u gitlab-ci-token -p ${CI_JOB_TOKEN} --repository-url https://gitlab.mpcdf.mpg.de/api/v4/…`
    ci = _ci(
        "\n    - twine upload -u gitlab-ci-token -p ${CI_JOB_TOKEN}"
        " --repository-url https://gitlab.example.org/api/v4/projects/2187/packages/pypi dist/*\n"
    )
    assert routes(pipeline(tmp_path, ci), "publish") == ("gitlab-packages:job_token",)


def test_a_release_switch_naming_a_registry_turns_the_jobs_script_into_a_release_there(tmp_path: Path) -> None:
    # OpenTodoList's `aur_release`: `RELEASE_TO_AUR: 1` beside `ci/update-aur.sh` (the script pushes the PKGBUILD to the
    # AUR when the switch is on); switched off, or with no script of the repository, nothing is released
    job = "aur_release:\n  variables:\n    RELEASE_TO_AUR: {value}\n  script:\n    - {script}\n"
    on = pipeline(tmp_path / "on", job.format(value="1", script="ci/update-aur.sh"))
    assert publishes(on, "aur_release") == ("aur",)
    off = pipeline(tmp_path / "off", job.format(value="0", script="ci/update-aur.sh"))
    assert publishes(off, "aur_release") == ()
    inline = pipeline(tmp_path / "inline", job.format(value="1", script="echo done"))
    assert publishes(inline, "aur_release") == ()


def test_an_upload_script_named_for_github_makes_a_github_release(tmp_path: Path) -> None:
    # OpenTodoList's `github` job: `./ci/github-upload.py … $GITHUB_ACCESS_TOKEN ./uploads/*`
    job = "github:\n  script:\n    - ./ci/github-upload.py o r $CI_COMMIT_REF_NAME $GITHUB_ACCESS_TOKEN ./uploads/*\n"
    assert routes(pipeline(tmp_path, job), "github") == ("github-releases:secret:GITHUB_ACCESS_TOKEN",)


def test_a_registry_credential_read_from_a_cloud_secret_store_is_reached_through_the_cloud(tmp_path: Path) -> None:
    # DataDog's java-dogstatsd-client: the Sonatype password from AWS SSM Parameter Store, with the runner's AWS role
    job = (
        "release:\n  script:\n"
        "    - export SONATYPE_PASS=$(aws ssm get-parameter --region us-east-1 --name ci.x.sonatype_password"
        ' --with-decryption --query "Parameter.Value" --out text)\n'
        "    - mvn --settings ./settings.xml clean deploy\n"
    )
    assert routes(pipeline(tmp_path / "aws", job), "release") == ("maven-central:cloud:aws",)
    gcp = job.replace(
        "aws ssm get-parameter --region us-east-1 --name", "gcloud secrets versions access latest --secret"
    )
    assert routes(pipeline(tmp_path / "gcp", gcp), "release") == ("maven-central:cloud:gcp",)
    # a value of the pipeline's own, not a secret store's: no route but the unknown one
    plain = job.replace("$(aws ssm get-parameter", "$(cat /secrets/pass").replace("--region us-east-1 ", "")
    assert routes(pipeline(tmp_path / "plain", plain), "release") == ("maven-central:unknown",)


def test_round_28_gitlab_forms(tmp_path: Path) -> None:
    # dgad: `TWINE_PASSWORD: xxx` stands in for the project variable of that name, which takes precedence
    stand_in = "variables:\n  TWINE_PASSWORD: {value}\nrelease:\n  script:\n    - twine upload dist/*\n"
    assert routes(pipeline(tmp_path / "xxx", stand_in.format(value="xxx")), "release") == (
        "pypi:secret:TWINE_PASSWORD",
    )
    literal = pipeline(tmp_path / "literal", stand_in.format(value="$PYPI_TOKEN"))
    assert routes(literal, "release") == ("pypi:secret:PYPI_TOKEN",)
    # regex2json: the job's rules require the credential the release tool reads
    sync = (
        "sync:\n  script:\n    - /gitlab-release --no-create\n"
        "  rules:\n    - if: '$GITLAB_API_TOKEN && $CI_COMMIT_TAG'\n"
    )
    assert routes(pipeline(tmp_path / "sync", sync), "sync") == ("gitlab-releases:secret:GITLAB_API_TOKEN",)
    # CTA: the registry of CERN's GitLab instance by its name
    push = "images:\n  script:\n    - docker push gitlab-registry.cern.ch/cta/ctageneric:1\n"
    assert publishes(pipeline(tmp_path / "cern", push), "images") == ("gitlab-registry",)
    # melodium: a PowerShell assignment of a path ending in `release` runs nothing
    pwsh = 'test:\n  script:\n    - $Env:Path="$CI_PROJECT_DIR/target/release;$Env:Path"\n    - cd tests/\n'
    assert publishes(pipeline(tmp_path / "pwsh", pwsh), "test") == ()


def test_an_assignment_from_a_file_read_runs_no_script_named_for_it(tmp_path: Path) -> None:
    # Vidjil (round 30): `release_name=$(cat algo/release)` before an ssh deploy reads a file; it runs no `release`
    job = 'deploy:\n  script:\n    - release_name=$(cat algo/release)\n    - ssh $DEPLOY_SERVER "ln -sfT x-${release_name} next"\n'
    assert publishes(pipeline(tmp_path, job), "deploy") == ()


def test_a_part_of_an_image_name_a_command_computes_is_unknown(tmp_path: Path) -> None:
    # Vidjil's `deploy_docker`: ``TYPE=`echo $CI_COMMIT_REF_NAME | awk …` `` inside `vidjil/$TYPE:…`, pushed after a login
    # to a host only a CI/CD variable names: Docker Hub (the name has no host), with that login's credential
    ci = (
        "deploy_docker:\n  script:\n"
        "    - export TYPE=`echo $CI_COMMIT_REF_NAME | awk '{ gsub(/prod-/, \"\") }{ print $1 }'`\n"
        '    - export TAG="vidjil/$TYPE:$CI_COMMIT_SHORT_SHA"\n'
        '    - docker login -u "$CI_DOCKER_USER" -p "$CI_DOCKER_PASSWORD" $CI_DOCKER\n'
        "    - docker push $TAG\n"
    )
    inv = pipeline(tmp_path, ci)
    assert routes(inv, "deploy_docker") == ("dockerhub:secret:CI_DOCKER_PASSWORD",)
    # the login's credential is the one the push used: not also held unused by a registry of its own
    assert job(inv, "deploy_docker")["holds_credentials"] == ()


def test_test_timings_uploaded_for_splitting_a_suite_publish_nothing(tmp_path: Path) -> None:
    # GitLab's Helm chart (round 30): the knapsack gem's `rake knapsack:upload[…]` sends test timings
    job = 'knapsack-report:\n  script:\n    - bundle exec rake "knapsack:upload[$QA_KNAPSACK_REPORT_FILE_PATTERN]"\n'
    assert publishes(pipeline(tmp_path, job), "knapsack-report") == ()


def test_a_koji_build_publishes_to_the_koji_instance_unless_scratch(tmp_path: Path) -> None:
    # CERN's EOS (round 30): a source RPM submitted to Koji with a keytab from the runner
    job = "koji:\n  script:\n    - kinit stci@CERN.CH -k -t /stci.krb5/stci.keytab\n    - koji build {flag}eos9al SRPMS/eos.src.rpm\n"
    assert routes(pipeline(tmp_path / "build", job.format(flag="")), "koji") == ("koji:unknown",)
    assert publishes(pipeline(tmp_path / "scratch", job.format(flag="--scratch ")), "koji") == ()


def test_a_publish_with_no_credential_named_uses_the_one_its_rules_require(tmp_path: Path) -> None:
    # Linaro's tuxpkg (round 31): `flit publish` under `if: $CI_COMMIT_TAG && $FLIT_USERNAME != null && $FLIT_PASSWORD !=
    # null`; OpenSavvy's ktmongo: a Gradle publish under `if: $OSSRH_USERNAME == null || $OSSRH_PASSWORD == null` (never)
    ci = "pypi:\n  rules:\n    - if: $CI_COMMIT_TAG && $FLIT_USERNAME != null && $FLIT_PASSWORD != null\n  script:\n    - flit publish\n"
    assert routes(pipeline(tmp_path / "flit", ci), "pypi") == ("pypi:secret:FLIT_PASSWORD",)
    bare = "pypi:\n  rules:\n    - if: $CI_COMMIT_TAG\n  script:\n    - flit publish\n"
    assert routes(pipeline(tmp_path / "bare", bare), "pypi") == ("pypi:unknown",)
    # a variable named for another registry is not this publish's credential
    other = ci.replace("$FLIT_USERNAME != null && $FLIT_PASSWORD != null", "$DOCKERHUB_TOKEN")
    assert routes(pipeline(tmp_path / "other", other), "pypi") == ("pypi:unknown",)
