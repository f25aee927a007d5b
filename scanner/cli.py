"""The ``regwarden`` command line. Thin: it parses, calls the pipeline, prints, and maps errors to exit codes.

Exit codes: 0 no open finding at or above ``--fail-on``; 1 findings at or above it; 2 bad input or
configuration (one line on stderr, no traceback); 3 the scan is partial (some scope failed, or a
subject of a control could not be judged for want of a file or call; the report lists what was not
assessed); 4 an internal error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from scanner import __version__
from scanner.errors import ConfigError, RegwardenError
from scanner.model import Action, NodeId
from scanner.textsafe import for_terminal

# Only what `--help` needs is imported above: each command imports its own work (connectors,
# reports, the analysis, rich, pydantic settings, SQLAlchemy) when it runs, so the command line
# answers at once (bench/startup.py measures it).
if TYPE_CHECKING:
    from scanner.collect import CollectReport, Tick
    from scanner.config import Config
    from scanner.findings import Finding
    from scanner.result import ScanResult

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_PARTIAL, EXIT_INTERNAL = 0, 1, 2, 3, 4

# pydantic looks for its observability plugins (entry points of every installed distribution) the first
# time a model is built: ~15 ms of each run, for plugins the command line never uses. A caller that sets
# the variable itself (even to "") keeps its choice; the reader worker process inherits it.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

app = typer.Typer(
    name="regwarden",
    help="Who, or what, can put code into your package and image registries — and has that changed?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"max_content_width": 100, "terminal_width": 100, "help_option_names": ["-h", "--help"]},
)
log = logging.getLogger("regwarden")


class FailOn(StrEnum):
    """Severity threshold for exit code 1."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"
    none = "none"


