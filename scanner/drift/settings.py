"""The ``regwarden.toml`` sections for history, baseline policy, suppressions, schedule and notify.

Pydantic models only (no I/O), so that :mod:`scanner.config` can validate them with the rest of
the file. Credentials are referenced by environment variable (``url_env``, ``webhook_url_env``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scanner.model import Action


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistorySettings(_Frozen):
    """``[history]``: where scans are kept. ``url`` (or the env variable ``url_env`` names) is any
    SQLAlchemy URL, e.g. ``postgresql://regwarden@db/regwarden``; else a SQLite file at ``path``."""

    enabled: bool = True
    path: Path = Path("regwarden-history.db")
    url: str | None = None
    url_env: str | None = None
    keep: int | None = Field(default=None, ge=1)


class PublisherRule(_Frozen):
    """``[[baseline.publishers]]``: only ``allowed`` (globs on node ids) may do ``actions`` on
    resources whose id matches ``resource`` (a glob)."""

    resource: str
    actions: list[Action] = [Action.PUBLISH, Action.PROMOTE]
    allowed: list[str] = []


class OidcRule(_Frozen):
    """``[[baseline.oidc]]``: federated trusts from ``issuer`` (glob) must use one of the allowed
    subject patterns."""

    issuer: str = "*"
    allowed_subjects: list[str]


class BaselineSettings(_Frozen):
    """``[baseline]``: expectations whose violations are findings of their own kind."""

    max_credential_age_days: int | None = Field(default=None, ge=1)
    max_credential_lifetime_days: int | None = Field(default=None, ge=1)
    no_static_publish: bool = False
    publishers: list[PublisherRule] = []
    oidc: list[OidcRule] = []


class Suppression(_Frozen):
    """``[[suppress]]``: accept a finding (by ``id``, or ``rule`` + ``subject`` globs) until ``expires``."""

    id: str | None = None
    rule: str | None = None
    subject: str | None = None
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: date

    @model_validator(mode="after")
    def _target(self) -> Suppression:
        if not self.id and not self.rule and not self.subject:
            raise ValueError("give a finding id, or a rule and/or a subject pattern")
        return self


class ScheduleSettings(_Frozen):
    """``[schedule]``: the default cron expression, jitter and time zone of ``regwarden schedule``."""

    cron: str | None = None
    jitter_seconds: int = Field(default=0, ge=0, le=86_400)
    timezone: str = "UTC"


class NotifySettings(_Frozen):
    """``[notify]``: a generic JSON POST when new findings at or above ``min_severity`` or drift appear."""

    webhook_url: str | None = None
    webhook_url_env: str | None = None
    min_severity: Literal["critical", "high", "medium", "low", "info"] = "high"  # checked with the file
    on_drift: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
