"""The estate sizes the benchmark generates, and the shared helpers of the generators."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLLECTED_AT = "2026-11-20T06:00:00Z"
REGION = "us-east-1"


@dataclass(frozen=True)
class Size:
    """How much of each provider one estate holds. AWS counts are per account."""

    name: str
    aws_accounts: int
    aws_users: int
    aws_roles: int
    aws_groups: int
    aws_customer_policies: int
    aws_managed_policies: int  # distinct AWS-managed policies attached (real documents from moto)
    aws_registries: int  # ECR + CodeArtifact repositories per account
    gh_orgs: int
    gh_repos: int  # in total, spread over the organisations
    pypi_users: int
    #: Share of the account-wide grants (``Resource: "*"`` registry statements, ``NotAction``
    #: statements, broad AWS-managed policies) kept; the rest name one registry (a prefix pattern).
    #: 1.0 for small (the Cloudsplaining reference file, unchanged); lower for the big accounts so that
    #: grants per identity stay in the range the issue states (100k identities / 1M grants), instead
    #: of most of 20,000 principals holding every one of 400 registries.
    aws_broad: float = 1.0

    @property
    def aws_principals(self) -> int:
        """Users, groups and roles of one account (what Cloudsplaining calls principals)."""
        return self.aws_users + self.aws_roles + self.aws_groups


#: small and medium match the issue's Cloudsplaining reference files (~2k principals / ~420 policies;
#: ~20k principals); large is the 100k-identity, all-providers estate, its AWS part split into accounts.
MEDIUM_BROAD = 0.03
LARGE_BROAD = 0.025
SIZES: dict[str, Size] = {
    "small": Size("small", 1, 1300, 600, 100, 300, 120, 60, 1, 150, 120),
    "medium": Size("medium", 1, 13000, 6000, 1000, 3000, 400, 400, 2, 1500, 1200, aws_broad=MEDIUM_BROAD),
    "large": Size("large", 10, 4300, 1500, 200, 600, 200, 120, 5, 9000, 18000, aws_broad=LARGE_BROAD),
}


def rng_for(size: Size, part: str, seed: int) -> random.Random:
    """A generator seeded by size, part and seed: the same inputs always give the same estate."""
    digest = hashlib.sha256(f"{seed}:{size.name}:{part}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def hexid(seed: str, n: int = 40) -> str:
    """A stable hex string derived from ``seed`` (fake SHAs and digests)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def alnum_id(prefix: str, seed: str) -> str:
    """An IAM-style unique id (``AIDA…``, ``AROA…``) derived from ``seed``."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    h = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(alphabet[b % 32] for b in h[:17])


def date(rng: random.Random, start_year: int = 2021, end_year: int = 2026) -> str:
    """A plausible timestamp between the two years (ISO, UTC)."""
    y = rng.randint(start_year, end_year - 1)
    return (
        f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    )


class Writer:
    """Writes bundle files under a root; counts files and bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0

    def json(self, rel: str, data: Any, indent: int | None = 1) -> Path:
        """Write one JSON document (compact for the big AWS files, like the CLI's own output)."""
        return self.text(rel, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")

    def text(self, rel: str, text: str) -> Path:
        """Write one text file."""
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        self.files += 1
        self.bytes += len(text.encode())
        return p
