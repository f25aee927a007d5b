"""Registries, secrets, builds and pipelines of one region -> nodes, policy targets and trigger edges.

Pure: no I/O. ``production`` heuristic: a pipeline or build project is production when its name, or
the name of one of its stages, contains the word ``prod``, ``production``, ``prd`` or ``live``
(separated by anything but a letter: ``deploy-prod``, ``Prod_Release``, stage ``Production``).
CloudTrail: a registry's events are logged when a trail that applies to its region records
management write events (ECR pushes and CodeArtifact publishes are management events).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.aws import raw
from connectors.aws.load import ECR_TAGS, SELECTORS, TRAILS, name_part
from connectors.aws.policy import Statement, Target, compile_document
from scanner.model import (
    AttrValue,
    CoverageGap,
    Edge,
    EdgeKind,
    Evidence,
    Inventory,
    Node,
    NodeId,
    NodeKind,
    node_id,
)
from scanner.owners import OWNERS_NOT_COLLECTED_ATTR

PROVIDER = "aws"
_PROD = re.compile(r"(^|[^a-z])(prod|production|prd|live)([^a-z]|$)", re.IGNORECASE)
_CA_FORMATS = ("npm", "pypi", "maven", "nuget", "generic", "swift", "cargo", "ruby")


def is_production(*names: str) -> bool:
    """The documented production heuristic."""
    return any(_PROD.search(n) for n in names)


@dataclass
class RegionResult:
    """What one region contributes to policy evaluation."""

    targets: list[Target] = field(default_factory=list)
    resource_policies: list[tuple[NodeId, tuple[Statement, ...], str]] = field(
        default_factory=list
    )  # node, stmts, file
    readable: dict[NodeId, list[NodeId]] = field(default_factory=dict)  # project node -> plaintext secret nodes


def role_node(arn: str) -> NodeId:
    """The node id of an IAM role (also used for service roles named by builds and pipelines)."""
    return node_id(PROVIDER, "role", arn)


def _audit(region: raw.Region) -> tuple[dict[str, AttrValue], list[str]]:
    """Whether a trail records the region's management write events, and the files (under the region's
    folder) that were needed to tell but are not in the bundle: a trail whose event selectors are missing may
    be the one that logs, so without them logging is unknown, never "off"."""
    if region.trails is None:
        return {}, [TRAILS]
    missing: list[str] = []
    for trail in region.trails.trailList:
        if trail.HomeRegion not in (None, region.name) and not trail.IsMultiRegionTrail:
            continue
        sel = region.selectors.get(trail.Name)
        if sel is None:
            missing.append(f"{SELECTORS}/{name_part(trail.Name)}.json")
            continue
        if _logs_management_writes(sel):
            return {"audit_logging": True, "audit_detail": f"CloudTrail trail {trail.Name}"}, []
    if missing:
        return {}, missing
    return {
        "audit_logging": False,
        "audit_detail": f"no CloudTrail trail records management write events in {region.name}",
    }, []


def _logs_management_writes(sel: raw.EventSelectors) -> bool:
    for s in sel.EventSelectors or ():
        if s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly"):
            return True
    for adv in sel.AdvancedEventSelectors or ():
        fields = {f.get("Field"): f for f in adv.get("FieldSelectors", ())}
        cat = fields.get("eventCategory", {}).get("Equals", [])
        ro = fields.get("readOnly", {}).get("Equals", [])
        if "Management" in cat and "true" not in ro:
            return True
    return False


def _tuple(value: AttrValue) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple) else ()


def _pattern_names(pattern: Mapping[str, Any], *keys: str) -> list[str] | None:
    detail = pattern.get("detail")
    if not isinstance(detail, Mapping):
        return None
    for k in keys:
        v = detail.get(k)
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return [str(x) for x in v]
    return None


class RegionBuilder:
    """Builds one region's nodes into an inventory and returns its policy targets."""

    def __init__(self, inv: Inventory, account: str, region: raw.Region, acct: raw.Account | None = None) -> None:
        self.inv, self.account, self.r = inv, account, region
        self.acct = acct or raw.Account(account_id=account, folder=region.folder.rsplit("/", 1)[0])
        self.out = RegionResult()
        self.audit, self.audit_missing = _audit(region)
        self.ecr: dict[str, NodeId] = {}
        self.ca: dict[tuple[str, str], NodeId] = {}
        self.pipelines: dict[str, tuple[NodeId, bool]] = {}

    def ev(self, rel: str) -> tuple[Evidence, ...]:
        return (Evidence(f"{self.r.folder}/{rel}"),)

    def build(self) -> RegionResult:
        self._ecr()
        self._codeartifact()
        self._secrets()
        self._builds()
        self._pipelines()
        self._event_rules()
        if self.ecr or self.ca:
            self._audit_gaps()
        return self.out

    # --- what is missing ---------------------------------------------------------------------------

    def call(self, service_op: str, name: str = "") -> str:
        """A call as the manifest names it (``ecr get-repository-policy team/app (eu-west-1)``)."""
        return f"{service_op}{' ' + name if name else ''} ({self.r.name})"

    def settled(self, found: object, service_op: str, name: str = "") -> bool:
        """Whether a policy's answer is known: its file is in the bundle, or the manifest records the call as
        answered 404 (there is no policy)."""
        return found is not None or self.acct.absent(self.call(service_op, name))

    def gap(self, rel: str, consequence: str, service_op: str, name: str = "") -> None:
        """A coverage gap for the region's file ``rel``, unless the manifest says why it is absent."""
        if not self.acct.answered(self.call(service_op, name)):
            self.inv.add_gap(
                CoverageGap(PROVIDER, self.account, f"{self.r.folder}/{rel}", f"not collected: {consequence}")
            )

    def unknown(self, attrs: dict[str, AttrValue], key: str, rel: str) -> None:
        """Say in ``attrs`` that fact ``key`` of a node is unknown because the region's file ``rel`` is not in
        the bundle (the first such file is named)."""
        attrs["unknown"] = tuple(dict.fromkeys((*_tuple(attrs.get("unknown")), key)))
        attrs.setdefault(f"unknown_why.{key}", f"{self.r.folder}/{rel} not collected")

    def _audit_gaps(self) -> None:
        for rel in self.audit_missing:
            op, _, name = rel.removesuffix(".json").partition("/")
            self.gap(rel, "whether CloudTrail logs the region's registry events is unknown (RB04)",
                     f"cloudtrail {op.removeprefix('cloudtrail-')}", name)  # fmt: skip

    def _resource(
        self,
        nid: NodeId,
        name: str,
        subtype: str,
        rel: str,
        attrs: dict[str, AttrValue],
        tags: tuple[tuple[str, str], ...] = (),
    ) -> None:
        base: dict[str, AttrValue] = {"account": self.account, "region": self.r.name}
        if self.audit_missing and attrs.get("category") == "registry":
            attrs = dict(attrs)
            self.unknown(attrs, "audit_logging", self.audit_missing[0])
        self.inv.add_node(
            Node(
                nid,
                NodeKind.RESOURCE,
                name,
                PROVIDER,
                subtype,
                self.account,
                {**base, **attrs},
                tags=tags,
                evidence=self.ev(rel),
            )
        )

    # --- ECR ---------------------------------------------------------------------------------------

    def _ecr(self) -> None:
        if self.r.ecr is None:
            return
        rules = self.r.pull_through.pullThroughCacheRules if self.r.pull_through else ()
        registry_stmts = compile_document(self.r.ecr_registry_policy.policyText) if self.r.ecr_registry_policy else ()
        registry_known = self.settled(self.r.ecr_registry_policy, "ecr get-registry-policy")
        if not registry_known and self.r.ecr.repositories:
            self.gap("ecr-get-registry-policy.json", "who the registry policy admits to every repository is unknown (RB07)",
                     "ecr get-registry-policy")  # fmt: skip
        if self.r.pull_through is None and self.r.ecr.repositories:
            self.gap(
                "ecr-describe-pull-through-cache-rules.json",
                "which repositories are pull-through caches of a public registry (mirrors, RB02) is unknown",
                "ecr describe-pull-through-cache-rules",
            )
        for rule in rules:
            nid = node_id(
                PROVIDER, "ecr-pull-through-cache", f"{self.account}/{self.r.name}/{rule.ecrRepositoryPrefix}"
            )
            cache: dict[str, AttrValue] = {
                "category": "registry",
                "mirror": True,
                "upstream_verification": False,
                "upstream": rule.upstreamRegistryUrl,
                **self.audit,
            }
            # The repositories it creates on a pull are admitted by the registry policy (their own come later).
            if registry_known:
                cache["exposures"] = ()
            else:
                self.unknown(cache, "exposures", "ecr-get-registry-policy.json")
            self._resource(
                nid,
                f"{rule.ecrRepositoryPrefix} (pull-through cache of {rule.upstreamRegistryUrl})",
                "aws:ecr-pull-through-cache",
                "ecr-describe-pull-through-cache-rules.json",
                cache,
            )
        for repo in self.r.ecr.repositories:
            nid = node_id(PROVIDER, "ecr-repository", repo.repositoryArn)
            self.ecr[repo.repositoryName] = nid
            mirror = next((r for r in rules if repo.repositoryName.startswith(r.ecrRepositoryPrefix + "/")), None)
            attrs: dict[str, AttrValue] = {
                "category": "registry",
                "tag_mutability": repo.imageTagMutability,
                "scan_on_push": (repo.imageScanningConfiguration or {}).get("scanOnPush"),
                **self.audit,
            }
            if mirror is not None:
                attrs |= {"mirror": True, "upstream_verification": False, "upstream": mirror.upstreamRegistryUrl}
            elif self.r.pull_through is None:
                self.unknown(attrs, "upstream_verification", "ecr-describe-pull-through-cache-rules.json")
            pol = self.r.ecr_policies.get(repo.repositoryName)
            rel = f"ecr-get-repository-policy/{name_part(repo.repositoryName)}.json"
            # Who its policies admit is examined once both are known (a 404 is "no policy"); findings add to it.
            repo_known = self.settled(pol, "ecr get-repository-policy", repo.repositoryName)
            if repo_known and registry_known:
                attrs["exposures"] = ()
            if not repo_known:
                self.unknown(attrs, "exposures", rel)
                self.gap(rel, f"who the policy of {repo.repositoryName} admits is unknown (RB07)",
                         "ecr get-repository-policy", repo.repositoryName)  # fmt: skip
            if not registry_known:
                self.unknown(attrs, "exposures", "ecr-get-registry-policy.json")
            tagged = self.r.ecr_tags.get(repo.repositoryName)
            if tagged is None:  # its owners are "not collected", not unknown (docs/owners.md)
                attrs[OWNERS_NOT_COLLECTED_ATTR] = (
                    f"aws/{self.account}/{self.r.name}/{ECR_TAGS}/{name_part(repo.repositoryName)}.json"
                )
            tags = raw.tag_pairs(tagged.tags) if tagged else ()
            self._resource(
                nid, repo.repositoryName, "aws:ecr-repository", "ecr-describe-repositories.json", attrs, tags
            )
            self.out.targets.append(Target(nid, self.account, "ecr", (repo.repositoryArn,)))
            if pol is not None:
                self.out.resource_policies.append(
                    (
                        nid,
                        compile_document(pol.policyText),
                        f"ecr-get-repository-policy/{name_part(repo.repositoryName)}.json",
                    )
                )
            if registry_stmts:
                self.out.resource_policies.append((nid, registry_stmts, "ecr-get-registry-policy.json"))

    # --- CodeArtifact ------------------------------------------------------------------------------

    def _codeartifact(self) -> None:
        if self.r.ca_repositories is None:
            return
        for summary in self.r.ca_repositories.repositories:
            key = (summary.domainName, summary.name)
            desc = self.r.ca_descriptions.get(key)
            pair = f"{name_part(summary.domainName)}/{name_part(summary.name)}.json"
            label = f"{summary.domainName}/{summary.name}"
            ext = desc.repository.externalConnections if desc else ()
            ups = desc.repository.upstreams if desc else ()
            nid = node_id(PROVIDER, "codeartifact-repository", summary.arn)
            self.ca[key] = nid
            attrs: dict[str, AttrValue] = {
                "category": "registry",
                "domain": summary.domainName,
                "upstreams": tuple(u.repositoryName for u in ups),
                **self.audit,
            }
            if desc is not None:
                attrs["mirror"] = bool(ext)
                attrs["external_connections"] = tuple(e.externalConnectionName for e in ext)
                if ext:
                    attrs["upstream_verification"] = False
            else:
                # whether it connects to a public registry (a mirror, RB02) is unknown
                self.unknown(attrs, "upstream_verification", f"codeartifact-describe-repository/{pair}")
                self.gap(f"codeartifact-describe-repository/{pair}", f"whether {label} mirrors a public registry is "
                         "unknown (RB02)", "codeartifact describe-repository", label)  # fmt: skip
            repo_known = self.settled(
                self.r.ca_repo_policies.get(key), "codeartifact get-repository-permissions-policy", label
            )
            domain_known = self.settled(
                self.r.ca_domain_policies.get(summary.domainName),
                "codeartifact get-domain-permissions-policy",
                summary.domainName,
            )
            if repo_known and domain_known:
                attrs["exposures"] = ()
            for known, rel, op, name in (
                (repo_known, f"codeartifact-get-repository-permissions-policy/{pair}",
                 "codeartifact get-repository-permissions-policy", label),
                (domain_known, f"codeartifact-get-domain-permissions-policy/{name_part(summary.domainName)}.json",
                 "codeartifact get-domain-permissions-policy", summary.domainName),
            ):  # fmt: skip
                if not known:
                    self.unknown(attrs, "exposures", rel)
                    self.gap(rel, f"who the policy admits to {label} is unknown (RB07)", op, name)
            self._resource(
                nid,
                f"{summary.domainName}/{summary.name}",
                "aws:codeartifact-repository",
                "codeartifact-list-repositories.json",
                attrs,
            )
            prefix = f"arn:aws:codeartifact:{self.r.name}:{self.account}:package/{summary.domainName}/{summary.name}/"
            probes = (summary.arn, prefix + "\x00", *(f"{prefix}{f}/\x00/\x00" for f in _CA_FORMATS))
            self.out.targets.append(Target(nid, self.account, "codeartifact", probes, (prefix,)))
            for policy, rel in (
                (
                    self.r.ca_repo_policies.get(key),
                    f"codeartifact-get-repository-permissions-policy/{name_part(summary.domainName)}/{name_part(summary.name)}.json",
                ),
                (
                    self.r.ca_domain_policies.get(summary.domainName),
                    f"codeartifact-get-domain-permissions-policy/{name_part(summary.domainName)}.json",
                ),
            ):
                if policy is not None:
                    self.out.resource_policies.append((nid, compile_document(policy.policy.document), rel))

    # --- Secrets Manager ---------------------------------------------------------------------------

    def _secrets(self) -> None:
        if self.r.secrets is None:
            return
        for s in self.r.secrets.SecretList:
            nid = node_id(PROVIDER, "secret", s.ARN)
            attrs: dict[str, AttrValue] = {
                "account": self.account,
                "region": self.r.name,
                "rotation_enabled": s.RotationEnabled,
                "last_rotated": s.LastRotatedDate,
                "last_accessed": s.LastAccessedDate,
            }
            self.inv.add_node(
                Node(
                    nid,
                    NodeKind.SECRET,
                    s.Name,
                    PROVIDER,
                    "aws:secretsmanager-secret",
                    self.account,
                    attrs,
                    evidence=self.ev("secretsmanager-list-secrets.json"),
                )
            )
            self.out.targets.append(Target(nid, self.account, "secretsmanager", (s.ARN,)))
            pol = self.r.secret_policies.get(s.Name)
            if pol is None:
                self.gap(f"secretsmanager-get-resource-policy/{name_part(s.Name)}.json",
                         f"who the resource policy of secret {s.Name} admits is unknown",
                         "secretsmanager get-resource-policy", s.Name)  # fmt: skip
            if pol is not None and pol.ResourcePolicy:
                self.out.resource_policies.append(
                    (
                        nid,
                        compile_document(pol.ResourcePolicy),
                        f"secretsmanager-get-resource-policy/{name_part(s.Name)}.json",
                    )
                )

    # --- CodeBuild / CodePipeline / EventBridge ----------------------------------------------------

    def _builds(self) -> None:
        if self.r.builds is None:
            return
        for p in self.r.builds.projects:
            nid = node_id(PROVIDER, "codebuild-project", p.arn)
            self._resource(
                nid,
                p.name,
                "aws:codebuild-project",
                "codebuild-batch-get-projects.json",
                # PLAINTEXT variables were scanned for credential material at collection (RB12).
                {"category": "pipeline", "production": is_production(p.name), "secret_scanned": True},
            )
            self.out.targets.append(Target(nid, self.account, "codebuild", (p.arn,)))
            if p.serviceRole:
                self.inv.add_edge(
                    Edge(
                        nid,
                        role_node(p.serviceRole),
                        EdgeKind.CAN_ASSUME,
                        via="codebuild service role",
                        evidence=self.ev("codebuild-batch-get-projects.json"),
                    )
                )
            env = p.environment.environmentVariables if p.environment else ()
            for var in env:
                if (var.type or "PLAINTEXT") != "PLAINTEXT" or not var.valueDetector:
                    continue
                sid = node_id(PROVIDER, "codebuild-variable", f"{p.arn}#{var.name}")
                attrs: dict[str, AttrValue] = {
                    "plaintext": True,
                    "detector": var.valueDetector,
                    "fingerprint": var.valueFingerprint,
                    "variable": var.name,
                    "project": p.name,
                    "account": self.account,
                    "region": self.r.name,
                }
                self.inv.add_node(
                    Node(
                        sid,
                        NodeKind.SECRET,
                        f"{p.name} env {var.name}",
                        PROVIDER,
                        "aws:codebuild-plaintext-variable",
                        self.account,
                        attrs,
                        evidence=self.ev("codebuild-batch-get-projects.json"),
                    )
                )
                self.out.readable.setdefault(nid, []).append(sid)

    def _pipelines(self) -> None:
        for name, answer in self.r.pipelines.items():
            decl = answer.pipeline
            arn = str(
                (answer.metadata or {}).get("pipelineArn")
                or f"arn:aws:codepipeline:{self.r.name}:{self.account}:{name}"
            )
            nid = node_id(PROVIDER, "codepipeline", arn)
            actions = [(s.name, a) for s in decl.stages for a in s.actions]
            approval = any(
                a.actionTypeId.category == "Approval" and a.actionTypeId.provider == "Manual" for _, a in actions
            )
            prod = is_production(decl.name, *(s.name for s in decl.stages))
            rel = f"codepipeline-get-pipeline/{name_part(name)}.json"
            self._resource(
                nid,
                decl.name,
                "aws:codepipeline",
                rel,
                {"category": "pipeline", "production": prod, "manual_approval": approval},
            )
            self.pipelines[arn] = (nid, approval)
            self.out.targets.append(Target(nid, self.account, "codepipeline", (arn,)))
            self.inv.add_edge(
                Edge(
                    nid,
                    role_node(decl.roleArn),
                    EdgeKind.CAN_ASSUME,
                    via="codepipeline service role",
                    evidence=self.ev(rel),
                )
            )
            for _, a in actions:
                if a.actionTypeId.category == "Source" and a.actionTypeId.provider == "ECR":
                    repo = (a.configuration or {}).get("RepositoryName", "")
                    src = self.ecr.get(repo)
                    if src is not None:
                        self.inv.add_edge(
                            Edge(
                                src,
                                nid,
                                EdgeKind.TRIGGERS,
                                via=f"source action {a.name}",
                                approval_required=approval,
                                evidence=self.ev(rel),
                            )
                        )

    def _event_rules(self) -> None:
        if self.r.rules is None:
            return
        for rule in self.r.rules.Rules:
            if rule.State == "DISABLED" or not rule.EventPattern:
                continue
            try:
                pattern = json.loads(rule.EventPattern)
            except json.JSONDecodeError:
                continue
            sources = pattern.get("source") if isinstance(pattern, Mapping) else None
            sources = sources if isinstance(sources, list) else []
            origins: list[NodeId] = []
            if "aws.ecr" in sources:
                names = _pattern_names(pattern, "repository-name")
                origins += [n for k, n in self.ecr.items() if names is None or k in names]
            if "aws.codeartifact" in sources:
                repos = _pattern_names(pattern, "repositoryName")
                origins += [n for (_, r), n in self.ca.items() if repos is None or r in repos]
            targets = self.r.targets.get(rule.Name)
            if targets is None and origins:
                self.gap(f"events-list-targets-by-rule/{name_part(rule.Name)}.json",
                         f"which pipelines EventBridge rule {rule.Name} starts is unknown (RB05)",
                         "events list-targets-by-rule", rule.Name)  # fmt: skip
            for t in targets.Targets if targets else ():
                found = self.pipelines.get(t.Arn)
                if found is None:
                    continue
                dst, approval = found
                for src in origins:
                    self.inv.add_edge(
                        Edge(
                            src,
                            dst,
                            EdgeKind.TRIGGERS,
                            via=f"EventBridge rule {rule.Name}",
                            approval_required=approval,
                            evidence=self.ev(f"events-list-targets-by-rule/{name_part(rule.Name)}.json"),
                        )
                    )
