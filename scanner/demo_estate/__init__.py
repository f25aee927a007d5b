"""The built-in demo estate: an evidence bundle of every connector for the fictional "acme-corp".

``BUNDLE`` is the folder to hand to :class:`scanner.bundle.BundleReader`. It is produced by
``python -m scanner.demo_estate.generate`` and committed; ``README.md`` next to this file lists the
stories planted in it.
"""

from __future__ import annotations

from pathlib import Path

#: The committed demo bundle (``scanner/demo_estate/bundle``).
BUNDLE: Path = Path(__file__).resolve().parent / "bundle"
#: The estate's own regwarden.toml (``[[owners]]``), read by ``regwarden demo`` unless given ``--config``.
CONFIG: Path = Path(__file__).resolve().parent / "regwarden.toml"

__all__ = ["BUNDLE", "CONFIG"]
