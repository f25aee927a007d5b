"""The command line end to end: the demo story, exit codes, bad input, determinism, explain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.demo_estate import BUNDLE

LITELLM_ACTION = "github:action:aquasecurity/trivy-action@master"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(BUNDLE, dst)
    return dst


def test_demo_top_finding_is_the_litellm_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--out", str(tmp_path / "r")], capsys)
    assert code == 0
    assert "trivy-action@master" in out
    # the demo writes every export (make demo)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "drift.json",  # the demo records the previous collection first (scan history)
        "findings.csv",
        "graph.graphml",
        "inventory.csv",
        "report.html",
        "report.json",
        "report.ocsf.json",
        "report.oscal.json",
        "report.sarif",
    ]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    top = report["findings"][0]
    assert top["rule"] == "RB11"
    assert top["severity"] == "critical"
    assert top["subject"]["id"] == LITELLM_ACTION
    chain = [(p["src"], p["kind"], p["dst"]) for p in top["path"]]
    assert [k for _, k, _ in chain] == ["runs_code_of", "can_read_secret", "exposes", "grants"]
    assert chain[0][2] == "github:job:acme-corp/llm-gateway/.github/workflows/ci-release.yml#scan-and-publish"
    assert chain[1][2] == "github:secret:acme-corp/llm-gateway/PYPI_API_TOKEN"
    assert chain[2][2].startswith("pypi:token:")
    assert chain[3][2] == "pypi:project:acme-llm-gateway"
    assert top["path"][-1]["actions"] == ["PUBLISH"]
    # The facts that make it true, each with its file: the mutable ref at the step's line, that the public
    # repository's logs are public, and every edge of the path.
    facts = {x["text"]: x["files"] for x in top["facts"]}
    ref_fact = f"{LITELLM_ACTION.removeprefix('github:action:')} runs master, which whoever controls"
    assert any(t.startswith(ref_fact) and fs[0].endswith("ci-release.yml:21") for t, fs in facts.items())
    assert "repository acme-corp/llm-gateway is public: its Actions logs are public too" in facts
    assert len(facts) >= 3 + len(top["path"])
    # No other finding in the estate is as severe.
    assert all(f["severity"] != "critical" for f in report["findings"][1:])
    assert (tmp_path / "r" / "report.html").read_text().count("trivy-action@master") >= 1
    # Every connector is in the estate, so every control is assessed (logging, exposure, last use and
    # console logins come from the clouds and registries, not from GitHub and PyPI).
    assessed = {c["id"]: c["assessed"] for c in report["controls"]}
    assert [c for c, a in sorted(assessed.items()) if not a] == []
    # Nothing the controls need is missing from the demo bundle: what is not assessed is what regwarden does
    # not read for that provider (Azure and JFrog audit settings, JFrog exposure, image provenance…).
    assert report["partial"] is False
    assert [u for c in report["controls"] for u in c["not_assessed"] if u["collectable"]] == []


def test_analyse_twice_is_byte_identical_but_for_the_timestamp(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = []
    for name in ("a", "b"):
        code, _, _ = run(["analyse", str(bundle), "--out", str(tmp_path / name), "--fail-on", "none"], capsys)
        assert code == 0
        doc = json.loads((tmp_path / name / "report.json").read_text())
        doc.pop("generated_at")
        texts.append(json.dumps(doc))
    assert texts[0] == texts[1]


def test_exit_codes_fail_on_and_partial(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "r")
    assert run(["analyse", str(bundle), "--out", out], capsys)[0] == 1  # default --fail-on high
    assert run(["analyse", str(bundle), "--out", out, "--fail-on", "critical"], capsys)[0] == 1
    assert run(["analyse", str(bundle), "--out", out, "--fail-on", "none"], capsys)[0] == 0
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["calls"].append(
        {"provider": "github", "scope": "acme-corp/secret-repo", "call": "GET /repos/acme-corp/secret-repo/actions/secrets",
         "status": "failed", "detail": "403 forbidden"}
    )  # fmt: skip
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    code, stdout, _ = run(["analyse", str(bundle), "--out", out, "--fail-on", "none"], capsys)
    assert code == 3
    assert "PARTIAL SCAN" in stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["partial"] is True
    assert report["coverage_gaps"][0]["scope"] == "acme-corp/secret-repo"


@pytest.mark.parametrize(
    ("rel", "content", "problem"),
    [
        ("github/repos/acme-corp/llm-gateway/actions/secrets.json", '{"total_count": 1, "secrets": [', "invalid JSON"),
        ("github/repos/acme-corp/llm-gateway/actions/secrets.json", '{"total_count": 1, "secrets": "x"}', "secrets"),
        ("pypi/pypi/acme-llm-gateway/json.json", '{"info": 3}', "info"),
        ("manifest.json", '{"version": "one"}', "version"),
    ],
)
def test_malformed_file_is_exit_2_naming_the_file_and_writes_nothing(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rel: str, content: str, problem: str
) -> None:
    (bundle / rel).write_text(content)
    out = tmp_path / "r"
    code, stdout, err = run(["analyse", str(bundle), "--out", str(out)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"regwarden: error: {rel}: ")
    assert problem in lines[0]
    assert "Traceback" not in err + stdout
    assert not out.exists() or not any(out.iterdir())


def test_uninterpretable_pipeline_is_exit_3_with_the_rest_reported(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workflow regwarden cannot interpret is a gap for its repository (exit 3), not bad input:
    the report is written and names it; every other repository is analysed."""
    rel = "github/repos/acme-corp/llm-gateway/contents/.github/workflows/ci-release.yml"
    (bundle / rel).write_text("- just\n- a list\n")
    out = tmp_path / "r"
    code, _, err = run(["analyse", str(bundle), "--out", str(out), "--fail-on", "none"], capsys)
    assert code == 3, err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    gaps = [g for g in report["coverage_gaps"] if g["what"] == f"pipeline file {rel}"]
    assert len(gaps) == 1
    assert gaps[0]["scope"] == "acme-corp/llm-gateway"
    assert "mapping" in gaps[0]["reason"]
    assert report["findings"]  # the rest of the estate was still judged


