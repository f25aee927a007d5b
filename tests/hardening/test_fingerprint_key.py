"""Fingerprints are keyed per installation: two installations disagree on one value, and the key never
lands in a bundle or a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scanner import fingerprint as fp
from scanner.cli import main
from tests.hardening import figures
from tests.hardening.bundles import FIXTURES

VALUE = "FAKE-TOKEN-FOR-TESTS-fingerprint"


def _fingerprint(key_file: Path) -> str:
    code = f"from scanner.fingerprint import fingerprint; print(fingerprint({VALUE!r}))"
    env = {"REGWARDEN_KEY_FILE": str(key_file), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_two_installations_give_different_fingerprints(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "fingerprint.key", tmp_path / "b" / "fingerprint.key"
    fa, fb = _fingerprint(a), _fingerprint(b)
    assert fa.startswith("hmac-sha256:")
    assert fb.startswith("hmac-sha256:")
    assert fa != fb
    assert _fingerprint(a) == fa  # stable within one installation
    assert a.stat().st_mode & 0o077 == 0  # the key is private to its owner
    assert a.read_bytes() != b.read_bytes()
    figures.record("fingerprint-keys", {"installations": 2, "distinct fingerprints": len({fa, fb})})


def test_the_key_never_lands_in_a_bundle_or_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "key" / "fingerprint.key"
    monkeypatch.setenv("REGWARDEN_KEY_FILE", str(key))
    fp._key.cache_clear()
    try:
        state = tmp_path / "terraform.tfstate"
        state.write_bytes((FIXTURES / "terraform" / "estate.tfstate").read_bytes())
        toml = tmp_path / "regwarden.toml"
        toml.write_text(f'[sources.terraform]\nstates = ["{state}"]\n', encoding="utf-8")
        out, bundle = tmp_path / "out", tmp_path / "bundle"
        code = main(["scan", "-c", str(toml), "--bundle", str(bundle), "--out", str(out), "-f", "json,html,csv,sarif"])
        assert code in (0, 1)
        raw = key.read_bytes()
        hexed = raw.hex().encode()
        for p in [*bundle.rglob("*"), *out.rglob("*")]:
            if p.is_file():
                data = p.read_bytes()
                assert raw not in data, p
                assert hexed not in data, p
        assert b"hmac-sha256:" in b"".join(p.read_bytes() for p in bundle.rglob("*") if p.is_file())
    finally:
        fp._key.cache_clear()
