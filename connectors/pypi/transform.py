"""PyPI records -> Inventory. Pure: no I/O.

A project is a RESOURCE; its collaborators (package roles) and its Trusted Publishers (read from the
publisher identity of PEP 740 provenance) are IDENTITIES that GRANT on it. Each Trusted Publisher also
gets a LinkHint so that the CI job it trusts (matched by repository, workflow file and environment)
can assume it. Per-file attestation status is aggregated into project attributes, never one node per
file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from connectors.pypi.declared import DECLARED, OwnerDeclared
from connectors.pypi.load import INTEGRITY, ROLES, SIMPLE, normalize
from connectors.pypi.raw import ProjectInfo, Publisher, PypiProject, PypiRaw
from scanner.model import (
    Action,
    AttrValue,
    CoverageGap,
    CredentialInfo,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Lifetime,
    LinkHint,
    Node,
    NodeId,
    NodeKind,
    Selector,
    node_id,
)

PROVIDER = "pypi"
SCOPE = "pypi.org"
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "Owner": frozenset({Action.ADMIN}),
    "Maintainer": frozenset({Action.PUBLISH}),
}
#: ``via`` of the ``owned_by`` edge from a project to each Owner (a source of scanner/knowledge/owners.yaml).
OWNER_VIA = "package role Owner"
#: CI providers whose jobs a Trusted Publisher trusts, by publisher kind: (connector, job subtype).
CI_OF_KIND: dict[str, tuple[str, str]] = {"GitHub": ("github", "github:job"), "GitLab": ("gitlab", "gitlab:job")}
TRUSTED_PUBLISHING = "PyPI Trusted Publishing"
#: How many of the newest releases are checked against the source repository's tags and workflow runs.
RELEASES_JUDGED = 10

# project_urls keys that usually point at the code, best first (compared lower-case, letters only).
_SOURCE_KEYS = ("source", "sourcecode", "repository", "repo", "code", "github", "gitlab", "homepage", "home")
_NOT_REPO_OWNERS = frozenset(
    {"sponsors", "orgs", "marketplace", "features", "apps", "topics", "collections", "about", "settings"}
)
_NOT_GITLAB_NAMESPACES = frozenset({"users", "groups", "explore", "dashboard", "help", "-"})


def transform(raw: PypiRaw) -> Inventory:
    """Build the PyPI inventory: projects, their collaborators and Trusted Publishers, and link hints."""
    inv = Inventory()
    for project in raw.projects:
        _project(inv, project)
    if raw.declared is not None and raw.declared_path is not None:
        _declared(inv, raw, raw.declared, Evidence(raw.declared_path))
    for name in raw.orphans:
        inv.add_gap(
            CoverageGap(
                provider=PROVIDER,
                scope=name,
                what=f"pypi/pypi/{name}/json.json",
                reason="not in the bundle although other PyPI files of this project are",
            )
        )
    return inv


# --- repositories named in the metadata --------------------------------------------------------------


def _candidate_urls(info: ProjectInfo) -> list[str]:
    def rank(key: str) -> int:
        k = re.sub(r"[^a-z]", "", key.lower())
        return _SOURCE_KEYS.index(k) if k in _SOURCE_KEYS else len(_SOURCE_KEYS)

    urls = sorted((info.project_urls or {}).items(), key=lambda kv: rank(kv[0]))
    return [u for _, u in urls] + ([info.home_page] if info.home_page else [])


def _github_repo(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.hostname not in ("github.com", "www.github.com"):
        return None
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) < 2 or segs[0].lower() in _NOT_REPO_OWNERS:
        return None
    return f"{segs[0]}/{segs[1].removesuffix('.git')}"


def _gitlab_repo(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.hostname not in ("gitlab.com", "www.gitlab.com"):
        return None
    segs: list[str] = []
    for s in (s for s in parts.path.split("/") if s):
        if s == "-":  # /group/sub/project/-/issues: the project path ends before "-"
            break
        segs.append(s)
    if len(segs) < 2 or segs[0].lower() in _NOT_GITLAB_NAMESPACES:
        return None
    segs[-1] = segs[-1].removesuffix(".git")
    return "/".join(segs)


def source_repos(info: ProjectInfo) -> tuple[str | None, str | None]:
    """The GitHub ``owner/repo`` and the GitLab project path named in the metadata, best key first."""
    urls = _candidate_urls(info)
    github = next((r for r in map(_github_repo, urls) if r), None)
    gitlab = next((r for r in map(_gitlab_repo, urls) if r), None)
    return github, gitlab


# --- attestation status of the files ---------------------------------------------------------------


def _version_of_filename(filename: str) -> str | None:
    # Wheels are name-version-...whl; sdists are name-version.tar.gz / .zip (names use _ since PEP 625).
    if filename.endswith(".whl"):
        bits = filename.split("-")
        return bits[1] if len(bits) >= 5 else None
    for ext in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if filename.endswith(ext):
            stem = filename.removesuffix(ext)
            return stem.rsplit("-", 1)[1] if "-" in stem else None
    return None


@dataclass
class _Files:
    """Per-file attestation status: True attested, False not attested, None unknown."""

    version: dict[str, str] = field(default_factory=dict)
    attested: dict[str, bool | None] = field(default_factory=dict)
    uploaded: dict[str, str] = field(default_factory=dict)


def _files(p: PypiProject) -> _Files:
    out = _Files()
    info = p.project.info
    for version, files in p.project.releases.items():
        for f in files:
            out.version[f.filename] = version
    for f in p.project.urls:
        out.version.setdefault(f.filename, info.version)
    for fs in (*p.project.releases.values(), p.project.urls):
        for f in fs:
            if f.upload_time_iso_8601:
                out.uploaded[f.filename] = f.upload_time_iso_8601
    with_provenance = {fp.filename for fp in p.provenances}
    for fp in p.provenances:
        out.version.setdefault(fp.filename, fp.version)
    absent = {filename for _, filename in p.provenance_absent}
    for version, filename in p.provenance_absent:
        out.version.setdefault(filename, version)
    if p.simple is not None:
        for sf in p.simple.files:
            guessed = out.version.get(sf.filename) or _version_of_filename(sf.filename)
            if guessed is not None:
                out.version[sf.filename] = guessed
            if sf.upload_time:
                out.uploaded.setdefault(sf.filename, sf.upload_time)
    listed = {sf.filename: sf.provenance is not None for sf in p.simple.files} if p.simple else {}
    for filename in out.version:
        if filename in with_provenance:
            out.attested[filename] = True
        elif filename in absent:
            out.attested[filename] = False  # the Integrity API answered 404: no provenance
        else:
            # Without the index or a 404, a missing provenance file proves nothing.
            out.attested[filename] = listed.get(filename)
    return out


def _all_known(values: Iterable[bool | None]) -> bool | None:
    vals = list(values)
    if not vals:
        return None
    if any(v is False for v in vals):
        return False
    return True if all(v is True for v in vals) else None


# --- publishers -------------------------------------------------------------------------------------


def _workflow(pub: Publisher) -> str | None:
    return pub.workflow or pub.workflow_filepath


def _environment(pub: Publisher) -> str | None:
    return pub.environment or None  # PyPI serialises "no environment" as ""


def publisher_label(pub: Publisher) -> str:
    """``GitHub:owner/repo/release.yml@env``, ``GitLab:group/project/.gitlab-ci.yml``, ``Google:sa@…``."""
    if pub.repository:
        label = f"{pub.kind}:{pub.repository}"
        if wf := _workflow(pub):
            label += f"/{wf}"
    else:
        label = f"{pub.kind}:{pub.email or ''}"
    if env := _environment(pub):
        label += f"@{env}"
    return label


def _first_uploads(files: _Files) -> dict[str, str]:
    """Each version's first upload time (ISO-8601, as PyPI writes it)."""
    first: dict[str, str] = {}
    for f, t in files.uploaded.items():
        v = files.version.get(f)
        if v is not None and (v not in first or t < first[v]):
            first[v] = t
    return first