class _TerminalLines(logging.Formatter):
    """Each log line made safe for a terminal: messages quote provider answers (an API's error text,
    a scope or file name) that may hold escape sequences or line breaks, which would rewrite the
    operator's screen or forge a line. A traceback (debugging only) is left as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = for_terminal(record.message, 4000)
        return super().formatMessage(record)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TerminalLines("regwarden: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler], force=True)


def _formats(spec: str, what: str = "--format") -> list[str]:
    """The formats ``spec`` names (``what``: where it was given, for the error)."""
    from scanner.plugins import formats

    available = formats()
    if spec.strip() == "all":
        return list(available)
    wanted = [f.strip() for f in spec.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in available]
    if unknown or not wanted:
        raise ConfigError(f"{what}: unknown format {', '.join(unknown) or '(none)'} (known: {', '.join(available)})")
    return wanted


def _check_out(out: Path) -> None:
    """``--out`` must be a folder, or one that can be made: refused before any work, not after it."""
    shown = for_terminal(str(out), 200)
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"--out {shown}: exists and is not a folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise ConfigError(f"--out {shown}: no permission to write in it")
        return
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:  # the nearest part that exists
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {shown}: cannot be made, {for_terminal(str(parent), 200)} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {shown}: cannot be made, no permission to write in {for_terminal(str(parent), 200)}")


def write_reports(result: ScanResult, out: Path, names: list[str]) -> list[Path]:
    """Render every format into a staging folder, then move the files into ``out`` one by one:
    a failed render leaves no half-written report."""
    from scanner.plugins import formats

    specs = formats()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".regwarden-", dir=out))
    try:
        for name in names:
            specs[name].render(result, staging)
        written = []
        for name in names:
            target = out / specs[name].filename
            os.replace(staging / specs[name].filename, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _exit_code(result: ScanResult, fail_on: FailOn) -> int:
    from scanner.findings import Severity, Status

    if result.partial:
        return EXIT_PARTIAL
    if fail_on is FailOn.none:
        return EXIT_OK
    threshold = Severity(fail_on.value).rank
    hit = any(f.status is Status.OPEN and f.severity.rank >= threshold for f in result.findings)
    return EXIT_FINDINGS if hit else EXIT_OK


#: Coverage gaps printed on the terminal (the report has them all).
_GAPS_SHOWN = 20


def _print_summary(result: ScanResult, written: list[Path], top: int = 10) -> None:
    from rich.table import Table
    from rich.text import Text

    from scanner.console import console as make_console
    from scanner.findings import Severity, Status

    console = make_console()
    inv = result.inventory
    counts = {s: 0 for s in Severity}
    for f in result.findings:
        if f.status is Status.OPEN:
            counts[f.severity] += 1
    console.print(
        Text(
            f"regwarden {__version__}: {len(inv)} nodes, {inv.edge_count} edges, "
            f"{len(result.findings)} findings from {for_terminal(result.source)}"
        )
    )
    if result.partial:
        parts = []
        if result.gaps:
            parts.append(f"{len(result.gaps)} scope(s) or call(s) not assessed")
        if result.uncollected:
            parts.append(f"{result.uncollected} subject(s) of controls not judged: a file or call they need is missing")
        console.print(Text("PARTIAL SCAN: " + "; ".join(parts), style="bold red"))
        # The first ones only: an account file alone lacks a file per user (13,670 lines at 20,000
        # principals took seconds to print); report.json lists every one.
        for g in result.gaps[:_GAPS_SHOWN]:
            console.print(
                Text(f"  {g.provider} {for_terminal(g.scope)}: {for_terminal(g.what)} — {for_terminal(g.reason)}")
            )
        if len(result.gaps) > _GAPS_SHOWN:
            console.print(
                Text(f"  … and {len(result.gaps) - _GAPS_SHOWN} more (report.json coverage_gaps lists them all)")
            )
    unjudged = Counter(rid for rid, _ in result.unjudged)
    if unjudged:
        console.print(
            Text(
                "not assessed: "
                + ", ".join(f"{rid} {n} of {result.coverage[rid].subjects}" for rid, n in sorted(unjudged.items()))
                + " subject(s) (report.json controls[].not_assessed says what is missing)"
            )
        )
    table = Table(title="Top findings", show_lines=False)
    for col in ("severity", "rule", "subject", "blast radius"):
        table.add_column(col)
    for f in result.findings[:top]:
        node = inv.get(f.subject)
        name = node.name if node else f.subject
        table.add_row(Text(f.severity.value), Text(f.rule), Text(for_terminal(name, 70)), Text(str(f.blast_radius)))
    console.print(table)
    console.print(Text("  ".join(f"{s.value}: {n}" for s, n in counts.items())))
    for p in written:
        console.print(Text(f"wrote {p}"))


def _run(
    bundle: Path, out: Path, fmt: str, fail_on: FailOn, as_of: str | None, source: str, cfg: Config | None = None
) -> int:
    from scanner.heap import collector_paused

    with collector_paused():  # see scanner/heap.py: a third of a large analysis was collector passes
        return _run_analysis(bundle, out, fmt, fail_on, as_of, source, cfg)


def _analysed(bundle: Path, cfg: Config | None, as_of: str | None, source: str) -> ScanResult:
    """The bundle read and judged as the configuration says: ``[[links]]`` pinned, baseline rules added,
    ``[[owners]]`` and ``[ownership]`` applied.
    ``analyse``, ``scan`` and ``explain`` share it, so they see the same graph."""
    from scanner.analyse import analyse, load_bundle, parse_time
    from scanner.drift import baseline
    from scanner.link import pin_links
    from scanner.plugins import connectors
    from scanner.rules import RULES

    loaded = load_bundle(bundle, connectors())
    for miss in pin_links(loaded.inventory, [(p.secret, p.credential) for p in (cfg.file.links if cfg else [])]):
        print(f"regwarden: [[links]] {for_terminal(miss)}: no such secret or credential", file=sys.stderr)
    when = parse_time(as_of, "--as-of") if as_of else loaded.collected_at
    rules = RULES + baseline.baseline_rules(cfg.file.baseline if cfg else None)
    return analyse(
        loaded.inventory,
        source=source,
        scopes=loaded.scopes,
        as_of=when,
        rules=rules,
        declared=loaded.declared,
        owner_rules=cfg.file.owners if cfg else (),
        ownership=cfg.file.ownership if cfg else None,
    )


def _run_analysis(
    bundle: Path, out: Path, fmt: str, fail_on: FailOn, as_of: str | None, source: str, cfg: Config | None
) -> int:
    from scanner.drift import commands, pipeline
    from scanner.heap import hold

    names = _formats(fmt)
    _check_out(out)
    result = _analysed(bundle, cfg, as_of, source)
    hold(result)  # freed by the process's end when the installed command runs (scanner/heap.py)
    file = cfg.file if cfg else None
    result, pending = pipeline.before_reports(result, file)  # suppressions, drift from history (read only)
    written = write_reports(result, out, names)  # the reports first: history cannot cost them
    result = pipeline.after_reports(result, file, pending)  # save to history, notify
    drift_file = commands.write_drift(result, out)
    with _reader_may_leave():  # `regwarden analyse … | head -1` keeps the scan's exit code
        _print_summary(result, [*written, *([drift_file] if drift_file else [])])
        commands.print_drift(result)
    for problem in pending.problems or []:
        print(f"regwarden: warning: {problem}", file=sys.stderr)
    return EXIT_PARTIAL if pending.failed else _exit_code(result, fail_on)


def _optional_config(path: Path | None) -> Config | None:
    if path is None:
        return None
    from scanner.config import load_config
    from scanner.plugins import connectors

    return load_config(path, connectors())


OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports.")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Comma-separated report formats (json, html, oscal, ocsf, sarif, csv, inventory-csv, graphml), or all.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(help="Judge ages and expiries as of this ISO time (default: the bundle's collection time, else now)."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Progress on stderr.")]
OptConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="regwarden.toml for [[links]], [baseline], [[suppress]], [history], [notify]."),
]


@app.command("analyse")
def analyse_cmd(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle folder (see docs/bundle.md).")],
    out: OutOpt = Path("regwarden-report"),
    fmt: FormatOpt = "json,html",
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when an open finding is at or above this.")] = FailOn.high,
    as_of: AsOfOpt = None,
    config: OptConfigOpt = None,
    verbose: VerboseOpt = False,
) -> int:
    """Analyse an evidence bundle and write the reports."""
    _setup_logging(verbose)
    return _run(bundle, out, fmt, fail_on, as_of, source=str(bundle), cfg=_optional_config(config))


@app.command("demo")
def demo_cmd(
    out: OutOpt = Path("regwarden-report"),
    fmt: FormatOpt = "all",
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when an open finding is at or above this.")] = FailOn.none,
    config: OptConfigOpt = None,
    verbose: VerboseOpt = False,
) -> int:
    """Analyse the built-in demo estate (a fictional organisation) and write the reports; a scan of
    the estate a week earlier is recorded first, so the report shows drift and a trend. Without --config
    the estate's own configuration applies (its [[owners]])."""
    from scanner.demo_estate import BUNDLE, CONFIG
    from scanner.demo_estate.history import record_previous, wants_demo_history
    from scanner.heap import collector_paused

    _setup_logging(verbose)
    cfg = _optional_config(config if config is not None else CONFIG)
    with tempfile.TemporaryDirectory(prefix="regwarden-demo-") as work:
        if wants_demo_history(cfg):
            with collector_paused():
                cfg = record_previous(Path(work), cfg)
        return _run(BUNDLE, out, fmt, fail_on, None, source="demo estate (acme-corp)", cfg=cfg)


