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


class Manifest(BaseModel):
    """``manifest.json``: written by regwarden when it collects; optional in hand-made bundles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = MANIFEST_VERSION
    tool: str = "regwarden"
    collected_at: str | None = None
    scopes: list[str] = []
    calls: list[ManifestCall] = []

    def failed(self) -> list[ManifestCall]:
        """Calls that failed: each is a coverage gap."""
        return [c for c in self.calls if c.status == "failed"]

    def not_found(self, provider: str) -> set[str]:
        """Calls of a provider that answered 404 (an answer, not a failure)."""
        return {c.call for c in self.calls if c.provider == provider and c.status == "not_found"}
