"""Scope discovery that meets an answer the connector did not expect is that source's gap: the
other sources are still collected, and nothing ends the run but a wrong configuration.

The connectors here are small in-test ones (no network): the test is about the engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from scanner.bundle import BundleReader, BundleWriter
from scanner.collect import collect
from scanner.collect_session import CollectSession
from scanner.errors import ConfigError
from scanner.model import Inventory
from scanner.plugins import Collector, ConnectorSpec


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fail_with: str = ""  # how scope discovery fails: "", "KeyError", "ConfigError"


def _scopes(s: Settings) -> list[str]:
    if s.fail_with == "KeyError":
        answer: dict[str, str] = {}
        return [answer["subscriptionId"]]  # an answer without the field the connector reads
    if s.fail_with == "ConfigError":
        raise ConfigError("sources.broken: no account configured")
    return ["one"]


def _collector(name: str) -> Collector[Settings]:
    def collect_scope(s: Settings, scope: str, writer: BundleWriter) -> None:
        writer.put_json(f"{name}/{scope}.json", {"scope": scope})
        writer.record(name, scope, f"GET /{scope}")

    return Collector(settings=Settings, scopes=_scopes, collect=collect_scope)


def _spec(name: str) -> ConnectorSpec[None]:
    def load(bundle: BundleReader) -> None:
        return None

    def transform(raw: None) -> Inventory:
        return Inventory()

    return ConnectorSpec(name, name.title(), load, transform, collector=_collector(name))


SPECS = {"broken": _spec("broken"), "fine": _spec("fine")}


def test_an_unexpected_answer_in_scope_discovery_is_that_sources_gap(tmp_path: Path) -> None:
    report = collect(
        {"broken": Settings(fail_with="KeyError"), "fine": Settings()}, SPECS, tmp_path / "bundle", workers=1
    )
    assert report.failed == ("broken:*",)
    manifest = BundleReader(report.bundle).manifest
    [gap] = manifest.failed()
    assert (gap.provider, gap.scope, gap.call) == ("broken", "*", "discover scopes")
    assert gap.detail == "unexpected answer (KeyError: 'subscriptionId')"
    assert (report.bundle / "fine" / "one.json").is_file()  # the other source was collected


def test_a_wrong_configuration_in_scope_discovery_still_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no account configured"):
        collect({"broken": Settings(fail_with="ConfigError"), "fine": Settings()}, SPECS, tmp_path / "b", workers=1)


def test_a_collector_that_counts_discovery_gets_the_runs_tally(tmp_path: Path) -> None:
    # Its discovery requests land in manifest.json's ``requests`` with the scopes'; a collector that does
    # not say so is called with its settings alone, as a plugin's written before the flag was.
    def counting_scopes(s: Settings, *, tally: CollectSession) -> list[str]:
        tally.count("counting", fetched=2, retried=1)
        return ["one"]

    counting = replace(_collector("counting"), scopes=counting_scopes, counts_discovery=True)
    specs = {"counting": replace(_spec("counting"), collector=counting), "fine": SPECS["fine"]}
    report = collect({"counting": Settings(), "fine": Settings()}, specs, tmp_path / "bundle", workers=1)
    assert report.failed == ()
    requests = BundleReader(report.bundle).manifest.requests
    assert (requests["counting"].fetched, requests["counting"].retried) == (2, 1)