@app.command("explain")
def explain_cmd(
    node: Annotated[str, typer.Argument(help="Node id (as in report.json), e.g. github:job:acme/app/...#publish.")],
    bundle: Annotated[Path | None, typer.Option("--bundle", "-b", help="Evidence bundle folder.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Use the built-in demo estate.")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Only the path to this resource id.")] = None,
    action: Annotated[Action | None, typer.Option(help="Only paths that reach this action class.")] = None,
    config: OptConfigOpt = None,
    as_of: AsOfOpt = None,
) -> int:
    """Show how a node reaches each resource in its blast radius, as a shortest path of edges, and the
    findings about it. With --config, [[links]], [baseline] and [[suppress]] apply exactly as in analyse."""
    from scanner.demo_estate import BUNDLE
    from scanner.findings import Status
    from scanner.heap import collector_paused, hold
    from scanner.suppress import apply

    _setup_logging(False)
    if (bundle is None) == (not demo):
        raise ConfigError("explain: give exactly one of --bundle PATH or --demo")
    path = BUNDLE if demo else bundle
    assert path is not None
    cfg = _optional_config(config)
    with collector_paused():
        result = _analysed(path, cfg, as_of, str(path))
    hold(result)  # freed by the process's end when the installed command runs (scanner/heap.py)
    inv = result.inventory
    nid = NodeId(node)
    if nid not in inv:
        raise ConfigError(f"explain: no node {node!r} in {path}")
    targets = [NodeId(to)] if to else None
    if to and NodeId(to) not in inv:
        raise ConfigError(f"explain: no node {to!r} in {path}")
    findings: Sequence[Finding] = [f for f in result.findings if f.subject == nid]
    if cfg is not None and cfg.file.suppress:
        findings = apply(findings, cfg.file.suppress, result.generated_at.date())
    paths = result.reach.paths_from(nid, targets, action)
    with _reader_may_leave():
        if not paths:
            print(f"{for_terminal(node, 500)} reaches nothing{' there' if to else ''}.")
        for dst in sorted(paths):
            steps = paths[dst]
            acts = ",".join(a.value for a in sorted(steps[-1].actions, key=list(Action).index))
            print(f"{for_terminal(dst, 500)}  [{acts}]")
            for s in steps:
                via = f"  ({for_terminal(s.via)})" if s.via else ""
                print(f"  {for_terminal(s.src, 500)} --{s.kind.value}--> {for_terminal(s.dst, 500)}{via}")
        for f in sorted(findings, key=lambda f: (-f.severity.rank, f.id)):
            status = f" [suppressed: {for_terminal(f.suppression or '')}]" if f.status is Status.SUPPRESSED else ""
            print(f"finding {f.rule} {f.severity.value}{status}: {for_terminal(f.message, 500)}")
    return EXIT_OK


ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The configuration file.")]
OnlyOpt = Annotated[
    str | None, typer.Option("--only", help="Comma-separated source names to collect (default: every source).")
]


ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where scopes are collected: local (threads) or dask://HOST:PORT (a Dask scheduler; "
        "needs pip install 'regwarden[dask]').",
    ),
]


