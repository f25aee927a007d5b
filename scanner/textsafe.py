"""Make provider-supplied text safe for a terminal: names come from attacker-controllable accounts."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (escape sequences start here), bidi overrides/isolates, zero-width characters, and
# lone UTF-16 surrogates (a JSON "\ud800" escape decodes to one; a terminal cannot be sent it).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def for_terminal(text: str, limit: int = 120) -> str:
    """Replace control, bidi and zero-width characters with U+FFFD and cut very long names."""
    clean = _UNSAFE.sub("\ufffd", unicodedata.normalize("NFC", text))
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
