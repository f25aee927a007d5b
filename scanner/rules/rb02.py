"""RB02 — provenance is verified before a package is trusted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from scanner.findings import Fact, Finding, PathStep, Severity
from scanner.knowledge.facts import source
from scanner.model import Action, EdgeKind, Evidence, Lifetime, Node, NodeId, NodeKind
from scanner.rules.base import Judgement, Rule, RuleContext, missing, unknown

#: A tag names a release when, after an optional prefix ending in ``-``, ``/``, ``@`` or ``_`` (a package name,
#: ``release``) and an optional ``v``, it is the version itself: ``1.2.0``, ``v1.2.0``, ``acme-lib-v1.2.0``,
#: ``@acme/widgets@1.2.0``, ``release/1.2.0``.
TAG_OF_VERSION = r"(?:.*[-/@_])?v?{version}"
#: A release is behind a workflow run when it was uploaded while the run was running, give or take this much.
RUN_SLACK = timedelta(minutes=5)


def tag_matches(tag: str, version: str) -> bool:
    """Whether a git tag names this release (see :data:`TAG_OF_VERSION`)."""
    return re.fullmatch(TAG_OF_VERSION.format(version=re.escape(version)), tag, flags=re.IGNORECASE) is not None


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _releases(node: Node) -> list[tuple[str, datetime]]:
    times = node.attrs.get("release_times")
    out: list[tuple[str, datetime]] = []
    for item in times if isinstance(times, tuple) else ():
        version, _, when = item.rpartition("@")
        t = _time(when)
        if version and t is not None:
            out.append((version, t))
    return out


def _ran(windows: tuple[str, ...], t: datetime) -> bool:
    for w in windows:
        start, _, end = w.partition("/")
        a, b = _time(start), _time(end)
        if a is not None and b is not None and a - RUN_SLACK <= t <= b + RUN_SLACK:
            return True
    return False


def _files_named(node: Node, name: str) -> tuple[Evidence, ...]:
    """The node's evidence files called ``name`` (all of them when none is)."""
    return tuple(e for e in node.evidence if e.file.rsplit("/", 1)[-1] == name) or node.evidence


def _source_checks(ctx: RuleContext, node: Node, repos: dict[str, Node]) -> Iterator[Finding]:
    """Releases that match no tag of the source repository, and releases uploaded while no workflow of it ran:
    what a release published with a stolen token looks like."""
    source = node.attrs.get("source_repo")
    repo = repos.get(source.lower()) if isinstance(source, str) else None
    releases = _releases(node)
    if repo is None or not releases:
        return
    tags = repo.attrs.get("tags")
    when = dict(releases)
    if isinstance(tags, tuple):
        untagged = [v for v, _ in releases if not any(tag_matches(t, v) for t in tags)]
        if untagged:
            message = (
                f"{node.name!r}: release(s) {', '.join(untagged)} match no tag of its source repository "
                f"{repo.name}: they were not built from tagged code there."
            )
            facts = [Fact(f"release {v} uploaded {when[v].isoformat()}", node.evidence) for v in untagged]
            facts.append(
                Fact(
                    f"no tag of {repo.name} names {', '.join(untagged)} ({len(tags)} tags collected)",
                    _files_named(repo, "tags.json"),
                )
            )
            yield ctx.finding(RULE, node, message, qualifier="untagged", facts=facts)
    windows, since = repo.attrs.get("run_windows"), repo.attrs.get("runs_since")
    start = _time(since) if isinstance(since, str) else None
    if isinstance(windows, tuple) and start is not None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=releases[0][1].tzinfo)
        lone = [v for v, t in releases if t >= start and not _ran(windows, t)]
        if lone:
            message = (
                f"{node.name!r}: release(s) {', '.join(lone)} were uploaded while no workflow of {repo.name} was "
                "running: published from outside CI, as a stolen token would be."
            )
            facts = [Fact(f"release {v} uploaded {when[v].isoformat()}", node.evidence) for v in lone]
            facts.append(
                Fact(
                    f"none of the {len(windows)} workflow runs of {repo.name} since {start.date().isoformat()} "
                    f"was running then (give or take {int(RUN_SLACK.total_seconds() // 60)} minutes)",
                    _files_named(repo, "runs.json"),
                )
            )
            yield ctx.finding(RULE, node, message, severity=Severity.HIGH, qualifier="no-run", facts=facts)


def _static_publishers(ctx: RuleContext, resource: NodeId) -> list[NodeId]:
    """Standing credentials that can publish the resource (a token path beside Trusted Publishing)."""
    out = []
    for nid in ctx.reach.who_can_reach(resource, Action.PUBLISH):
        node = ctx.graph.inventory.node(nid)
        if node.kind is NodeKind.CREDENTIAL and node.credential and node.credential.lifetime is Lifetime.STATIC:
            out.append(nid)
    return out


