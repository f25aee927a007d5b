"""The demo's scan history: the estate as collected a week before the committed bundle, recorded first,
so that ``regwarden demo`` reports drift since the previous scan and a trend.

The previous collection is generated on the fly (``generate.build("previous")``, a few milliseconds)
into a temporary folder, analysed and saved in a throw-away SQLite history; the caller then analyses
the committed bundle against that history. A configuration that keeps its own ``[history]`` is left
alone: the demo records the current estate there, as ``analyse`` would.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from scanner.analyse import analyse, load_bundle
from scanner.config import Config, FileConfig
from scanner.demo_estate.generate import write
from scanner.drift import baseline, pipeline
from scanner.drift.settings import HistorySettings
from scanner.link import pin_links
from scanner.plugins import connectors
from scanner.rules import RULES


def wants_demo_history(cfg: Config | None) -> bool:
    """True unless the configuration names a history of its own (then the demo leaves it alone)."""
    return cfg is None or cfg.file.history is None


def record_previous(workdir: Path, cfg: Config | None) -> Config:
    """Analyse the previous collection into a history under ``workdir``; return ``cfg`` (or an empty
    configuration) pointing at that history, for the analysis of the current bundle."""
    bundle = workdir / "previous"
    write(bundle, "previous")
    history = HistorySettings(path=workdir / "demo-history.db")
    base = cfg.file if cfg is not None else FileConfig()
    loaded = load_bundle(bundle, connectors())
    pin_links(loaded.inventory, [(p.secret, p.credential) for p in base.links])
    result = analyse(
        loaded.inventory,
        source="demo estate (acme-corp), previous collection",
        scopes=loaded.scopes,
        as_of=loaded.collected_at,
        declared=loaded.declared,
        generated_at=loaded.collected_at,
        rules=RULES + baseline.baseline_rules(base.baseline),
        owner_rules=base.owners,
        ownership=base.ownership,
    )
    # Suppressions apply to both scans (their counts feed the trend); notify only to the current one.
    previous = FileConfig(history=history, suppress=base.suppress, baseline=base.baseline)
    result, pending = pipeline.before_reports(result, previous)
    pipeline.after_reports(result, previous, pending)
    file = base.model_copy(update={"history": history})
    return Config(path=None, file=file, sources={}) if cfg is None else replace(cfg, file=file)
