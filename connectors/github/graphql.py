"""The bulk path of the GitHub collector: the committed files it reads — the workflow files and the
CODEOWNERS file — of many repositories in one GraphQL query, instead of a contents listing and one raw
GET per file for each repository (REST), and instead of asking for CODEOWNERS in each of the three
places GitHub looks (a 404 for each place a file is not: never cacheable, counted on every scan).

One query asks for up to :data:`BATCH` repositories by alias, each repository's
``object(expression: "HEAD:.github/workflows")`` — the folder at the default branch, the one the REST
contents API lists — with every tree entry's name, type, mode and, for blobs, the text, and the blob at
each of :data:`~connectors.github.owners.CODEOWNERS_PATHS`. Names and
owners go in variables, never spliced into the query text. The answer is turned into what the REST
path would have stored (:class:`Folder`): a repository whose answer is missing, or a file whose text
GitHub did not give whole (binary, truncated), is left to the REST path, so the bulk path never loses
coverage. GitHub documents the schema (docs.github.com/graphql: ``Repository.object``, ``Tree.entries``,
``TreeEntry.mode/type``, ``Blob.text/isBinary/isTruncated``); GraphQL has its own rate-limit budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors._http import RestClient
from connectors.github.owners import CODEOWNERS_PATHS
from scanner.errors import ConnectorError

#: Repositories asked for in one query (GitHub limits a query's nodes and its cost, not its aliases;
#: 50 keeps a query's answer in the hundreds of kilobytes).
BATCH = 50
#: Git file modes (``TreeEntry.mode``) that the REST contents API does not list as ``file``.
SYMLINK_MODE = 0o120000

_BLOB = "__typename ... on Blob { text isBinary isTruncated }"
_FIELDS = """object(expression: "HEAD:.github/workflows") {
      __typename
      ... on Tree { entries { name type mode object { ... on Blob { text isBinary isTruncated } } } }
    }""" + "".join(f'\n    co{j}: object(expression: "HEAD:{p}") {{ {_BLOB} }}' for j, p in enumerate(CODEOWNERS_PATHS))


def query_text(n: int) -> str:
    """The query for ``n`` repositories: aliases ``r0``… with variables ``$o0``/``$n0``…"""
    params = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(n))
    parts = "\n  ".join(f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {_FIELDS} }}" for i in range(n))
    return f"query Workflows({params}) {{\n  {parts}\n}}"


@dataclass(frozen=True)
class Folder:
    """One repository's ``.github/workflows`` as the bulk query saw it: ``None`` files = no such folder
    (REST's 404); ``files``: name → text of every workflow file GitHub gave whole; ``rest``: names of
    workflow files whose text must be fetched over REST."""

    files: dict[str, str] | None
    rest: tuple[str, ...] = ()
    #: CODEOWNERS_PATHS → the file's text, or None where there is none; None as a whole: ask over REST.
    codeowners: dict[str, str | None] | None = None


def graphql_path(base_url: str) -> str:
    """The GraphQL endpoint beside a REST base URL (``/graphql``; GHES: ``/api/v3`` → ``/api/graphql``)."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


def _codeowners(node: dict[str, Any]) -> dict[str, str | None] | None:
    """Each CODEOWNERS place's text (None: no file there), or None when one is not a whole text blob."""
    out: dict[str, str | None] = {}
    for j, path in enumerate(CODEOWNERS_PATHS):
        if f"co{j}" not in node:
            return None
        blob = node[f"co{j}"]
        if blob is None:
            out[path] = None
            continue
        whole = isinstance(blob, dict) and blob.get("__typename") == "Blob" and not blob.get("isBinary")
        if not whole or blob.get("isTruncated") or not isinstance(blob.get("text"), str):
            return None  # a folder of that name, a binary or cut file: REST decides, as it would
        out[path] = blob["text"]
    return out


def _folder(node: Any) -> Folder | None:
    """A repository's answer as a :class:`Folder`, or None when it cannot be read as one."""
    if not isinstance(node, dict) or "object" not in node:
        return None
    obj = node["object"]
    if obj is None:
        return Folder(None, codeowners=_codeowners(node))
    if not isinstance(obj, dict) or obj.get("__typename") != "Tree" or not isinstance(obj.get("entries"), list):
        return None  # not a folder (a file of that name, a malformed node): REST decides, as it would
    files: dict[str, str] = {}
    rest: list[str] = []
    for e in obj["entries"]:
        name = e.get("name") if isinstance(e, dict) else None
        if not isinstance(name, str) or e.get("type") != "blob" or e.get("mode") == SYMLINK_MODE:
            continue  # folders, submodules and links: not files (REST lists them as dir/submodule/symlink)
        blob = e.get("object")
        text = blob.get("text") if isinstance(blob, dict) else None
        whole = isinstance(blob, dict) and not blob.get("isBinary") and not blob.get("isTruncated")
        if whole and isinstance(text, str):
            files[name] = text
        else:
            rest.append(name)
    return Folder(files, tuple(rest), _codeowners(node))


def workflow_folders(rc: RestClient, base_url: str, repos: list[tuple[str, str]]) -> dict[tuple[str, str], Folder]:
    """The workflow folders of ``repos`` ((owner, name) pairs), :data:`BATCH` a query. A repository
    missing from the answer (an error for it, a malformed node) is left out: the caller collects it
    over REST. A query that fails as a whole raises :class:`~scanner.errors.ConnectorError`."""
    path = graphql_path(base_url)
    out: dict[tuple[str, str], Folder] = {}
    for start in range(0, len(repos), BATCH):
        batch = repos[start : start + BATCH]
        variables: dict[str, str] = {}
        for i, (owner, name) in enumerate(batch):
            variables[f"o{i}"], variables[f"n{i}"] = owner, name
        answer = rc.post_json(path, {"query": query_text(len(batch)), "variables": variables})
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise ConnectorError(f"github POST {path}: the answer has no data (GraphQL errors only)")
        for i, repo in enumerate(batch):
            folder = _folder(data.get(f"r{i}"))
            if folder is not None:
                out[repo] = folder
    return out