def _progress(tick: Tick) -> None:
    state = "not assessed: " + tick.error if tick.error else "ok"
    requests = f", {tick.cached} cached, {tick.retried} retried, {tick.failed_calls} failed calls"
    print(
        f"regwarden: [{tick.done}/{tick.total} scopes, {tick.calls} calls{requests}, {tick.errors} errors] "
        f"{tick.task.source} {for_terminal(tick.task.scope)}: {for_terminal(state, 300)}",
        file=sys.stderr,
    )


def _collect(
    cfg: Config, config_path: Path, only: str | None, bundle_out: Path | None, executor: str = "local"
) -> CollectReport:
    from scanner.collect import collect
    from scanner.executors import parse_executor
    from scanner.plugins import connectors

    specs = connectors()
    sources = cfg.sources
    if only:
        wanted = [s.strip() for s in only.split(",") if s.strip()]
        missing = [w for w in wanted if w not in sources]
        if missing:
            raise ConfigError(f"--only: {', '.join(missing)} not configured in {config_path}")
        sources = {k: v for k, v in sources.items() if k in wanted}
    target = bundle_out or cfg.file.bundle_dir
    runner = parse_executor(executor, cfg.file.workers)
    from scanner.collect_session import session_for

    def paused(message: str) -> None:
        print(f"regwarden: [pacing] {for_terminal(message, 300)}", file=sys.stderr)

    session = session_for(cfg.file.cache.enabled, cfg.file.cache.dir, target, paused)
    report = collect(
        sources, specs, target, workers=cfg.file.workers, executor=runner, on_tick=_progress, session=session
    )
    print(
        f"regwarden: collected {report.tasks} scope(s) into {report.bundle} in {report.seconds:.1f}s"
        + (f"; {len(report.failed)} not assessed" if report.failed else ""),
        file=sys.stderr,
    )
    if report.kept_previous is not None:
        print(
            f"regwarden: nothing was collected; the previous bundle in {report.kept_previous} was kept "
            f"(this run's manifest is in {report.bundle})",
            file=sys.stderr,
        )
    return report


