"""Who owns what a repository holds: its CODEOWNERS file, else its teams with admin or maintain permission.

A workflow, its jobs and a credential committed in a file belong to the owners of the CODEOWNERS rule that
matches the file's path (the last matching rule, as GitHub decides); anything else of the repository (the
repository itself, its secrets, environments and tokens), and a file no rule gives an owner, belongs to the
repository's teams with ``admin`` or ``maintain`` permission. Each is an ``owned_by`` edge whose ``via`` is a
source of ``scanner/knowledge/owners.yaml`` (``CODEOWNERS``, ``repository team``).

CODEOWNERS follows GitHub's documentation (about-code-owners): the file is read from ``.github/``, the root,
then ``docs/`` (the first found is used); each line is a gitignore-style pattern followed by owners
(``@user``, ``@org/team`` or an e-mail address); ``#`` starts a comment; the last matching pattern wins; a
pattern with no owner leaves its files without one. Patterns are case-sensitive; ``!`` and ``[ ]`` are not
supported by GitHub and such lines match nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from scanner.model import Edge, EdgeKind, Evidence, Inventory, Node, NodeId, NodeKind, node_id
from scanner.owners import OWNERS_NOT_COLLECTED_ATTR

PROVIDER = "github"
#: Where GitHub looks for CODEOWNERS, in its order (the first found is used).
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
#: Repository permissions that make a team an owner of the repository (they can change its settings and
#: secrets: what fixing a finding takes).
OWNING_PERMISSIONS = frozenset({"admin", "maintain"})
#: ``via`` of the edges added here (sources of scanner/knowledge/owners.yaml).
VIA_CODEOWNERS = "CODEOWNERS"
VIA_TEAM = "repository team"
#: Attributes that name the file a node was read from, inside its repository.
_FILE_ATTRS = ("workflow_path", "path")


class Team(BaseModel):
    """One item of ``GET /repos/{owner}/{repo}/teams`` (``team``: the team and its permission on the repository)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    slug: str
    name: str
    permission: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One CODEOWNERS line: its pattern, owners and line number."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str] | None  # None: a pattern GitHub does not support (matches nothing)


@dataclass(frozen=True)
class CodeOwners:
    """A repository's CODEOWNERS file: where it was read and its rules in file order."""

    file: str  # bundle path
    path: str  # path inside the repository
    rules: tuple[Rule, ...]

    def match(self, path: str) -> Rule | None:
        """The rule that decides ``path``'s owners: the last one whose pattern matches."""
        for rule in reversed(self.rules):
            if rule.regex is not None and rule.regex.match(path):
                return rule
        return None


def _pattern_regex(pattern: str) -> re.Pattern[str] | None:
    if pattern.startswith("!") or "[" in pattern:
        return None
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    if not body:
        return None
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    # A pattern names a file or a directory: everything under a matching directory matches too; one ending
    # in "/" names directories only.
    tail = "/.*" if pattern.endswith("/") else "(?:/.*)?"
    return re.compile(("" if anchored else "(?:.*/)?") + "".join(out) + tail + r"\Z")


def parse_codeowners(file: str, path: str, text: str) -> CodeOwners:
    """The rules of a CODEOWNERS file (comments and blank lines skipped)."""
    rules = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        owners = []
        for w in words[1:]:
            if w.startswith("#"):
                break
            owners.append(w)
        rules.append(Rule(words[0], tuple(owners), n, _pattern_regex(words[0])))
    return CodeOwners(file, path, tuple(rules))


def _owner_node(inv: Inventory, who: str) -> NodeId:
    """The node of a CODEOWNERS owner or a team: ``@org/team``, ``@user`` or an e-mail address."""
    if who.startswith("@") and "/" in who:
        org, _, slug = who[1:].partition("/")
        nid = node_id(PROVIDER, "team", f"{org}/{slug}".lower())
        inv.add_node(Node(nid, NodeKind.PERSON, who, PROVIDER, "github:team", scope=org))
    elif who.startswith("@"):
        nid = node_id(PROVIDER, "user", who[1:].lower())
        inv.add_node(Node(nid, NodeKind.PERSON, who[1:], PROVIDER, "github:user"))
    else:
        nid = node_id(PROVIDER, "email", who.lower())
        inv.add_node(Node(nid, NodeKind.PERSON, who, PROVIDER, "github:email"))
    return nid


@dataclass(frozen=True)
class RepoOwners:
    """What a repository states about its owners (either may be missing: not collected)."""

    owner: str  # the organization (or user) the repository belongs to
    teams: tuple[Team, ...] | None
    teams_file: str | None
    codeowners: CodeOwners | None
    #: The repository was collected but its teams were not: the file that would have named its owners.
    teams_missing: str | None = None


def _file_of(node: Node) -> str | None:
    for key in _FILE_ATTRS:
        value = node.attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _repo_of(node: Node, repos: Mapping[str, RepoOwners]) -> str | None:
    if node.provider != PROVIDER or node.kind in (NodeKind.PERSON, NodeKind.THIRD_PARTY):
        return None
    repo = node.attrs.get("repo")
    for key in (repo if isinstance(repo, str) else None, node.scope):
        if key and key.lower() in repos:
            return key.lower()
    if node.subtype in ("github:repo", "github:releases"):  # scoped to the organization, named after the repo
        native = node.id.split(":", 2)[2]
        return native.lower() if native.lower() in repos else None
    return None


def add_owners(inv: Inventory, repos: Mapping[str, RepoOwners]) -> None:
    """``owned_by`` edges for every node of each repository (``repos`` by lower-cased ``owner/name``)."""
    for node in list(inv.nodes()):
        key = _repo_of(node, repos)
        if key is None:
            continue
        r = repos[key]
        file = _file_of(node)
        rule = r.codeowners.match(file) if r.codeowners is not None and file else None
        if rule is not None and rule.owners and r.codeowners is not None:
            ev = (Evidence(r.codeowners.file, rule.line),)
            _edges(inv, node.id, rule.owners, VIA_CODEOWNERS, ev)
        elif r.teams is not None and r.teams_file is not None:
            owning = [f"@{r.owner}/{t.slug}" for t in r.teams if t.permission in OWNING_PERMISSIONS]
            _edges(inv, node.id, owning, VIA_TEAM, (Evidence(r.teams_file),))
        elif r.teams_missing is not None:  # owners "not collected", not unknown (docs/owners.md)
            inv.add_attrs(node.id, {OWNERS_NOT_COLLECTED_ATTR: r.teams_missing})


def _edges(inv: Inventory, src: NodeId, owners: Iterable[str], via: str, ev: tuple[Evidence, ...]) -> None:
    for who in owners:
        inv.add_edge(Edge(src, _owner_node(inv, who), EdgeKind.OWNED_BY, via=via, evidence=ev))
