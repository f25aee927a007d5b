"""The compiled report template is kept between runs only in a private folder of this user, and a cache
that is missing, damaged, foreign or read-only never changes the report or fails it (reports/_bccache.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from jinja2 import Environment, PackageLoader

from reports import _bccache
from reports import html as report_html
from tests.reports import estate


def _compile_through(folder: Path) -> list[Path]:
    """Compile the real report template through a cache in ``folder``; the entries it leaves there."""
    cache = _bccache.template_cache("tests: plain autoescape")
    assert cache is not None
    env = Environment(loader=PackageLoader("reports", "templates"), bytecode_cache=cache, autoescape=True)
    env.get_template("report.html.j2")
    return sorted(folder.iterdir())


def test_a_new_folder_is_private_and_keeps_the_compiled_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "deep" / "templates"
    monkeypatch.setenv(_bccache.ENV, str(folder))
    assert _bccache.cache_dir() == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = _compile_through(folder)
    assert len(entries) == 1
    assert entries[0].stat().st_size > 1000


def test_xdg_cache_home_is_the_default_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_bccache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _bccache.cache_dir() == tmp_path / "regwarden" / "templates"


def test_off_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_bccache.ENV, "off")
    assert _bccache.cache_dir() is None
    assert _bccache.template_cache("any") is None


def test_a_folder_that_cannot_be_created_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("a file where a folder would go")
    monkeypatch.setenv(_bccache.ENV, str(tmp_path / "file" / "templates"))
    assert _bccache.cache_dir() is None


def test_a_folder_others_may_write_is_not_loaded_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(_bccache.ENV, str(shared))
    assert _bccache.cache_dir() is None
    shared.chmod(0o700)  # the fixed twin: the same folder, private
    assert _bccache.cache_dir() == shared


def test_a_file_in_place_of_the_folder_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv(_bccache.ENV, str(tmp_path / "file"))
    assert _bccache.cache_dir() is None


def test_damaged_entries_are_recompiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv(_bccache.ENV, str(folder))
    (entry,) = _compile_through(folder)
    good = entry.read_bytes()
    for damage in (b"", b"j2" + b"\x00" * 40, good[:30] + b"\xff" * 20):
        entry.write_bytes(damage)
        assert _compile_through(folder) == [entry]  # read as no entry and written again, no error
        assert entry.read_bytes() == good


def _report(tmp_path: Path, name: str) -> bytes:
    report_html._environment.cache_clear()
    try:
        report_html.render(estate.build(), tmp_path / name)
    finally:
        report_html._environment.cache_clear()
    return (tmp_path / name / "report.html").read_bytes()


def test_the_report_is_the_same_with_without_and_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv(_bccache.ENV, str(folder))
    _compile_through(folder)  # an entry of the same template compiled with other options is not used
    monkeypatch.setenv(_bccache.ENV, "off")
    plain = _report(tmp_path, "plain")
    monkeypatch.setenv(_bccache.ENV, str(folder))
    assert _report(tmp_path, "first") == plain  # compiles and writes its own entry
    assert len(list(folder.iterdir())) == 2
    assert _report(tmp_path, "second") == plain  # loads it


def test_a_cache_that_cannot_be_written_still_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv(_bccache.ENV, str(folder))
    cache = _bccache.template_cache("tests: gone")
    assert cache is not None
    folder.rmdir()  # gone after it was chosen (as root, a read-only folder would still be written)
    env = Environment(loader=PackageLoader("reports", "templates"), bytecode_cache=cache, autoescape=True)
    template = env.get_template("report.html.j2")  # compiled; the failed write is no error
    assert template.name == "report.html.j2"
    assert not folder.exists()  # nor did the cache make the folder again
