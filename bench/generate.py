"""Generate a synthetic estate bundle: ``python -m bench.generate SIZE OUT [--seed N]``.

The same size and seed always give byte-identical files. ``estate.json`` beside the bundle records
what was generated (counts, files, bytes, the AWS authorization-details files).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from bench.gen_aws import account_ids, write_aws
from bench.gen_github_pypi import plan_repos, write_github, write_pypi
from bench.sizes import COLLECTED_AT, SIZES, Size, Writer

DEFAULT_SEED = 20261128
#: The modules whose code decides the generated files: an estate made by other code is made again.
GENERATORS = ("generate.py", "gen_aws.py", "gen_github_pypi.py", "sizes.py")


def generator_digest() -> str:
    """A digest of the generators' source (``estate.json`` records it; the bench compares it)."""
    h = hashlib.sha256()
    for name in GENERATORS:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:16]


def generate(size: Size, out: Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the estate's bundle into ``out/bundle`` (replacing it) and return its description."""
    t0 = time.perf_counter()
    bundle = out / "bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    w = Writer(bundle)
    accounts = account_ids(size)
    plans = plan_repos(size, seed, accounts)
    write_github(w, size, seed, plans)
    write_pypi(w, size, seed, plans)
    authz = write_aws(w, size, seed, plans)
    orgs = sorted({p.org for p in plans})
    scopes = [f"aws:{a}" for a in accounts] + [f"github:{o}" for o in orgs] + ["pypi:projects"]
    w.json("manifest.json", {"version": 1, "tool": "regwarden", "collected_at": COLLECTED_AT,
                             "scopes": sorted(scopes), "calls": []})  # fmt: skip
    info = {
        "size": size.name,
        "seed": seed,
        "params": dataclasses.asdict(size),
        "generator": generator_digest(),
        "files": w.files,
        "bytes": w.bytes,
        "aws_accounts": len(accounts),
        "aws_principals": size.aws_principals * len(accounts),
        "aws_authz_files": authz,
        "aws_authz_bytes": [(bundle / r).stat().st_size for r in authz],
        "github_repos": len(plans),
        "pypi_projects": sum(1 for p in plans if p.kind == "lib"),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (out / "estate.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    """Command line: generate one size into a folder."""
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    info = generate(SIZES[args.size], args.out, args.seed)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
