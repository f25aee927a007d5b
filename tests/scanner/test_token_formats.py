"""The token formats table, one test per row: each format's example is recognised and redacted, its
near miss is left alone; each credential form redacts its value and leaves its fixed twin (a
reference to a secret store) as it is. The table agrees with registries.yaml's token prefixes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.knowledge.registries import registries
from scanner.knowledge.token_formats import CredentialForm, TokenFormat, formats, forms
from scanner.redact import MARKER, find, redact_json, redact_text


def test_the_table_loads_with_unique_ids_and_docs() -> None:
    assert len(formats()) >= 19
    assert len(forms()) >= 10
    for f in formats():
        assert f.docs.startswith("https://"), f.id


@pytest.mark.parametrize("row", formats(), ids=lambda r: r.id)
def test_token_format_row(row: TokenFormat) -> None:
    assert row.regex.search(row.example), "the example does not match its own pattern"
    assert any(row.example.startswith(p) or p in row.example for p in row.prefixes)
    workflow = f"env:\n  VALUE: {row.example}\njobs: {{}}\n"
    redacted = redact_text(workflow)
    if row.secret:
        assert row.example not in redacted
        assert MARKER.search(redacted)
    else:
        assert redacted == workflow  # an identifier, not a secret: recognised, never redacted
    near = f"env:\n  VALUE: {row.near_miss}\n"
    assert redact_text(near) == near, "the near miss was taken for a credential"


@pytest.mark.parametrize("row", formats(), ids=lambda r: r.id)
def test_a_match_needs_one_of_the_row_s_prefixes(row: TokenFormat) -> None:
    # The redactor searches a text with a format's pattern only when one of its prefixes is in it
    # (any case): a pattern must not match where none is.
    stripped = row.example
    for p in row.prefixes:
        stripped = re.sub(re.escape(p), "#", stripped, flags=re.IGNORECASE)
    assert stripped != row.example
    assert row.regex.search(stripped) is None
    assert row.regex.search(stripped.upper()) is None  # nor in another case


@pytest.mark.parametrize("row", forms(), ids=lambda r: r.id)
def test_a_form_match_needs_one_of_the_row_s_keywords(row: CredentialForm) -> None:
    # The redactor searches a text with a form's pattern only when one of its keywords is in it (any
    # case): a pattern must not match where none is, in the example, its fixed twin, or either in
    # capitals.
    for text in (row.example, row.fixed):
        stripped = text
        for k in row.keywords:
            stripped = re.sub(re.escape(k), "#", stripped, flags=re.IGNORECASE)
        assert not any(k in stripped.lower() for k in row.keywords)
        assert row.regex.search(stripped) is None, text
        assert row.regex.search(stripped.upper()) is None, text
    assert row.regex.search(row.example) is not None


_GATED = [(f.id, f.regex, f.keywords) for f in forms()]
_GATED += [(f.id, f.regex, tuple(p.lower() for p in f.prefixes)) for f in formats() if f.secret]


@pytest.mark.parametrize(("name", "regex", "words"), _GATED, ids=[g[0] for g in _GATED])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_holds_a_keyword_or_prefix(
    name: str, regex: re.Pattern[str], words: tuple[str, ...], data: st.DataObject
) -> None:
    # The gate's contract on whatever a pattern can match, not only on the examples: in texts generated
    # from the pattern (hypothesis.strategies.from_regex), every match holds one of the row's keywords
    # (a form) or prefixes (a token format), in any case.
    text = data.draw(st.from_regex(regex, fullmatch=False))
    for m in regex.finditer(text):
        assert any(w in m.group(0).lower() for w in words), (name, m.group(0))


def test_form_keywords_gate_only_texts_without_them() -> None:
    # Each form finds its example inside a longer text, where nothing else matches, so the gate is what
    # decides; and a text holding no keyword of any row and no token prefix finds nothing.
    for row in forms():
        found = find(f"steps:\n  - run: true\n  - run: {row.example}\n")
        assert row.value in [f.value for f in found] or any(row.value in f.value for f in found), row.id
    assert find("steps:\n  - run: make build\n  - run: echo done\n") == []


@pytest.mark.parametrize("row", forms(), ids=lambda r: r.id)
def test_credential_form_row(row: CredentialForm) -> None:
    m = row.regex.search(row.example)
    assert m is not None
    assert row.value in m.group("value")
    redacted = redact_text(row.example)
    assert row.value not in redacted
    assert MARKER.search(redacted)
    assert redact_text(row.fixed) == row.fixed, "the fixed twin (a reference) was redacted"


def test_prefixes_agree_with_the_registries_table() -> None:
    by_prefix = {p: f for f in formats() for p in f.prefixes}
    for reg in registries().values():
        for prefix in reg.token_prefixes:
            assert prefix in by_prefix, f"registries.yaml {reg.id}: no token format for {prefix!r}"
            assert reg.id in by_prefix[prefix].registries, f"{by_prefix[prefix].id} does not name {reg.id}"
    for f in formats():
        for rid in f.registries:
            assert rid in registries(), f"{f.id}: unknown registry {rid}"
            assert set(registries()[rid].token_prefixes) & set(f.prefixes), f"{f.id}: {rid} lists none of its prefixes"


@pytest.mark.parametrize(
    "line",
    [
        "permissions:\n  id-token: write\n  contents: read\n",
        "    password: ${{ secrets.PYPI_PASSWORD }}\n",
        '    password: "${{ secrets.PYPI_PASSWORD }}"\n',
        "  run: docker run -u 1000:1000 image\n",
        "  run: docker buildx build --secret id=npmrc,src=$HOME/.npmrc .\n",
        "  run: echo $TOKEN | docker login -u bob --password-stdin\n",
        "  secrets: inherit\n",
        "  token_env: GITHUB_TOKEN\n",
        "  run: npm ci --ignore-scripts\n",
        "  uses: pypa/gh-action-pypi-publish@release/v1\n",
        "  password: true\n",
    ],
)
def test_what_is_not_a_credential_stays(line: str) -> None:
    assert find(line) == []
    assert redact_text(line) == line


def test_redaction_is_idempotent_and_keeps_yaml_and_json_valid() -> None:
    text = "".join(f"  k{i}: {f.example}\n" for i, f in enumerate(formats()) if f.id != "private-key")
    once = redact_text(text)
    assert redact_text(once) == once
    doc: dict[str, Any] = {
        "a": [{"password": "Hunter2Json"}, f"docker login -p Hunter2Cli {formats()[0].example}"],
        "id": 1,
    }
    out = redact_json(doc)
    dumped = json.dumps(out)
    assert "Hunter2" not in dumped
    assert formats()[0].example not in dumped
    assert redact_json(out) == out
    assert doc["a"][0] == {"password": "Hunter2Json"}  # the input is not changed in place
