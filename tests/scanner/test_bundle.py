"""The bundle reader turns every malformed file into one BundleError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.bundle import BundleReader, BundleWriter, Manifest
from scanner.errors import BundleError


def write(root: Path, rel: str, data: str | bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"secrets": [', "invalid JSON at line 1"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        # the first key given again, in the order written; in a nested object too
        ('{"x": {"b": 1, "c": 2, "c": 3, "b": 4}}', "duplicate key 'c'"),
        ('{"b": 1, "c": 2, "b": 3, "c": 4}', "duplicate key 'b'"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        # a lone surrogate escape decodes to a code point that is not text: in a value, in a key
        ('{"name": "stag\\ud800ing"}', "lone UTF-16 surrogate (U+D800)"),
        ('{"envs": [{"\\uDFFF": 1}]}', "lone UTF-16 surrogate (U+DFFF)"),
    ],
)
def test_bad_json_names_the_file(tmp_path: Path, content: str | bytes, problem: str) -> None:
    write(tmp_path, "github/orgs/acme.json", content)
    with pytest.raises(BundleError) as err:
        BundleReader(tmp_path).json("github/orgs/acme.json")
    assert str(err.value).startswith("github/orgs/acme.json: ")
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


def test_yaml_keeps_on_as_a_string_and_bounds_aliases(tmp_path: Path) -> None:
    write(tmp_path, "w.yml", "on:\n  push: {}\nenabled: yes\nreal: true\n")
    data = BundleReader(tmp_path).yaml("w.yml")
    assert data == {"on": {"push": {}}, "enabled": "yes", "real": True}
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    )
    write(tmp_path, "bomb.yml", bomb)
    with pytest.raises(BundleError, match=r"^bomb\.yml: YAML expands to more than"):
        BundleReader(tmp_path).yaml("bomb.yml")
    write(tmp_path, "bad.yml", "jobs: [\n")
    with pytest.raises(BundleError, match=r"^bad\.yml: invalid YAML at line"):
        BundleReader(tmp_path).yaml("bad.yml")


def test_a_surrogate_pair_is_one_character_and_a_lone_one_in_yaml_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.json", '{"name": "rocket \\ud83d\\ude80", "path": "C:\\\\ud800"}')  # "\\ud800": no escape
    assert BundleReader(tmp_path).json("a.json") == {"name": "rocket \U0001f680", "path": "C:\\ud800"}
    for text in ('jobs:\n  "x\\ud800": {}\n', 'name: "\\U0000dc00"\n'):
        write(tmp_path, "w.yml", text)
        with pytest.raises(BundleError, match=r"^w\.yml: holds a lone UTF-16 surrogate"):
            BundleReader(tmp_path).yaml("w.yml")


def test_paths_cannot_escape_and_missing_files_are_named(tmp_path: Path) -> None:
    reader = BundleReader(tmp_path)
    with pytest.raises(BundleError, match="escapes the bundle"):
        reader.json("../etc/passwd")
    with pytest.raises(BundleError, match=r"^github/x\.json: file not found"):
        reader.json("github/x.json")
    with pytest.raises(BundleError, match="not a folder"):
        BundleReader(tmp_path / "nope")


def test_manifest_is_optional_and_validated(tmp_path: Path) -> None:
    assert BundleReader(tmp_path).manifest == Manifest()
    write(tmp_path, "manifest.json", '{"version": 1, "calls": [{"provider": "github"}]}')
    with pytest.raises(BundleError, match=r"^manifest\.json: calls\.0\.scope: Field required"):
        _ = BundleReader(tmp_path).manifest


def test_files_are_listed_sorted(tmp_path: Path) -> None:
    write(tmp_path, "github/b.json", "{}")
    write(tmp_path, "github/a/c.json", "{}")
    write(tmp_path, "pypi/x.json", "{}")
    reader = BundleReader(tmp_path)
    assert list(reader.files("github", ".json")) == ["github/a/c.json", "github/b.json"]
    assert reader.providers() == ["github", "pypi"]


def test_links_inside_the_bundle_are_followed_and_a_link_loop_ends(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    write(bundle, "parts/aws/111/iam.json", "{}")
    (bundle / "aws").mkdir(parents=True)
    (bundle / "aws" / "111").symlink_to(bundle / "parts" / "aws" / "111")  # assembled from its own parts
    (bundle / "aws" / "111" / "loop").symlink_to(bundle)  # a link back up
    reader = BundleReader(bundle)
    files = list(reader.files("aws", ".json"))
    assert files[0] == "aws/111/iam.json"
    assert all(f.endswith("iam.json") for f in files)
    assert len(files) < 5  # the loop is entered at most once per chain
    assert reader.exists("aws/111/iam.json")
    assert reader.json("aws/111/iam.json") == {}
    assert ("aws/111/loop", "a link loop; not followed") in reader.refused


def test_links_that_leave_the_bundle_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "aws/111/iam.json", "{}")
    bundle = tmp_path / "bundle"
    (bundle / "aws").mkdir(parents=True)
    (bundle / "aws" / "111").symlink_to(outside / "aws" / "111")
    (bundle / "github").symlink_to("/")
    reader = BundleReader(bundle)
    assert list(reader.files("")) == []
    assert reader.providers() == ["aws"]
    assert {r for r, _ in reader.refused} == {"aws/111", "github"}
    with pytest.raises(BundleError, match="leaves the bundle"):
        reader.json("aws/111/iam.json")


def test_odd_spellings_of_a_path_name_the_same_file(tmp_path: Path) -> None:
    write(tmp_path, "github/a/c.json", "{}")
    reader = BundleReader(tmp_path)
    for rel in ("github/a/c.json", "./github/a/c.json", "github//a/c.json", "github/./a/c.json"):
        assert reader.exists(rel), rel
    assert list(reader.files("github/a/")) == list(reader.files("./github/a")) == ["github/a/c.json"]
    for bad in ("github/../../x", "..", "github/a/..", "/etc/passwd"):
        with pytest.raises(BundleError, match="escapes the bundle"):
            reader.exists(bad)


def test_files_are_read_whole_whatever_their_size(tmp_path: Path) -> None:
    # Read with os-level calls: an empty file, one byte, and a file of several reads' worth come back
    # byte for byte; a file removed after the walk is named as not found.
    root = tmp_path / "b"
    (root / "github").mkdir(parents=True)
    contents = {"empty.json": b"", "one.json": b"1", "big.json": bytes(range(256)) * (3 * 4096 + 7)}
    for name, data in contents.items():
        (root / "github" / name).write_bytes(data)
    (root / "github" / "gone.json").write_bytes(b"{}")
    reader = BundleReader(root)
    for name, data in contents.items():
        assert reader.read_bytes(f"github/{name}") == data
    (root / "github" / "gone.json").unlink()
    with pytest.raises(BundleError, match="file not found"):
        reader.read_bytes("github/gone.json")


def test_an_answer_holding_a_lone_surrogate_is_written_readable(tmp_path: Path) -> None:
    """A provider's JSON may carry ``"\\ud800"``; decoded, it cannot be written as UTF-8. Collection
    writes U+FFFD in its place (it raised UnicodeEncodeError and cost the scope) and the file reads."""
    writer = BundleWriter(tmp_path / "bundle")
    writer.put_json("github/orgs/acme.json", {"description": "broken \ud800 emoji", "ok": "rocket \U0001f680"})
    writer.put_text("github/notes.txt", "a\udfffb\n")
    bundle = BundleReader(writer.commit("2026-12-07T00:00:00Z"))
    assert bundle.json("github/orgs/acme.json") == {"description": "broken \ufffd emoji", "ok": "rocket \U0001f680"}
    assert bundle.text("github/notes.txt") == "a\ufffdb\n"
