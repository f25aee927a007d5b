"""report.json: schema, determinism, order and content."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from reports import json as report_json
from reports._common import iso_utc
from scanner.findings import Severity
from scanner.result import ScanResult
from tests.reports import estate


def _render(result: ScanResult, out: Path) -> tuple[str, dict[str, Any]]:
    report_json.render(result, out)
    text = (out / "report.json").read_text(encoding="utf-8")
    return text, json.loads(text)


def _without_timestamp(text: str) -> str:
    out, n = re.subn(r'\n  "generated_at": "[^"]*",', "", text)
    assert n == 1
    return out


def test_committed_schema_is_current() -> None:
    committed = report_json.SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == report_json.schema_text(), "run: python -m reports --schema"


def test_write_schema_round_trips(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    assert report_json.main(["--schema", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == report_json.schema_text()


def test_report_validates_against_schema(tmp_path: Path) -> None:
    schema = json.loads(report_json.SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for partial in (True, False):
        _, doc = _render(estate.build(partial=partial), tmp_path / str(partial))
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_schema_rejects_unknown_fields(tmp_path: Path) -> None:
    schema = json.loads(report_json.SCHEMA_PATH.read_text(encoding="utf-8"))
    _, doc = _render(estate.build(), tmp_path)
    doc["findings"][0]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_renders_are_byte_identical_apart_from_generated_at(tmp_path: Path) -> None:
    a, _ = _render(estate.build(), tmp_path / "a")
    later = estate.NOW + timedelta(days=3, seconds=7)
    b, _ = _render(estate.build(reverse=True, generated_at=later), tmp_path / "b")
    assert a != b
    assert _without_timestamp(a) == _without_timestamp(b)
    assert a.endswith("}\n")
    assert not a.endswith("\n\n")


def test_generated_at_is_utc(tmp_path: Path) -> None:
    plus2 = timezone(timedelta(hours=2))
    _, doc = _render(estate.build(generated_at=datetime(2026, 3, 1, 14, 0, tzinfo=plus2)), tmp_path)
    assert doc["generated_at"] == "2026-03-01T12:00:00Z"


def test_top_level_shape(tmp_path: Path) -> None:
    _, doc = _render(estate.build(), tmp_path)
    assert list(doc) == [
        "schema_version",
        "generated_at",
        "tool",
        "source",
        "scopes",
        "partial",
        "coverage_gaps",
        "summary",
        "findings",
        "controls",
        "identities",
        "reach_sets",
        "resources",
    ]
    assert doc["schema_version"] == "2.0"
    assert doc["tool"]["name"] == "regwarden"
    assert doc["scopes"] == ["aws:123456789012", "github:acme", "pypi"]
    assert doc["partial"] is True
    assert [g["provider"] for g in doc["coverage_gaps"]] == ["aws", "github"]


def test_findings_most_severe_then_largest_blast_radius(tmp_path: Path) -> None:
    _, doc = _render(estate.build(reverse=True), tmp_path)
    got = [(f["rule"], f["severity"], f["blast_radius"]) for f in doc["findings"]]
    assert got == [("RB11", "critical", 2), ("RB03", "high", 6), ("RB01", "high", 2), ("RB09", "low", 0)]
    ranks = [Severity(f["severity"]).rank for f in doc["findings"]]
    assert ranks == sorted(ranks, reverse=True)


def test_finding_content(tmp_path: Path) -> None:
    _, doc = _render(estate.build(), tmp_path)
    rb01 = next(f for f in doc["findings"] if f["rule"] == "RB01")
    assert rb01["control_title"] == "Publish/promote rights use short-lived, per-task credentials"
    assert rb01["subject"] == {"id": estate.CRED, "name": "pypi token tok-1", "kind": "credential", "provider": "pypi"}
    assert rb01["owasp_nhi"] == ["NHI7", "NHI4"]
    assert rb01["nist_csf"] == ["PR.AA-01", "PR.AA-05"]
    assert rb01["remediation"] == f"Fix it. {estate.SCRIPT}"
    assert rb01["location"] == {"file": "pypi/tokens.json", "line": 3}
    assert [(s["src"], s["dst"], s["kind"], s["actions"]) for s in rb01["path"]] == [
        (estate.CRED, estate.ACCOUNT, "authenticates_as", []),
        (estate.ACCOUNT, estate.PROJECT, "grants", ["PUBLISH"]),
    ]
    rb09 = next(f for f in doc["findings"] if f["rule"] == "RB09")
    assert rb09["status"] == "suppressed"
    assert rb09["location"] == {"file": "github/orgs/acme/members.json", "line": None}


def test_summary_and_controls(tmp_path: Path) -> None:
    _, doc = _render(estate.build(), tmp_path)
    s = doc["summary"]
    assert s["nodes_by_kind"] == {
        "identity": 3,
        "credential": 1,
        "secret": 1,
        "resource": 3,
        "third_party": 1,
        "person": 1,
    }
    assert s["edges_by_kind"]["grants"] == 3
    assert list(s["findings_by_severity"]) == ["critical", "high", "medium", "low", "info"]
    assert s["findings_by_severity"] == {"critical": 1, "high": 2, "medium": 0, "low": 1, "info": 0}
    assert s["findings_by_status"] == {"open": 3, "suppressed": 1}
    assert s["findings_by_control"]["RB03"] == 1
    assert s["findings_by_control"]["RB02"] == 0
    controls = {c["id"]: c for c in doc["controls"]}
    assert [c["id"] for c in doc["controls"]] == [f"RB{i:02d}" for i in range(1, 13)]
    assert controls["RB01"]["assessed"] is True
    assert controls["RB01"]["findings"] == 1
    assert controls["RB02"]["assessed"] is False


def test_identities_and_resources(tmp_path: Path) -> None:
    _, doc = _render(estate.build(), tmp_path)
    ids = [i["id"] for i in doc["identities"]]
    assert ids == sorted(ids)
    # resources and people never appear; everyone else here reaches something
    assert set(ids) == {estate.SECRET, estate.CRED, estate.ACCOUNT, estate.JOB, estate.ACTION, estate.ADMIN}
    sets = {s["id"]: s for s in doc["reach_sets"]}
    # numbered in the order of the first identity holding each; every set is held, none twice
    assert [s["id"] for s in doc["reach_sets"]] == [f"R{n}" for n in range(1, len(sets) + 1)]
    assert list(dict.fromkeys(i["reach_set"] for i in doc["identities"])) == list(sets)
    for s in doc["reach_sets"]:
        assert s["holders"] == sum(1 for i in doc["identities"] if i["reach_set"] == s["id"])
    radius = {i["id"]: sets[i["reach_set"]]["blast_radius"] for i in doc["identities"]}
    for i in doc["identities"]:
        assert i["blast_radius"] == sum(len(r["actions"]) for r in radius[i["id"]])
    assert radius[estate.CRED] == [
        {"resource": estate.PIPELINE, "actions": ["DEPLOY"]},
        {"resource": estate.PROJECT, "actions": ["PUBLISH"]},
    ]
    assert {"resource": estate.REGISTRY, "actions": ["READ", "PUBLISH", "PROMOTE", "DEPLOY", "ADMIN"]} in radius[
        estate.ADMIN
    ]
    # the account authenticates as nothing more than the credential: the same reach, one set
    cred = next(i for i in doc["identities"] if i["id"] == estate.CRED)
    account = next(i for i in doc["identities"] if i["id"] == estate.ACCOUNT)
    assert cred["reach_set"] == account["reach_set"]
    res = {r["id"]: r for r in doc["resources"]}
    assert [r["id"] for r in doc["resources"]] == sorted(res)
    assert set(res) == {estate.PIPELINE, estate.PROJECT, estate.REGISTRY}
    project = res[estate.PROJECT]
    assert project["name"] == estate.SCRIPT
    assert project["who_can"] == {"READ": 1, "PUBLISH": 5}

    def who(resource: str, action: str) -> list[str]:  # the join docs/report.md shows
        return sorted(
            i["id"]
            for i in doc["identities"]
            if any(r["resource"] == resource and action in r["actions"] for r in radius[i["id"]])
        )

    assert who(estate.PROJECT, "READ") == [estate.ADMIN]
    assert who(estate.PROJECT, "PUBLISH") == sorted(
        [estate.ACTION, estate.JOB, estate.SECRET, estate.CRED, estate.ACCOUNT]
    )
    for r in doc["resources"]:
        assert r["who_can"] == {a: len(who(r["id"], a)) for a in r["who_can"]}


def test_hostile_strings_survive_as_data(tmp_path: Path) -> None:
    text, doc = _render(estate.build(), tmp_path)
    assert estate.IMG in text  # ensure_ascii=False: stored verbatim, escaping is the consumer's job
    assert next(i for i in doc["identities"] if i["id"] == estate.ACCOUNT)["name"] == estate.IMG


def test_failed_render_leaves_previous_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous\n", encoding="utf-8")
    good = estate.build()
    bad = ScanResult(
        generated_at=good.generated_at,
        source=good.source,
        scopes=good.scopes,
        inventory=good.inventory,
        reach=good.reach,
        findings=(*good.findings, "not a finding"),  # type: ignore[arg-type]
        rules=good.rules,
        gaps=good.gaps,
    )
    with pytest.raises(AttributeError):
        report_json.render(bad, tmp_path)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_failed_write_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space"):
        report_json.render(estate.build(), out)
    assert list(out.iterdir()) == []


def test_streamed_writer_equals_the_models_dump() -> None:
    # report.json is written section by section from the models; it must be byte for byte what
    # pydantic's own dump, indented by the standard library, would be.
    for result in (estate.build(), estate.build(partial=False)):
        doc = report_json.build_document(result)
        want = json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        assert report_json.dumps(doc) == want
        for f in doc.findings:
            assert report_json.finding_data(f) == f.model_dump(mode="json")


_ENTRY_MODELS = [
    report_json.Subject,
    report_json.PathStepOut,
    report_json.Location,
    report_json.FactOut,
    report_json.OwnerOut,
    report_json.FindingOut,
    report_json.ReachedOut,
    report_json.IdentityOut,
    report_json.ReachSetOut,
    report_json.ResourceOut,
]


@pytest.mark.parametrize("model", _ENTRY_MODELS, ids=lambda m: m.__name__)
def test_fast_constructor_makes_what_model_construct_makes(model: type[Any], tmp_path: Path) -> None:
    # Every entry of a real document rebuilt both ways: the same instance state, equal, the same dump.
    doc = report_json.build_document(estate.build())
    entries: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, model):
            entries.append(value)
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, tuple | list):
            for v in value:
                walk(v)

    walk(doc)
    if model is report_json.FactOut:  # the test estate's findings carry no facts
        entries.append(model.model_construct(text="ci can assume deploy: trust", files=("aws/a.json:3",)))
    assert entries, f"the test estate has no {model.__name__}"
    make = report_json.constructor(model)
    for entry in entries:
        values = {name: getattr(entry, name) for name in model.model_fields}
        fast, slow = make(**values), model.model_construct(**values)
        assert type(fast) is model
        assert fast.__dict__ == slow.__dict__
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.__pydantic_private__ == slow.__pydantic_private__
        assert fast == slow
        assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
        # values in another order, or one missing: still what model_construct makes
        backwards = dict(reversed(values.items()))
        assert list(make(**backwards).__dict__) == list(slow.__dict__)
        first = next(iter(values))
        partial = {k: v for k, v in values.items() if k != first}
        assert make(**partial).__dict__ == model.model_construct(**partial).__dict__


def test_report_times_are_utc_whatever_was_written_before() -> None:
    # Report times are remembered by value: an equal datetime is the same instant (so the same text),
    # and a naive time (taken as UTC) never shares an answer with an aware one of the same wall clock.
    plus_one = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 3, 1, 12, 0, tzinfo=plus_one)) == "2026-03-01T11:00:00Z"
    assert iso_utc(datetime(2026, 3, 1, 12, 0)) == "2026-03-01T12:00:00Z"
    assert iso_utc(datetime(2026, 3, 1, 11, 0, tzinfo=UTC)) == "2026-03-01T11:00:00Z"
    assert iso_utc(datetime(2026, 3, 1, 12, 0, 59, 999_999, tzinfo=UTC)) == "2026-03-01T12:00:59Z"


def test_the_shared_document_is_freed_with_its_result(tmp_path: Path) -> None:
    """report.json and the HTML page share one document per result; it goes when the result does (a
    scheduler's process held the last scan's document, with its serialised head, between scans)."""
    import gc

    from scanner.heap import collector_paused

    def reports_alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is report_json.Report)

    # Earlier tests of the same worker may have left garbage holding a Report (collected first), or a result still
    # alive whose document is the module's last one (`_LAST`, with its head in `_DATA`): this result's render would
    # replace it and free it, and the counts below would see one document where there are two. Start from none, and
    # keep the collector from running in between, so the counts see only this result's document (and the claim
    # below, freed by reference counting alone, is what is tested).
    report_json._LAST = None
    report_json._DATA = None
    gc.collect()
    with collector_paused():
        result = estate.build()
        before = reports_alive()
        report_json.render(result, tmp_path)
        report_json.document_data(report_json.build_document(result))  # the head, as the HTML page asks
        assert reports_alive() == before + 1
        del result
        assert reports_alive() == before  # by reference counting, no collector pass needed