def release_times(first_upload: dict[str, str], n: int = RELEASES_JUDGED) -> tuple[str, ...] | None:
    """The newest ``n`` releases as ``version@time`` (newest first), or None when no upload time is known."""
    if not first_upload:
        return None
    newest = sorted(first_upload.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:n]
    return tuple(f"{v}@{t}" for v, t in newest)


@dataclass
class _Seen:
    publisher: Publisher
    versions: set[str] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)


def _hint_source(pub: Publisher) -> tuple[Selector, tuple[tuple[str, str], ...]] | None:
    env = _environment(pub)
    if pub.kind in CI_OF_KIND and pub.repository:
        provider, subtype = CI_OF_KIND[pub.kind]
        wf = _workflow(pub)
        attrs: tuple[tuple[str, AttrValue], ...] = (("repo", pub.repository),)
        conditions: tuple[tuple[str, str], ...] = (("repository", pub.repository),)
        if wf:
            attrs += (("workflow_file", wf),)
            conditions += (("workflow", wf),)
        attrs += (("oidc", True),)
        if env:
            attrs += (("environment", env),)
            conditions += (("environment", env),)
        return Selector(provider=provider, kind=NodeKind.IDENTITY, subtype=subtype, attrs=attrs), conditions
    if pub.kind == "Google" and pub.email:
        # Whoever can mint a Google ID token as this service account can publish.
        return Selector(provider="gcp", kind=NodeKind.IDENTITY, attrs=(("email", pub.email),)), (("email", pub.email),)
    return None


