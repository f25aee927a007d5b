"""Property-based tests of every bundle parser and of the configuration loader.

For each connector a valid bundle is built once; hypothesis then breaks one of its files at a time
(truncated, wrong types, huge numbers, deep nesting, non-UTF-8, duplicate keys, unknown fields, YAML
alias bombs, foreign YAML tags) and the bundle is loaded exactly as ``regwarden analyse`` loads it.
Every case must load, or raise BundleError with one line naming the broken file — never another
exception. The numbers of generated cases are stored as figures (see ``figures.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import CONNECTORS
from scanner.analyse import load_bundle
from scanner.bundle import MAX_FILE_BYTES, BundleReader
from scanner.config import load_config, parse_config
from scanner.errors import BundleError, ConfigError
from tests.hardening import figures
from tests.hardening.bundles import build

PROVIDERS = sorted(CONNECTORS)
EXAMPLES = int(os.environ.get("REGWARDEN_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
MANIFEST = {
    "version": 1,
    "tool": "regwarden",
    "collected_at": "2026-11-28T00:00:00Z",
    "scopes": ["x:y"],
    "calls": [{"provider": "x", "scope": "y", "call": "GET /y", "status": "ok", "detail": ""}],
}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
HUGE = ["1" + "0" * 400, "1e999", "-1e999", "9" * 5000, str(2**64), str(-(2**63) - 1), "1.7976931348623157e309"]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"]
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "on: *i\n"
)
TAGS = ["!!python/object/apply:os.system ['true']", "!!binary AAAA", "!!set {a, b}", "!!timestamp 2001-12-14"]
SENTINEL = "\x00RAW\x00"


def _paths(doc: Any, limit: int = 2000) -> list[tuple[Any, ...]]:
    """Paths to every value of a parsed document (breadth first, bounded)."""
    out: list[tuple[Any, ...]] = [()]
    queue: deque[tuple[tuple[Any, ...], Any]] = deque([((), doc)])
    while queue and len(out) < limit:
        path, node = queue.popleft()
        items: list[tuple[Any, Any]] = (
            list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        )
        for k, v in items:
            out.append((*path, k))
            queue.append(((*path, k), v))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _raw_json(doc: Any, raw: str) -> bytes:
    """Serialise ``doc`` with the sentinel string replaced by a raw JSON token (huge numbers, nesting)."""
    return json.dumps(doc, ensure_ascii=False).replace(json.dumps(SENTINEL), raw).encode("utf-8")


def _mutate_structured(kind: str, text: str, is_yaml: bool, data: st.DataObject) -> bytes | None:
    doc = yaml.safe_load(text) if is_yaml else json.loads(text)
    paths = _paths(doc)
    path = data.draw(st.sampled_from(paths), label="path")
    dump: Callable[[Any], bytes] = (
        (lambda d: yaml.safe_dump(d, sort_keys=False).encode()) if is_yaml else (lambda d: json.dumps(d).encode())
    )
    if kind == "wrong_type":
        return dump(_set(doc, path, data.draw(JSON_VALUES, label="value")))
    if kind == "unknown_field":
        dicts = [p for p in paths if isinstance(_get(doc, p), dict)]
        if not dicts:
            return None
        target = data.draw(st.sampled_from(dicts), label="object")
        _get(doc, target)[data.draw(st.text(min_size=1, max_size=12), label="key")] = data.draw(JSON_VALUES)
        return dump(doc)
    if kind == "huge_number":
        raw = data.draw(st.sampled_from(HUGE), label="number")
        if is_yaml:
            return dump(_set(doc, path, SENTINEL)).replace(SENTINEL.encode(), raw.encode())
        return _raw_json(_set(doc, path, SENTINEL), raw)
    if kind == "deep_nesting":
        n = data.draw(st.sampled_from([64, 2000, 200_000]), label="depth")
        raw = "[" * n + "]" * n
        if is_yaml:
            return text.encode() + f"\ndeep: {raw}\n".encode()
        return _raw_json(_set(doc, path, SENTINEL), raw)
    if kind == "duplicate_key":
        dicts = [p for p in paths if isinstance(_get(doc, p), dict) and _get(doc, p)]
        if not dicts:
            return None
        target = data.draw(st.sampled_from(dicts), label="object")
        obj = _get(doc, target)
        key = data.draw(st.sampled_from(sorted(obj, key=str)), label="key")
        if is_yaml:
            return text.encode() + f"\n{key}: duplicate\n".encode() if not target else None
        raw = "{" + json.dumps(str(key)) + ": null, " + json.dumps(obj)[1:]
        return _raw_json(_set(doc, target, SENTINEL), raw)
    raise AssertionError(kind)


def mutate(original: bytes, suffix: str, data: st.DataObject) -> tuple[str, bytes]:
    """One mutation of a file's bytes, chosen by hypothesis; returns (kind, new bytes)."""
    is_yaml = suffix in (".yml", ".yaml")
    is_structured = is_yaml or suffix in (".json", ".tfstate")
    kinds = ["truncate", "non_utf8", "garbage"]
    if is_structured:
        kinds += ["wrong_type", "unknown_field", "huge_number", "deep_nesting", "duplicate_key"]
    if is_yaml:
        kinds += ["yaml_bomb", "yaml_tag"]
    kind = data.draw(st.sampled_from(kinds), label="mutation")
    if kind == "truncate":
        return kind, original[: data.draw(st.integers(0, max(0, len(original) - 1)), label="cut")]
    if kind == "non_utf8":
        at = data.draw(st.integers(0, len(original)), label="at")
        return kind, original[:at] + data.draw(st.sampled_from(BAD_BYTES)) + original[at:]
    if kind == "garbage":
        return kind, data.draw(st.binary(max_size=64) | st.text(max_size=64).map(str.encode), label="garbage")
    if kind == "yaml_bomb":
        return kind, BOMB.encode()
    if kind == "yaml_tag":
        return kind, original + f"\nx: {data.draw(st.sampled_from(TAGS))}\n".encode()
    out = _mutate_structured(kind, original.decode("utf-8"), is_yaml, data)
    return kind, out if out is not None else original[: len(original) // 2]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One valid bundle per connector (with a manifest), built once for the module."""
    out = {}
    for p in PROVIDERS:
        root = build(p, tmp_path_factory.mktemp(f"bundle-{p}"))
        (root / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
        out[p] = root
    return out


def _check_load(root: Path, rel: str) -> str:
    """Load the bundle as ``analyse`` does: "ok", or "refused" for a one-line BundleError naming ``rel``."""
    err: BundleError | None = None
    try:
        load_bundle(root, CONNECTORS)
    except BundleError as e:
        err = e
    if err is None:
        return "ok"
    msg = str(err)
    assert "\n" not in msg, msg
    assert err.file == rel or msg.startswith(rel), f"error does not name {rel}: {msg}"
    return "refused"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_broken_file_loads_or_is_refused_naming_it(provider: str, bundles: dict[str, Path]) -> None:
    root = bundles[provider]
    files = [*BundleReader(root).files(provider), "manifest.json"]
    assert len(files) >= 2, files
    assert _check_load(root, "-") == "ok"
    counts: Counter[str] = Counter()

    @FUZZ
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        rel = data.draw(st.sampled_from(files), label="file")
        target = root / rel
        original = target.read_bytes()
        kind, broken = mutate(original, target.suffix, data)
        target.write_bytes(broken)
        try:
            outcome = _check_load(root, rel)
        finally:
            target.write_bytes(original)
        counts[f"{kind}:{outcome}"] += 1
        counts["cases"] += 1

    case()
    figures.record(f"parsers-{provider}", counts)
    assert counts["cases"] >= min(EXAMPLES, 10)


def test_a_1gb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    root = build("github", tmp_path / "b")
    rel = "github/orgs/acme/repos.json"
    with (root / rel).open("r+b") as f:
        os.truncate(f.fileno(), 1024**3)  # sparse: no disk, no memory
    assert (root / rel).stat().st_size > MAX_FILE_BYTES
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(BundleError, match="more than the") as e:
            load_bundle(root, CONNECTORS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert e.value.file == rel
    assert peak < 64 * 1024**2, f"peak {peak} bytes while refusing a 1 GB file"
    figures.record("parsers-1gb", {"cases": 1, "refused": 1})


# --- configuration -------------------------------------------------------------------------------

VALID_TOML = """
bundle_dir = "b"
workers = 2

[output]
dir = "out"
formats = ["json", "html"]
fail_on = "high"

[sources.npm]
token_env = "NPM_TOKEN"
orgs = ["acme"]

[sources.pypi]
projects = ["sampleproject"]

[sources.github]
orgs = ["acme"]

[history]
url = "sqlite:///h.db"

[[suppress]]
rule = "RB01"
subject = "npm:token:x"
owner = "sec@acme.example"
reason = "rotating"
expires = "2027-01-01"
"""

TOML_SCALARS = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _config_outcome(fn: Callable[[], object]) -> str:
    try:
        fn()
    except ConfigError as e:
        msg = str(e)
    else:
        return "ok"
    assert "\n" not in msg, msg
    assert msg.startswith("cfg.toml") or "regwarden.toml" in msg, msg
    return "refused"


_CONFIG_COUNTS: Counter[str] = Counter()


def test_valid_config_parses() -> None:
    parse_config(tomllib.loads(VALID_TOML), CONNECTORS, "cfg.toml")


@FUZZ
@given(data=st.data())
def test_parse_config_accepts_or_refuses_in_one_line(data: st.DataObject) -> None:
    doc = tomllib.loads(VALID_TOML)
    paths = _paths(doc)
    kind = data.draw(st.sampled_from(["wrong_type", "unknown_field", "huge_number", "deep_nesting", "secret"]))
    path = data.draw(st.sampled_from(paths))
    if kind == "wrong_type":
        doc = _set(doc, path, data.draw(TOML_VALUES))
    elif kind == "unknown_field":
        dicts = [p for p in paths if isinstance(_get(doc, p), dict)]
        _get(doc, data.draw(st.sampled_from(dicts)))[data.draw(st.text(min_size=1, max_size=12))] = data.draw(
            TOML_VALUES
        )
    elif kind == "huge_number":
        doc = _set(doc, path, data.draw(st.sampled_from([10**400, -(10**400), 2**64, float("inf"), -float("inf")])))
    elif kind == "deep_nesting":
        deep: Any = 1
        for _ in range(data.draw(st.sampled_from([50, 3000, 100_000]))):
            deep = {"a": deep}
        doc = _set(doc, path, deep)
    else:
        dicts = [p for p in paths if isinstance(_get(doc, p), dict)]
        _get(doc, data.draw(st.sampled_from(dicts)))["api_token"] = "FAKE-TOKEN-FOR-TESTS"
    outcome = _config_outcome(lambda: parse_config(doc, CONNECTORS, "cfg.toml"))
    _CONFIG_COUNTS[f"parse_config:{kind}:{outcome}"] += 1
    _CONFIG_COUNTS["cases"] += 1
    figures.record("parsers-config", _CONFIG_COUNTS)


@pytest.fixture
def config_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


@FUZZ
@given(data=st.data())
def test_load_config_file_accepts_or_refuses_in_one_line(data: st.DataObject, config_dir: Path) -> None:
    path = config_dir / "regwarden.toml"
    kind, broken = mutate(VALID_TOML.encode(), ".toml", data)
    if data.draw(st.booleans(), label="toml-level"):
        kind = data.draw(st.sampled_from(["deep_array", "huge_int", "dup_table"]))
        broken = {
            "deep_array": b"x = " + b"[" * 100_000 + b"]" * 100_000,
            "huge_int": VALID_TOML.encode() + b"\nworkers2 = 1" + b"0" * 5000,
            "dup_table": VALID_TOML.encode() + b"\n[output]\ndir = 'x'\n",
        }[kind]
    path.write_bytes(broken)
    outcome = _config_outcome(lambda: load_config(path, CONNECTORS))
    _CONFIG_COUNTS[f"load_config:{kind}:{outcome}"] += 1
    _CONFIG_COUNTS["cases"] += 1
    figures.record("parsers-config", _CONFIG_COUNTS)
