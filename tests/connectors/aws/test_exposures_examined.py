"""An ECR repository whose policy was examined — read, or answered 404 (no policy, recorded ``not_found`` in
the manifest) — is judged by RB07; one whose policy call is nowhere in the bundle is not assessed, naming the
file it is read from (the demo estate's two repositories have no policy)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scanner.analyse import analyse, load_bundle
from scanner.demo_estate import BUNDLE
from scanner.plugins import connectors


def _rb07(bundle: Path) -> dict[str, Any]:
    loaded = load_bundle(bundle, connectors())
    result = analyse(loaded.inventory, source="t", as_of=loaded.collected_at)
    cov = result.coverage["RB07"]
    names = {n.id: n.name for n in result.inventory.nodes()}
    return {"unjudged": {names[u.subject]: u for u in cov.unjudged}, "partial": result.partial}


@pytest.mark.parametrize("recorded", [True, False])
def test_a_repository_without_a_policy_is_judged_only_when_the_404_was_recorded(tmp_path: Path, recorded: bool) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    if not recorded:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        manifest["calls"] = [c for c in manifest["calls"] if "get-repository-policy" not in c["call"]]
        (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    got = _rb07(bundle)
    ecr = {k: u for k, u in got["unjudged"].items() if k in ("billing-worker", "payments-api")}
    if recorded:
        assert ecr == {}
        assert got["partial"] is False
    else:
        assert set(ecr) == {"billing-worker", "payments-api"}
        assert all(u.collectable and "ecr-get-repository-policy" in u.missing for u in ecr.values())
        assert got["partial"] is True
