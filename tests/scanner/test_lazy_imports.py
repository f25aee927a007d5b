"""Reading a bundle imports what reading needs, not what collecting needs: every connector's package
is imported (as the CLI's analyse does through the registry), a bundle of several providers is read,
and no collector, HTTP client, cloud SDK or bundle writer has been loaded. A CI gate runs this many
times a day; each of those would cost start-up time (the HTTP stack alone ~0.2 s)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

from scanner.plugins import Deferred, connectors

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from scanner.analyse import load_bundle
from scanner.demo_estate import BUNDLE
from scanner.plugins import connectors
table = connectors()
for name in table:
    table[name]  # imports the connector's package
loaded = load_bundle(BUNDLE, table, parallel_min_files=10**9)
assert len(loaded.inventory) > 0
print(json.dumps(sorted(sys.modules)))
"""

#: Modules only collection needs.
COLLECTION_ONLY = ("httpx", "connectors._http", "boto3", "botocore", "scanner.bundle_writer", "google.auth",
                   "google.cloud", "azure.identity", "azure.core")  # fmt: skip


def test_reading_a_bundle_loads_no_collector_http_client_or_sdk() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert {"connectors.github", "connectors.aws", "connectors.pypi", "connectors.terraform"} <= loaded
    fetchers = sorted(m for m in loaded if m.startswith("connectors.") and m.endswith((".fetch", ".remote")))
    assert fetchers == []
    assert sorted(m for m in loaded if m.split(".")[0] in ("httpx", "boto3", "botocore")) == []
    assert sorted(m for m in loaded if m.startswith(COLLECTION_ONLY)) == []


def test_every_connector_spec_pickles_with_its_deferred_collector() -> None:
    # A big bundle is read with one worker process, which is sent the specs it reads with: a deferred
    # collector pickles by its module and function names and, unpickled, still calls that function.
    for name, spec in connectors().items():
        copy = pickle.loads(pickle.dumps(spec))  # noqa: S301 - our own object, just pickled
        assert copy.collector is not None, name
        assert copy.collector.scopes == spec.collector.scopes, name  # type: ignore[union-attr]
    assert pickle.loads(pickle.dumps(Deferred("posixpath", "join")))("a", "b") == "a/b"  # noqa: S301
