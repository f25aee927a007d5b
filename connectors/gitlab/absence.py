"""What the absence of a GitLab API file means (connectors/gitlab/bundle_files.yaml): a coverage gap naming
each file a collected group or project should have, and environments whose protection was not collected
marked as such. Pure: no I/O."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from connectors.gitlab.raw import GitLabRaw, ScopeRaw
from scanner.model import CoverageGap, Inventory

PROVIDER = "gitlab"
_SCOPE_FILES = (
    ("variables", "its CI/CD variables are not in the scan"),
    ("deploy_tokens", "its deploy tokens are not in the scan"),
    ("access_tokens", "its access tokens are not in the scan"),
)


def _collected(s: ScopeRaw) -> bool:
    return any(getattr(s, f) is not None for f, _ in _SCOPE_FILES)


def _top(path: str) -> str:
    return path.split("/", 1)[0]


def mark(raw: GitLabRaw, inv: Inventory) -> None:
    """Add the gaps and the ``unknown`` markers of every absent file to ``inv``."""

    def expect(kind: str, path: str, name: str, consequence: str) -> None:
        call = f"GET /{kind}/{quote(path, safe='')}/{name}"
        if call in raw.answered or _top(path) in raw.failed_scopes:
            return
        what = f"gitlab/{kind}/{path}/{name}.json"
        inv.add_gap(CoverageGap(PROVIDER, path, what, f"not collected: {consequence}"))

    for g in raw.groups:
        if g.path in raw.group_meta and g.path not in raw.listed:
            expect(
                "groups", g.path, "projects", "which projects the group holds, and their default branches, are unknown"
            )
        if _collected(g) or g.path in raw.group_meta:
            for name, consequence in _SCOPE_FILES:
                if getattr(g, name) is None:
                    expect("groups", g.path, name, consequence)
    for p in raw.projects:
        if not (_collected(p) or p.protected_environments is not None or p.ci is not None):
            continue  # listed by its group, not collected
        for name, consequence in _SCOPE_FILES:
            if getattr(p, name) is None:
                expect("projects", p.path, name, consequence)
        if p.protected_environments is None:
            expect(
                "projects",
                p.path,
                "protected_environments",
                "whether its environments require an approval is unknown (RB05 does not judge the jobs that use them)",
            )
            _unknown_protection(inv, p.path)


def _unknown_protection(inv: Inventory, project: str) -> None:
    """The project's environments, whose protection was not collected, name the file that would say."""
    why = f"gitlab/projects/{project}/protected_environments.json not collected"
    for n in list(inv.nodes()):
        if n.subtype == "gitlab:environment" and n.attrs.get("repo") == project and n.attrs.get("protected") is None:
            inv.add_node(replace(n, attrs={**n.attrs, "unknown": ("reviewers",), "unknown_why": why}))