def test_bad_invocations_are_exit_2(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (bundle / "nosuchprovider").mkdir()
    code, _, err = run(["analyse", str(bundle), "--out", str(tmp_path / "r")], capsys)
    assert code == 2
    assert "nosuchprovider/: no connector for this folder" in err
    code, _, err = run(["analyse", str(tmp_path / "missing")], capsys)
    assert code == 2
    assert "not a folder" in err
    code, _, err = run(["demo", "--out", str(tmp_path / "r"), "--format", "json,pdf"], capsys)
    assert code == 2
    assert "unknown format pdf" in err
    assert run(["analyse"], capsys)[0] == 2


def test_explain_prints_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", LITELLM_ACTION, "--demo", "--to", "pypi:project:acme-llm-gateway"], capsys)
    assert code == 0
    assert "pypi:project:acme-llm-gateway  [PUBLISH]" in out
    assert "--runs_code_of--> github:job:acme-corp/llm-gateway" in out
    assert "--exposes--> pypi:token:" in out
    code, _, err = run(["explain", "github:action:nope@v1", "--demo"], capsys)
    assert code == 2
    assert "no node" in err
    assert run(["explain", LITELLM_ACTION], capsys)[0] == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.startswith("regwarden ")


@pytest.mark.parametrize("fail_on", ["none", "high"])
def test_closing_stdout_early_keeps_the_exit_code(bundle: Path, tmp_path: Path, fail_on: str) -> None:
    """`regwarden analyse … | head -1`: the reader leaves after one line; the scan's exit code stands and
    nothing is said about a broken pipe."""
    import subprocess
    import sys

    def run(out: str, pipe: bool) -> tuple[int, str]:
        cmd = [sys.executable, "-m", "scanner.cli", "analyse", str(bundle), "-o", str(tmp_path / out)]
        cmd += ["-f", "json", "--fail-on", fail_on]
        if not pipe:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            return done.returncode, done.stderr
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        assert proc.stdout.readline()  # the first line, as `head -1` reads it; then the reader is gone
        proc.stdout.close()
        _, err = proc.communicate()
        return proc.returncode, err.decode()

    expected, _ = run("whole", pipe=False)
    assert expected == (0 if fail_on == "none" else 1)
    code, err = run("head", pipe=True)
    assert code == expected
    assert "Broken pipe" not in err
    assert "internal error" not in err
    assert (tmp_path / "head" / "report.json").is_file()


def test_explain_with_config_sees_what_analyse_sees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain -c` honours [[links]] and [[suppress]] as analyse does: a secret pinned to the PyPI token it
    holds reaches the project (without the config it reaches nothing), and a suppressed finding says so."""
    secret = "github:secret:acme-corp/docs-site/DEPLOY_TOKEN"
    token = "pypi:token:github/acme-corp/llm-gateway/PYPI_API_TOKEN"
    _, out, _ = run(["explain", secret, "--demo"], capsys)
    assert "reaches nothing" in out
    cfg = tmp_path / "regwarden.toml"
    cfg.write_text(f'[[links]]\nsecret = "{secret}"\ncredential = "{token}"\n', encoding="utf-8")
    code, out, _ = run(["explain", secret, "--demo", "-c", str(cfg)], capsys)
    assert code == 0
    assert "pypi:project:acme-llm-gateway  [PUBLISH]" in out
    assert f"{secret} --exposes--> {token}" in out
    # The same path is in analyse's report.json with the same config.
    assert run(["demo", "--out", str(tmp_path / "r"), "-f", "json", "-c", str(cfg)], capsys)[0] in (0, 1, 3)
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    holder = next(i for i in report["identities"] if i["id"] == secret)
    radius = next(s for s in report["reach_sets"] if s["id"] == holder["reach_set"])
    assert any(r["resource"] == "pypi:project:acme-llm-gateway" for r in radius["blast_radius"])
    # A suppression in the config is shown on the finding explain prints.
    finding = next(f for f in report["findings"] if f["subject"]["id"] == LITELLM_ACTION)
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + f'[[suppress]]\nid = "{finding["id"]}"\nowner = "sec"\nreason = "scanner replaced"\nexpires = 2999-01-01\n',
        encoding="utf-8",
    )
    _, out, _ = run(["explain", LITELLM_ACTION, "--demo", "-c", str(cfg)], capsys)
    assert f"finding {finding['rule']} {finding['severity']} [suppressed: " in out
