"""Keyed fingerprints of secret values, so reuse can be detected without keeping the value.

The key is per installation (``$REGWARDEN_KEY_FILE``, default ``~/.config/regwarden/fingerprint.key``),
created on first use with mode 0600 and never written into a bundle or report: a fingerprint in a
shared report cannot be brute-forced from a guessed token without it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from scanner.errors import ConfigError


def key_path() -> Path:
    """Where the installation's fingerprint key lives."""
    env = os.environ.get("REGWARDEN_KEY_FILE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "regwarden" / "fingerprint.key"


@lru_cache(maxsize=4)
def _key(path: Path) -> bytes:
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        key = path.read_bytes()
    except FileExistsError:
        key = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read or create the fingerprint key: {e.strerror}") from e
    if len(key) < 32:
        raise ConfigError(f"{path}: fingerprint key is shorter than 32 bytes")
    return key


def fingerprint(value: str | bytes) -> str:
    """``hmac-sha256:`` + the first 32 hex digits of HMAC-SHA256(installation key, value)."""
    data = value.encode() if isinstance(value, str) else value
    return "hmac-sha256:" + hmac.new(_key(key_path()), data, hashlib.sha256).hexdigest()[:32]
