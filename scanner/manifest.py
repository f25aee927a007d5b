"""``manifest.json``: what collection did — each call, its scope and how it ended — and when."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
#: The call recorded (``failed``) for a scope whose collection failed as a whole.
SCOPE_CALL = "collect scope"


class ManifestCall(BaseModel):
    """One API call recorded in the manifest: which scope, what, and how it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str
    scope: str
    call: str
    status: str  # "ok", "failed", "not_found"
    detail: str = ""


class RequestCounts(BaseModel):
    """What one provider's HTTP calls cost: answers fetched (counted by rate limits), answers reused from
    the HTTP cache after a ``304 Not Modified``, attempts retried, calls given up, and seconds paused to
    stay inside a rate-limit budget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fetched: int = 0
    cached: int = 0
    retried: int = 0
    failed: int = 0
    paced_seconds: float = 0.0


class Manifest(BaseModel):
    """``manifest.json``: written by regwarden when it collects; optional in hand-made bundles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = MANIFEST_VERSION
    tool: str = "regwarden"
    collected_at: str | None = None
    scopes: list[str] = []
    calls: list[ManifestCall] = []
    #: Per provider: fetched vs cached answers, retries, failures and pacing (absent in older bundles).
    requests: dict[str, RequestCounts] = {}

    def failed(self) -> list[ManifestCall]:
        """Calls that failed: each is a coverage gap."""
        return [c for c in self.calls if c.status == "failed"]

    def not_found(self, provider: str) -> set[str]:
        """Calls of a provider that answered 404 (an answer, not a failure)."""
        return {c.call for c in self.calls if c.provider == provider and c.status == "not_found"}