def _publishers(inv: Inventory, p: PypiProject, project: NodeId, norm: str, latest: str, files: _Files) -> list[str]:
    """Add each distinct Trusted Publisher; return the labels of those that attested ``latest``."""
    seen: dict[str, _Seen] = {}
    for fp in p.provenances:
        for bundle in fp.provenance.attestation_bundles:
            s = seen.setdefault(publisher_label(bundle.publisher), _Seen(bundle.publisher))
            s.versions.add(fp.version)
            s.evidence.append(Evidence(fp.path))

    first_upload = _first_uploads(files)

    for label, s in sorted(seen.items()):
        pub, evidence = s.publisher, tuple(dict.fromkeys(s.evidence))
        pid = node_id(PROVIDER, "publisher", f"{norm}:{label}")
        inv.add_node(
            Node(
                id=pid,
                kind=NodeKind.IDENTITY,
                name=label,
                provider=PROVIDER,
                subtype="pypi:trusted-publisher",
                scope=SCOPE,
                attrs={
                    "kind": pub.kind,
                    "repository": pub.repository,
                    "workflow": _workflow(pub),
                    "environment": _environment(pub),
                    "email": pub.email,
                    "project": norm,
                    "versions": tuple(sorted(s.versions, key=lambda v: (first_upload.get(v, ""), v))),
                    "attests_latest": latest in s.versions,
                },
                evidence=evidence,
            )
        )
        inv.add_edge(
            Edge(
                src=pid,
                dst=project,
                kind=EdgeKind.GRANTS,
                actions=frozenset({Action.PUBLISH}),
                via="Trusted Publisher",
                evidence=evidence,
            )
        )
        if hint := _hint_source(pub):
            selector, conditions = hint
            inv.add_hint(
                LinkHint(
                    src=selector,
                    dst=pid,
                    kind=EdgeKind.CAN_ASSUME,
                    via=TRUSTED_PUBLISHING,
                    conditions=conditions,
                    evidence=evidence,
                )
            )
    return [label for label, s in sorted(seen.items()) if latest in s.versions]


# --- what the owner declared (PyPI has no API for it) ----------------------------------------------


