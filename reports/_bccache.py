"""Where the report template's compiled form is kept between runs.

jinja2 compiles ``report.html.j2`` to Python on every process start (~50 ms of a one-user scan, which
is mostly start-up). :class:`TemplateCache` keeps the compiled code, keyed by the template's name and
checksummed by its source (jinja2's own ``FileSystemBytecodeCache`` format), in
``$XDG_CACHE_HOME/regwarden/templates`` (``~/.cache/...`` when unset), or in the folder named by
``REGWARDEN_TEMPLATE_CACHE``; ``REGWARDEN_TEMPLATE_CACHE=off`` turns it off.

Compiled code is loaded from that folder, so it is used only when it is a directory owned by this user
and writable by nobody else (mode 0700, as it is created); anything else, or a folder that cannot be
created or written (a read-only home in a container), means no cache: the template is compiled as
before and the report is the same.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache

log = logging.getLogger("regwarden.reports")
ENV = "REGWARDEN_TEMPLATE_CACHE"


def cache_dir() -> Path | None:
    """The folder compiled templates live in, or None when there is none fit to load code from."""
    chosen = os.environ.get(ENV, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "regwarden" / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.lstat()
    except (OSError, RuntimeError) as e:  # RuntimeError: no home directory to expand
        log.debug("no template cache (%s): %s", folder, e)
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        log.debug("no template cache: %s is not a private directory of this user", folder)
        return None
    return folder


class TemplateCache(FileSystemBytecodeCache):
    """jinja2's file cache, except that a cache it cannot read or write is no cache, never an error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from the folder when a usable entry is there (a stale or damaged one is ignored:
        jinja2 checks the source checksum and the bytecode magic)."""
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as e:
            log.debug("template cache entry not read: %s", e)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the compiled template for the next run, if the folder takes it."""
        try:
            super().dump_bytecode(bucket)
        except OSError as e:
            log.debug("template cache entry not written: %s", e)


def template_cache(flavour: str) -> BytecodeCache | None:
    """The cache an environment uses, or None. jinja2 keys an entry by the template's name and checks it
    against the template's source only, not against the environment's options (autoescape, undefined,
    whitespace) nor jinja2's version, which change the compiled code too: ``flavour`` (the environment's
    whole configuration) and jinja2's version are part of every entry's file name."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(f"{jinja2.__version__}\0{flavour}".encode()).hexdigest()[:16]
    return TemplateCache(str(folder), f"{digest}-%s.cache")
