"""The container image (``Dockerfile``) and its Kubernetes CronJob example.

Always: the file is checked (base pinned by digest, the locks installed with ``--require-hashes``, a
non-root user, ``regwarden`` as the entrypoint), the package data holds every file of the demo bundle
(an installed regwarden runs the same demo), and the CronJob is linted. With ``make test-container``
(marker ``container``; not part of ``make test``, whose budget a cold image build would take most of),
where podman runs (``.ci/setup-container.sh``): the image is built — on the pinned base when it is
present, else on the stand-in Debian base that script makes — and run as its non-root user on the demo.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.demo_estate import BUNDLE

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
DIGEST = "sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff"
STAND_IN = "localhost/regwarden-base:test"
IMAGE = "localhost/regwarden:pytest"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_base_is_pinned_by_digest_and_documented() -> None:
    args = [a for i, a in _instructions() if i == "ARG" and a.startswith("BASE=")]
    assert args == [f"BASE=docker.io/library/python:3.11-slim@{DIGEST}"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", DIGEST)
    froms = [a for i, a in _instructions() if i == "FROM"]
    assert froms == ["${BASE} AS build", "${BASE}"]  # every stage on the pinned base
    assert DIGEST in (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")


def test_installs_only_from_the_hash_pinned_locks() -> None:
    runs = " ".join(a for i, a in _instructions() if i == "RUN")
    assert "--require-hashes --no-deps -r requirements/runtime.lock" in runs
    assert "--require-hashes --no-deps -r requirements/build.lock" in runs
    assert "--no-build-isolation" in runs  # the build backend comes from the lock, not from PyPI
    assert not re.search(r"pip install (?!--require-hashes|--no-deps /wheels/)", runs)
    assert not [i for i, _ in _instructions() if i == "ADD"]
    for lock in ("runtime.lock", "build.lock"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", text, re.M)
        assert pins
        assert len(re.findall(r"^\s+--hash=sha256:[0-9a-f]{64}", text, re.M)) >= len(pins)


def test_runs_as_a_non_root_user_with_regwarden_as_entrypoint() -> None:
    final = _instructions()[[i for i, (w, _) in enumerate(_instructions()) if w == "FROM"][-1] :]
    assert ("USER", "10001:10001") in final
    assert ("ENTRYPOINT", '["regwarden"]') in final
    assert any(w == "RUN" and "groupadd --system --gid 10001" in a and "--uid 10001" in a for w, a in final)


def test_package_data_holds_every_file_of_the_demo_bundle() -> None:
    """setuptools expands package-data with glob, which skips names starting with a dot unless named."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["scanner"]
    pkg = ROOT / "scanner"
    shipped = {p for pat in patterns for p in glob.glob(pat, root_dir=pkg, recursive=True)}
    bundle = {p.relative_to(pkg).as_posix() for p in BUNDLE.rglob("*") if p.is_file()}
    assert bundle - shipped == set()


def _cronjob() -> dict[str, Any]:
    docs = list(yaml.safe_load_all((ROOT / "docs" / "examples" / "kubernetes-cronjob.yaml").read_text()))
    (job,) = [d for d in docs if d["kind"] == "CronJob"]
    return dict(job)


def test_cronjob_example_runs_the_image_safely() -> None:
    job = _cronjob()
    spec = job["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert re.fullmatch(r"[\w./-]+@sha256:\w+", container["image"])  # by digest, never a tag
    assert container["args"][:1] == ["scan"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {e["name"] for e in container["env"]}
    assert {"REGWARDEN_KEY_FILE", "REGWARDEN_DB_URL"} <= env


@pytest.mark.parametrize(
    ("marker", "example"),
    [("example-workflow", "regwarden-scheduled.yml"), ("example-cronjob", "kubernetes-cronjob.yaml")],
)
def test_docs_show_the_example_files(marker: str, example: str) -> None:
    docs = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker}:begin -->\n```yaml\n(.*?)```\n<!-- {marker}:end -->", docs, re.S)
    assert m is not None
    assert m.group(1) == (ROOT / "docs" / "examples" / example).read_text(encoding="utf-8")


# --- build and run (podman) -------------------------------------------------------------------------

#: Tried in order: plain podman, then runc with lowered limits (the crun/runc of some sandboxes may not
#: set the default RLIMIT_NOFILE/NPROC).
_MODES: tuple[list[str], ...] = ([], ["--runtime", "runc"])
_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def _podman(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def podman() -> Iterator[tuple[list[str], list[str], str]]:
    """(global options, run/build limits, base image) that work here, or a loud skip."""
    if shutil.which("podman") is None:
        pytest.skip("LOUD SKIP: podman is missing — run .ci/setup-container.sh (CI turns this skip into a failure)")
    base = f"docker.io/library/python:3.11-slim@{DIGEST}"
    if _podman("image", "exists", base).returncode != 0:
        base = STAND_IN
        if _podman("image", "exists", base).returncode != 0:
            pytest.skip(f"LOUD SKIP: neither the pinned base nor {STAND_IN} is present — run .ci/setup-container.sh")
    for mode in _MODES:
        for limits in ([], _LIMITS):
            if _podman(*mode, "run", "--rm", *limits, "--entrypoint", "true", base, timeout=120).returncode == 0:
                yield mode, limits, base
                return
    pytest.skip("LOUD SKIP: podman is installed but cannot run a container on this machine")


@pytest.fixture(scope="module")
def image(podman: tuple[list[str], list[str], str]) -> str:
    mode, limits, base = podman
    built = _podman(*mode, "build", *limits, "--build-arg", f"BASE={base}", "-t", IMAGE, "-f", "Dockerfile", str(ROOT))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return IMAGE


@pytest.mark.container
def test_image_config_is_non_root_with_the_regwarden_entrypoint(image: str) -> None:
    (info,) = json.loads(_podman("image", "inspect", image).stdout)
    assert info["Config"]["User"] == "10001:10001"
    assert info["Config"]["Entrypoint"] == ["regwarden"]
    assert info["Config"]["WorkingDir"] == "/work"


@pytest.mark.container
def test_image_runs_the_demo_as_its_non_root_user(
    image: str, podman: tuple[list[str], list[str], str], tmp_path: Path
) -> None:
    mode, limits, _ = podman
    who = _podman(*mode, "run", "--rm", *limits, "--entrypoint", "id", image, "-u")
    assert who.stdout.strip() == "10001"
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)  # written by uid 10001
    ran = _podman(*mode, "run", "--rm", *limits, "-v", f"{out}:/work/out", image, "demo", "--out", "/work/out",
                  "--format", "json")  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["findings"][0]["subject"]["id"] == "github:action:aquasecurity/trivy-action@master"
    folders = {f["location"]["file"].split("/", 1)[0] for f in report["findings"] if f["location"]}
    assert len(folders) == 9  # every live connector, as in the repository's own demo
    drift = json.loads((out / "drift.json").read_text(encoding="utf-8"))
    assert drift["history"]["old_scan"] == 1
