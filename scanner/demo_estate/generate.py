"""Generate the demo estate bundle for the fictional organisation "acme-corp": the GitHub and PyPI
files here, the other providers' from the modules beside it (aws, azure, gcp, gitlab, registries,
terraform).

Run ``python -m scanner.demo_estate.generate [--previous] [OUT_DIR]``; the default writes
``scanner/demo_estate/bundle`` (the current collection); ``--previous`` writes the collection of a week
earlier, which ``regwarden demo`` records first. The output is deterministic: fixed dates, ids and
digests derived from names with SHA-256 / SHA-1, JSON written with sorted keys. Nothing in it is a
credential: secrets are names and dates; pinned action SHAs, file digests, certificates and signatures
are derived from names and are not real.

Every file is named after the API path that returns it (docs/design.md, "Data flow"; docs/bundle.md)
and holds what that endpoint returns, with all pages merged into one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scanner.demo_estate import aws, azure, gcp, gitlab, registries, runs, terraform
from scanner.demo_estate import owners as demo_owners
from scanner.demo_estate.cloud_workflows import ON_MAIN, ON_TAGS, acr_push, ci_go, dockerhub_push, ecr_push, npm_release
from scanner.demo_estate.common import COLLECTED, ORG, Era, Files, pinned, tagged
from scanner.demo_estate.common import digest as _digest
from scanner.demo_estate.common import fill as _fill
from scanner.demo_estate.common import number as _number

ORG_ID = 118902446
API = "https://api.github.com"
WEB = "https://github.com"
PYPI = "https://pypi.org"
FILES = "https://files.pythonhosted.org/packages"
DEFAULT_OUT = Path(__file__).resolve().parent / "bundle"

Json = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Deterministic identifiers and digests
# --------------------------------------------------------------------------------------------


def _msgpack_ints(values: tuple[int, ...]) -> bytes:
    """The msgpack encoding of an array of non-negative ints (what GitHub's new node ids wrap)."""
    out = bytearray([0x90 | len(values)])
    for v in values:
        if v < 0x80:
            out.append(v)
        elif v < 0x100:
            out += bytes([0xCC, v])
        elif v < 0x10000:
            out += b"\xcd" + v.to_bytes(2, "big")
        elif v < 0x100000000:
            out += b"\xce" + v.to_bytes(4, "big")
        else:
            out += b"\xcf" + v.to_bytes(8, "big")
    return bytes(out)


def _node_id(prefix: str, *ids: int) -> str:
    """A GitHub global node id in the current format, e.g. ``R_kgDOHxyz12``."""
    raw = base64.urlsafe_b64encode(_msgpack_ints((0, *ids))).decode("ascii").rstrip("=")
    return f"{prefix}_{raw}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


# --------------------------------------------------------------------------------------------
# The estate, as data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    name: str
    created_at: str
    updated_at: str = ""

    @property
    def updated(self) -> str:
        return self.updated_at or self.created_at


@dataclass(frozen=True)
class Env:
    name: str
    created_at: str
    reviewers: tuple[tuple[str, str], ...] = ()  # ("User", login) | ("Team", slug)
    prevent_self_review: bool = False
    wait_timer: int = 0
    branch_policy: str | None = None  # None | "protected" | "custom"
    secrets: tuple[Secret, ...] = ()


@dataclass(frozen=True)
class Release:
    version: str
    uploaded: str  # ISO 8601 with microseconds and Z
    attested: bool


@dataclass(frozen=True)
class Project:
    name: str
    summary: str
    releases: tuple[Release, ...]
    roles: tuple[tuple[str, str], ...]  # (role, username), as package_roles returns them
    requires_dist: tuple[str, ...] = ()
    requires_python: str = ">=3.9"
    keywords: str = ""


@dataclass(frozen=True)
class Repo:
    name: str
    description: str
    language: str | None
    created_at: str
    pushed_at: str
    private: bool = False
    archived: bool = False
    topics: tuple[str, ...] = ()
    license: str | None = "apache-2.0"
    is_template: bool = False
    homepage: str | None = None
    workflow_write: bool = False
    secrets: tuple[Secret, ...] = ()
    environments: tuple[Env, ...] = ()
    workflows: tuple[tuple[str, str], ...] = ()  # (file name, YAML text)
    project: Project | None = None


USERS: dict[str, tuple[int, str]] = {
    "jdoe": (10234871, "Jane Doe"),
    "mkowalski": (22918340, "Marta Kowalski"),
    "asmith": (31457002, "Alex Smith"),
    "rpatel": (40981276, "Ravi Patel"),
    "lnguyen": (52870113, "Linh Nguyen"),
    "tbrown": (61349905, "Tom Brown"),
}

TEAMS: dict[str, tuple[int, str, str]] = {
    "release-managers": (9120443, "Release managers", "Approve package releases to PyPI"),
    "platform-leads": (9120587, "Platform leads", "Approve production deploys of platform services"),
    **demo_owners.OWNING_TEAMS,
}

LICENSES: dict[str, tuple[str, str, str]] = {
    "apache-2.0": ("Apache License 2.0", "Apache-2.0", "MDc6TGljZW5zZTI="),
    "mit": ("MIT License", "MIT", "MDc6TGljZW5zZTEz"),
}


# ---- workflow texts ------------------------------------------------------------------------


def ci_python(*, pin: bool, codecov: bool = False, pythons: tuple[str, ...] = ("3.10", "3.11", "3.12")) -> str:
    use = pinned if pin else tagged
    matrix = ", ".join(f'"{p}"' for p in pythons)
    coverage = ""
    if codecov:
        coverage = _fill(
            """
      - name: Upload coverage
        uses: <<codecov>>
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
          files: coverage.xml
""",
            codecov=use("codecov/codecov-action"),
        )
    return (
        _fill(
            """name: CI

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        python-version: [<<matrix>>]
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: ${{ matrix.python-version }}
          cache: pip
      - name: Install
        run: python -m pip install -e ".[test]"
      - name: Test
        run: pytest -q --cov --cov-report=xml
<<coverage>>""",
            matrix=matrix,
            checkout=use("actions/checkout"),
            setup_python=use("actions/setup-python"),
            coverage=coverage,
        ).rstrip("\n")
        + "\n"
    )


def ci_node(*, pin: bool, codecov: bool = False) -> str:
    use = pinned if pin else tagged
    coverage = ""
    if codecov:
        coverage = _fill(
            """      - uses: <<codecov>>
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
""",
            codecov=use("codecov/codecov-action"),
        )
    return (
        _fill(
            """name: CI

on: [push, pull_request]

permissions:
  contents: read

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_node>>
        with:
          node-version: 20
          cache: npm
      - run: npm ci
      - run: npm run lint
      - run: npm test -- --coverage
<<coverage>>""",
            checkout=use("actions/checkout"),
            setup_node=use("actions/setup-node"),
            coverage=coverage,
        ).rstrip("\n")
        + "\n"
    )


def release_trusted(project: str, *, env_mapping: bool = False) -> str:
    """The PyPA-recommended release: build in one job, publish with Trusted Publishing in another."""
    env = f"\n      name: pypi\n      url: {PYPI}/p/{project}" if env_mapping else " pypi"
    return _fill(
        """name: Release

on:
  release:
    types: [published]

permissions:
  contents: read

jobs:
  build:
    name: Build distributions
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - uses: <<setup_python>>
        with:
          python-version: "3.12"
      - name: Build sdist and wheel
        run: |
          python -m pip install build==1.2.2
          python -m build
      - uses: <<upload>>
        with:
          name: dist
          path: dist/

  publish:
    name: Publish to PyPI
    needs: build
    runs-on: ubuntu-latest
    environment:<<env>>
    permissions:
      id-token: write  # Trusted Publishing: PyPI mints a short-lived upload token from the OIDC token
    steps:
      - uses: <<download>>
        with:
          name: dist
          path: dist/
      - name: Publish (Trusted Publishing, with attestations)
        uses: <<publish>>
""",
        env=env,
        checkout=pinned("actions/checkout"),
        setup_python=pinned("actions/setup-python"),
        upload=pinned("actions/upload-artifact"),
        download=pinned("actions/download-artifact"),
        publish=pinned("pypa/gh-action-pypi-publish"),
    )


LLM_GATEWAY_CI_RELEASE = """\
# Build, scan and publish acme-llm-gateway.
# Runs for every version tag; can also be started by hand for hotfix releases.
name: CI release

on:
  push:
    tags:
      - "v*"
  workflow_dispatch:

jobs:
  scan-and-publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4

      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"

      - name: Vulnerability scan
        uses: aquasecurity/trivy-action@master
        with:
          scan-type: fs
          scan-ref: .
          severity: CRITICAL,HIGH
          exit-code: "1"

      - name: Build sdist and wheel
        run: |
          python -m pip install --upgrade build
          python -m build

      - name: Publish to PyPI
        uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
"""


def vision_kit_manual_publish() -> str:
    return _fill(
        """# Escape hatch for when the release workflow is stuck: publish a tag by hand.
name: Manual publish

on:
  workflow_dispatch:
    inputs:
      tag:
        description: "Tag to build and publish (e.g. v0.10.0)"
        required: true

jobs:
  manual-publish:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
        with:
          ref: ${{ inputs.tag }}
      - uses: <<setup_python>>
        with:
          python-version: "3.12"
      - name: Build
        run: |
          python -m pip install build==1.2.2
          python -m build
      - name: Publish with the project token
        uses: <<publish>>
        with:
          password: ${{ secrets.PYPI_TOKEN }}
""",
        checkout=pinned("actions/checkout"),
        setup_python=pinned("actions/setup-python"),
        publish=pinned("pypa/gh-action-pypi-publish"),
    )


def token_publish(secret: str, *, workflow_name: str = "Publish") -> str:
    """A pinned publish job that uploads with a stored PyPI token and no environment."""
    return _fill(
        """name: <<name>>

on:
  release:
    types: [published]

permissions:
  contents: read

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: "3.11"
      - name: Build
        run: |
          python -m pip install build==1.2.2
          python -m build
      - name: Upload to PyPI
        uses: <<publish>>
        with:
          password: ${{ secrets.<<secret>> }}
""",
        name=workflow_name,
        secret=secret,
        checkout=pinned("actions/checkout"),
        setup_python=pinned("actions/setup-python"),
        publish=pinned("pypa/gh-action-pypi-publish"),
    )


DOCS_PREVIEW = """\
# Publish a preview of the docs for every pull request, including ones from forks,
# so reviewers can click through the rendered site.
name: PR preview

on:
  pull_request_target:
    types: [opened, synchronize, reopened]

permissions:
  contents: read
  pull-requests: write

jobs:
  deploy-preview:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}

      - uses: actions/setup-node@v4
        with:
          node-version: 20

      - name: Build the site from the pull request
        run: |
          npm ci
          npm run build

      - name: Push preview
        uses: peaceiris/actions-gh-pages@v3
        with:
          personal_token: ${{ secrets.DEPLOY_TOKEN }}
          external_repository: acme-corp/docs-previews
          publish_dir: ./build
          destination_dir: pr-${{ github.event.pull_request.number }}
"""


def docs_publish() -> str:
    return _fill(
        """name: Publish docs

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_node>>
        with:
          node-version: 20
          cache: npm
      - run: npm ci
      - run: npm run build
      - uses: <<upload_pages>>
        with:
          path: ./build

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: <<deploy_pages>>
""",
        checkout=pinned("actions/checkout"),
        setup_node=pinned("actions/setup-node"),
        upload_pages=pinned("actions/upload-pages-artifact"),
        deploy_pages=pinned("actions/deploy-pages"),
    )


def platform_deploy() -> str:
    return _fill(
        """name: Deploy

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: "3.12"
      # The service depends on our own PyPI packages; they are pulled from PyPI here and in the image.
      - name: Install dependencies
        run: python -m pip install -r requirements.txt "acme-llm-gateway>=2.4" "acme-auth-client>=1.3"
      - run: pytest -q

  deploy-staging:
    needs: test
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: <<checkout>>
      - uses: <<setup_kubectl>>
      - uses: <<k8s_context>>
        with:
          method: kubeconfig
          kubeconfig: ${{ secrets.STAGING_KUBECONFIG }}
      - run: kubectl apply -k deploy/overlays/staging

  deploy-production:
    needs: deploy-staging
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://api.acme-corp.example
    steps:
      - uses: <<checkout>>
      - uses: <<setup_kubectl>>
      - uses: <<k8s_context>>
        with:
          method: kubeconfig
          kubeconfig: ${{ secrets.PRODUCTION_KUBECONFIG }}
      - run: kubectl apply -k deploy/overlays/production
""",
        checkout=pinned("actions/checkout"),
        setup_python=pinned("actions/setup-python"),
        setup_kubectl=pinned("azure/setup-kubectl"),
        k8s_context=pinned("azure/k8s-set-context"),
    )


def cli_tools_release() -> str:
    return _fill(
        """name: Release binaries

on:
  push:
    tags: ["v*"]

permissions:
  contents: write

jobs:
  binaries:
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest, windows-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: "3.12"
      - run: python -m pip install . pyinstaller==6.11.1
      - run: pyinstaller --onefile --name acme src/acme_cli/__main__.py
      - uses: <<gh_release>>
        with:
          files: dist/*
""",
        checkout=pinned("actions/checkout"),
        setup_python=pinned("actions/setup-python"),
        gh_release=pinned("softprops/action-gh-release"),
    )


TERRAFORM_CI = _fill(
    """name: Terraform

on:
  pull_request:
    paths: ["**.tf", ".github/workflows/terraform.yml"]

permissions:
  contents: read

jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_terraform>>
        with:
          terraform_version: 1.9.8
      - run: terraform fmt -check -recursive
      - run: terraform init -backend=false
      - run: terraform validate
""",
    checkout=tagged("actions/checkout"),
    setup_terraform=tagged("hashicorp/setup-terraform"),
)

MONOLITH_CI = """\
name: CI

on:
  push:
    branches: [master]
  pull_request:

jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:15
        env:
          POSTGRES_PASSWORD: postgres
        ports: ["5432:5432"]
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.9"
      - run: pip install -r requirements/test.txt
      - run: python manage.py test
        env:
          DATABASE_URL: postgres://postgres:postgres@localhost:5432/postgres
      - name: SonarQube scan
        uses: SonarSource/sonarqube-scan-action@v4
        env:
          SONAR_TOKEN: ${{ secrets.SONAR_TOKEN }}
"""

LEGACY_BILLING_CI = """\
name: build

on: [push]

jobs:
  build:
    runs-on: ubuntu-20.04
    steps:
      - uses: actions/checkout@v2
      - uses: actions/setup-java@v3
        with:
          java-version: "11"
          distribution: temurin
      - run: ./gradlew build
"""

OPS_NIGHTLY = """\
# Nightly housekeeping: prune old artifacts and report disk usage to #ops.
name: Nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

jobs:
  housekeeping:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/prune-artifacts.sh
        env:
          GH_TOKEN: ${{ github.token }}
      - name: Notify
        uses: slackapi/slack-github-action@v1.27.0
        with:
          payload: '{"text": "nightly housekeeping finished"}'
        env:
          SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}
          SLACK_WEBHOOK_TYPE: INCOMING_WEBHOOK
"""

NOTEBOOKS_CI = _fill(
    """name: Notebooks

on:
  pull_request:
    paths: ["notebooks/**"]

permissions:
  contents: read

jobs:
  execute:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: "3.11"
      - run: pip install -r requirements.txt nbval
      - run: pytest --nbval-lax notebooks/
""",
    checkout=tagged("actions/checkout"),
    setup_python=tagged("actions/setup-python"),
)

BENCHMARKS = _fill(
    """name: Benchmarks

on:
  schedule:
    - cron: "0 5 * * 1"
  workflow_dispatch:

permissions:
  contents: read

jobs:
  bench:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
      - uses: <<setup_python>>
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt
      - run: python -m pytest benchmarks/ --benchmark-json=bench.json
      - uses: <<upload>>
        with:
          name: benchmarks
          path: bench.json
""",
    checkout=pinned("actions/checkout"),
    setup_python=pinned("actions/setup-python"),
    upload=pinned("actions/upload-artifact"),
)

LOAD_TESTS = """\
name: Smoke load test

on:
  workflow_dispatch:
    inputs:
      target:
        description: "Base URL to test"
        default: "https://staging.acme-corp.example"

jobs:
  locust:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install locust==2.32.2
      - run: locust -f locustfile.py --headless -u 20 -r 5 -t 2m --host "$TARGET"
        env:
          TARGET: ${{ inputs.target }}
"""


# ---- PyPI projects -------------------------------------------------------------------------


def _rel(version: str, uploaded: str, attested: bool = True) -> Release:
    return Release(version, uploaded, attested)


TP_OWNERS = (("Owner", "mkowalski"), ("Maintainer", "asmith"))

PROJECTS: dict[str, Project] = {
    "http-client": Project(
        "acme-http-client",
        "HTTP client with retries, timeouts and tracing wired in",
        (
            _rel("1.4.0", "2025-02-11T14:02:31.418207Z"),
            _rel("1.5.0", "2025-09-03T09:47:12.903311Z"),
            _rel("1.5.1", "2026-06-17T16:20:45.117402Z"),
        ),
        TP_OWNERS,
        ("httpx>=0.27", "acme-retry-policy>=2.0"),
        keywords="http, client",
    ),
    "config-loader": Project(
        "acme-config-loader",
        "Layered configuration from files, environment and secret stores",
        (
            _rel("0.8.0", "2025-01-20T10:11:09.550127Z"),
            _rel("0.9.0", "2026-03-04T13:36:58.020944Z"),
        ),
        (("Owner", "asmith"), ("Maintainer", "tbrown")),
        ("pydantic>=2.7", "pyyaml>=6.0"),
    ),
    "retry-policy": Project(
        "acme-retry-policy",
        "Declarative retry and backoff policies",
        (
            _rel("2.0.0", "2024-12-02T08:55:40.331876Z"),
            _rel("2.1.0", "2025-07-15T12:04:27.764119Z"),
            _rel("2.1.1", "2026-08-26T15:41:03.285540Z"),
        ),
        TP_OWNERS,
    ),
    "schema-registry-client": Project(
        "acme-schema-registry-client",
        "Client for the Acme event schema registry",
        (
            _rel("3.2.0", "2025-05-06T11:29:14.672093Z"),
            _rel("3.3.0", "2026-02-10T09:18:52.140388Z"),
            _rel("3.3.1", "2026-10-01T14:07:36.905127Z"),
        ),
        (("Owner", "rpatel"), ("Maintainer", "mkowalski")),
        ("acme-http-client>=1.4", "fastavro>=1.9"),
    ),
    "metrics-sdk": Project(
        "acme-metrics-sdk",
        "Metrics instrumentation helpers for Acme services",
        (
            _rel("1.0.0", "2025-03-18T17:22:05.493716Z"),
            _rel("1.1.0", "2026-05-21T10:50:33.078254Z"),
        ),
        (("Owner", "tbrown"), ("Maintainer", "rpatel")),
        ("prometheus-client>=0.20",),
    ),
    "auth-client": Project(
        "acme-auth-client",
        "OAuth2 / OIDC client for Acme internal services",
        (
            _rel("1.2.0", "2025-04-08T13:13:48.226405Z"),
            _rel("1.3.0", "2026-01-13T09:31:19.681930Z"),
            _rel("1.3.1", "2026-09-09T11:58:02.347761Z"),
        ),
        (("Owner", "asmith"), ("Owner", "mkowalski")),
        ("acme-http-client>=1.4", "pyjwt>=2.8"),
    ),
    "feature-flags": Project(
        "acme-feature-flags",
        "Feature flag evaluation with local caching",
        (
            _rel("0.5.0", "2025-06-02T15:44:21.902577Z"),
            _rel("0.6.0", "2026-04-28T08:27:55.613084Z"),
        ),
        (("Owner", "lnguyen"), ("Maintainer", "tbrown")),
    ),
    "tracing-utils": Project(
        "acme-tracing-utils",
        "OpenTelemetry conventions and helpers used across Acme",
        (
            _rel("0.3.0", "2025-08-19T12:35:10.208861Z"),
            _rel("0.4.0", "2026-07-07T14:59:44.771399Z"),
        ),
        (("Owner", "rpatel"), ("Maintainer", "lnguyen")),
        ("opentelemetry-api>=1.27",),
    ),
    "llm-gateway": Project(
        "acme-llm-gateway",
        "One API in front of every LLM provider, with routing, budgets and logging",
        (
            _rel("2.3.0", "2025-11-04T10:06:51.337420Z", attested=False),
            _rel("2.4.0", "2026-06-09T13:42:17.902615Z", attested=False),
            _rel("2.4.1", "2026-10-27T08:15:33.460198Z", attested=False),
        ),
        (("Owner", "acme-release-bot"), ("Maintainer", "jdoe")),
        ("httpx>=0.27", "pydantic>=2.7", "tiktoken>=0.7"),
        requires_python=">=3.10",
        keywords="llm, gateway, proxy",
    ),
    "vision-kit": Project(
        "acme-vision-kit",
        "Image pre-processing and model serving utilities",
        (
            _rel("0.9.0", "2025-03-25T09:12:40.185532Z"),
            _rel("0.9.1", "2025-10-14T16:03:27.649018Z"),
            _rel("0.10.0", "2026-09-18T21:47:09.012344Z", attested=False),
        ),
        (("Owner", "lnguyen"), ("Maintainer", "tbrown")),
        ("numpy>=1.26", "pillow>=10.4"),
    ),
    "data-connectors": Project(
        "acme-data-connectors",
        "Connectors from Acme data sources to the warehouse",
        (
            _rel("1.7.0", "2025-04-22T10:40:02.551836Z", attested=False),
            _rel("1.8.0", "2026-03-31T12:19:48.026173Z", attested=False),
            _rel("1.8.1", "2026-08-12T09:05:16.728890Z", attested=False),
        ),
        (("Owner", "acme-data-bot"), ("Owner", "rpatel")),
        ("sqlalchemy>=2.0", "pyarrow>=16"),
    ),
    "etl-helpers": Project(
        "acme-etl-helpers",
        "Small helpers for batch ETL jobs",
        (
            _rel("0.12.0", "2025-09-30T14:48:37.603925Z", attested=False),
            _rel("0.13.0", "2026-05-05T11:22:59.381457Z", attested=False),
        ),
        (("Owner", "acme-data-bot"), ("Maintainer", "rpatel")),
        ("acme-data-connectors>=1.7",),
    ),
}


# ---- repositories --------------------------------------------------------------------------

PYPI_ENV_REVIEWERS: tuple[tuple[str, str], ...] = (("Team", "release-managers"),)


def _pypi_env(created: str, *, custom_tags: bool = True) -> Env:
    return Env(
        "pypi",
        created,
        reviewers=PYPI_ENV_REVIEWERS,
        prevent_self_review=True,
        branch_policy="custom" if custom_tags else None,
    )


def _library(
    name: str,
    description: str,
    created: str,
    pushed: str,
    *,
    env_created: str,
    codecov: bool = False,
    env_mapping: bool = False,
    topics: tuple[str, ...] = ("python", "library"),
) -> Repo:
    project = PROJECTS[name]
    return Repo(
        name,
        description,
        "Python",
        created,
        pushed,
        topics=topics,
        secrets=(Secret("CODECOV_TOKEN", created),) if codecov else (),
        environments=(_pypi_env(env_created, custom_tags=not env_mapping),),
        workflows=(
            ("ci.yml", ci_python(pin=True, codecov=codecov)),
            ("release.yml", release_trusted(project.name, env_mapping=env_mapping)),
        ),
        project=project,
    )


REPOS: tuple[Repo, ...] = (
    # -- Well-configured libraries: Trusted Publishing from a protected "pypi" environment --------
    _library(
        "http-client",
        "HTTP client with retries, timeouts and tracing wired in",
        "2023-02-06T10:14:22Z",
        "2026-11-12T09:31:07Z",
        env_created="2024-11-19T13:05:41Z",
        codecov=True,
    ),
    _library(
        "config-loader",
        "Layered configuration from files, environment and secret stores",
        "2023-03-14T08:40:05Z",
        "2026-10-28T15:02:44Z",
        env_created="2024-11-21T10:22:18Z",
        env_mapping=True,
    ),
    _library(
        "retry-policy",
        "Declarative retry and backoff policies",
        "2023-01-17T12:03:51Z",
        "2026-09-02T11:47:29Z",
        env_created="2024-11-19T13:12:09Z",
        codecov=True,
    ),
    _library(
        "schema-registry-client",
        "Client for the Acme event schema registry",
        "2023-05-22T09:58:33Z",
        "2026-11-03T17:20:12Z",
        env_created="2024-12-04T08:49:30Z",
    ),
    _library(
        "metrics-sdk",
        "Metrics instrumentation helpers for Acme services",
        "2023-08-01T14:26:47Z",
        "2026-08-19T10:05:55Z",
        env_created="2025-01-08T16:31:02Z",
        codecov=True,
    ),
    _library(
        "auth-client",
        "OAuth2 / OIDC client for Acme internal services",
        "2023-04-10T11:11:11Z",
        "2026-11-14T08:12:36Z",
        env_created="2024-11-25T09:40:57Z",
        env_mapping=True,
    ),
    _library(
        "feature-flags",
        "Feature flag evaluation with local caching",
        "2024-02-19T15:37:20Z",
        "2026-06-30T13:28:41Z",
        env_created="2025-02-03T11:15:44Z",
    ),
    _library(
        "tracing-utils",
        "OpenTelemetry conventions and helpers used across Acme",
        "2024-06-11T10:02:14Z",
        "2026-10-09T12:44:18Z",
        env_created="2025-05-27T14:58:26Z",
    ),
    # -- Story 1: the LiteLLM-style chain -------------------------------------------------------
    Repo(
        "llm-gateway",
        "One API in front of every LLM provider, with routing, budgets and logging",
        "Python",
        "2023-11-28T16:45:03Z",
        "2026-11-18T19:02:51Z",
        topics=("llm", "gateway", "python"),
        secrets=(Secret("PYPI_API_TOKEN", "2024-03-02T10:21:44Z"),),
        workflows=(
            ("ci.yml", ci_python(pin=False, pythons=("3.10", "3.11", "3.12"))),
            ("ci-release.yml", LLM_GATEWAY_CI_RELEASE),
        ),
        project=PROJECTS["llm-gateway"],
    ),
    # -- Story 3: Trusted Publishing, plus a token side door (Ultralytics-like) -----------------
    Repo(
        "vision-kit",
        "Image pre-processing and model serving utilities",
        "Python",
        "2023-06-05T13:20:09Z",
        "2026-09-18T21:40:12Z",
        topics=("computer-vision", "python"),
        secrets=(Secret("PYPI_TOKEN", "2023-06-20T09:02:37Z", "2024-12-09T18:44:15Z"),),
        environments=(Env("pypi", "2024-11-26T10:17:33Z", reviewers=(("User", "lnguyen"),), prevent_self_review=True),),
        workflows=(
            ("ci.yml", ci_python(pin=True)),
            ("release.yml", release_trusted("acme-vision-kit")),
            ("manual-publish.yml", vision_kit_manual_publish()),
        ),
        project=PROJECTS["vision-kit"],
    ),
    # -- Story 5: one org token shared by several publish jobs ---------------------------------
    Repo(
        "data-connectors",
        "Connectors from Acme data sources to the warehouse",
        "Python",
        "2023-03-29T09:33:45Z",
        "2026-08-12T09:01:02Z",
        topics=("data", "etl", "python"),
        workflows=(("ci.yml", ci_python(pin=True)), ("publish.yml", token_publish("PYPI_ORG_TOKEN"))),
        project=PROJECTS["data-connectors"],
    ),
    Repo(
        "etl-helpers",
        "Small helpers for batch ETL jobs",
        "Python",
        "2023-09-12T11:50:26Z",
        "2026-05-05T11:18:40Z",
        topics=("data", "etl", "python"),
        workflows=(
            ("ci.yml", ci_python(pin=True, pythons=("3.11", "3.12"))),
            ("release.yml", token_publish("PYPI_ORG_TOKEN", workflow_name="Release")),
        ),
        project=PROJECTS["etl-helpers"],
    ),
    Repo(
        "cli-tools",
        "The `acme` command-line tool for developers",
        "Python",
        "2023-10-02T08:27:14Z",
        "2026-10-21T16:33:58Z",
        topics=("cli", "python"),
        workflows=(("ci.yml", ci_python(pin=True)), ("release.yml", cli_tools_release())),
    ),
    # -- Story 4: pull_request_target running fork code with a secret --------------------------
    Repo(
        "docs-site",
        "developer.acme-corp.example — public developer documentation",
        "MDX",
        "2023-01-30T15:05:38Z",
        "2026-11-19T12:10:27Z",
        topics=("docs",),
        homepage="https://developer.acme-corp.example",
        license="mit",
        secrets=(Secret("DEPLOY_TOKEN", "2024-08-11T14:36:02Z"),),
        environments=(Env("github-pages", "2023-02-01T09:00:12Z", branch_policy="custom"),),
        workflows=(("docs.yml", docs_publish()), ("preview.yml", DOCS_PREVIEW)),
    ),
    # -- Story 7: a protected production deployment --------------------------------------------
    Repo(
        "platform-api",
        "Public API of the Acme platform",
        "Python",
        "2023-02-20T10:45:19Z",
        "2026-11-19T17:55:03Z",
        private=True,
        license=None,
        topics=("api", "service"),
        environments=(
            Env(
                "staging",
                "2023-03-06T11:20:40Z",
                secrets=(Secret("STAGING_KUBECONFIG", "2025-02-17T10:02:11Z"),),
            ),
            Env(
                "production",
                "2023-03-06T11:24:58Z",
                reviewers=(("Team", "platform-leads"), ("User", "jdoe")),
                prevent_self_review=True,
                wait_timer=10,
                branch_policy="protected",
                secrets=(Secret("PRODUCTION_KUBECONFIG", "2025-02-17T10:05:37Z"),),
            ),
        ),
        workflows=(("ci.yml", ci_python(pin=True, pythons=("3.12",))), ("deploy.yml", platform_deploy())),
    ),
    # -- Ordinary repositories: CI only ---------------------------------------------------------
    Repo(
        "web-frontend",
        "Customer web app",
        "TypeScript",
        "2023-01-09T09:30:00Z",
        "2026-11-19T20:14:36Z",
        private=True,
        license=None,
        secrets=(Secret("CODECOV_TOKEN", "2023-05-02T12:00:41Z"),),
        workflows=(("ci.yml", ci_node(pin=False, codecov=True)),),
    ),
    Repo(
        "design-system",
        "Acme UI components and design tokens",
        "TypeScript",
        "2023-04-03T13:48:12Z",
        "2026-10-30T10:09:51Z",
        license="mit",
        workflows=(("ci.yml", ci_node(pin=True)),),
    ),
    Repo(
        "infra-terraform",
        "Terraform for Acme cloud accounts",
        "HCL",
        "2023-01-12T08:05:27Z",
        "2026-11-17T14:40:09Z",
        private=True,
        license=None,
        workflows=(("terraform.yml", TERRAFORM_CI),),
    ),
    Repo(
        "data-pipelines",
        "Batch pipelines for the analytics warehouse",
        "Python",
        "2023-03-21T10:12:48Z",
        "2026-11-16T06:58:30Z",
        private=True,
        license=None,
        secrets=(Secret("CODECOV_TOKEN", "2023-07-18T15:27:09Z"),),
        workflows=(("ci.yml", ci_python(pin=False, codecov=True, pythons=("3.11",))),),
    ),
    Repo(
        "ml-notebooks",
        "Exploratory notebooks of the ML team",
        "Jupyter Notebook",
        "2023-07-24T14:22:03Z",
        "2026-09-25T11:36:17Z",
        private=True,
        license=None,
        workflows=(("notebooks.yml", NOTEBOOKS_CI),),
    ),
    Repo(
        "load-tests",
        "Locust scenarios for staging",
        "Python",
        "2024-01-15T09:09:48Z",
        "2026-07-02T13:52:41Z",
        private=True,
        license=None,
        workflows=(("smoke.yml", LOAD_TESTS),),
    ),
    Repo(
        "sdk-examples",
        "Runnable examples for the Acme Python SDKs",
        "Python",
        "2023-06-26T12:31:15Z",
        "2026-10-14T09:23:50Z",
        workflows=(("ci.yml", ci_python(pin=False)),),
    ),
    Repo(
        "service-template",
        "Cookiecutter-style template for new Python services",
        "Python",
        "2023-08-14T10:48:36Z",
        "2026-05-19T15:11:24Z",
        is_template=True,
        workflows=(("ci.yml", ci_python(pin=True, pythons=("3.12",))),),
    ),
    Repo(
        "internal-dashboard",
        "Ops dashboard for support staff",
        "TypeScript",
        "2023-11-06T16:03:59Z",
        "2026-11-06T10:27:45Z",
        private=True,
        license=None,
        workflows=(("ci.yml", ci_node(pin=False)),),
    ),
    Repo(
        "docs-previews",
        "Rendered pull-request previews of developer docs (written by docs-site CI)",
        "HTML",
        "2024-08-11T14:20:37Z",
        "2026-11-19T12:14:02Z",
        license=None,
        homepage="https://acme-corp.github.io/docs-previews/",
    ),
    Repo(
        "benchmark-suite",
        "Performance benchmarks of the Python libraries",
        "Python",
        "2024-04-08T11:34:21Z",
        "2026-11-17T05:12:44Z",
        workflows=(("benchmarks.yml", BENCHMARKS),),
    ),
    Repo(
        "status-page",
        "status.acme-corp.example",
        "TypeScript",
        "2024-09-30T09:45:10Z",
        "2026-08-27T16:19:32Z",
        license="mit",
        workflows=(("ci.yml", ci_node(pin=True)),),
    ),
    # -- Across providers: images to ECR / ACR / Docker Hub, a package to npm (README "Across providers")
    Repo(
        "payments-api",
        "Payments service (ECS), released through CodePipeline",
        "Go",
        "2024-10-14T09:12:40Z",
        "2026-11-18T15:40:22Z",
        private=True,
        license=None,
        topics=("service", "aws"),
        environments=(
            Env(
                "production",
                "2024-10-14T09:30:05Z",
                reviewers=(("Team", "platform-leads"),),
                prevent_self_review=True,
                branch_policy="protected",
            ),
        ),
        workflows=(
            ("ci.yml", ci_go()),
            ("release.yml", ecr_push("gha-payments-api-deploy", "payments-api", environment="production", on=ON_MAIN)),
        ),
    ),
    Repo(
        "billing-worker",
        "Invoice batch worker (ECS), deployed by CodePipeline on every new image",
        "Go",
        "2024-11-04T13:02:51Z",
        "2026-11-12T10:05:37Z",
        private=True,
        license=None,
        topics=("service", "aws"),
        workflows=(
            ("ci.yml", ci_go()),
            ("release.yml", ecr_push("gha-billing-worker-push", "billing-worker", environment=None, on=ON_TAGS)),
        ),
    ),
    Repo(
        "web-portal",
        "Customer portal (Azure Container Apps)",
        "TypeScript",
        "2025-01-20T10:44:18Z",
        "2026-11-19T08:51:03Z",
        private=True,
        license=None,
        topics=("web", "azure"),
        workflows=(("ci.yml", ci_node(pin=True)), ("image.yml", acr_push())),
    ),
    Repo(
        "ui-kit",
        "React components of the Acme design system, published to npm as @acme-corp/ui-kit",
        "TypeScript",
        "2025-02-03T14:20:11Z",
        "2026-11-10T16:12:48Z",
        license="mit",
        topics=("react", "npm"),
        environments=(
            Env(
                "npm",
                "2025-02-03T14:35:40Z",
                reviewers=PYPI_ENV_REVIEWERS,
                prevent_self_review=True,
                branch_policy="custom",
                secrets=(Secret("NPM_TOKEN", "2025-02-03T14:36:12Z"),),
            ),
        ),
        workflows=(("ci.yml", ci_node(pin=True)), ("release.yml", npm_release())),
    ),
    Repo(
        "edge-proxy",
        "Envoy-based edge proxy image, published on Docker Hub as acmecorp/edge-proxy",
        "Dockerfile",
        "2025-03-10T08:58:27Z",
        "2026-10-30T12:37:09Z",
        license="apache-2.0",
        topics=("docker", "envoy"),
        secrets=(Secret("DOCKERHUB_TOKEN", "2025-03-10T09:14:50Z"),),
        workflows=(("docker.yml", dockerhub_push()),),
    ),
    # -- Legacy repositories: write-by-default GITHUB_TOKEN -------------------------------------
    Repo(
        "legacy-billing",
        "Billing service (replaced by platform-api in 2024)",
        "Java",
        "2023-01-03T09:00:00Z",
        "2024-06-28T17:45:31Z",
        private=True,
        archived=True,
        license=None,
        workflow_write=True,
        workflows=(("build.yml", LEGACY_BILLING_CI),),
    ),
    Repo(
        "monolith",
        "The original Django application",
        "Python",
        "2023-01-04T10:30:00Z",
        "2026-11-13T18:21:09Z",
        private=True,
        license=None,
        workflow_write=True,
        workflows=(("ci.yml", MONOLITH_CI),),
    ),
    Repo(
        "ops-scripts",
        "Scripts the ops team runs by hand or on a schedule",
        "Shell",
        "2023-01-05T11:15:00Z",
        "2026-11-20T03:18:55Z",
        private=True,
        license=None,
        workflow_write=True,
        workflows=(("nightly.yml", OPS_NIGHTLY),),
    ),
)

ORG_SECRETS: tuple[tuple[Secret, str, tuple[str, ...]], ...] = (
    (Secret("PYPI_ORG_TOKEN", "2023-09-05T13:48:20Z"), "selected", ("cli-tools", "data-connectors", "etl-helpers")),
    (Secret("SLACK_WEBHOOK_URL", "2023-02-14T09:26:51Z", "2025-06-03T08:11:40Z"), "all", ()),
    (Secret("SONAR_TOKEN", "2024-01-22T16:05:13Z"), "private", ()),
)


# --------------------------------------------------------------------------------------------
# GitHub response objects
# --------------------------------------------------------------------------------------------


def _repo_ids() -> dict[str, int]:
    """Repository ids grow with creation time, as on GitHub."""
    ordered = sorted(REPOS, key=lambda r: (r.created_at, r.name))
    return {r.name: 589210000 + 1733 * i + _number(r.name, 0, 1000) for i, r in enumerate(ordered)}


REPO_IDS = _repo_ids()


def _simple_user(login: str) -> Json:
    uid, _ = USERS[login]
    u = f"{API}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": _node_id("U", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def _org_owner() -> Json:
    u = f"{API}/users/{ORG}"
    return {
        "login": ORG,
        "id": ORG_ID,
        "node_id": _node_id("O", ORG_ID),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ORG_ID}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{WEB}/{ORG}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": "Organization",
        "user_view_type": "public",
        "site_admin": False,
    }


def _team(slug: str, permission: str = "pull") -> Json:
    tid, name, description = TEAMS[slug]
    u = f"{API}/organizations/{ORG_ID}/team/{tid}"
    return {
        "id": tid,
        "node_id": _node_id("T", ORG_ID, tid),
        "url": u,
        "html_url": f"{WEB}/orgs/{ORG}/teams/{slug}",
        "name": name,
        "slug": slug,
        "description": description,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": permission,
        "members_url": f"{u}/members{{/member}}",
        "repositories_url": f"{u}/repos",
        "parent": None,
    }


def repo_object(repo: Repo) -> Json:
    """A repository as ``GET /orgs/{org}/repos`` lists it (seen by an organisation owner)."""
    rid = REPO_IDS[repo.name]
    full = f"{ORG}/{repo.name}"
    u = f"{API}/repos/{full}"
    lic: Json | None = None
    if repo.license:
        lname, spdx, lnode = LICENSES[repo.license]
        lic = {
            "key": repo.license,
            "name": lname,
            "spdx_id": spdx,
            "url": f"{API}/licenses/{repo.license}",
            "node_id": lnode,
        }
    size = _number(f"size:{repo.name}", 180, 48000)
    stars = 0 if repo.private else _number(f"stars:{repo.name}", 3, 420)
    forks = 0 if repo.private else _number(f"forks:{repo.name}", 0, 40)
    issues = _number(f"issues:{repo.name}", 0, 35)
    return {
        "id": rid,
        "node_id": _node_id("R", rid),
        "name": repo.name,
        "full_name": full,
        "private": repo.private,
        "owner": _org_owner(),
        "html_url": f"{WEB}/{full}",
        "description": repo.description,
        "fork": False,
        "url": u,
        "forks_url": f"{u}/forks",
        "keys_url": f"{u}/keys{{/key_id}}",
        "collaborators_url": f"{u}/collaborators{{/collaborator}}",
        "teams_url": f"{u}/teams",
        "hooks_url": f"{u}/hooks",
        "issue_events_url": f"{u}/issues/events{{/number}}",
        "events_url": f"{u}/events",
        "assignees_url": f"{u}/assignees{{/user}}",
        "branches_url": f"{u}/branches{{/branch}}",
        "tags_url": f"{u}/tags",
        "blobs_url": f"{u}/git/blobs{{/sha}}",
        "git_tags_url": f"{u}/git/tags{{/sha}}",
        "git_refs_url": f"{u}/git/refs{{/sha}}",
        "trees_url": f"{u}/git/trees{{/sha}}",
        "statuses_url": f"{u}/statuses/{{sha}}",
        "languages_url": f"{u}/languages",
        "stargazers_url": f"{u}/stargazers",
        "contributors_url": f"{u}/contributors",
        "subscribers_url": f"{u}/subscribers",
        "subscription_url": f"{u}/subscription",
        "commits_url": f"{u}/commits{{/sha}}",
        "git_commits_url": f"{u}/git/commits{{/sha}}",
        "comments_url": f"{u}/comments{{/number}}",
        "issue_comment_url": f"{u}/issues/comments{{/number}}",
        "contents_url": f"{u}/contents/{{+path}}",
        "compare_url": f"{u}/compare/{{base}}...{{head}}",
        "merges_url": f"{u}/merges",
        "archive_url": f"{u}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{u}/downloads",
        "issues_url": f"{u}/issues{{/number}}",
        "pulls_url": f"{u}/pulls{{/number}}",
        "milestones_url": f"{u}/milestones{{/number}}",
        "notifications_url": f"{u}/notifications{{?since,all,participating}}",
        "labels_url": f"{u}/labels{{/name}}",
        "releases_url": f"{u}/releases{{/id}}",
        "deployments_url": f"{u}/deployments",
        "created_at": repo.created_at,
        "updated_at": repo.pushed_at,
        "pushed_at": repo.pushed_at,
        "git_url": f"git://github.com/{full}.git",
        "ssh_url": f"git@github.com:{full}.git",
        "clone_url": f"{WEB}/{full}.git",
        "svn_url": f"{WEB}/{full}",
        "homepage": repo.homepage,
        "size": size,
        "stargazers_count": stars,
        "watchers_count": stars,
        "language": repo.language,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": not repo.private,
        "has_pages": repo.name in ("docs-site", "docs-previews"),
        "has_discussions": False,
        "forks_count": forks,
        "mirror_url": None,
        "archived": repo.archived,
        "disabled": False,
        "open_issues_count": issues,
        "license": lic,
        "allow_forking": not repo.private,
        "is_template": repo.is_template,
        "web_commit_signoff_required": False,
        "topics": list(repo.topics),
        "visibility": "private" if repo.private else "public",
        "forks": forks,
        "open_issues": issues,
        "watchers": stars,
        "default_branch": "master" if repo.name in ("monolith", "legacy-billing") else "main",
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    }


def org_object() -> Json:
    """``GET /orgs/acme-corp`` as an organisation owner sees it."""
    u = f"{API}/orgs/{ORG}"
    private = sum(1 for r in REPOS if r.private)
    return {
        "login": ORG,
        "id": ORG_ID,
        "node_id": _node_id("O", ORG_ID),
        "url": u,
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events",
        "hooks_url": f"{u}/hooks",
        "issues_url": f"{u}/issues",
        "members_url": f"{u}/members{{/member}}",
        "public_members_url": f"{u}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ORG_ID}?v=4",
        "description": "Acme Corp engineering (fictional organisation used by the regwarden demo)",
        "name": "Acme Corp",
        "company": None,
        "blog": "https://acme-corp.example",
        "location": None,
        "email": "opensource@acme-corp.example",
        "twitter_username": None,
        "is_verified": True,
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": len(REPOS) - private,
        "public_gists": 0,
        "followers": 214,
        "following": 0,
        "html_url": f"{WEB}/{ORG}",
        "created_at": "2022-12-19T10:02:33Z",
        "updated_at": "2026-06-03T08:11:40Z",
        "archived_at": None,
        "type": "Organization",
        "total_private_repos": private,
        "owned_private_repos": private,
        "private_gists": 0,
        "disk_usage": sum(_number(f"size:{r.name}", 180, 48000) for r in REPOS),
        "collaborators": 3,
        "billing_email": "billing@acme-corp.example",
        "plan": {"name": "enterprise", "space": 976562499, "private_repos": 999999, "filled_seats": 46, "seats": 60},
        "default_repository_permission": "read",
        "members_can_create_repositories": False,
        "two_factor_requirement_enabled": True,
        "members_allowed_repository_creation_type": "none",
        "members_can_create_public_repositories": False,
        "members_can_create_private_repositories": False,
        "members_can_create_internal_repositories": False,
        "members_can_create_pages": True,
        "members_can_create_public_pages": True,
        "members_can_create_private_pages": True,
        "members_can_fork_private_repositories": False,
        "web_commit_signoff_required": False,
        "deploy_keys_enabled_for_repositories": True,
        "dependency_graph_enabled_for_new_repositories": True,
        "dependabot_alerts_enabled_for_new_repositories": True,
        "dependabot_security_updates_enabled_for_new_repositories": False,
        "secret_scanning_enabled_for_new_repositories": True,
        "secret_scanning_push_protection_enabled_for_new_repositories": True,
        "secret_scanning_push_protection_custom_link_enabled": False,
        "secret_scanning_push_protection_custom_link": None,
    }


def _secrets_list(secrets: tuple[Secret, ...]) -> Json:
    items = [{"name": s.name, "created_at": s.created_at, "updated_at": s.updated} for s in secrets]
    items.sort(key=lambda s: s["name"])
    return {"total_count": len(items), "secrets": items}


def _environment(repo: Repo, env: Env) -> Json:
    rid = REPO_IDS[repo.name]
    eid = _number(f"env:{repo.name}/{env.name}", 1_100_000_000, 4_200_000_000)
    rules: list[Json] = []

    def rule_ids(kind: str) -> tuple[int, str]:
        rule_id = _number(f"rule:{repo.name}/{env.name}/{kind}", 10_000_000, 99_000_000)
        return rule_id, _node_id("GA", rid, rule_id)

    if env.wait_timer:
        rule_id, rnode = rule_ids("wait_timer")
        rules.append({"id": rule_id, "node_id": rnode, "type": "wait_timer", "wait_timer": env.wait_timer})
    if env.reviewers:
        rule_id, rnode = rule_ids("required_reviewers")
        reviewers: list[Json] = []
        for kind, who in env.reviewers:
            reviewers.append({"type": kind, "reviewer": _simple_user(who) if kind == "User" else _team(who)})
        rules.append(
            {
                "id": rule_id,
                "node_id": rnode,
                "type": "required_reviewers",
                "prevent_self_review": env.prevent_self_review,
                "reviewers": reviewers,
            }
        )
    policy: Json | None = None
    if env.branch_policy == "protected":
        policy = {"protected_branches": True, "custom_branch_policies": False}
    elif env.branch_policy == "custom":
        policy = {"protected_branches": False, "custom_branch_policies": True}
    if policy is not None:
        rule_id, rnode = rule_ids("branch_policy")
        rules.append({"id": rule_id, "node_id": rnode, "type": "branch_policy"})
    return {
        "id": eid,
        "node_id": _node_id("EN", rid, eid),
        "name": env.name,
        "url": f"{API}/repos/{ORG}/{repo.name}/environments/{env.name}",
        "html_url": f"{WEB}/{ORG}/{repo.name}/deployments/activity_log?environments_filter={env.name}",
        "created_at": env.created_at,
        "updated_at": env.created_at,
        "can_admins_bypass": True,
        "protection_rules": rules,
        "deployment_branch_policy": policy,
    }


# --------------------------------------------------------------------------------------------
# PyPI response objects
# --------------------------------------------------------------------------------------------


def _dist_name(project: str) -> str:
    return project.replace("-", "_")


@dataclass(frozen=True)
class DistFile:
    project: Project
    release: Release
    kind: str  # "sdist" | "bdist_wheel"

    @property
    def filename(self) -> str:
        base = f"{_dist_name(self.project.name)}-{self.release.version}"
        return f"{base}.tar.gz" if self.kind == "sdist" else f"{base}-py3-none-any.whl"

    @property
    def sha256(self) -> str:
        return _digest(f"file:{self.filename}")

    @property
    def md5(self) -> str:
        return _digest(f"file:{self.filename}", "md5")

    @property
    def blake2b(self) -> str:
        return hashlib.blake2b(f"file:{self.filename}".encode(), digest_size=32).hexdigest()

    @property
    def metadata_sha256(self) -> str:
        return _digest(f"metadata:{self.filename}")

    @property
    def size(self) -> int:
        return _number(f"size:{self.filename}", 9_000, 160_000)

    @property
    def upload_time(self) -> str:
        # The wheel goes up first, the sdist two seconds later (twine uploads in dist/ order).
        if self.kind == "bdist_wheel":
            return self.release.uploaded
        uploaded = datetime.fromisoformat(self.release.uploaded.replace("Z", "+00:00"))
        later = uploaded + timedelta(seconds=2, microseconds=-_number(self.filename, 0, 400_000))
        return later.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def url(self) -> str:
        b = self.blake2b
        return f"{FILES}/{b[:2]}/{b[2:4]}/{b[4:]}/{self.filename}"

    @property
    def provenance_url(self) -> str:
        return f"{PYPI}/integrity/{self.project.name}/{self.release.version}/{self.filename}/provenance"

    @property
    def core_metadata(self) -> Json | bool:
        return {"sha256": self.metadata_sha256} if self.kind == "bdist_wheel" else False


def _files(project: Project, release: Release) -> list[DistFile]:
    return [DistFile(project, release, "bdist_wheel"), DistFile(project, release, "sdist")]


def _last_serial(project: Project) -> int:
    return _number(f"serial:{project.name}", 25_000_000, 33_000_000)


def _json_api_file(f: DistFile) -> Json:
    return {
        "comment_text": "",
        "core-metadata": f.core_metadata,
        "digests": {"blake2b_256": f.blake2b, "md5": f.md5, "sha256": f.sha256},
        "downloads": -1,
        "filename": f.filename,
        "has_sig": False,
        "md5_digest": f.md5,
        "packagetype": f.kind,
        "python_version": "source" if f.kind == "sdist" else "py3",
        "requires_python": f.project.requires_python,
        "size": f.size,
        "upload_time": f.upload_time[:19],
        "upload_time_iso_8601": f.upload_time,
        "url": f.url,
        "yanked": False,
        "yanked_reason": None,
    }


def pypi_json(repo: Repo, project: Project) -> Json:
    """``GET /pypi/{project}/json``."""
    latest = project.releases[-1]
    source = f"{WEB}/{ORG}/{repo.name}"
    return {
        "info": {
            "author": None,
            "author_email": '"Acme Corp" <opensource@acme-corp.example>',
            "bugtrack_url": None,
            "classifiers": [
                "Intended Audience :: Developers",
                "Operating System :: OS Independent",
                "Programming Language :: Python :: 3",
                "Programming Language :: Python :: 3 :: Only",
            ],
            "description": f"# {project.name}\n\n{project.summary}.\n",
            "description_content_type": "text/markdown",
            "docs_url": None,
            "download_url": None,
            "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
            "dynamic": None,
            "home_page": None,
            "keywords": project.keywords or None,
            "license": None,
            "license_expression": "Apache-2.0",
            "license_files": ["LICENSE"],
            "maintainer": None,
            "maintainer_email": None,
            "name": project.name,
            "package_url": f"{PYPI}/project/{project.name}/",
            "platform": None,
            "project_url": f"{PYPI}/project/{project.name}/",
            "project_urls": {
                "Changelog": f"{source}/releases",
                "Issues": f"{source}/issues",
                "Source": source,
            },
            "provides_extra": None,
            "release_url": f"{PYPI}/project/{project.name}/{latest.version}/",
            "requires_dist": list(project.requires_dist) or None,
            "requires_python": project.requires_python,
            "summary": project.summary,
            "version": latest.version,
            "yanked": False,
            "yanked_reason": None,
        },
        "last_serial": _last_serial(project),
        "ownership": {
            "organization": None,
            "roles": [{"role": role, "user": user} for role, user in project.roles],
        },
        "releases": {r.version: [_json_api_file(f) for f in _files(project, r)] for r in project.releases},
        "urls": [_json_api_file(f) for f in _files(project, latest)],
        "vulnerabilities": [],
    }


def pypi_simple(project: Project) -> Json:
    """``GET /simple/{project}/`` with ``Accept: application/vnd.pypi.simple.v1+json``."""
    files = []
    for r in project.releases:
        for f in sorted(_files(project, r), key=lambda f: f.filename):
            files.append(
                {
                    "core-metadata": f.core_metadata,
                    "data-dist-info-metadata": f.core_metadata,
                    "filename": f.filename,
                    "hashes": {"sha256": f.sha256},
                    "provenance": f.provenance_url if r.attested else None,
                    "requires-python": project.requires_python,
                    "size": f.size,
                    "upload-time": f.upload_time,
                    "url": f.url,
                    "yanked": False,
                }
            )
    return {
        "alternate-locations": [],
        "files": files,
        "meta": {"_last-serial": _last_serial(project), "api-version": "1.4"},
        "name": project.name,
        "project-status": {"status": "active"},
        "versions": [r.version for r in project.releases],
    }


def provenance(repo: Repo, f: DistFile) -> Json:
    """``GET /integrity/{project}/{version}/{filename}/provenance``: one publish attestation.

    The shape is real (PEP 740 provenance object with one attestation bundle); the certificate,
    signature and log entries are readable placeholders, base64-encoded, not signatures.
    """
    statement = json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": f.filename, "digest": {"sha256": f.sha256}}],
            "predicateType": "https://docs.pypi.org/attestations/publish/v1",
            "predicate": None,
        },
        separators=(",", ":"),
    )
    identity = f"{WEB}/{ORG}/{repo.name}/.github/workflows/release.yml@refs/tags/v{f.release.version}"
    log_index = _number(f"rekor:{f.filename}", 150_000_000, 400_000_000)
    body = json.dumps(
        {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": _digest(f"envelope:{f.filename}")},
                "payloadHash": {"algorithm": "sha256", "value": _digest(statement)},
            },
        },
        separators=(",", ":"),
    )
    return {
        "version": 1,
        "attestation_bundles": [
            {
                "publisher": {
                    "kind": "GitHub",
                    "repository": f"{ORG}/{repo.name}",
                    "workflow": "release.yml",
                    "environment": "pypi",
                },
                "attestations": [
                    {
                        "version": 1,
                        "verification_material": {
                            "certificate": _b64(f"DEMO PLACEHOLDER CERTIFICATE (not DER) for {identity}"),
                            "transparency_entries": [
                                {
                                    "logIndex": str(log_index),
                                    "logId": {"keyId": _b64("demo rekor log id")},
                                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                                    "integratedTime": str(_epoch(f.upload_time[:19] + "Z")),
                                    "inclusionPromise": {"signedEntryTimestamp": _b64(f"demo SET {log_index}")},
                                    "inclusionProof": {
                                        "logIndex": str(log_index - 12_000_000),
                                        "rootHash": _b64(_digest(f"root:{log_index}")[:32]),
                                        "treeSize": str(log_index - 11_000_000),
                                        "hashes": [_b64(_digest(f"proof:{log_index}:{i}")[:32]) for i in range(3)],
                                        "checkpoint": {
                                            "envelope": f"rekor.sigstore.dev - demo\n{log_index - 11_000_000}\n"
                                            f"{_b64(_digest(f'root:{log_index}')[:32])}\n"
                                        },
                                    },
                                    "canonicalizedBody": _b64(body),
                                }
                            ],
                        },
                        "envelope": {
                            "statement": _b64(statement),
                            "signature": _b64(f"demo placeholder signature over {f.filename}"),
                        },
                    }
                ],
            }
        ],
    }


