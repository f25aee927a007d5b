"""A malformed AWS bundle file is bad input: ``regwarden analyse`` prints one line naming the file and the
problem and exits 2 (docs/bundle.md, docs/security.md), never an internal error. Policy text is checked to
be a JSON object when the bundle is read; an IAM document may be URL-encoded, as the IAM API returns it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from connectors.aws import SPEC, raw
from scanner.bundle import BundleReader
from tests.hardening.bundles import analyse_quietly as _analyse

BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "aws" / "bundle"
BASE = "aws/111122223333"
AUTH = f"{BASE}/iam-get-account-authorization-details.json"
REPORT = f"{BASE}/iam-get-credential-report.csv"
CA_POLICY = f"{BASE}/us-east-1/codeartifact-get-domain-permissions-policy/acme.json"
SECRET_POLICY = f"{BASE}/us-east-1/secretsmanager-get-resource-policy/release%2Fpypi-token.json"
TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "*"}]}
)


def _copy(tmp: Path) -> Path:
    bundle = tmp / "bundle"
    shutil.copytree(BUNDLE, bundle)
    return bundle


def _edit_json(bundle: Path, rel: str, change: Callable[[Any], None]) -> None:
    path = bundle / rel
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _role(d: dict[str, Any]) -> dict[str, Any]:
    role: dict[str, Any] = d["RoleDetailList"][0]
    return role


def _set_trust(value: str) -> Callable[[Any], None]:
    return lambda d: _role(d).__setitem__("AssumeRolePolicyDocument", value)


def _set_inline(value: str) -> Callable[[Any], None]:
    return lambda d: d["UserDetailList"][0]["UserPolicyList"][0].__setitem__("PolicyDocument", value)


def _add_managed(value: str) -> Callable[[Any], None]:
    version = {"Document": value, "VersionId": "v1", "IsDefaultVersion": True}
    return lambda d: d["Policies"].append({"Arn": "arn:aws:iam::111122223333:policy/p", "PolicyVersionList": [version]})


def _set_ca(value: str) -> Callable[[Any], None]:
    return lambda d: d["policy"].__setitem__("document", value)


def _set_secret(value: str) -> Callable[[Any], None]:
    return lambda d: d.__setitem__("ResourcePolicy", value)


NOT_JSON = "policy document is not JSON (nor URL-encoded JSON)"
CASES: list[tuple[str, Callable[[Any], None], str]] = [
    (AUTH, _set_trust(quote(TRUST[:-5], safe="")), NOT_JSON),  # URL-encoded, not JSON once decoded
    (AUTH, _set_trust(quote("[1, 2]", safe="")), "policy document is not a JSON object"),
    (AUTH, _set_trust("%7B%ff%22"), NOT_JSON),  # a %-escape that is not UTF-8
    (AUTH, _set_inline("not json"), NOT_JSON),
    (AUTH, _set_inline(""), NOT_JSON),
    (AUTH, _set_inline('"a JSON string"'), "policy document is not a JSON object"),
    (AUTH, _add_managed("%7B%22Version"), NOT_JSON),
    (CA_POLICY, _set_ca(""), "not a JSON document"),
    (CA_POLICY, _set_ca("[1,2]"), "not a JSON object"),
    (SECRET_POLICY, _set_secret("not json"), "not a JSON document"),
    (SECRET_POLICY, _set_secret("null"), "not a JSON object"),
]
IDS = [
    "trust url-encoded truncated",
    "trust url-encoded array",
    "trust bad escape",
    "inline not json",
    "inline empty",
    "inline json string",
    "managed url-encoded truncated",
    "codeartifact empty",
    "codeartifact array",
    "secret not json",
    "secret null",
]


def _assert_refused(code: int, err: str, rel: str, problem: str) -> None:
    assert code == 2, err
    assert "internal error" not in err, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"regwarden: error: {rel}: "), line
    assert problem in line, line


@pytest.mark.parametrize(("rel", "change", "problem"), CASES, ids=IDS)
def test_policy_text_that_is_not_a_json_object_is_refused_naming_the_file(
    rel: str, change: Callable[[Any], None], problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _copy(tmp_path)
    _edit_json(bundle, rel, change)
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    _assert_refused(code, err, rel, problem)
    assert not (tmp_path / "out").exists()


def test_a_huge_field_in_the_credential_report_header_is_refused_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _copy(tmp_path)
    path = bundle / REPORT
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(f"{header},{'x' * 200_000}\n{rest}", encoding="utf-8")
    code, err = _analyse(bundle, tmp_path / "out", monkeypatch)
    _assert_refused(code, err, REPORT, "invalid CSV: field larger than field limit")


def _url_encode_every_document(d: dict[str, Any]) -> int:
    """Replace each IAM document of the file by its URL-encoded JSON text (the IAM API's form)."""
    count = 0
    for kind, inline in (("UserDetailList", "UserPolicyList"), ("RoleDetailList", "RolePolicyList")):
        for principal in d[kind]:
            for pol in principal.get(inline, []):
                pol["PolicyDocument"] = quote(json.dumps(pol["PolicyDocument"], indent=2), safe="")
                count += 1
            if "AssumeRolePolicyDocument" in principal:
                principal["AssumeRolePolicyDocument"] = quote(json.dumps(principal["AssumeRolePolicyDocument"]))
                count += 1
    return count


def _inventory(bundle: Path) -> tuple[list[str], list[str]]:
    inv = SPEC.inventory(BundleReader(bundle))
    return sorted(repr(n) for n in inv.nodes()), sorted(repr(e) for e in inv.edges())


def test_url_encoded_iam_documents_read_as_the_decoded_ones(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    counted: list[int] = []
    _edit_json(bundle, AUTH, lambda d: counted.append(_url_encode_every_document(d)))
    assert counted == [4]
    assert "%7B" in (bundle / AUTH).read_text(encoding="utf-8")
    nodes, edges = _inventory(bundle)
    assert (nodes, edges) == _inventory(BUNDLE)
    assert edges  # the documents were judged, not skipped


@pytest.mark.parametrize("safe", ["", "/"], ids=["all escaped", "slash kept"])
def test_a_url_encoded_document_decodes_exactly(safe: str) -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "a+b c%41 é ☃",  # "+" is not a space (RFC 3986, as botocore decodes); "%41" kept
                    "Effect": "Allow",
                    "Action": ["s3:Get*"],
                    "Resource": "arn:aws:s3:::bucket+1/path with space/*",
                    "Condition": {"StringLike": {"aws:userid": "AIDA*:${aws:username}?&="}},
                }
            ],
        },
        ensure_ascii=False,
        indent=2,
    )
    pol = raw.InlinePolicy.model_validate({"PolicyName": "p", "PolicyDocument": quote(text, safe=safe)})
    assert pol.PolicyDocument == text


def test_json_text_is_kept_as_written_never_url_decoded() -> None:
    text = '{"Statement": [{"Sid": "100%25 a+b", "Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    pol = raw.InlinePolicy.model_validate({"PolicyName": "p", "PolicyDocument": text})
    assert pol.PolicyDocument == text
    parsed: dict[str, Any] = {"Statement": []}
    assert raw.InlinePolicy.model_validate({"PolicyName": "p", "PolicyDocument": parsed}).PolicyDocument == parsed
