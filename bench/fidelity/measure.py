"""Compare regwarden's view of the corpus with the hand labels (and zizmor's, side by side)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fidelity.corpus import Corpus, JobLabel
from connectors.github import SPEC
from connectors.gitlab import SPEC as GITLAB_SPEC
from scanner.bundle import BundleReader
from scanner.knowledge.registries import registries, registry_for_host
from scanner.model import EdgeKind, Inventory, NodeKind
from scanner.plugins import ConnectorSpec

Key = tuple[str, str, str]


@dataclass(frozen=True)
class JobView:
    """What regwarden says about one job."""

    publishes: tuple[str, ...]
    probable: tuple[str, ...]
    routes: tuple[str, ...]
    route_unknown: tuple[str, ...]
    outsider: tuple[str, ...]  # the `outsider` condition of each control edge (pr-head-checkout, injection...)
    starter_injections: tuple[str, ...]
    unpinned: tuple[str, ...]  # third-party references not pinned to a SHA/digest
    why: tuple[str, ...] = ()  # regwarden's reasons, one per publish


#: The connector that reads each CI's bundle.
SPECS: dict[str, ConnectorSpec[Any]] = {"github": SPEC, "gitlab": GITLAB_SPEC}


def regwarden_view(bundle: Path, ci: str = "github") -> tuple[dict[Key, JobView], Inventory]:
    """Run the CI's connector on the corpus bundle; one view per job."""
    inv = SPECS[ci].inventory(BundleReader(bundle))
    outsider: dict[str, list[str]] = defaultdict(list)
    unpinned: dict[str, list[str]] = defaultdict(list)
    for e in inv.edges():
        if e.kind is EdgeKind.CAN_ASSUME and e.via.startswith("Actions cache"):
            outsider[e.src].append("cache")  # an outsider-triggered writer of the release job's cache
            continue
        if e.kind is not EdgeKind.RUNS_CODE_OF:
            continue
        cond = dict(e.conditions)
        if "outsider" in cond:
            outsider[e.src].append(cond["outsider"])
            continue
        tp = inv.get(e.dst)
        if tp is not None and tp.kind is NodeKind.THIRD_PARTY and tp.attrs.get("pinned") is False:
            unpinned[e.src].append(tp.name)
    views: dict[Key, JobView] = {}
    for n in inv.nodes():
        if n.subtype != f"{ci}:job":
            continue
        a = n.attrs
        key = (str(a["repo"]), str(a["workflow_path"]), str(a["job"]))
        views[key] = JobView(
            publishes=tuple(a.get("publishes") or ()),  # type: ignore[arg-type]
            probable=tuple(a.get("publishes_probable") or ()),  # type: ignore[arg-type]
            routes=tuple(a.get("publish_routes") or ()),  # type: ignore[arg-type]
            route_unknown=tuple(a.get("publish_route_unknown") or ()),  # type: ignore[arg-type]
            outsider=tuple(sorted(set(outsider.get(n.id, ())))),
            starter_injections=tuple(a.get("starter_injections") or ()),  # type: ignore[arg-type]
            unpinned=tuple(sorted(set(unpinned.get(n.id, ())))),
            why=tuple(a.get("publish_steps") or ()),  # type: ignore[arg-type]
        )
    return views, inv


@dataclass
class Score:
    """True/false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there is nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was reported."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def as_dict(self) -> dict[str, Any]:
        """For results.json."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
        }


@dataclass
class Report:
    """Every number the bench prints, and the cases that disagree."""

    jobs: int = 0
    publish_jobs: Score = field(default_factory=Score)
    publish_pairs: Score = field(default_factory=Score)
    per_registry: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    routes_right: int = 0
    routes_total: int = 0
    outsider: Score = field(default_factory=Score)
    outsider_via: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    unknown_route_jobs: int = 0
    out_of_scope: int = 0
    #: Jobs labelled as publishing only outside the registries that regwarden reports as a probable publish to a
    #: registry it cannot name (``other:*``): both say the job publishes somewhere uncounted, so neither counts.
    out_of_scope_unnamed: int = 0
    missing_jobs: list[Key] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)


