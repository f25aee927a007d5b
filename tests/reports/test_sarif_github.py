"""SARIF as GitHub code scanning takes it: the demo estate's report validated against the SARIF 2.1.0 schema
and checked against GitHub's documented requirements for uploads ("SARIF support for code scanning",
docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):

* ``artifactLocation.uri`` is the file's path inside the repository, so alerts land on real lines;
  the run names the repository (``versionControlProvenance[].repositoryUri``) and has its own category
  (``automationDetails.id``), as one file may carry several runs of one tool only with distinct categories;
* every rule has ``security-severity`` (a number from 0.0 to 10.0, as a string), ``help`` and a short
  description of at most 1,024 characters;
* each result names a rule of its run and carries ``partialFingerprints``; each run stays within the upload
  limits (25,000 results per run, 1,000 locations per result).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reports import sarif
from scanner.analyse import analyse, load_bundle
from scanner.demo_estate import BUNDLE
from scanner.plugins import connectors

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"


@pytest.fixture(scope="module")
def log() -> dict[str, Any]:
    loaded = load_bundle(BUNDLE, connectors())
    result = analyse(loaded.inventory, source="demo", scopes=loaded.scopes, as_of=loaded.collected_at)
    return sarif.document(result)


def test_validates_against_the_sarif_2_1_0_schema(log: dict[str, Any]) -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)


def test_locations_are_paths_inside_the_named_repository(log: dict[str, Any]) -> None:
    repo_runs = [r for r in log["runs"] if "versionControlProvenance" in r]
    assert repo_runs, "the demo's workflow findings make one run per repository"
    for run in repo_runs:
        (vcp,) = run["versionControlProvenance"]
        owner_repo = vcp["repositoryUri"].removeprefix("https://github.com/")
        assert run["properties"]["repository"] == owner_repo
        for res in run["results"]:
            loc = res["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            assert "uriBaseId" not in loc["artifactLocation"]
            assert not uri.startswith(("github/", "/")), uri
            # The path inside the repository is the bundle file below contents/ (or the action's folder).
            copy = BUNDLE / res["properties"]["bundleFile"]
            assert copy.is_file()
            assert copy.as_posix().endswith("/" + uri)
            line = loc.get("region", {}).get("startLine")
            if line is not None:
                assert 1 <= line <= len(copy.read_text(encoding="utf-8").splitlines())
    release = next(r for r in repo_runs if r["properties"]["repository"] == "acme-corp/llm-gateway")
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in release["results"]}
    assert ".github/workflows/ci-release.yml" in uris


def test_one_category_per_run(log: dict[str, Any]) -> None:
    ids = Counter(r["automationDetails"]["id"] for r in log["runs"])
    assert all(n == 1 for n in ids.values()), ids
    for run in log["runs"]:
        if "versionControlProvenance" in run:
            assert run["automationDetails"]["id"] == f"regwarden/{run['properties']['repository']}/"


def test_every_rule_has_what_code_scanning_shows(log: dict[str, Any]) -> None:
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        assert {r["id"] for r in rules} >= {f"RB{i:02d}" for i in range(1, 13)}
        for r in rules:
            score = float(r["properties"]["security-severity"])
            assert 0.0 <= score <= 10.0
            assert r["help"]["text"]
            assert 0 < len(r["shortDescription"]["text"]) <= 1024
        for res in run["results"]:
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
            assert res["partialFingerprints"]
            assert len(res["locations"]) <= 1000
        assert len(run["results"]) <= 25_000
