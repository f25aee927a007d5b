"""``python -m bench.fidelity`` (``make fidelity``): regwarden on real public workflows, against hand labels.

Builds an evidence bundle from the corpus (``bench/fidelity/github/corpus``, origins in each
``SOURCE.yaml``), runs the GitHub connector on it, and scores publish recognition (per job, per
registry, and the credential route) and outsider reachability against the labels
(``bench/fidelity/github/labels``). When zizmor is installed (``bench/requirements.txt``) it runs on the
same files, offline, and its unpinned-uses and template-injection findings are set beside regwarden's.
The GitLab corpus (``bench/fidelity/gitlab``: real pipelines with their includes, hand-labelled in the same
format) is scored the same way, in its own section (``gitlab`` in results.json).
The held-out set (``bench/fidelity/heldout``: GitHub and GitLab files labelled by readers who saw neither
regwarden's code nor its output) is scored the same way, apart (``heldout`` in results.json).
Writes ``bench/fidelity/results.json``, ``bench/fidelity/disagreements.json``,
``bench/fidelity/disagreements-gitlab.json`` and ``bench/fidelity/disagreements-heldout.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.fidelity import corpus as corpus_mod
from bench.fidelity import measure, zizmor

HERE = Path(__file__).resolve().parent


def _side_by_side(
    c: corpus_mod.Corpus, views: dict[measure.Key, measure.JobView], z: zizmor.ZizmorView
) -> dict[str, Any]:
    publishing = {k for k, lab in c.jobs.items() if lab.publishes}
    ours = {(k, u) for k in publishing for u in views[k].unpinned} if views else set()
    theirs = {(k, u) for k in publishing for u in z.unpinned.get(k, ())}
    only_ours = sorted(ours - theirs)
    only_theirs = sorted(theirs - ours)
    inj: Counter[str] = Counter()
    inj_high: Counter[str] = Counter()
    zizmor_only: Counter[str] = Counter()
    cases: list[dict[str, Any]] = []
    for k, lab in sorted(c.jobs.items()):
        v = views.get(k)
        if v is None:
            continue
        label = "injection" in lab.outsider_control
        mine = "injection" in v.outsider or bool(v.starter_injections)
        findings = z.injection.get(k, [])
        theirs_inj = bool(findings)
        high = any(f.split(":", 1)[0].endswith("/High") for f in findings)
        inj[f"label={int(label)} regwarden={int(mine)} zizmor={int(theirs_inj)}"] += 1
        inj_high[f"label={int(label)} regwarden={int(mine)} zizmor(high confidence)={int(high)}"] += 1
        if theirs_inj and not label and not mine:
            for f in findings:
                zizmor_only[f"{f.split(':', 1)[0]} {_context(f)}"] += 1
        if len({label, mine, theirs_inj}) > 1:
            cases.append(
                {
                    "job": "/".join(k),
                    "label": label,
                    "regwarden": {"outsider": list(v.outsider), "starter_inputs": list(v.starter_injections)},
                    "zizmor": z.injection.get(k, []),
                    "trigger": lab.outsider_trigger,
                }
            )
    return {
        "zizmor": z.version,
        "unpinned_in_publishing_jobs": {
            "both": len(ours & theirs),
            "regwarden_only": len(only_ours),
            "zizmor_only": len(only_theirs),
            "regwarden_only_examples": [f"{'/'.join(k)} {u}" for k, u in only_ours[:40]],
            "zizmor_only_examples": [f"{'/'.join(k)} {u}" for k, u in only_theirs[:40]],
        },
        "template_injection": {
            "matrix": dict(sorted(inj.items())),
            "matrix_high_confidence": dict(sorted(inj_high.items())),
            "zizmor_only_by_context": dict(zizmor_only.most_common()),
            "cases": cases,
        },
        "errors": z.errors,
    }


def _context(finding: str) -> str:
    """The root of the expression a zizmor template-injection finding names (``github.event``,
    ``steps``, ``matrix``...), for counting its findings by kind."""
    import re

    m = re.search(r"\$\{\{\s*([^}]*?)\s*\}\}", finding)
    expr = m.group(1) if m else finding.split(":", 1)[-1]
    expr = re.sub(r"^[a-zA-Z]+\(", "", expr.strip())
    parts = re.split(r"[.\[(]", expr)
    root = parts[0] if parts else ""
    if root == "github" and len(parts) > 1:
        return f"github.{parts[1]}" + (f".{parts[2]}" if parts[1] == "event" and len(parts) > 2 else "")
    return root or "?"


def _scores(c: corpus_mod.Corpus, report: measure.Report, inv: Any) -> dict[str, Any]:
    """The numbers of one corpus."""
    return {
        "corpus": {
            "repositories": len(c.sources),
            "workflow_files": len({(k[0], k[1]) for k in c.jobs}),
            "jobs": len(c.jobs),
            "publishing_jobs": sum(1 for lab in c.jobs.values() if lab.publishes),
            "outsider_controlled_jobs": sum(1 for lab in c.jobs.values() if lab.outsider_control),
            "registries": dict(measure.registries_seen(c).most_common()),
        },
        "publish_jobs": report.publish_jobs.as_dict(),
        "publish_pairs": report.publish_pairs.as_dict(),
        "per_registry": {k: v.as_dict() for k, v in sorted(report.per_registry.items())},
        "route_accuracy": {
            "right": report.routes_right,
            "total": report.routes_total,
            "share": round(report.routes_right / report.routes_total, 4) if report.routes_total else None,
        },
        "outsider": report.outsider.as_dict(),
        "outsider_via": {k: v.as_dict() for k, v in sorted(report.outsider_via.items())},
        "jobs_with_unknown_route": report.unknown_route_jobs,
        "labelled_destinations_out_of_scope": report.out_of_scope,
        "out_of_scope_jobs_reported_unnamed": report.out_of_scope_unnamed,
        "missing_jobs": ["/".join(k) for k in report.missing_jobs],
        "coverage_gaps": len(inv.gaps),
    }


def _run(layout: corpus_mod.Layout) -> tuple[corpus_mod.Corpus, dict[measure.Key, measure.JobView], Any]:
    c = corpus_mod.load(layout)
    with tempfile.TemporaryDirectory(prefix="regwarden-fidelity-") as tmp:
        bundle = Path(tmp) / "bundle"
        corpus_mod.build_bundle(bundle, layout)
        views, inv = measure.regwarden_view(bundle, layout.ci)
    return c, views, inv


def main(argv: list[str] | None = None) -> int:
    """Run the bench; print the table; write results.json and disagreements.json."""
    ap = argparse.ArgumentParser(prog="python -m bench.fidelity", description=__doc__)
    ap.add_argument("--no-zizmor", action="store_true", help="skip the side-by-side with zizmor")
    ap.add_argument("--out", type=Path, default=HERE, help="where results.json and disagreements.json go")
    ap.add_argument(
        "--gitlab", type=Path, default=corpus_mod.GITLAB.root, help="the GitLab corpus (corpus/ and labels/)"
    )
    args = ap.parse_args(argv)
    c, views, inv = _run(corpus_mod.GITHUB)
    report = measure.compare(c, views)
    results: dict[str, Any] = _scores(c, report, inv)
    gitlab = corpus_mod.Layout("gitlab", args.gitlab)
    gl_report: measure.Report | None = None
    if gitlab.corpus.is_dir():
        gc, gviews, ginv = _run(gitlab)
        gl_report = measure.compare(gc, gviews)
        results["gitlab"] = _scores(gc, gl_report, ginv)
    heldout: dict[str, list[dict[str, Any]]] = {}
    for layout in corpus_mod.HELDOUT:
        if layout.corpus.is_dir():
            hc, hviews, hinv = _run(layout)
            h_report = measure.compare(hc, hviews)
            results.setdefault("heldout", {})[layout.ci] = _scores(hc, h_report, hinv)
            heldout[layout.ci] = h_report.disagreements
    if not args.no_zizmor:
        exe = zizmor.available()
        if exe is None:
            print(
                "fidelity: zizmor not installed (pip install -r bench/requirements.txt); side-by-side skipped",
                file=sys.stderr,
            )
        else:
            results["peer"] = _side_by_side(c, views, zizmor.run(exe))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (args.out / "disagreements.json").write_text(json.dumps(report.disagreements, indent=1) + "\n", encoding="utf-8")
    if gl_report is not None:
        (args.out / "disagreements-gitlab.json").write_text(
            json.dumps(gl_report.disagreements, indent=1) + "\n", encoding="utf-8"
        )
    if heldout:
        (args.out / "disagreements-heldout.json").write_text(json.dumps(heldout, indent=1) + "\n", encoding="utf-8")
    _print(results)
    if "gitlab" in results:
        print("\nGitLab")
        _print(results["gitlab"], outsider=False)
    for ci, scores in results.get("heldout", {}).items():
        print(f"\nHeld out ({'GitHub' if ci == 'github' else 'GitLab'}; bench/fidelity/heldout/README.md)")
        _print(scores, outsider=ci == "github")
    return 0


def _print(r: dict[str, Any], outsider: bool = True) -> None:
    c = r["corpus"]
    print(
        f"corpus: {c['repositories']} repositories, {c['workflow_files']} workflow files, {c['jobs']} jobs; "
        f"{c['publishing_jobs']} publishing, {c['outsider_controlled_jobs']} outsider-controlled"
    )

    def line(name: str, s: dict[str, Any]) -> None:
        print(
            f"  {name:<28} recall {s['recall']:.3f}  precision {s['precision']:.3f}  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})"
        )

    print("publish recognition")
    line("jobs", r["publish_jobs"])
    line("(job, registry) pairs", r["publish_pairs"])
    for reg, s in r["per_registry"].items():
        line(f"  {reg}", s)
    ra = r["route_accuracy"]
    print(f"  credential route right: {ra['right']} of {ra['total']}")
    print(f"  labelled destinations outside the registries (not counted): {r['labelled_destinations_out_of_scope']}")
    print(
        "  of their jobs, reported as a probable publish to a registry regwarden cannot name (not counted either):"
        f" {r['out_of_scope_jobs_reported_unnamed']}"
    )
    if outsider:
        print("outsider reachability")
        line("jobs", r["outsider"])
        for via, s in r["outsider_via"].items():
            line(f"  {via}", s)
    if "peer" in r:
        p = r["peer"]
        u = p["unpinned_in_publishing_jobs"]
        print(f"zizmor {p['zizmor']}: unpinned actions in publishing jobs: both {u['both']}, "
              f"regwarden only {u['regwarden_only']}, zizmor only {u['zizmor_only']}")  # fmt: skip
        print("  template injection (label / regwarden / zizmor):")
        for k, v in p["template_injection"]["matrix"].items():
            print(f"    {k}: {v}")
        for k, v in p["template_injection"]["matrix_high_confidence"].items():
            print(f"    {k}: {v}")


if __name__ == "__main__":
    raise SystemExit(main())
