"""The GitLab side of the demo estate: the group ``acme-corp`` on gitlab.com with its ``ml`` subgroup,
as the REST API v4 (``glab api``) returns it. Variable values are never stored: collection keeps a
keyed fingerprint (``value_fingerprint``), here derived from the name.

Stories (README.md, "Across providers"): ``acme-corp/ml/model-server``'s ``push-image`` job has an
ID token for Google Cloud (no stored key), runs images pinned by digest, and pushes to Artifact
Registry on protected refs; the production rollout that follows is not gated. ``feature-store``
still authenticates with a service-account key file in a CI/CD variable.
"""

from __future__ import annotations

from typing import Any

from scanner.demo_estate.common import Era, Files, digest, fill, image_digest, number
from scanner.demo_estate.gcp import LOCATION, POOL, PROJECT, PROJECT_NUMBER, PROVIDER
from scanner.demo_estate.owners import GITLAB_MEMBERS, gitlab_member

GROUP = "acme-corp"
WEB = "https://gitlab.com"
GROUP_ID = 71230455
SUBGROUP_ID = 71230511
AR_HOST = f"{LOCATION}-docker.pkg.dev"

PYTHON_IMAGE = image_digest("python:3.12-slim")
CLOUD_SDK_IMAGE = image_digest("gcr.io/google.com/cloudsdktool/google-cloud-cli:499.0.0-slim")
DOCKER_IMAGE = image_digest("docker:27.3.1")
DIND_IMAGE = image_digest("docker:27.3.1-dind")

MODEL_SERVER_CI = fill(
    """# Test, build and push the model server; every push to the registry is rolled out by Cloud Build.
stages: [test, build]

default:
  image: <<python>>

test:
  stage: test
  script:
    - pip install -r requirements.txt
    - pytest -q

push-image:
  stage: build
  image: <<docker>>
  services:
    - <<dind>>
  id_tokens:
    GCP_ID_TOKEN:
      aud: https://gitlab.com
  variables:
    WIF_PROVIDER: projects/<<number>>/locations/global/workloadIdentityPools/<<pool>>/providers/<<provider>>
    SERVICE_ACCOUNT: model-pusher@<<project>>.iam.gserviceaccount.com
  rules:
    - if: $CI_COMMIT_REF_PROTECTED == "true"
  script:
    - echo "$GCP_ID_TOKEN" > .ci_job_jwt_file
    - gcloud iam workload-identity-pools create-cred-config "$WIF_PROVIDER" --service-account="$SERVICE_ACCOUNT" --credential-source-file=.ci_job_jwt_file --output-file=.gcp_creds.json
    - gcloud auth login --cred-file=.gcp_creds.json
    - gcloud auth configure-docker <<host>> --quiet
    - docker build -t <<host>>/<<project>>/models/model-server:$CI_COMMIT_SHORT_SHA .
    - docker push <<host>>/<<project>>/models/model-server:$CI_COMMIT_SHORT_SHA
""",
    python=PYTHON_IMAGE,
    docker=DOCKER_IMAGE,
    dind=DIND_IMAGE,
    number=PROJECT_NUMBER,
    pool=POOL,
    provider=PROVIDER,
    project=PROJECT,
    host=AR_HOST,
)

FEATURE_STORE_CI = fill(
    """stages: [test, publish]

test:
  stage: test
  image: <<python>>
  script:
    - pip install -e ".[test]"
    - pytest -q

publish-features:
  stage: publish
  image: <<sdk>>
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - gcloud auth activate-service-account --key-file "$GCP_SA_KEY"
    - python -m feature_store.publish --project <<project>>
""",
    python=PYTHON_IMAGE,
    sdk=CLOUD_SDK_IMAGE,
    project=PROJECT,
)

LINT_CI = fill(
    """stages: [test]

lint:
  stage: test
  image: <<python>>
  script:
    - pip install ruff==0.7.4
    - ruff check .
""",
    python=PYTHON_IMAGE,
)

#: (path, name, description, created, CI file)
PROJECTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ml/model-server", "model-server", "Serves the production models", "2024-09-02T10:12:44.508Z", MODEL_SERVER_CI),
    ("ml/feature-store", "feature-store", "Feature definitions and their publication", "2024-09-16T08:40:11.227Z",
     FEATURE_STORE_CI),
    ("ml/notebooks", "notebooks", "Team notebooks (linted)", "2024-10-01T14:02:39.901Z", LINT_CI),
)  # fmt: skip


def _namespace(ml: bool) -> dict[str, Any]:
    gid, path, full = (SUBGROUP_ID, "ml", f"{GROUP}/ml") if ml else (GROUP_ID, GROUP, GROUP)
    return {
        "id": gid,
        "name": path,
        "path": path,
        "kind": "group",
        "full_path": full,
        "parent_id": GROUP_ID if ml else None,
        "avatar_url": None,
        "web_url": f"{WEB}/groups/{full}",
    }