def evaluate(ctx: RuleContext) -> Iterator[Finding]:
    """Packages published without provenance, Trusted Publishing undermined by a token path, and
    mirror repositories consumed without verification."""
    inv = ctx.graph.inventory
    repos = {n.name.lower(): n for n in ctx.graph.nodes() if n.subtype == "github:repo"}
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.RESOURCE:
            continue
        category = node.attrs.get("category")
        if category == "package":
            yield from _source_checks(ctx, node, repos)
            attested = node.attrs.get("latest_attested")
            if attested is not False:
                continue  # attested, or not assessed
            publisher = node.attrs.get("trusted_publisher")
            earlier = node.attrs.get("trusted_publishers")
            if not publisher and isinstance(earlier, tuple) and earlier:
                # A Trusted Publisher attested earlier releases but not the latest (Ultralytics pattern).
                publisher = ", ".join(earlier)
            tokens = _static_publishers(ctx, node.id)
            path = ctx.reach.explain(tokens[0], node.id, Action.PUBLISH) if tokens else None
            latest = node.attrs.get("latest_version")
            what = f"latest release {latest}" if isinstance(latest, str) else "latest release"
            facts = [Fact(f"{what}: no provenance attestation on its files", node.evidence)]
            if publisher:
                extra = f"; {len(tokens)} standing token(s) can still publish it" if tokens else ""
                message = (
                    f"{node.name!r} has a Trusted Publisher ({publisher}) but its latest release carries no "
                    f"provenance attestation{extra}: it was published by another path."
                )
                yield ctx.finding(RULE, node, message, path, severity=Severity.HIGH, facts=facts)
            elif tokens:
                message = (
                    f"{node.name!r} is published without provenance by a standing token "
                    f"({len(tokens)} can publish it); consumers cannot tell a stolen-token release from a real one."
                )
                yield ctx.finding(RULE, node, message, path, facts=facts)
        elif category == "registry" and node.attrs.get("mirror") is True:
            if node.attrs.get("upstream_verification") is not False:
                continue
            consumers = [e.src for e in ctx.graph.in_edges(node.id, EdgeKind.CONSUMES)]
            consumers += [e.dst for e in ctx.graph.out_edges(node.id, EdgeKind.TRIGGERS)]
            if not consumers:
                continue
            names = ", ".join(sorted(inv.node(c).name for c in consumers)[:3])
            message = (
                f"Mirror {node.name!r} of a public registry is consumed by {names} with no signature, "
                "attestation or freshness check."
            )
            path = ctx.reach.explain(node.id, consumers[0])
            if path is None:
                # explain() walks from controllers; a mirror is written by its upstream, so show the
                # edge by which what it pulls flows on to its first consumer.
                edge = next(
                    (e for e in ctx.graph.in_edges(node.id, EdgeKind.CONSUMES) if e.src == consumers[0]),
                    None,
                ) or next(e for e in ctx.graph.out_edges(node.id, EdgeKind.TRIGGERS) if e.dst == consumers[0])
                path = [PathStep(node.id, consumers[0], edge.kind, frozenset({Action.PUBLISH}), edge.via)]
            yield ctx.finding(RULE, node, message, path, severity=Severity.HIGH)


def judge(ctx: RuleContext) -> Iterator[Judgement]:
    """Packages (judged when the provenance of their latest release is known, or a release was found
    that no tag or run of its source explains) and mirror repositories (judged when whether they verify
    what they pull is known)."""
    for node in ctx.graph.nodes():
        if node.kind is not NodeKind.RESOURCE or node.attrs.get("account_wide") is True:
            continue
        category = node.attrs.get("category")
        if category == "package":
            if node.attrs.get("latest_attested") is not None:
                yield node, None
            elif node.attrs.get("collected") is False and source("provenance", node.provider) is not None:
                yield node, missing("provenance", node, why="the registry's record of it was not collected")
            else:
                yield node, missing("provenance", node)
        elif category == "registry" and (node.attrs.get("mirror") is True or unknown(node, "upstream_verification")):
            # (a registry whose connector could not tell whether it mirrors a public one is not assessed either)
            yield (
                node,
                None if node.attrs.get("upstream_verification") is not None else missing("upstream_verification", node),
            )


RULE = Rule(
    id="RB02",
    title="Packages trusted without verified provenance",
    severity=Severity.MEDIUM,
    remediation=(
        "Publish only through Trusted Publishing with attestations (PyPI/npm provenance, signed images), "
        "revoke the remaining publish tokens, and verify signatures or attestations before a mirrored or "
        "published package is consumed."
    ),
    evaluate=evaluate,
    judge=judge,
    needs="packages with the provenance of their releases (PyPI, npm), and mirror repositories",
)