def _declared(inv: Inventory, raw: PypiRaw, declared: OwnerDeclared, ev: Evidence) -> None:
    """Trusted Publishers and API tokens copied from PyPI's web pages by the owner."""
    projects = {normalize(p.project.info.name) for p in raw.projects}
    for d in declared.trusted_publishers:
        norm = normalize(d.project)
        if norm not in projects:
            inv.add_gap(
                CoverageGap(PROVIDER, d.project, DECLARED, "declared Trusted Publisher of a project not collected")
            )
            continue
        pid = node_id(PROVIDER, "project", norm)
        label = publisher_label(d.publisher)
        pub_id = node_id(PROVIDER, "publisher", f"{norm}:{label}")
        inv.add_node(
            Node(pub_id, NodeKind.IDENTITY, label, PROVIDER, "pypi:trusted-publisher", scope=SCOPE,
                 attrs={"kind": d.publisher.kind, "repository": d.publisher.repository,
                        "workflow": _workflow(d.publisher), "environment": _environment(d.publisher),
                        "project": norm, "declared": True},
                 evidence=(ev,))
        )  # fmt: skip
        inv.add_edge(Edge(pub_id, pid, EdgeKind.GRANTS, frozenset({Action.PUBLISH}), via="Trusted Publisher",
                          evidence=(ev,)))  # fmt: skip
        # A configured publisher counts even if no release was attested by it (yet).
        inv.add_node(Node(pid, NodeKind.RESOURCE, "", PROVIDER, "pypi:project", attrs={"trusted_publisher": label}))
        if hint := _hint_source(d.publisher):
            selector, conditions = hint
            inv.add_hint(LinkHint(src=selector, dst=pub_id, kind=EdgeKind.CAN_ASSUME, via=TRUSTED_PUBLISHING,
                                  conditions=conditions, evidence=(ev,)))  # fmt: skip
    for t in declared.api_tokens:
        targets: list[NodeId] = []
        if t.scope == "project":
            norm = normalize(t.project or "")
            if norm in projects:
                targets.append(node_id(PROVIDER, "project", norm))
            else:
                inv.add_gap(
                    CoverageGap(PROVIDER, t.project or "?", DECLARED, "declared API token of a project not collected")
                )
        else:  # a user-scoped token can upload to every project its user maintains or owns
            user = node_id(PROVIDER, "user", t.user)
            targets = [e.dst for e in inv.edges() if e.src == user and e.kind is EdgeKind.GRANTS]
        cid = node_id(PROVIDER, "api-token", f"{t.user}/{t.name}")
        inv.add_node(
            Node(cid, NodeKind.CREDENTIAL, f"PyPI API token {t.name!r} of {t.user}", PROVIDER, "pypi:api-token",
                 scope=SCOPE, attrs={"declared": True, "token_scope": t.scope, "user": t.user},
                 credential=CredentialInfo(Lifetime.STATIC, created=t.created, last_used=t.last_used),
                 evidence=(ev,))
        )  # fmt: skip
        for target in sorted(set(targets)):
            inv.add_edge(Edge(cid, target, EdgeKind.GRANTS, frozenset({Action.PUBLISH}),
                              via=f"API token scope: {t.scope}", evidence=(ev,)))  # fmt: skip


# --- collaborators ----------------------------------------------------------------------------------


def _roles(inv: Inventory, p: PypiProject, project: NodeId) -> None:
    found: list[tuple[str, str, str]] = []
    if p.roles is not None and p.roles_path is not None:
        found += [(role, user, p.roles_path) for role, user in p.roles]
    if p.project.ownership is not None:
        found += [(r.role, r.user, p.json_path) for r in p.project.ownership.roles]
    for role, user, path in found:
        uid = node_id(PROVIDER, "user", user)
        inv.add_node(
            Node(
                id=uid,
                kind=NodeKind.IDENTITY,
                name=user,
                provider=PROVIDER,
                subtype="pypi:user",
                scope=SCOPE,
                evidence=(Evidence(path),),
            )
        )
        inv.add_edge(
            Edge(
                src=uid,
                dst=project,
                kind=EdgeKind.GRANTS,
                actions=ROLE_ACTIONS[role],
                via=f"package role {role}",
                evidence=(Evidence(path),),
            )
        )
        if role == "Owner":  # only an Owner can change the project's publishers and tokens: who fixes a finding
            inv.add_edge(Edge(project, uid, EdgeKind.OWNED_BY, via=OWNER_VIA, evidence=(Evidence(path),)))


# --- a project --------------------------------------------------------------------------------------


