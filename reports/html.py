"""``report.html``: one self-contained page for auditors — inline CSS and JavaScript, nothing fetched.

The page carries the canonical document (:func:`reports.json.build_document`) once, as JSON in a
``<script type="application/json">`` block (jinja2 ``|tojson``, which escapes ``<``, ``>``, ``&``
and ``'``), and a small plain-JavaScript viewer renders findings, blast radius, "who can publish"
and drift from it on demand, with DOM APIs and ``textContent`` only — names in a scanned estate are
attacker-controlled and never become markup. The executive summary and the controls matrix are
also rendered server-side (autoescaped) so the page reads and prints without script.

A strict Content-Security-Policy meta tag allows exactly the inline script and style shipped here,
by their SHA-256 hashes computed at render time; nothing may be loaded from anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from reports._atomic import write_atomic_bytes
from reports._bccache import template_cache
from reports._common import optional_section, owners
from reports.json import STREAMED, ReachedOut, Report, build_document, document_data, finding_data
from scanner.findings import Severity, Status
from scanner.model import ACTIONS
from scanner.result import ScanResult
from scanner.rules.controls import OWASP_NHI

SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))


def _asset(name: str) -> str:
    text = files("reports").joinpath("templates", name).read_text(encoding="utf-8")
    # The assets are inlined verbatim; they must never be able to close their own element.
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"reports/templates/{name} must not contain a closing script or style tag")
    return text


@cache
def script() -> str:
    """The viewer's JavaScript, exactly as inlined (its hash is in the CSP)."""
    return _asset("report.js")


@cache
def stylesheet() -> str:
    """The page's CSS, exactly as inlined (its hash is in the CSP)."""
    return _asset("report.css")


def csp_hash(text: str) -> str:
    """A CSP source expression for an inline element whose content is ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy() -> str:
    """No network, no plugins, no forms: only the shipped inline script and style run."""
    return (
        f"default-src 'none'; script-src {csp_hash(script())}; style-src {csp_hash(stylesheet())}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


@dataclass(frozen=True, slots=True)
class ControlRow:
    """A line of the controls matrix."""

    id: str
    title: str
    state: str  # pass | pass-partial | fail | not-assessed
    coverage: str  # "judged 12 of 14; 2 not assessed", or what it would need when it had no subject
    open: int
    suppressed: int
    owasp: tuple[tuple[str, str], ...]
    nist: tuple[str, ...]


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        # The options here decide the compiled code: this module's source names the cache's entries.
        bytecode_cache=template_cache(Path(__file__).read_text(encoding="utf-8")),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Compact and in model order: the data block is most of the page.
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "separators": (",", ":"), "ensure_ascii": False}
    env.policies["json.dumps_function"] = _json_dumps
    return env


def _controls(doc: Report) -> list[ControlRow]:
    open_ = Counter(f.rule for f in doc.findings if f.status is Status.OPEN)
    supp = Counter(f.rule for f in doc.findings if f.status is Status.SUPPRESSED)
    rows = []
    for c in doc.controls:
        state: str = c.verdict
        if state == "pass" and doc.coverage_gaps:
            state = "pass-partial"  # every subject found was judged, but some scopes were not collected
        if c.subjects == 0:
            coverage = f"no subject collected (needs {c.needs})"
        else:
            coverage = f"judged {c.judged} of {c.subjects}"
            if c.not_assessed:
                coverage += f"; {len(c.not_assessed)} not assessed"
        rows.append(
            ControlRow(
                id=c.id,
                title=c.title,
                state=state,
                coverage=coverage,
                open=open_[c.id],
                suppressed=supp[c.id],
                owasp=tuple((x, OWASP_NHI.get(x, "")) for x in c.owasp_nhi),
                nist=c.nist_csf,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class MissingGroup:
    """Subjects of one control that lack the same fact."""

    missing: str
    collectable: bool
    names: tuple[str, ...]  # the first SHOWN_SUBJECTS, by subject id
    total: int


#: Subjects named per missing fact in the page; report.json lists them all.
SHOWN_SUBJECTS = 30


def _not_assessed(doc: Report) -> list[tuple[str, str, list[MissingGroup]]]:
    """Per control with unjudged subjects: its id, title and the subjects grouped by what is missing."""
    out = []
    for c in doc.controls:
        if not c.not_assessed:
            continue
        groups: dict[tuple[str, bool], list[str]] = {}
        for u in c.not_assessed:
            groups.setdefault((u.missing, u.collectable), []).append(u.name)
        rows = [
            MissingGroup(missing, collectable, tuple(names[:SHOWN_SUBJECTS]), len(names))
            for (missing, collectable), names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
        out.append((c.id, c.title, rows))
    return out


class _Nodes:
    """The node table of the packed document: every node the page mentions, once."""

    def __init__(self, result: ScanResult, strings: _Strings) -> None:
        self._inv = result.inventory
        self._str = strings
        self._index: dict[str, int] = {}
        self.rows: list[list[Any]] = []

    def __call__(self, nid: str) -> int:
        i = self._index.get(nid)
        if i is None:
            node = self._inv.get(nid)  # type: ignore[arg-type]
            i = self._index[nid] = len(self.rows)
            kind, provider = (node.kind.value, node.provider) if node else ("", "")
            self.rows.append([nid, node.name if node else nid, self._str(kind), self._str(provider)])
        return i


_BIT = {str(a): 1 << i for i, a in enumerate(ACTIONS)}


_MASKS: dict[tuple[str, ...], int] = {}


def _actions(actions: Any) -> int:
    """Action classes as a bit mask in the fixed order READ, PUBLISH, PROMOTE, DEPLOY, ADMIN
    (``actions``: a tuple or list of Action members or their names; a member equals its name)."""
    key = actions if isinstance(actions, tuple) else tuple(actions)
    found = _MASKS.get(key)
    if found is None:
        found = _MASKS[key] = sum(_BIT[str(a)] for a in key)
    return found


def _json_dumps(obj: Any, **_: Any) -> str:
    """jinja2's ``|tojson`` serialiser: what ``json.dumps(obj, separators=(",", ":"),
    ensure_ascii=False)`` writes, at orjson's speed (jinja2 then escapes ``<>&'``)."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


