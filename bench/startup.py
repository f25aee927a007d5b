"""Start-up, as a user meets it: ``regwarden --help`` and ``regwarden analyse`` of a one-user AWS bundle,
each a fresh process of the installed ``regwarden`` command, timed from outside (wall time, median of
``repeat`` runs, and the child's peak resident memory). ``python -m bench.startup`` prints one JSON object.

Our own modules are byte-compiled first (``compileall``), as ``pip install`` leaves them: a machine that
sets ``PYTHONDONTWRITEBYTECODE`` (this one does) would otherwise recompile every module on every run,
which no installed copy does. One untimed run of each command warms the file cache.
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"

#: One IAM user with one inline policy that may push to every ECR repository: the smallest AWS bundle
#: that still goes through policy evaluation, the graph, reach, the rules and both default reports.
ONE_USER: dict[str, Any] = {
    "UserDetailList": [
        {
            "Path": "/",
            "UserName": "ci",
            "UserId": "AIDAFAKEFAKEFAKEFAKE1",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
            "CreateDate": "2024-01-01T00:00:00Z",
            "GroupList": [],
            "AttachedManagedPolicies": [],
            "UserPolicyList": [
                {
                    "PolicyName": "push",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "*"}],
                    },
                }
            ],
        }
    ],
    "GroupDetailList": [],
    "RoleDetailList": [],
    "Policies": [],
}


#: ``aws iam get-credential-report`` (decoded): the header and the one user's row.
CREDENTIAL_REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated\n"
    f"ci,arn:aws:iam::{ACCOUNT}:user/ci,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,"
    "N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def regwarden_command() -> list[str]:
    """The installed console script beside this interpreter (what ``make install`` puts on the PATH)."""
    exe = shutil.which("regwarden", path=str(Path(sys.executable).parent)) or shutil.which("regwarden")
    return [exe] if exe else [sys.executable, "-m", "scanner.cli"]


def one_user_bundle(root: Path) -> Path:
    """Write the one-user AWS bundle under ``root`` and return its folder."""
    path = root / "bundle" / "aws" / ACCOUNT / "iam-get-account-authorization-details.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ONE_USER), encoding="utf-8")
    # The user's access-key list and the credential report, so that the scan is whole (exit 0, not 3).
    keys = path.parent / "iam-list-access-keys" / "ci.json"
    keys.parent.mkdir(exist_ok=True)
    keys.write_text(json.dumps({"AccessKeyMetadata": [], "IsTruncated": False}), encoding="utf-8")
    (path.parent / "iam-get-credential-report.csv").write_text(CREDENTIAL_REPORT, encoding="utf-8")
    return root / "bundle"


def compile_sources() -> None:
    """Byte-compile scanner/, connectors/ and reports/ as an installed copy is."""
    for pkg in ("scanner", "connectors", "reports"):
        compileall.compile_dir(ROOT / pkg, quiet=1)


def measured(cmd: list[str], timeout: float = 600.0) -> dict[str, Any]:
    """One run of ``cmd`` under :mod:`bench.measure` (its own process, so the peak memory is this run's
    alone): wall time around the child only, peak resident memory, exit code."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.measure", str(timeout), "--", *cmd],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def timed(cmd: list[str], repeat: int, timeout: float = 600.0, warm_up: bool = True) -> dict[str, Any]:
    """Median wall time of ``repeat`` runs of ``cmd`` (after one untimed run unless ``warm_up`` is
    False), and the highest peak memory."""
    if warm_up:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    runs = [measured(cmd, timeout) for _ in range(max(1, repeat))]
    return {
        "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "runs": [r["seconds"] for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "exit_codes": sorted({r["returncode"] for r in runs}, key=str),
        "timed_out": any(r["timed_out"] for r in runs),
    }


def startup(repeat: int = 15) -> dict[str, Any]:
    """Median wall time and peak memory of ``regwarden --help`` and of analysing the one-user bundle."""
    compile_sources()
    cmd = regwarden_command()
    with tempfile.TemporaryDirectory(prefix="regwarden-startup-") as tmp:
        bundle = one_user_bundle(Path(tmp))
        out = Path(tmp) / "out"
        return {
            "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
            "help": timed([*cmd, "--help"], repeat),
            "analyse_one_user": timed([*cmd, "analyse", str(bundle), "--out", str(out), "--fail-on", "none"], repeat),
            "repeat": repeat,
        }


def main(argv: list[str] | None = None) -> int:
    """Command line: print the start-up figures as JSON."""
    ap = argparse.ArgumentParser(prog="python -m bench.startup")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    json.dump(startup(args.repeat), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