# --------------------------------------------------------------------------------------------
# Writing the bundle
# --------------------------------------------------------------------------------------------


def github_pypi_files() -> dict[str, str]:
    """The GitHub and PyPI files (the same in both collections), as relative POSIX path -> text."""
    out: dict[str, str] = {}

    def put_json(rel: str, data: Any) -> None:
        if rel in out:
            raise ValueError(f"{rel} written twice")
        out[rel] = _json_text(data)

    by_name = {r.name: r for r in REPOS}
    gh = f"github/orgs/{ORG}"
    put_json(f"{gh}.json", org_object())
    put_json(f"{gh}/repos.json", [repo_object(r) for r in sorted(REPOS, key=lambda r: r.name)])

    org_secrets: list[Json] = []
    for secret, visibility, selected in ORG_SECRETS:
        item: Json = {
            "name": secret.name,
            "created_at": secret.created_at,
            "updated_at": secret.updated,
            "visibility": visibility,
        }
        if visibility == "selected":
            item["selected_repositories_url"] = f"{API}/orgs/{ORG}/actions/secrets/{secret.name}/repositories"
            put_json(
                f"{gh}/actions/secrets/{secret.name}/repositories.json",
                {"total_count": len(selected), "repositories": [repo_object(by_name[n]) for n in selected]},
            )
        org_secrets.append(item)
    org_secrets.sort(key=lambda s: s["name"])
    put_json(f"{gh}/actions/secrets.json", {"total_count": len(org_secrets), "secrets": org_secrets})

    for repo in REPOS:
        base = f"github/repos/{ORG}/{repo.name}"
        put_json(f"{base}/actions/secrets.json", _secrets_list(repo.secrets))
        put_json(
            f"{base}/actions/permissions/workflow.json",
            {
                "default_workflow_permissions": "write" if repo.workflow_write else "read",
                "can_approve_pull_request_reviews": False,
            },
        )
        envs = [_environment(repo, e) for e in sorted(repo.environments, key=lambda e: e.name)]
        put_json(f"{base}/environments.json", {"total_count": len(envs), "environments": envs})
        for env in repo.environments:
            put_json(f"{base}/environments/{env.name}/secrets.json", _secrets_list(env.secrets))
        for filename, text in repo.workflows:
            rel = f"{base}/contents/.github/workflows/{filename}"
            if rel in out:
                raise ValueError(f"{rel} written twice")
            out[rel] = text
        # Who owns what the repository holds: its teams, and CODEOWNERS where it has one (owners.py).
        put_json(f"{base}/teams.json", [_team(slug, perm) for slug, perm in demo_owners.repo_teams(repo.name)])
        if repo.name in demo_owners.CODEOWNERS:
            where, text = demo_owners.CODEOWNERS[repo.name]
            out[f"{base}/contents/{where}"] = text

        project = repo.project
        if project is None:
            continue
        py = "pypi"
        put_json(f"{py}/pypi/{project.name}/json.json", pypi_json(repo, project))
        put_json(f"{py}/simple/{project.name}/index.json", pypi_simple(project))
        put_json(f"{py}/xmlrpc/package_roles/{project.name}.json", [list(r) for r in project.roles])
        for release in project.releases:
            if not release.attested:
                continue
            for f in _files(project, release):
                put_json(
                    f"{py}/integrity/{project.name}/{release.version}/{f.filename}/provenance.json",
                    provenance(repo, f),
                )
    return out


