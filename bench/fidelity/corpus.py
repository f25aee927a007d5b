"""The fidelity corpus: real public workflows (``github/corpus/``) and their hand labels (``github/labels/``);
real GitLab pipelines (``gitlab/corpus/``, ``gitlab/labels/``) in the same label format.

GitHub: ``<owner>__<name>/`` holds a repository's files at their repository paths plus ``SOURCE.yaml``
(origin, commit, licence); ``_remote/<owner>__<repo>/<ref>/…/action.yml`` are remote actions as referenced.
A folder ending in ``__fixed`` is the same repository after a fix (analysed as ``<name>--fixed``).
GitLab: ``<namespace>__<project>/`` (subgroups joined by ``__`` too) holds the project's CI file and the
files it includes at their repository paths; ``SOURCE.yaml`` names the project (``repo:``). Labels key jobs
by the CI file that defines them; entries marked ``hidden: true`` are templates, not jobs.
:func:`build_bundle` lays a corpus out as a regwarden evidence bundle, exactly as collection would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Layout:
    """Where one CI system's corpus and labels are."""

    ci: str  # "github" or "gitlab"
    root: Path

    @property
    def corpus(self) -> Path:
        """The folder of repositories' files."""
        return self.root / "corpus"

    @property
    def labels(self) -> Path:
        """The folder of hand labels."""
        return self.root / "labels"


GITHUB = Layout("github", HERE / "github")
GITLAB = Layout("gitlab", HERE / "gitlab")
#: The held-out set (``heldout/README.md``): labelled by people who saw neither regwarden's code nor its
#: output, scored apart from the corpus above, which regwarden's rules were written against.
HELDOUT = (Layout("github", HERE / "heldout" / "github"), Layout("gitlab", HERE / "heldout" / "gitlab"))
CORPUS = GITHUB.corpus
LABELS = GITHUB.labels


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


def _name(layout: Layout, folder: str, doc: dict[str, Any] | None) -> str:
    """The repository (GitHub) or project path (GitLab) a corpus folder or labels file is about."""
    if layout.ci == "gitlab":
        return str((doc or {}).get("repo") or folder.replace("__", "/"))
    return repo_of(folder)


def load(layout: Layout = GITHUB) -> Corpus:
    """Read every SOURCE.yaml and labels file."""
    c = Corpus()
    if not layout.corpus.is_dir():
        return c
    for d in sorted(p for p in layout.corpus.iterdir() if p.is_dir()):
        source = yaml.safe_load((d / "SOURCE.yaml").read_text(encoding="utf-8"))
        c.sources[_name(layout, d.name, source)] = source
    for f in sorted(layout.labels.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        repo = _name(layout, f.stem, doc)
        for path, jobs in (doc.get("workflows") or {}).items():
            for job, lab in (jobs or {}).items():
                lab = lab or {}
                if lab.get("hidden"):
                    continue  # a GitLab template (a hidden job): nothing runs it as such
                pubs = tuple(
                    PublishLabel(str(p["registry"]), str(p.get("route", "unknown"))) for p in lab.get("publishes") or ()
                )
                ctrl = tuple(str(x.get("via", "")) for x in lab.get("outsider_control") or ())
                c.jobs[(repo, path, str(job))] = JobLabel(
                    repo, path, str(job), pubs, lab.get("outsider_trigger"), ctrl, str(lab.get("notes", ""))
                )
    return c


def build_bundle(out: Path, layout: Layout = GITHUB, only: Iterable[str] | None = None) -> None:
    """Lay the corpus out as a bundle under ``out`` (``github/repos/...``, ``github/action-refs/...``; GitLab:
    ``gitlab/projects/{path}/repository/files/...``): every entry, or the corpus folders named in ``only``
    (``owner__name``; GitHub only)."""
    if out.exists():
        shutil.rmtree(out)
    if layout.ci == "gitlab":
        _gitlab_bundle(out, layout)
        return
    wanted = set(only) if only is not None else None
    for d in sorted(p for p in layout.corpus.iterdir() if p.is_dir() and (wanted is None or p.name in wanted)):
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


def _gitlab_bundle(out: Path, layout: Layout) -> None:
    out.mkdir(parents=True)
    for d in sorted(p for p in layout.corpus.iterdir() if p.is_dir()):
        project = _name(layout, d.name, yaml.safe_load((d / "SOURCE.yaml").read_text(encoding="utf-8")))
        for f in sorted(d.rglob("*")):
            if not f.is_file() or f.name == "SOURCE.yaml":
                continue
            dst = out / "gitlab" / "projects" / project / "repository" / "files" / f.relative_to(d).as_posix()
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst)
