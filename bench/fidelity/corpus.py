"""The fidelity corpus: real public workflows (``github/corpus/``) and their hand labels (``github/labels/``).

``<owner>__<name>/`` holds a repository's files at their repository paths plus ``SOURCE.yaml`` (origin,
commit, licence); ``_remote/<owner>__<repo>/<ref>/…/action.yml`` are remote actions as referenced. A
folder ending in ``__fixed`` is the same repository after a fix (analysed as ``<name>--fixed``).
:func:`build_bundle` lays the corpus out as a regwarden evidence bundle, exactly as collection would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "github" / "corpus"
LABELS = HERE / "github" / "labels"


@dataclass(frozen=True)
class PublishLabel:
    """One labelled publish: the registry and how the credential reaches it."""

    registry: str
    route: str  # secret:NAME | oidc | github_token | cloud:aws | unknown


@dataclass(frozen=True)
class JobLabel:
    """What a reader found in one job."""

    repo: str
    path: str  # .github/workflows/x.yml
    job: str
    publishes: tuple[PublishLabel, ...] = ()
    outsider_trigger: str | None = None
    outsider_control: tuple[str, ...] = ()  # the `via` of each way
    notes: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """(repository, workflow path, job id)."""
        return (self.repo, self.path, self.job)


@dataclass
class Corpus:
    """Every repository with its source note and labels."""

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # repo -> SOURCE.yaml
    jobs: dict[tuple[str, str, str], JobLabel] = field(default_factory=dict)


def repo_of(folder: str) -> str:
    """``owner__name`` → ``owner/name``; ``owner__name__fixed`` → ``owner/name--fixed``."""
    parts = folder.split("__")
    name = "/".join(parts[:2])
    return f"{name}--{parts[2]}" if len(parts) > 2 else name


def load() -> Corpus:
    """Read every SOURCE.yaml and labels file."""
    c = Corpus()
    for d in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        c.sources[repo_of(d.name)] = yaml.safe_load((d / "SOURCE.yaml").read_text(encoding="utf-8"))
    for f in sorted(LABELS.glob("*.yaml")):
        repo = repo_of(f.stem)
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for path, jobs in (doc.get("workflows") or {}).items():
            for job, lab in (jobs or {}).items():
                lab = lab or {}
                pubs = tuple(
                    PublishLabel(str(p["registry"]), str(p.get("route", "unknown"))) for p in lab.get("publishes") or ()
                )
                ctrl = tuple(str(x.get("via", "")) for x in lab.get("outsider_control") or ())
                c.jobs[(repo, path, str(job))] = JobLabel(
                    repo, path, str(job), pubs, lab.get("outsider_trigger"), ctrl, str(lab.get("notes", ""))
                )
    return c


def build_bundle(out: Path, only: Iterable[str] | None = None) -> None:
    """Lay the corpus out as a bundle under ``out`` (``github/repos/...``, ``github/action-refs/...``): every
    entry, or the corpus folders named in ``only`` (``owner__name``)."""
    if out.exists():
        shutil.rmtree(out)
    wanted = set(only) if only is not None else None
    for d in sorted(p for p in CORPUS.iterdir() if p.is_dir() and (wanted is None or p.name in wanted)):
        repo = repo_of(d.name)
        for f in sorted(d.rglob("*")):
            if not f.is_file() or f.name == "SOURCE.yaml":
                continue
            rel = f.relative_to(d).as_posix()
            if rel.startswith("_remote/"):
                # _remote/<owner>__<repo>/<ref>/<path>/action.yml
                _, owner_repo, ref, rest = rel.split("/", 3)
                owner, name = owner_repo.split("__", 1)
                dst = out / "github" / "action-refs" / owner / name / ref.replace("/", "%2F") / rest
            else:
                dst = out / "github" / "repos" / repo / "contents" / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst)