def _project(inv: Inventory, p: PypiProject) -> None:
    info = p.project.info
    norm = normalize(info.name)
    pid = node_id(PROVIDER, "project", norm)
    latest = info.version
    files = _files(p)
    have_data = p.simple is not None or bool(p.provenances) or bool(p.provenance_absent)
    latest_files = [f for f, v in files.version.items() if v == latest]
    attested_versions = {files.version[f] for f, a in files.attested.items() if a is True}
    unattested = sorted(f for f, a in files.attested.items() if a is False)

    publishers_of_latest = _publishers(inv, p, pid, norm, latest, files)
    all_publishers = tuple(
        sorted({publisher_label(b.publisher) for fp in p.provenances for b in fp.provenance.attestation_bundles})
    )
    github, gitlab = source_repos(info)
    evidence = tuple(Evidence(x) for x in (p.json_path, p.simple_path, p.roles_path) if x)
    inv.add_node(
        Node(
            id=pid,
            kind=NodeKind.RESOURCE,
            name=info.name,
            provider=PROVIDER,
            subtype="pypi:project",
            scope=SCOPE,
            attrs={
                "category": "package",
                "promotion": False,  # PyPI has no promotion step (no dist-tags, no release repos)
                "source_repo": github,
                "source_repo_gitlab": gitlab,
                "latest_version": latest,
                "latest_attested": _all_known(files.attested[f] for f in latest_files) if have_data else None,
                "attested_versions": len(attested_versions) if have_data else None,
                "unattested_files": len(unattested) if p.simple is not None else None,
                "latest_unattested_files": tuple(f for f in unattested if files.version[f] == latest)
                if p.simple is not None
                else None,
                "trusted_publisher": publishers_of_latest[0] if publishers_of_latest else None,
                "trusted_publishers": all_publishers,
                "organization": p.project.ownership.organization if p.project.ownership else None,
                # checked against the source repository's tags and workflow runs (RB02)
                "release_times": release_times(_first_uploads(files)),
                **_unknown_provenance(p, norm, have_data, latest_files, files),
            },
            evidence=evidence,
        )
    )
    _roles(inv, p, pid)
    _gaps(inv, p, norm)


# --- files the collected ones say should be there ---------------------------------------------------------


def _unknown_provenance(
    p: PypiProject, norm: str, have_data: bool, latest: list[str], files: _Files
) -> dict[str, AttrValue]:
    """Why the provenance of the latest release is unknown, when it is: the file that would have said."""
    if have_data and _all_known(files.attested[f] for f in latest) is not None:
        return {}
    if p.simple is None:
        return {"unknown_why": f"{SIMPLE}/{norm}/index.json not collected"}
    return {}


def _expected_provenance(p: PypiProject) -> set[tuple[str, str]]:
    """(version, filename) of the provenance files the bundle should hold: those regwarden's collection
    fetched (manifest.json records each call), else every file the simple index gives a provenance URL
    (what docs/bundle.md's commands fetch)."""
    if p.integrity_calls:
        return {(v, f) for v, f, status in p.integrity_calls if status == "ok"}
    out: set[tuple[str, str]] = set()
    for sf in p.simple.files if p.simple else ():
        parts = [x for x in urlsplit(sf.provenance).path.split("/") if x] if sf.provenance else []
        if len(parts) == 5 and parts[0] == "integrity" and parts[4] == "provenance":
            out.add((parts[2], parts[3]))
    return out


def _gaps(inv: Inventory, p: PypiProject, norm: str) -> None:
    if p.scope_failed:
        return  # the project's collection failed: its gap says it all

    def gap(rel: str, consequence: str) -> None:
        inv.add_gap(CoverageGap(PROVIDER, p.project.info.name, rel, f"not collected: {consequence}"))

    if p.simple is None and not p.simple_answered:
        gap(f"{SIMPLE}/{norm}/index.json", "which files carry provenance (PEP 740) is known only from provenance files")
    settled = {(fp.version, fp.filename) for fp in p.provenances} | set(p.provenance_absent)
    settled |= {(v, f) for v, f, status in p.integrity_calls if status == "failed"}
    for version, filename in sorted(_expected_provenance(p) - settled):
        gap(
            f"{INTEGRITY}/{norm}/{version}/{filename}/provenance.json",
            f"the Trusted Publisher that attested {filename} is unknown",
        )
    if p.roles is None and p.project.ownership is None:
        gap(f"{ROLES}/{norm}.json", "the project's collaborators (owners and maintainers) are not in the scan")