@contextlib.contextmanager
def _no_overlap(cfg: Config, bundle_out: Path | None) -> Iterator[None]:
    """The run lock ``schedule`` takes, beside the bundle folder: a cron run and a scheduled one (or two
    runs writing one bundle) never overlap."""
    from scanner.bundle import check_target
    from scanner.schedule import lock_path, run_lock

    target = bundle_out or cfg.file.bundle_dir
    check_target(Path(os.path.abspath(target)))  # refused before anything (the lock file included) is made
    path = lock_path(target)
    with run_lock(path) as held:
        if not held:
            raise ConfigError(f"another regwarden run holds {path}; this run did not start (runs never overlap)")
        yield


@app.command("collect")
def collect_cmd(
    config: ConfigOpt = Path("regwarden.toml"),
    bundle_out: Annotated[Path | None, typer.Option("--bundle", "-b", help="Bundle folder to write.")] = None,
    only: OnlyOpt = None,
    executor: ExecutorOpt = "local",
    verbose: VerboseOpt = False,
) -> int:
    """Collect every configured source into an evidence bundle (no analysis)."""
    from scanner.config import load_config
    from scanner.plugins import connectors

    _setup_logging(verbose)
    cfg = load_config(config, connectors())
    with _no_overlap(cfg, bundle_out):
        report = _collect(cfg, config, only, bundle_out, executor)
    return EXIT_PARTIAL if report.failed else EXIT_OK


