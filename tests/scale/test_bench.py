"""The benchmark's estate generator: deterministic, provider-native, and readable by every connector."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cli import account_file_alone, default_and_all
from bench.generate import generate
from bench.sizes import Size
from bench.stages import run
from bench.startup import startup
from reports import FORMATS
from scanner.analyse import analyse, load_bundle
from scanner.plugins import connectors

TINY = Size("tiny", 2, 30, 20, 5, 15, 14, 9, 2, 20, 10)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_size_and_seed_give_the_same_bundle(tmp_path: Path) -> None:
    a = generate(TINY, tmp_path / "a", seed=7)
    b = generate(TINY, tmp_path / "b", seed=7)
    generate(TINY, tmp_path / "c", seed=8)
    assert _tree(tmp_path / "a" / "bundle") == _tree(tmp_path / "b" / "bundle")
    assert _tree(tmp_path / "a" / "bundle") != _tree(tmp_path / "c" / "bundle")
    assert a["files"] == b["files"]
    assert a["aws_authz_files"] == [
        "aws/100000007919/iam-get-account-authorization-details.json",
        "aws/100000015838/iam-get-account-authorization-details.json",
    ]


def test_the_estate_is_read_by_every_connector_and_analysed(tmp_path: Path) -> None:
    generate(TINY, tmp_path, seed=7)
    bundle = tmp_path / "bundle"
    authz = json.loads((bundle / "aws/100000007919/iam-get-account-authorization-details.json").read_text())
    assert len(authz["UserDetailList"]) == 30
    assert len(authz["GroupDetailList"]) == 5
    # real AWS-managed documents from moto, not stand-ins
    read_only = next(p for p in authz["Policies"] if p["PolicyName"] == "ReadOnlyAccess")
    assert len(json.dumps(read_only)) > 50_000
    loaded = load_bundle(bundle, connectors())
    result = analyse(loaded.inventory, source="bench", as_of=loaded.collected_at)
    providers = {n.provider for n in result.inventory.nodes()}
    assert {"aws", "github", "pypi"} <= providers
    assert result.findings


def test_stages_report_every_stage(tmp_path: Path) -> None:
    generate(TINY, tmp_path, seed=7)
    out = tmp_path / "reports"
    out.mkdir()
    res = run(tmp_path / "bundle", out)
    assert list(res["stages"]) == ["read+transform", "graph", "reach", "rules", "drift", "json", "html"]
    assert res["grants"] > 0
    assert set(res["report_bytes"]) == {"report.json", "report.html"}


def test_startup_row_times_the_installed_command() -> None:
    res = startup(repeat=1)
    assert res["help"]["exit_codes"] == [0]
    assert res["analyse_one_user"]["exit_codes"] == [0]  # the one-user bundle is analysed, not refused
    assert res["help"]["seconds"] > 0
    assert res["analyse_one_user"]["peak_rss_mb"] > 0


def test_cli_row_runs_default_formats_and_all_on_an_account_file_alone(tmp_path: Path) -> None:
    generate(TINY, tmp_path / "estate", seed=7)
    authz = tmp_path / "estate/bundle/aws/100000007919/iam-get-account-authorization-details.json"
    alone = account_file_alone(authz, tmp_path / "alone")
    assert sorted(p.relative_to(alone).as_posix() for p in alone.rglob("*") if p.is_file()) == [
        "aws/100000007919/iam-get-account-authorization-details.json"
    ]
    res = default_and_all(alone, repeat=1)
    assert res["default"]["exit_codes"] == [3]  # analysed, partial: the other account files are absent
    assert set(res["default"]["report_bytes"]) == {"report.json", "report.html"}
    assert set(res["all"]["report_bytes"]) == {s.filename for s in FORMATS.values()}
    assert res["time_ratio"] > 0
    assert res["memory_ratio"] > 0