#: The other providers' modules: each returns its files as collected in an era.
PROVIDERS: tuple[Callable[[Era], Files], ...] = (
    aws.files,
    azure.files,
    gcp.files,
    gitlab.files,
    registries.npm_files,
    registries.dockerhub_files,
    registries.jfrog_files,
    terraform.files,
    runs.files,
)
SCOPES: tuple[str, ...] = (
    f"github:{ORG}",
    f"pypi:{ORG} projects",
    f"aws:{aws.ACCOUNT}",
    f"azure:{azure.SUBSCRIPTION}",
    f"gcp:projects/{gcp.PROJECT}",
    f"gcp:{gcp.ORGANIZATION}",
    f"gitlab:{gitlab.GROUP}",
    f"npm:{registries.NPM_ORG}",
    f"dockerhub:{registries.DOCKERHUB_ORG}",
    f"jfrog:{registries.JFROG_URL}",
    f"terraform:{terraform.STATE}",
)


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build(era: Era = "current") -> dict[str, str]:
    """Every bundle file of the estate as collected in ``era``, as relative POSIX path -> text."""
    out = github_pypi_files()
    manifest = {
        "version": 1,
        "tool": "regwarden",
        "collected_at": COLLECTED[era],
        "scopes": list(SCOPES),
        "calls": aws.calls(era),
    }
    out["manifest.json"] = _json_text(manifest)
    for provider in PROVIDERS:
        for rel, data in provider(era).items():
            if rel in out:
                raise ValueError(f"{rel} written twice")
            out[rel] = data if isinstance(data, str) else _json_text(data)
    return out


def write(out_dir: Path, era: Era = "current") -> int:
    """Write the bundle into ``out_dir`` (replacing a previous bundle there); return the file count."""
    files = build(era)
    if out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / "manifest.json").is_file():
            raise SystemExit(f"{out_dir} is not empty and holds no manifest.json; refusing to replace it")
        shutil.rmtree(out_dir)
    for rel, text in sorted(files.items()):
        path = out_dir.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return len(files)


USAGE = "usage: python -m scanner.demo_estate.generate [--previous] [OUT_DIR]"


def main(argv: list[str] | None = None) -> int:
    """Write the current estate (or, with ``--previous``, the one collected a week before)."""
    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in args):
        print(USAGE)
        return 0
    era: Era = "previous" if "--previous" in args else "current"
    rest = [a for a in args if a != "--previous"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        print(USAGE, file=sys.stderr)
        return 2
    if not rest and era == "previous":
        print("--previous needs an OUT_DIR (the committed bundle is the current estate)", file=sys.stderr)
        return 2
    out_dir = Path(rest[0]) if rest else DEFAULT_OUT
    count = write(out_dir, era)
    print(f"wrote {count} files to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