def _route_matches(label: str, routes: tuple[str, ...], registry: str) -> bool:
    # (a registry named by its host has a colon of its own: `other:xpkg.upbound.io:secret:XPKG_TOKEN`)
    mine = [r[len(registry) + 1 :].split(":", 1) for r in routes if r.startswith(registry + ":")]
    kind, _, name = label.partition(":")
    kind = {"github_token": "job_token"}.get(kind, kind)
    for parts in mine:
        rkind = parts[0]
        rname = parts[1] if len(parts) > 1 else ""
        if kind == rkind and (not name or rkind not in ("secret", "variable") or name.upper() == rname.upper()):
            return True
        if kind == "cloud" and rkind == "cloud":
            return True
        if kind == "cloud" and rkind in ("secret", "variable") and _cloud_of(registry) == name:
            # the labels' `cloud:<provider>` covers a sign-in with a stored key too (the readers' instructions say
            # so); regwarden names that key (pomerium's `credentials_json: ${{ secrets.GCP_SERVICE_ACCOUNT }}` before
            # its gcr.io push): the same credential, for a registry of that cloud
            return True
    return False


def _cloud_of(registry: str) -> str | None:
    known = registries().get(registry)
    return known.cloud if known is not None else None


def _pred_pairs(v: JobView) -> set[str]:
    return set(v.publishes)


def compare(corpus: Corpus, views: dict[Key, JobView]) -> Report:
    """Score regwarden's views against the labels."""
    r = Report()
    for key, lab in sorted(corpus.jobs.items()):
        v = views.get(key)
        if v is None:
            r.missing_jobs.append(key)
            continue
        r.jobs += 1
        _publish(r, key, lab, v)
        _outsider(r, key, lab, v)
        if v.route_unknown:
            r.unknown_route_jobs += 1
    labelled = set(corpus.jobs)
    for key, v in views.items():
        if key not in labelled and (key[0] in corpus.sources):
            r.disagreements.append({"kind": "unlabelled-job", "job": "/".join(key), "regwarden": v.publishes})
    return r


def normalise(registry: str) -> str:
    """A label's ``other:<host>`` as the registries table names it, when the table has it (labels were
    written before some rows existed; the reader used hosts)."""
    if not registry.startswith("other:"):
        return registry
    rest = registry.removeprefix("other:")
    known = registries()
    if rest in known:
        return rest
    found = registry_for_host(rest)
    return found.id if found is not None else registry


#: Labelled destinations that are not package or image registries (object-storage mirrors of release
#: files, a git repository served as an apt site, an app store): outside what regwarden recognises as
#: publishing, so reported on their own line and not counted. See docs/fidelity.md.
OUT_OF_SCOPE = frozenset(
    {
        "other:r2.cloudflarestorage.com",
        "other:storage.googleapis.com",
        "other:s3.amazonaws.com",
        "other:cli.github.com",
        "other:play.google.com",
        "other:appstoreconnect.apple.com",
        "other:apps.apple.com",  # the App Store again, by its storefront's host (held-out round 10)
        "other:manage.devcenter.microsoft.com",
        "other:developer.amazon.com",
        "other:firebaseappdistribution.googleapis.com",
        # download sites served from buckets (S3, R2): the held-out set's k6 and mitmproxy
        "other:dl.k6.io",
        "other:snapshots.mitmproxy.org",
        "other:downloads.mitmproxy.org",
        # OpenMW's build downloads in an S3-compatible bucket (Ceph RGW), held-out round 7
        "other:rgw.ctrl-c.liu.se",
        # Gajim's download area, uploaded to over FTP by its own release tool, held-out round 9
        "other:gajim.org",
        # SourceForge's file release area, uploaded to by rsync over SSH: PMD's download site, round 10
        "other:sourceforge.net",
        # CMake's download area (cmake.org/files), uploaded to by rsync over SSH, round 12
        "other:cmake.org",
        # download areas uploaded to by scp or rsync: gmsh.info (round 18), an internal download server named only
        # in CI/CD variables (openocd-esp32, round 18), GROMACS's FTP site (round 15), Gajim's FTP host (round 9),
        # IronFox's S3-hosted release files (round 17)
        "other:gmsh.info",
        "other:internal-http-upload-server",
        "other:ftp.gromacs.org",
        "other:ftp.gajim.org",
        "other:releases.ironfoxoss.org",
        # Armagetron Advanced's own download server and SourceForge's file-release host (rsync), and the game
        # stores it uploads to (Steam, itch.io): download sites and app stores, round 19
        "other:builder.armagetronad.org",
        "other:frs.sourceforge.net",
        "other:steampowered.com",
        "other:itch.io",
        # cerbero's prebuilt-dependency tarballs, uploaded by scp to GStreamer's artifact server (round 27)
        "other:artifacts.gstreamer-foundation.net",
        # Mélodium's download server (zips, installers, debs and its package tree), uploaded to by sshpass and rsync, its host
        # only in CI/CD variables (round 28)
        "other:repo.melodium.tech",
        # round 30: download sites uploaded to by rsync or scp over SSH (VTK's wheel SDKs on web.kitware.com, Vidjil's
        # release tarballs, JabRef's installers on builds.jabref.org), yum and apt repositories on CERN's web storage
        # filled by the project's scripts (EOS's storage-ci, FTS's fts-repo), and signald's apt repository in a
        # DigitalOcean Spaces bucket (S3-compatible object storage)
        "other:web.kitware.com",
        "other:www.vidjil.org",
        "other:build-upload.jabref.org",
        "other:storage-ci.web.cern.ch",
        "other:fts-repo.web.cern.ch",
        "other:sfo2.digitaloceanspaces.com",
        # round 31: Linphone's download server (rsync and scp to a host only CI/CD variables name), Gajim's FTP host
        # again (its plugins, by FTPS from a repository script), and a GitLab Pages site serving an apt repository
        # (tuxpkg's, published as cli/cli's apt site is, by deploying files)
        "other:download.linphone.org",
        "other:panoramix.gajim.org",
        "other:linaro.gitlab.io",
    }
)