@app.command("scan")
def scan_cmd(
    config: ConfigOpt = Path("regwarden.toml"),
    bundle_out: Annotated[Path | None, typer.Option("--bundle", "-b", help="Bundle folder to write.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the reports.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="Comma-separated report formats.")] = None,
    fail_on: Annotated[
        FailOn | None, typer.Option(help="Exit 1 when an open finding is at or above this (default from config).")
    ] = None,
    only: OnlyOpt = None,
    executor: ExecutorOpt = "local",
    verbose: VerboseOpt = False,
) -> int:
    """Collect every configured source, then analyse the bundle and write the reports."""
    from scanner.config import load_config
    from scanner.plugins import connectors

    _setup_logging(verbose)
    cfg = load_config(config, connectors())
    formats_ = fmt or ",".join(cfg.file.output.formats)
    try:
        threshold = fail_on or FailOn(cfg.file.output.fail_on)
    except ValueError as e:
        raise ConfigError(f"{config}: output.fail_on: {cfg.file.output.fail_on!r} is not a severity") from e
    target = out or cfg.file.output.dir
    _formats(formats_, "--format" if fmt else f"{config}: output.formats")  # before collecting, not after
    _check_out(target)
    with _no_overlap(cfg, bundle_out):
        report = _collect(cfg, config, only, bundle_out, executor)
        return _run(report.bundle, target, formats_, threshold, None, source=str(report.bundle), cfg=cfg)


@app.command("history")
def history_cmd(
    config: OptConfigOpt = None,
    limit: Annotated[int, typer.Option(help="Show at most this many scans.")] = 50,
) -> int:
    """List the scans in the history database with their finding counts."""
    from scanner.drift import commands

    _setup_logging(False)
    cfg = _optional_config(config)
    return commands.history(cfg.file if cfg else None, limit)


@app.command("diff")
def diff_cmd(
    old: Annotated[int | None, typer.Argument(help="Older scan id (default: the scan before NEW).")] = None,
    new: Annotated[int | None, typer.Argument(help="Newer scan id (default: the latest scan).")] = None,
    config: OptConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the drift as JSON.")] = False,
) -> int:
    """Show what changed between two scans: writers, reach, paths to production, deadlines, findings."""
    from scanner.drift import commands

    _setup_logging(False)
    cfg = _optional_config(config)
    return commands.diff_scans(cfg.file if cfg else None, old, new, as_json)


@app.command("schedule")
def schedule_cmd(
    config: ConfigOpt = Path("regwarden.toml"),
    cron: Annotated[
        str | None, typer.Option(help='Cron expression, e.g. "0 */6 * * *" (default: [schedule].cron).')
    ] = None,
    jitter: Annotated[int | None, typer.Option(help="Random delay of up to this many seconds per run.")] = None,
    max_runs: Annotated[
        int | None, typer.Option(help="Stop after this many runs (default: run until SIGTERM).")
    ] = None,
    verbose: VerboseOpt = False,
) -> int:
    """Run `scan` on a cron schedule in this process, until SIGTERM; runs never overlap."""
    from scanner.config import load_config
    from scanner.heap import free_as_you_go
    from scanner.plugins import connectors
    from scanner.schedule import Scheduler, lock_path, parse_timezone

    free_as_you_go()  # this process runs scan after scan: each one's memory is given back
    _setup_logging(verbose)
    cfg = load_config(config, connectors())
    expr = cron or cfg.file.schedule.cron
    if not expr:
        raise ConfigError("schedule: give --cron or set [schedule].cron in the config")
    sched = Scheduler(
        expr,
        lambda: main(["scan", "--config", str(config), *(["--verbose"] if verbose else [])]),
        jitter=float(cfg.file.schedule.jitter_seconds if jitter is None else jitter),
        tz=parse_timezone(cfg.file.schedule.timezone),
        lock_path=lock_path(cfg.file.bundle_dir),
        max_runs=max_runs,
    )
    sched.install_signal_handlers()
    return sched.run()


def _version(value: bool) -> None:
    if value:
        print(f"regwarden {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Who, or what, can put code into your package and image registries — and has that changed?"""


def _one_line(e: BaseException) -> str:
    """An error message on one line, control characters replaced (it may quote input or a driver)."""
    return for_terminal(" ".join(str(e).split()), 1000)


@contextmanager
def _reader_may_leave() -> Iterator[None]:
    """Stop printing when whoever reads stdout has closed it (``| head``): the work is done and its exit code
    stands. Later writes, including the interpreter's last flush, go to /dev/null instead of failing."""
    try:
        yield
    except BrokenPipeError:
        _stdout_to_devnull()


def _stdout_to_devnull() -> None:
    from scanner.console import console as make_console

    make_console().on_broken_pipe()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: runs the app and turns every error into one line and an exit code."""
    try:
        rv = app(args=argv, prog_name="regwarden", standalone_mode=False)
    except typer.Exit as e:
        return int(e.exit_code)
    except typer.Abort:
        print("regwarden: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout left (`regwarden explain … | head -1`): nothing went wrong
        _stdout_to_devnull()
        return EXIT_OK
    except RegwardenError as e:
        print(f"regwarden: error: {_one_line(e)}", file=sys.stderr)
        return e.exit_code
    except Exception as e:  # the last line of defence: one line, never a traceback
        message = getattr(e, "format_message", None)
        if callable(message) and hasattr(e, "exit_code"):  # a usage error from (typer's vendored) click
            # one line, as every other bad input (click's own display is a usage block of four)
            ctx = getattr(e, "ctx", None)
            where = f"{ctx.command_path} -h" if ctx is not None else "regwarden -h"
            text = for_terminal(" ".join(str(message()).split()), 400)
            print(f"regwarden: error: {text} (see {for_terminal(where, 80)})", file=sys.stderr)
            return EXIT_BAD_INPUT
        if os.environ.get("REGWARDEN_DEBUG"):
            raise
        print(
            f"regwarden: internal error: {type(e).__name__}: {_one_line(e)} (set REGWARDEN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return int(rv or 0)


def console() -> NoReturn:
    """The installed ``regwarden`` command: :func:`main`, then the process ends at once
    (:func:`scanner.heap.end_process`: no final collection, no freeing of the analysis object by object)."""
    from scanner.heap import end_process, hold_until_exit

    hold_until_exit()
    end_process(main())


if __name__ == "__main__":
    console()
