"""Minimal valid bundles for every connector, built from the committed fixtures (and, for AWS, from a
collection against moto), so the hardening tests can break one file at a time."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from connectors.aws import fetch as aws_fetch
from connectors.aws.settings import Settings as AwsSettings
from scanner.bundle import BundleWriter
from scanner.cli import main
from tests.connectors.aws.estate import REGION, seed
from tests.connectors.aws.test_fetch import _answer, _hook

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "scanner" / "demo_estate" / "bundle"

GITLAB_CI = """include:
  - project: acme/ci-templates
    ref: main
    file: /release.yml
variables:
  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE
publish:
  stage: deploy
  environment: production
  image: python:3.12
  script:
    - twine upload -u __token__ -p "$PYPI_TOKEN" dist/*
"""
GITLAB_PROJECTS = """[{"id": 11, "path_with_namespace": "acme/app", "default_branch": "main", "archived": false,
  "visibility": "private", "web_url": "https://gitlab.example/acme/app"}]
"""
GITLAB_VARIABLES = """[{"key": "PYPI_TOKEN", "variable_type": "env_var", "protected": true, "masked": true,
  "raw": false, "environment_scope": "*"}]
"""

#: Connectors whose committed fixture bundle is used as it is.
FIXTURE_BUNDLES = ("azure", "dockerhub", "gcp", "github", "jfrog", "npm", "pypi")


def _copy_provider(src: Path, provider: str, dst: Path) -> None:
    shutil.copytree(src / provider, dst / provider, dirs_exist_ok=True)


def aws_bundle(dst: Path, around_collect: Callable[[], AbstractContextManager[object]] = nullcontext) -> None:
    """An AWS bundle collected from a seeded moto estate (CodeArtifact left out: moto lacks it);
    ``around_collect`` wraps the collection only (not the seeding), e.g. to capture its logs."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        account = seed(session)
        # moto has no DescribePullThroughCacheRules: answer it before it is sent, with the real (empty) shape.
        session.events.register(
            "before-call.ecr.DescribePullThroughCacheRules",
            _hook(lambda **_: (_answer(200, "{}"), {"pullThroughCacheRules": []})),
        )
        writer = BundleWriter(dst.parent / f"{dst.name}-aws")
        settings = AwsSettings(
            role_name="RegwardenReadOnly",
            regions=[REGION],
            services=["ecr", "secretsmanager", "codebuild", "codepipeline", "events", "cloudtrail"],
        )
        with around_collect():
            aws_fetch.collect(settings, account, writer, session=session)
        out = writer.commit("2026-11-28T00:00:00Z")
    _copy_provider(out, "aws", dst)
    shutil.rmtree(out)


def build(provider: str, dst: Path) -> Path:
    """Write a valid bundle holding ``provider``'s files into ``dst`` and return it."""
    dst.mkdir(parents=True, exist_ok=True)
    if provider in FIXTURE_BUNDLES:
        _copy_provider(FIXTURES / provider / "bundle", provider, dst)
    elif provider == "aws":
        aws_bundle(dst)
    elif provider == "terraform":
        (dst / "terraform" / "local").mkdir(parents=True)
        shutil.copy(FIXTURES / "terraform" / "estate.tfstate", dst / "terraform" / "local" / "terraform.tfstate")
        shutil.copy(FIXTURES / "terraform" / "show.json", dst / "terraform" / "local" / "show.json")
    elif provider == "gitlab":
        base = dst / "gitlab"
        (base / "groups" / "acme").mkdir(parents=True)
        (base / "groups" / "acme" / "projects.json").write_text(GITLAB_PROJECTS, encoding="utf-8")
        (base / "groups" / "acme" / "variables.json").write_text(GITLAB_VARIABLES, encoding="utf-8")
        ci = base / "projects" / "acme" / "app" / "repository" / "files" / ".gitlab-ci.yml"
        ci.parent.mkdir(parents=True)
        ci.write_text(GITLAB_CI, encoding="utf-8")
    else:
        raise ValueError(provider)
    return dst


def analyse_quietly(bundle: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``regwarden analyse BUNDLE -o OUT -f json`` in this process: its exit code and what it printed on stderr."""
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    code = main(["analyse", str(bundle), "-o", str(out), "-f", "json", "--fail-on", "none"])
    return code, err.getvalue()