def _publish(r: Report, key: Key, lab: JobLabel, v: JobView) -> None:
    out_of_scope = {p.registry for p in lab.publishes if p.registry in OUT_OF_SCOPE}
    r.out_of_scope += len(out_of_scope)
    want = {normalise(p.registry) for p in lab.publishes if p.registry not in OUT_OF_SCOPE}
    got = _pred_pairs(v)
    if out_of_scope and not want and got == {"other:*"}:
        r.out_of_scope_unnamed += 1
        return
    if want and got:
        r.publish_jobs.tp += 1
    elif got:
        r.publish_jobs.fp += 1
    elif want:
        r.publish_jobs.fn += 1
    for reg in sorted(want | got):
        s = r.per_registry[reg]
        if reg in want and reg in got:
            r.publish_pairs.tp += 1
            s.tp += 1
        elif reg in got:
            r.publish_pairs.fp += 1
            s.fp += 1
        else:
            r.publish_pairs.fn += 1
            s.fn += 1
    for p in lab.publishes:
        if normalise(p.registry) in got:
            r.routes_total += 1
            if _route_matches(p.route, v.routes, normalise(p.registry)):
                r.routes_right += 1
            else:
                r.disagreements.append(
                    {
                        "kind": "route",
                        "job": "/".join(key),
                        "registry": p.registry,
                        "label": p.route,
                        "regwarden": v.routes,
                    }
                )
    if want != got:
        r.disagreements.append(
            {
                "kind": "publish",
                "job": "/".join(key),
                "label": sorted(want),
                "regwarden": sorted(got),
                "probable": list(v.probable),
                "why": list(v.why),
                "notes": lab.notes[:300],
            }
        )


def _outsider(r: Report, key: Key, lab: JobLabel, v: JobView) -> None:
    want = bool(lab.outsider_control)
    got = bool(v.outsider)
    if want and got:
        r.outsider.tp += 1
    elif got:
        r.outsider.fp += 1
    elif want:
        r.outsider.fn += 1
    for via in sorted(set(lab.outsider_control) | set(v.outsider)):
        s = r.outsider_via[via]
        if via in lab.outsider_control and via in v.outsider:
            s.tp += 1
        elif via in v.outsider:
            s.fp += 1
        else:
            s.fn += 1
    if want != got or set(lab.outsider_control) != set(v.outsider):
        r.disagreements.append(
            {
                "kind": "outsider",
                "job": "/".join(key),
                "label": sorted(lab.outsider_control),
                "trigger": lab.outsider_trigger,
                "regwarden": list(v.outsider),
                "notes": lab.notes[:300],
            }
        )


def registries_seen(corpus: Corpus) -> Counter[str]:
    """How many labelled jobs publish to each registry."""
    return Counter(normalise(p.registry) for lab in corpus.jobs.values() for p in lab.publishes)
