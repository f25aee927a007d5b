"""The workflows of acme-corp's repositories that publish outside PyPI: images to Amazon ECR, Azure
Container Registry and Docker Hub, and a package to npm. Cloud access is by OIDC everywhere; the
stories are in README.md ("Across providers")."""

from __future__ import annotations

from scanner.demo_estate.common import fill, pinned

AWS_ACCOUNT = "210987654321"
AWS_REGION = "eu-west-1"
ECR_HOST = f"{AWS_ACCOUNT}.dkr.ecr.{AWS_REGION}.amazonaws.com"
ACR_NAME = "acmecorpprod"
ACR_HOST = f"{ACR_NAME}.azurecr.io"
DOCKERHUB_USER = "acmecorpbot"
DOCKERHUB_ORG = "acmecorp"


def ci_go() -> str:
    """Tests of a Go service, every action pinned."""
    return fill(
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
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - run: go vet ./...
      - run: go test -race ./...
""",
        checkout=pinned("actions/checkout"),
    )


def ecr_push(role: str, repository: str, *, environment: str | None, on: str) -> str:
    """Build an image and push it to ECR with a role assumed by OIDC (no stored AWS key)."""
    env = f"\n    environment: {environment}" if environment else ""
    tag = "${{ github.sha }}" if "branches" in on else "${{ github.ref_name }}"
    return fill(
        """name: Release image

on:
<<on>>

permissions:
  contents: read

jobs:
  push-image:
    runs-on: ubuntu-latest<<env>>
    permissions:
      contents: read
      id-token: write  # OIDC to AWS: the role below trusts this repository only
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - uses: <<aws_credentials>>
        with:
          role-to-assume: arn:aws:iam::<<account>>:role/<<role>>
          aws-region: <<region>>
      - uses: <<ecr_login>>
      - name: Build and push
        run: |
          docker build -t <<host>>/<<repository>>:<<tag>> .
          docker push <<host>>/<<repository>>:<<tag>>
""",
        on=on,
        env=env,
        tag=tag,
        account=AWS_ACCOUNT,
        region=AWS_REGION,
        role=role,
        host=ECR_HOST,
        repository=repository,
        checkout=pinned("actions/checkout"),
        aws_credentials=pinned("aws-actions/configure-aws-credentials"),
        ecr_login=pinned("aws-actions/amazon-ecr-login"),
    )


ON_MAIN = "  push:\n    branches: [main]"
ON_TAGS = '  push:\n    tags: ["v*"]'


def acr_push() -> str:
    """Build the web portal and push it to ACR, signed in to Entra ID by OIDC (federated credential)."""
    return fill(
        """name: Image

on:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  push-image:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write  # OIDC to Entra ID: federated credential of the app gh-web-portal
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - uses: <<azure_login>>
        with:
          client-id: ${{ vars.AZURE_CLIENT_ID }}
          tenant-id: ${{ vars.AZURE_TENANT_ID }}
          subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
      - name: Build and push
        run: |
          az acr login --name <<acr>>
          docker build -t <<host>>/web-portal:${{ github.sha }} .
          docker push <<host>>/web-portal:${{ github.sha }}
""",
        acr=ACR_NAME,
        host=ACR_HOST,
        checkout=pinned("actions/checkout"),
        azure_login=pinned("azure/login"),
    )


def npm_release() -> str:
    """Publish @acme-corp/ui-kit from a protected environment, with provenance, using a stored token."""
    return fill(
        """name: Release

on:
  release:
    types: [published]

permissions:
  contents: read

jobs:
  publish:
    runs-on: ubuntu-latest
    environment: npm
    permissions:
      contents: read
      id-token: write  # npm provenance
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - uses: <<setup_node>>
        with:
          node-version: 20
          registry-url: https://registry.npmjs.org
      - run: npm ci
      - run: npm publish --provenance --access public
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
""",
        checkout=pinned("actions/checkout"),
        setup_node=pinned("actions/setup-node"),
    )


def dockerhub_push() -> str:
    """Push the edge proxy image to Docker Hub with the bot's access token (Hub has no OIDC)."""
    return fill(
        """name: Docker image

on:
  push:
    tags: ["v*"]

permissions:
  contents: read

jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - uses: <<checkout>>
        with:
          persist-credentials: false
      - uses: <<login>>
        with:
          username: <<user>>
          password: ${{ secrets.DOCKERHUB_TOKEN }}
      - uses: <<buildx>>
      - uses: <<build_push>>
        with:
          push: true
          tags: docker.io/<<org>>/edge-proxy:${{ github.ref_name }}
""",
        user=DOCKERHUB_USER,
        org=DOCKERHUB_ORG,
        checkout=pinned("actions/checkout"),
        login=pinned("docker/login-action"),
        buildx=pinned("docker/setup-buildx-action"),
        build_push=pinned("docker/build-push-action"),
    )
