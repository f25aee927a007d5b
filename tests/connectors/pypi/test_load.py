"""load(): typed records from the bundle, and one-line BundleErrors naming the file for malformed ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.pypi.load import load, normalize
from connectors.pypi.raw import PypiRaw
from scanner.bundle import BundleReader
from scanner.errors import BundleError


def _write(root: Path, rel: str, data: Any) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(data if isinstance(data, str) else json.dumps(data))


def _load_error(root: Path) -> BundleError:
    with pytest.raises(BundleError) as exc:
        load(BundleReader(root))
    return exc.value


@pytest.mark.parametrize(
    ("name", "normal"),
    [("Legacy_Tool", "legacy-tool"), ("zope.interface", "zope-interface"), ("A__b-.C", "a-b-c")],
)
def test_normalize_is_pep_503(name: str, normal: str) -> None:
    assert normalize(name) == normal


def test_every_project_and_its_optional_files_are_found(raw: PypiRaw) -> None:
    by_name = {p.project.info.name: p for p in raw.projects}
    assert set(by_name) == {"sampleproject", "acme-release", "Legacy_Tool", "drifted-lib"}
    assert raw.orphans == ()

    legacy = by_name["Legacy_Tool"]
    # The JSON API folder keeps the name as written; the simple index and roles use the normal form.
    assert legacy.json_path == "pypi/pypi/Legacy_Tool/json.json"
    assert legacy.simple_path == "pypi/simple/legacy-tool/index.json"
    assert legacy.roles_path == "pypi/xmlrpc/package_roles/legacy-tool.json"
    assert legacy.roles == (("Owner", "alice"), ("Maintainer", "ci-uploader"))
    assert legacy.provenances == ()

    sample = by_name["sampleproject"]
    assert sample.roles is None
    assert sample.roles_path is None
    assert sample.project.ownership is not None
    assert sample.project.ownership.organization == "pypa"
    assert {(fp.version, fp.filename) for fp in sample.provenances} == {
        ("4.0.0", "sampleproject-4.0.0-py3-none-any.whl"),
        ("4.0.0", "sampleproject-4.0.0.tar.gz"),
    }
    publisher = sample.provenances[0].provenance.attestation_bundles[0].publisher
    assert (publisher.kind, publisher.repository, publisher.workflow, publisher.environment) == (
        "GitHub",
        "pypa/sampleproject",
        "release.yml",
        "",
    )
    assert sample.simple is not None
    assert sample.simple.versions == ("1.2.0", "4.0.0")
    assert [f.provenance is not None for f in sample.simple.files] == [False, False, True, True]


def test_an_empty_bundle_has_no_projects(tmp_path: Path) -> None:
    assert load(BundleReader(tmp_path)) == PypiRaw()


def test_files_without_a_json_api_answer_are_orphans(bundle_copy: Path) -> None:
    _write(bundle_copy, "pypi/xmlrpc/package_roles/Ghost_Pkg.json", [["Owner", "x"]])
    _write(bundle_copy, "pypi/simple/other/index.json", {"meta": {"api-version": "1.0"}, "name": "other"})
    assert load(BundleReader(bundle_copy)).orphans == ("ghost-pkg", "other")


def test_per_release_json_answers_are_not_projects(bundle_copy: Path) -> None:
    _write(bundle_copy, "pypi/pypi/acme-release/2.0.0/json.json", "not even JSON")
    assert len(load(BundleReader(bundle_copy)).projects) == 4


# --- malformed files: each error starts with the file's bundle path ---------------------------------

JSON_API = "pypi/pypi/acme-release/json.json"
ROLES = "pypi/xmlrpc/package_roles/drifted-lib.json"
SIMPLE = "pypi/simple/sampleproject/index.json"
PROV = "pypi/integrity/acme-release/2.1.0/acme_release-2.1.0.tar.gz/provenance.json"


def test_truncated_json(bundle_copy: Path) -> None:
    text = (bundle_copy / JSON_API).read_text()
    _write(bundle_copy, JSON_API, text[: len(text) // 2])
    err = _load_error(bundle_copy)
    assert str(err).startswith(f"{JSON_API}: invalid JSON at line ")


def _edit(root: Path, rel: str, change: Any) -> None:
    data = json.loads((root / rel).read_text())
    change(data)
    _write(root, rel, data)


def test_releases_of_the_wrong_type(bundle_copy: Path) -> None:
    _edit(bundle_copy, JSON_API, lambda d: d.__setitem__("releases", ["2.0.0", "2.1.0"]))
    assert str(_load_error(bundle_copy)).startswith(f"{JSON_API}: releases: ")


def test_a_required_key_missing(bundle_copy: Path) -> None:
    _edit(bundle_copy, JSON_API, lambda d: d["info"].pop("version"))
    assert str(_load_error(bundle_copy)) == f"{JSON_API}: info.version: Field required"


def test_a_project_filed_under_another_name(bundle_copy: Path) -> None:
    _edit(bundle_copy, JSON_API, lambda d: d["info"].__setitem__("name", "acme-other"))
    assert str(_load_error(bundle_copy)).startswith(f"{JSON_API}: info.name 'acme-other' does not match")


@pytest.mark.parametrize(
    "roles",
    [
        {"Owner": "bob"},
        [["Owner"]],
        [["Owner", "bob", "extra"]],
        ["Owner", "bob"],
        [["Admin", "bob"]],
        [["Owner", 7]],
    ],
    ids=["object", "single", "triple", "flat", "unknown-role", "not-a-name"],
)
def test_package_roles_not_a_list_of_pairs(bundle_copy: Path, roles: Any) -> None:
    _write(bundle_copy, ROLES, roles)
    assert str(_load_error(bundle_copy)).startswith(f"{ROLES}: ")


def test_simple_file_without_filename(bundle_copy: Path) -> None:
    _edit(bundle_copy, SIMPLE, lambda d: d["files"][0].pop("filename"))
    assert str(_load_error(bundle_copy)) == f"{SIMPLE}: files.0.filename: Field required"


def test_github_publisher_without_workflow(bundle_copy: Path) -> None:
    _edit(bundle_copy, PROV, lambda d: d["attestation_bundles"][0]["publisher"].pop("workflow"))
    err = str(_load_error(bundle_copy))
    assert err.startswith(f"{PROV}: attestation_bundles.0.publisher: ")
    assert "GitHub publisher without workflow" in err


def test_provenance_without_bundles(bundle_copy: Path) -> None:
    _write(bundle_copy, PROV, {"version": 1, "attestation_bundles": []})
    assert str(_load_error(bundle_copy)).startswith(f"{PROV}: attestation_bundles: ")


def test_provenance_file_at_the_wrong_depth(bundle_copy: Path) -> None:
    rel = "pypi/integrity/acme-release/2.1.0/provenance.json"
    _write(bundle_copy, rel, {})
    assert str(_load_error(bundle_copy)).startswith(f"{rel}: expected pypi/integrity/")


def test_duplicate_keys_are_refused(bundle_copy: Path) -> None:
    _write(bundle_copy, ROLES, '[["Owner", "bob"]]'.replace("[[", '{"a": 1, "a": 2, "x": [[').replace("]]", "]]}"))
    assert str(_load_error(bundle_copy)).startswith(f"{ROLES}: duplicate key 'a'")