class _Strings:
    """A table of repeated short strings (kinds, providers, subtypes), referred to by number."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.rows: list[str] = []

    def __call__(self, value: str) -> int:
        i = self._index.get(value)
        if i is None:
            i = self._index[value] = len(self.rows)
            self.rows.append(value)
        return i


def pack(doc: Report, result: ScanResult) -> dict[str, Any]:
    """The canonical document in the page's compact form: node ids, names, kinds and providers
    are stored once in a node table and referred to by number; what is the same for every finding
    of a rule (titles, remediation, mappings) is stored once per rule. The viewer unpacks it back
    into exactly the shape of report.json (a browser test checks that)."""
    return _pack(doc, result, _same)


def _same(value: Any) -> Any:
    return value


def _pack(doc: Report, result: ScanResult, done: Callable[[Any], Any]) -> dict[str, Any]:
    """:func:`pack`, each section passed through ``done`` as soon as it is built: the page dumps it
    to bytes there and then, so the packed lists of a big estate (millions of small objects) are
    never all held at once, nor beside their bytes. Sections are built in one order (findings,
    identities, reach sets, resources: it numbers the node and string tables) whatever ``done`` is."""
    data = document_data(doc)
    strings = _Strings()
    node = _Nodes(result, strings)
    rules: dict[str, list[Any]] = {}
    findings = []
    for f in map(finding_data, doc.findings):  # document_data leaves the streamed sections out
        rules.setdefault(
            f["rule"], [f["rule_title"], f["control_title"], f["remediation"], f["owasp_nhi"], f["nist_csf"]]
        )
        path = [
            [node(s["src"]), node(s["dst"]), strings(s["kind"]), _actions(s["actions"]), s["via"]] for s in f["path"]
        ]
        loc = [f["location"]["file"], f["location"]["line"]] if f["location"] else None
        facts = [[x["text"], [strings(file) for file in x["files"]]] for x in f["facts"]]
        owned = [
            [o["name"], strings(o["source"]), o["via"], node(o["node"]), [strings(file) for file in o["files"]]]
            for o in f["owners"]
        ]
        findings.append(
            [f["id"], f["rule"], f["severity"], f["status"], node(f["subject"]["id"]), f["message"],
             f["blast_radius"], path, loc, f["suppression"], facts, owned, f["owners_not_collected"]]
        )  # fmt: skip
    packed_findings = done(findings)
    del findings
    # The streamed sections come from the models (document_data leaves them out). Reach sets are
    # numbered in order (R1 is 0), so an identity carries its set's number.
    identities = done(
        [[node(i.id), strings(i.subtype), i.blast_radius, int(i.reach_set[1:]) - 1] for i in doc.identities]
    )
    # A reach set's entries are shared objects (report.json makes one per distinct resource and
    # actions; the document holds them), each packed once; node numbers are given in the same order.
    packed: dict[int, tuple[int, int]] = {}

    def entry(r: ReachedOut) -> tuple[int, int]:
        made = packed[id(r)] = (node(r.resource), _actions(r.actions))
        return made

    reach_sets = done(
        [[rs.holders, [x for r in rs.blast_radius for x in (packed.get(id(r)) or entry(r))]] for rs in doc.reach_sets]
    )
    resources = done([[node(r.id), {str(a): n for a, n in r.who_can.items()}] for r in doc.resources])
    meta = {k: v for k, v in data.items() if k not in STREAMED}
    return {"format": done("regwarden-html-2"), "meta": done(meta), "actions": done([str(a) for a in ACTIONS]),
            "strings": done(strings.rows), "nodes": done(node.rows), "rules": done(rules),
            "findings": packed_findings, "identities": identities, "reach_sets": reach_sets,
            "resources": resources}  # fmt: skip


def history_view(doc: Report, drift: Any) -> dict[str, Any] | None:
    """The trend and per-finding first/last-seen dates, derived from scan-to-scan drift
    (``ScanResult.drift`` as plain data): the previous scan's counts are today's, less the findings
    opened since, plus those closed since."""
    if not isinstance(drift, dict):
        return None
    ids = {f.id for f in doc.findings}
    seen = drift.get("first_seen") or {}
    findings = {
        fid: {"first_seen": span[0], "last_seen": span[1]}
        for fid, span in sorted(seen.items())
        if fid in ids and isinstance(span, list) and len(span) == 2
    }
    previous = None
    if drift.get("old") is not None:
        counts = Counter(str(f.severity) for f in doc.findings)
        for row in drift.get("opened") or ():
            counts[row["severity"]] -= 1
        for row in drift.get("closed") or ():
            counts[row["severity"]] += 1
        previous = {
            "generated_at": drift.get("old_time"),
            "findings_by_severity": {str(s): max(0, counts[str(s)]) for s in Severity},
        }
    return {"previous": previous, "findings": findings}


def payload(result: ScanResult, doc: Report | None = None) -> dict[str, Any]:
    """Everything the viewer reads: the packed canonical document plus owners and the optional
    history/drift sections (None until the scanner provides them; see docs/report.md)."""
    return _payload(result, doc or build_document(result), _same)


def _payload(result: ScanResult, doc: Report, done: Callable[[Any], Any]) -> dict[str, Any]:
    """:func:`payload`, each section passed through ``done`` (see :func:`_pack`)."""
    sections = _pack(doc, result, done)
    own = owners(result)
    shown = {f.subject.id for f in doc.findings} | {i.id for i in doc.identities}
    drift = optional_section(result, "drift")  # converted once: it holds every finding's first/last seen
    return {
        **sections,
        "owners": done({k: list(v) for k, v in sorted(own.items()) if k in shown}),
        "owasp_nhi": done(OWASP_NHI),
        "history": done(optional_section(result, "history") or history_view(doc, drift)),
        "drift": done(
            {
                "scan": optional_section(result, "scan_drift") or drift,
                "iac": optional_section(result, "iac_drift") or optional_section(result, "iac"),
            }
        ),
    }


#: The five bytes jinja2's ``|tojson`` escapes (``jinja2.utils.htmlsafe_json_dumps``), so that the
#: data block can never close its ``<script>`` element or open markup, whatever a name holds.
_HTML_SAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"))


def data_json(data: Any) -> bytes:
    """``data|tojson`` as UTF-8 bytes: ``_json_dumps`` with jinja2's escapes, byte for byte what
    ``jinja2.utils.htmlsafe_json_dumps(data, dumps=_json_dumps)`` gives encoded (each escaped byte is
    ASCII, never part of a multi-byte character), without a page-sized string."""
    out = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    for raw, escaped in _HTML_SAFE:
        out = out.replace(raw, escaped)
    return out


def chunks(result: ScanResult) -> Iterator[bytes]:
    """The page as UTF-8 pieces: the template rendered around a slot where ``data|tojson`` goes,
    then the data block written straight from bytes (most of a big page: it is never held as text).
    The slot holds a random nonce, so nothing from the scan can name it."""
    doc = build_document(result)
    data = _payload(result, doc, data_json)  # each section's data|tojson bytes, dumped as it is built
    sev = doc.summary.findings_by_severity
    open_by_sev = Counter(f.severity for f in doc.findings if f.status is Status.OPEN)
    template = _environment().get_template("report.html.j2")
    slot = f"regwarden-data-slot-{secrets.token_hex(16)}"
    page = template.render(
        doc=doc,
        data=slot,
        csp=content_security_policy(),
        style=Markup(stylesheet()),  # noqa: S704 - our own static asset, checked by _asset
        script=Markup(script()),  # noqa: S704 - our own static asset, checked by _asset
        generated_at=doc.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        severities=SEVERITIES,
        by_severity=sev,
        open_by_severity={s: open_by_sev[s] for s in SEVERITIES},
        suppressed=doc.summary.findings_by_status[Status.SUPPRESSED],
        controls=_controls(doc),
        not_assessed=_not_assessed(doc),
        has_history=data["history"] != b"null",
    )
    marker = f'"{slot}"'  # the slot as |tojson wrote it
    head, found, tail = page.partition(marker)
    if not found or marker in tail:  # cannot happen: the template has one data block
        raise AssertionError("report.html.j2: the data block is not where it was expected")
    yield head.encode("utf-8")
    # {"key":value,...} as orjson writes a dict (no spaces), each value already escaped: the escapes
    # are of single ASCII bytes, so escaping the pieces is escaping the whole.
    yield b"{"
    for i, key in enumerate(list(data)):
        yield (b"," if i else b"") + data_json(key) + b":"
        yield data.pop(key)  # each section's bytes let go once written
    yield b"}"
    yield tail.encode("utf-8")


def render(result: ScanResult, out_dir: Path) -> None:
    """Write ``report.html`` into ``out_dir`` atomically, the data block streamed from bytes."""
    write_atomic_bytes(out_dir / "report.html", chunks(result))