def _project(path: str, name: str, description: str, created: str) -> dict[str, Any]:
    full = f"{GROUP}/{path}"
    pid = number(f"gitlab:project:{full}", 60_000_000, 66_000_000)
    return {
        "id": pid,
        "description": description,
        "name": name,
        "name_with_namespace": f"acme-corp / ml / {name}",
        "path": name,
        "path_with_namespace": full,
        "created_at": created,
        "default_branch": "main",
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": f"git@gitlab.com:{full}.git",
        "http_url_to_repo": f"{WEB}/{full}.git",
        "web_url": f"{WEB}/{full}",
        "readme_url": f"{WEB}/{full}/-/blob/main/README.md",
        "forks_count": 0,
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": "2026-11-15T10:58:31.604Z",
        "namespace": _namespace(True),
        "visibility": "private",
        "archived": False,
        "empty_repo": False,
    }


def _fp(seed: str) -> str:
    """A value fingerprint as collection writes it (``hmac-sha256:`` + 32 hex), made up from a name."""
    return "hmac-sha256:" + digest(f"gitlab-variable:{seed}")[:32]


def files(era: Era) -> Files:
    """Every ``gitlab/`` file of the estate (the same in both collections)."""
    del era  # nothing changed in GitLab between the two collections
    g = f"gitlab/groups/{GROUP}"
    out: Files = {
        f"{g}.json": {
            "id": GROUP_ID,
            "web_url": f"{WEB}/groups/{GROUP}",
            "name": "Acme Corp",
            "path": GROUP,
            "description": "Acme Corp ML and data projects (fictional organisation used by the regwarden demo)",
            "visibility": "private",
            "full_name": "Acme Corp",
            "full_path": GROUP,
            "created_at": "2024-08-26T09:00:12.331Z",
            "parent_id": None,
            "shared_runners_setting": "enabled",
            "project_creation_level": "maintainer",
            "require_two_factor_authentication": True,
            "default_branch_protection": 2,
        },
        f"{g}/descendant_groups.json": [
            {
                "id": SUBGROUP_ID,
                "web_url": f"{WEB}/groups/{GROUP}/ml",
                "name": "ml",
                "path": "ml",
                "description": "Machine learning platform",
                "visibility": "private",
                "full_name": "Acme Corp / ml",
                "full_path": f"{GROUP}/ml",
                "created_at": "2024-08-26T09:04:51.902Z",
                "parent_id": GROUP_ID,
            }
        ],
        f"{g}/projects.json": [_project(p, n, d, c) for p, n, d, c, _ in PROJECTS],
        f"{g}/variables.json": [],
        f"{g}/deploy_tokens.json": [],
        f"{g}/access_tokens.json": [],
        f"{g}/members.json": _members(""),
    }
    for path, _, _, _, ci in PROJECTS:
        base = f"gitlab/projects/{GROUP}/{path}"
        out[f"{base}/repository/files/.gitlab-ci.yml"] = ci
        out[f"{base}/variables.json"] = _variables(path)
        out[f"{base}/deploy_tokens.json"] = []
        out[f"{base}/access_tokens.json"] = []
        out[f"{base}/protected_environments.json"] = _protected(path)
        out[f"{base}/members.json"] = _members(path)
    return out


def _members(path: str) -> list[dict[str, Any]]:
    """The direct members of the top group ("") or of a project (owners.py: who owns what it holds)."""
    return [gitlab_member(u, n, level, uid, WEB) for u, n, level, uid in GITLAB_MEMBERS.get(path, ())]


def _variables(path: str) -> list[dict[str, Any]]:
    if path != "ml/feature-store":
        return []
    return [
        {
            "variable_type": "file",
            "key": "GCP_SA_KEY",
            "value_fingerprint": _fp(f"{path}/GCP_SA_KEY"),
            "protected": True,
            "masked": False,
            "hidden": False,
            "raw": True,
            "environment_scope": "*",
            "description": "legacy-ci key file",
        }
    ]


def _protected(path: str) -> list[dict[str, Any]]:
    if path != "ml/feature-store":
        return []
    return [
        {
            "id": number(f"gitlab:env:{path}", 1_000_000, 9_000_000),
            "name": "production",
            "deploy_access_levels": [
                {
                    "id": 51234,
                    "access_level": 40,
                    "access_level_description": "Maintainers",
                    "group_inheritance_type": 0,
                }
            ],
            "required_approval_count": 1,
            "approval_rules": [],
        }
    ]
