"""The machine exports: each validates against its schema, is deterministic, and matches its golden file."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import networkx as nx
import pytest
from trestle.oscal.assessment_results import AssessmentResults

from reports import FORMATS, graphml, ocsf, oscal, sarif
from reports import csv as report_csv
from reports import json as report_json
from reports._common import NAMESPACE, spreadsheet_cell, stable_uuid
from scanner.graph import ScanGraph
from scanner.model import Node, NodeId, NodeKind
from scanner.reach import ReachIndex
from scanner.result import ScanResult
from tests.reports import estate

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("REGWARDEN_UPDATE_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(text.encode("utf-8"))
    assert path.read_bytes().decode("utf-8") == text, f"{name} changed (REGWARDEN_UPDATE_GOLDEN=1 to accept)"


def _with_node(node: Node) -> ScanResult:
    result = estate.build()
    result.inventory.add_node(node)
    return dataclasses.replace(result, reach=ReachIndex.build(ScanGraph(result.inventory)))


def _estates() -> list[ScanResult]:
    return [estate.build(), estate.build(partial=False), estate.build(reverse=True)]


# -- golden files (no timestamps in any of them) ------------------------------------------------


def test_json_golden() -> None:
    text = report_json.dumps(report_json.build_document(estate.build()))
    text, n = re.subn(r'\n  "generated_at": "[^"]*",', "", text)
    assert n == 1
    _golden("report.json", text)


def test_sarif_golden_and_deterministic() -> None:
    text = sarif.text(estate.build())
    assert "2026-03-01" not in text  # no timestamps
    assert sarif.text(estate.build(reverse=True)) == text
    _golden("report.sarif", text)


def test_csv_golden_and_deterministic() -> None:
    findings = report_csv.findings_text(estate.build())
    inventory = report_csv.inventory_text(estate.build())
    assert report_csv.findings_text(estate.build(reverse=True)) == findings
    assert report_csv.inventory_text(estate.build(reverse=True)) == inventory
    _golden("findings.csv", findings)
    _golden("inventory.csv", inventory)


# -- SARIF ----------------------------------------------------------------------------------------


def test_sarif_validates_against_official_schema() -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    for result in _estates():
        validator.validate(sarif.document(result))


def test_sarif_only_findings_with_a_file() -> None:
    doc = sarif.document(estate.build())
    run = doc["runs"][0]
    located = [f for f in estate.build().findings if f.location is not None]
    assert len(run["results"]) == len(located) == 2
    by_rule = {r["ruleId"]: r for r in run["results"]}
    rb01 = by_rule["RB01"]["locations"][0]["physicalLocation"]
    assert rb01 == {
        "artifactLocation": {"uri": "pypi/tokens.json", "uriBaseId": "BUNDLE"},
        "region": {"startLine": 3},
    }
    assert by_rule["RB09"]["suppressions"][0]["kind"] == "external"
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert rules[by_rule["RB01"]["ruleIndex"]]["properties"]["security-severity"] == "8.0"


# -- OSCAL ----------------------------------------------------------------------------------------


def test_oscal_validates_with_trestle() -> None:
    for result in _estates():
        doc = oscal.document(result)
        model = AssessmentResults.model_validate(doc["assessment-results"])
        assert len(model.results) == 1


def test_oscal_content() -> None:
    doc = oscal.document(estate.build())["assessment-results"]
    res = doc["results"][0]
    selected = [c["control-id"] for c in res["reviewed-controls"]["control-selections"][0]["include-controls"]]
    assert selected == ["rb01", "rb03", "rb09", "rb11"]  # the controls a rule evaluated
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in res["findings"]}
    # RB09's only finding is suppressed: the control is satisfied; the others have open findings
    assert states == {
        "rb01_obj": "not-satisfied",
        "rb03_obj": "not-satisfied",
        "rb09_obj": "satisfied",
        "rb11_obj": "not-satisfied",
    }
    assert len(res["observations"]) == 4
    assert len(res["risks"]) == 3  # open findings only
    assert all(o["methods"] == ["TEST"] and o["collected"] == "2026-03-01T12:00:00Z" for o in res["observations"])
    obs_ids = {o["uuid"] for o in res["observations"]}
    risk_ids = {r["uuid"] for r in res["risks"]}
    for f in res["findings"]:
        assert {x["observation-uuid"] for x in f.get("related-observations", [])} <= obs_ids
        assert {x["risk-uuid"] for x in f.get("related-risks", [])} <= risk_ids
    assert "PARTIAL SCAN" in res["remarks"]
    assert "RB02" in res["remarks"]  # not assessed


def test_oscal_uuids_are_v5_and_deterministic() -> None:
    a = oscal.text(estate.build())
    assert oscal.text(estate.build(reverse=True)) == a
    for u in re.findall(r'"(?:uuid|observation-uuid|risk-uuid|subject-uuid)": "([^"]+)"', a):
        assert uuid.UUID(u).version == 5


# -- OCSF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("parts", [("a",), ("finding", "RB01:x"), ("", ""), ("é☃", "\x00", "a/b:c"), ("x" * 200, "y")])
def test_stable_uuid_is_the_standard_library_s_uuid5(parts: tuple[str, ...]) -> None:
    assert stable_uuid(*parts) == str(uuid.uuid5(NAMESPACE, "\x00".join(parts)))


def test_ocsf_validates_against_schema() -> None:
    schema = json.loads((SCHEMAS / "ocsf-1.4.0-compliance-finding.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for result in _estates():
        jsonschema.Draft202012Validator(schema).validate(ocsf.events(result))


def test_ocsf_content() -> None:
    events = ocsf.events(estate.build())
    assert [e["finding_info"]["uid"] for e in events] == [
        f.id for f in report_json.build_document(estate.build()).findings
    ]
    first = events[0]
    assert (first["class_uid"], first["type_uid"], first["severity_id"]) == (2003, 200301, 5)
    assert first["time"] == 1772366400000
    assert first["compliance"]["control"] == "RB11"
    suppressed = next(e for e in events if e["compliance"]["control"] == "RB09")
    assert (suppressed["status_id"], suppressed["status"]) == (3, "Suppressed")
    schema = json.loads((SCHEMAS / "ocsf-1.4.0-compliance-finding.schema.json").read_text(encoding="utf-8"))
    first["class_uid"] = 2004
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(events, schema)


# -- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value


def test_plain_cells_untouched() -> None:
    assert spreadsheet_cell("a=b") == "a=b"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(3) == "3"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_findings_csv_columns_and_rows() -> None:
    text = report_csv.findings_text(estate.build())
    assert text.splitlines()[0].split(",") == list(report_csv.FINDING_COLUMNS)
    rows = _rows(text)
    assert [r["rule"] for r in rows] == ["RB11", "RB03", "RB01", "RB09"]
    rb01 = next(r for r in rows if r["rule"] == "RB01")
    assert rb01["owners"] == "maint"  # the token's own owner is unknown: the account on its path is maint's
    assert rb01["path"] == f"{estate.CRED} -[authenticates_as]-> {estate.ACCOUNT} -[grants]-> {estate.PROJECT}"
    assert (rb01["location_file"], rb01["location_line"]) == ("pypi/tokens.json", "3")


def test_inventory_csv_neutralises_hostile_names() -> None:
    result = _with_node(Node(NodeId("x:identity:evil"), NodeKind.IDENTITY, "=cmd|' /C calc'!A0", "x", "x:role"))
    rows = _rows(report_csv.inventory_text(result))
    evil = next(r for r in rows if r["id"] == "x:identity:evil")
    assert evil["name"] == "'=cmd|' /C calc'!A0"
    account = next(r for r in rows if r["id"] == estate.ACCOUNT)
    assert account["name"] == estate.IMG
    assert account["owners"] == "maint"
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


# -- GraphML --------------------------------------------------------------------------------------


def test_graphml_round_trips() -> None:
    result = estate.build()
    text = graphml.text(result)
    g = nx.read_graphml(io.BytesIO(text.encode("utf-8")), force_multigraph=True)
    assert set(g.nodes) == {n.id for n in result.inventory.nodes()}
    assert g.number_of_edges() == result.inventory.edge_count
    assert g.nodes[estate.ACCOUNT]["name"] == estate.IMG
    assert g.nodes[estate.ADMIN]["blast_radius"] == 6
    kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert "runs_code_of" in kinds
    assert graphml.text(estate.build(reverse=True)) == text


def test_graphml_survives_control_characters() -> None:
    result = _with_node(Node(NodeId("x:identity:ctl"), NodeKind.IDENTITY, "bad\x00\x1bname", "x", "x:role"))
    g = nx.read_graphml(io.BytesIO(graphml.text(result).encode("utf-8")), force_multigraph=True)
    assert g.nodes["x:identity:ctl"]["name"] == "bad\ufffd\ufffdname"


# -- the table and the CLI ------------------------------------------------------------------------


def test_formats_table_writes_every_file(tmp_path: Path) -> None:
    assert {k: v.filename for k, v in FORMATS.items()} == {
        "json": "report.json",
        "html": "report.html",
        "oscal": "report.oscal.json",
        "ocsf": "report.ocsf.json",
        "sarif": "report.sarif",
        "csv": "findings.csv",
        "inventory-csv": "inventory.csv",
        "graphml": "graph.graphml",
    }
    for name, spec in FORMATS.items():
        assert spec.name == name
        spec.render(estate.build(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(s.filename for s in FORMATS.values())


def test_demo_writes_every_export(tmp_path: Path) -> None:
    from scanner.cli import main

    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--format", ",".join(FORMATS)]) == 0
    written = sorted(s.filename for s in FORMATS.values())
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "drift.json"])
    data: dict[str, Any] = json.loads((out / "report.oscal.json").read_text(encoding="utf-8"))
    AssessmentResults.model_validate(data["assessment-results"])
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(json.loads((out / "report.sarif").read_text(encoding="utf-8")))
    ocsf_schema = json.loads((SCHEMAS / "ocsf-1.4.0-compliance-finding.schema.json").read_text(encoding="utf-8"))
    events = json.loads((out / "report.ocsf.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(ocsf_schema).validate(events)
    # What a control could not judge is there too, as Unknown compliance results naming the missing fact.
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    unjudged = {(c["id"], u["subject"]) for c in report["controls"] for u in c["not_assessed"]}
    unknown = {
        (e["compliance"]["control"], e["resources"][0]["uid"]) for e in events if e["compliance"]["status_id"] == 0
    }
    assert unknown == unjudged
    assert unjudged  # the demo has subjects regwarden does not read facts for (image provenance, …)
    oscal_rb04 = next(
        f for f in data["assessment-results"]["results"][0]["findings"] if f["target"]["target-id"] == "rb04_obj"
    )
    assert oscal_rb04["target"]["status"]["reason"] == "other"
    assert "Not assessed:" in oscal_rb04["target"]["status"]["remarks"]


@pytest.mark.parametrize("value", ["\ufeffteam", "bom\ufeff", "a\u2028b", "\n x \t"])
def test_oscal_single_line_values_match_nists_pattern_as_a_json_schema_validator_reads_it(value: str) -> None:
    """``^\\S(.*\\S)?$`` under JSON Schema's (JavaScript) regular expressions, where ``\\s`` includes U+FEFF
    and ``.`` no line terminator: what Python's ``re`` would accept is not enough (trestle uses it)."""
    js_space = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    line = oscal._line(value)
    assert line
    assert line[0] not in js_space
    assert line[-1] not in js_space
    assert not set(line) & set("\n\r\u2028\u2029")


def test_sarif_keeps_a_file_whose_name_holds_a_line_break_in_its_repositorys_run() -> None:
    found = sarif.repository_file("github/repos/acme/app/contents/.github/workflows/np\nm.yaml")
    assert found == ("acme/app", ".github/workflows/np\nm.yaml")
