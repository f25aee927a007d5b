"""The controls RB01–RB12 and their framework mappings: one table, data only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Control:
    """A registry-boundary control with its OWASP NHI Top 10 (2025) and NIST CSF 2.0 mappings."""

    id: str
    title: str
    owasp_nhi: tuple[str, ...]
    nist_csf: tuple[str, ...]


_TABLE: tuple[Control, ...] = (
    Control("RB01", "Publish/promote rights use short-lived, per-task credentials", ("NHI7", "NHI4"),
            ("PR.AA-01", "PR.AA-05")),
    Control("RB02", "Provenance is verified before a package is trusted", ("NHI3",), ("GV.SC-07", "PR.PS-02")),
    Control("RB03", "Read, publish and promote are separate", ("NHI5",), ("PR.AA-05",)),
    Control("RB04", "Registry events and token use are logged", ("NHI6",), ("PR.PS-04", "DE.CM-03")),
    Control("RB05", "Release approval is separate from ingestion", ("NHI6",), ("PR.PS-01", "PR.AA-05")),
    Control("RB06", "Workload identity instead of standing secrets, with strict claims", ("NHI7", "NHI6"),
            ("PR.AA-01", "PR.AA-03")),
    Control("RB07", "Internal registries are held to the same rules", ("NHI5", "NHI6"), ("PR.AA-05", "PR.PS-01")),
    Control("RB08", "No shared or reused credentials across pipelines or environments", ("NHI9", "NHI8"),
            ("PR.AA-01",)),
    Control("RB09", "Identities are offboarded", ("NHI1",), ("PR.AA-01", "PR.AA-05")),
    Control("RB10", "Humans do not use NHIs", ("NHI10",), ("PR.AA-02", "PR.AA-03")),
    Control("RB11", "Third-party code cannot reach publish credentials", ("NHI3", "NHI2"), ("GV.SC-07", "PR.AA-05")),
    Control("RB12", "Secrets live in secret managers, not in code or config", ("NHI2",), ("PR.DS-01", "PR.AA-01")),
)  # fmt: skip

CONTROLS: dict[str, Control] = {c.id: c for c in _TABLE}

#: Titles of the OWASP Non-Human Identities Top 10 (2025) entries used above.
OWASP_NHI: dict[str, str] = {
    "NHI1": "Improper Offboarding",
    "NHI2": "Secret Leakage",
    "NHI3": "Vulnerable Third-Party NHI",
    "NHI4": "Insecure Authentication",
    "NHI5": "Overprivileged NHI",
    "NHI6": "Insecure Cloud Deployment Configurations",
    "NHI7": "Long-Lived Secrets",
    "NHI8": "Environment Isolation",
    "NHI9": "NHI Reuse",
    "NHI10": "Human Use of NHI",
}
