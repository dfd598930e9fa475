"""What ``botstore check`` prints: Nagios perfdata, the status line, the text report.

Perfdata follows the Monitoring Plugins guidelines,
``'label'=value[UOM];[warn];[crit];[min];[max]`` with trailing empty fields
dropped and plain decimals; the status line is
``BOTSTORE <STATE> - <summary> | <perfdata>``; the text report lists the findings
by severity (alike ones grouped), each with its best fix from the actions
catalog, then the health keys, and more with ``-v``. Every line is escaped on its
own, so a control character in a name cannot forge a line. Kept apart from the
command (:mod:`core.cli.check_cmd`) so the parser of every command loads none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.standard.layout import PORTFOLIO
from core.text.textsafe import safe_lines

if TYPE_CHECKING:
    from core.config import Config
    from core.health.grouping import FindingGroup
    from core.health.report import HealthReport
    from core.standard.findings import Finding

# --------------------------------------------------------------------------- perfdata


def _num(value: float) -> str:
    """A plain decimal (never scientific notation), at most 3 decimals."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def perf_item(
    label: str,
    value: float,
    uom: str = "",
    *,
    warn: str = "",
    crit: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
) -> str:
    """One ``'label'=value[UOM];[warn];[crit];[min];[max]`` item (trailing empties dropped)."""
    quoted = label if label.replace("_", "").isalnum() else "'" + label.replace("'", "''") + "'"
    fields = [
        f"{_num(value)}{uom}",
        warn,
        crit,
        "" if minimum is None else _num(minimum),
        "" if maximum is None else _num(maximum),
    ]
    while len(fields) > 1 and not fields[-1]:
        fields.pop()
    return f"{quoted}={';'.join(fields)}"


def _above(limit: float) -> str:
    """Nagios range alerting above ``limit`` (``""`` when the level is off)."""
    return _num(limit) if limit > 0 else ""


def _below(limit: float) -> str:
    """Nagios range alerting below ``limit`` (``LIMIT:``)."""
    return f"{_num(limit)}:" if limit > 0 else ""


def perfdata(report: HealthReport, config: Config) -> str:
    """The perfdata of ``report``: counts, scan time, disk headroom, portfolio age, snapshots."""
    counts = report.counts()
    items = [
        perf_item("scan_time", report.scan_seconds, "s", minimum=0),
        perf_item("critical", counts["critical"], crit="0", minimum=0),
        perf_item("warning", counts["warning"], warn="0", minimum=0),
        perf_item("info", counts["info"], minimum=0),
    ]
    disk = report.disk
    if disk is not None and disk.fs_total > 0:
        limit = config.threshold("disk_free_percent")
        items.append(
            perf_item(
                "disk_free",
                100 * disk.fs_free / disk.fs_total,
                "%",
                warn=_below(limit.warning),
                crit=_below(limit.critical),
                minimum=0,
                maximum=100,
            )
        )
    age = _portfolio_age(report)
    if age is not None:
        limit = config.threshold("stale_seconds", PORTFOLIO)
        items.append(
            perf_item(
                "portfolio_age",
                age,
                "s",
                warn=_above(limit.warning),
                crit=_above(limit.critical),
                minimum=0,
            )
        )
    snapshots = report.health.get("performance_snapshots_count")
    if isinstance(snapshots, int):
        items.append(perf_item("snapshots", snapshots, minimum=0))
    return " ".join(items)


def _portfolio_age(report: HealthReport) -> float | None:
    from core.standard.times import parse_ts

    modified = parse_ts(report.health.get("portfolio_last_modified"))
    checked = parse_ts(report.checked_at)
    if modified is None or checked is None:
        return None
    return max(0.0, (checked - modified).total_seconds())


# --------------------------------------------------------------------------- text rendering


def status_line(report: HealthReport, config: Config | None = None) -> str:
    """``BOTSTORE CRITICAL - 2 critical, 1 warning | scan_time=0.12s critical=2;;0;0 …``."""
    from core.config import Config as _Config

    counts = report.counts()
    label = report.status.value.upper()
    summary = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning") if counts[s])
    if not summary:
        summary = "no problems" + (f" ({counts['info']} info)" if counts["info"] else "")
    return f"BOTSTORE {label} - {summary} | {perfdata(report, config or _Config())}"


def _hints(report: HealthReport) -> dict[tuple[str, str], str]:
    """Each finding's best fix; the catalog (which loads the validators) only when needed."""
    if not report.findings:
        return {}
    from core.actions.catalog import hints

    return hints(report.root, report.findings)


def with_hints(report: HealthReport) -> dict[str, object]:
    """``report.to_json()`` with each finding's best fix as ``hint`` (a CLI command)."""
    data = report.to_json()
    fixes = _hints(report)
    for item in data["findings"]:
        hint = fixes.get((item["code"], item["path"]))
        if hint is not None:
            item["hint"] = hint
    return data


def render_text(report: HealthReport, config: Config | None = None, verbose: int = 0) -> str:
    """Status line, findings by severity (repeated ones grouped), each with its best fix
    (``fix: CMD``), the health keys; more with ``verbose`` 1..3."""
    from core.standard.findings import Severity

    fixes = _hints(report)
    lines = [status_line(report, config), f"root: {report.root}  checked: {report.checked_at}"]
    items = report.grouped()
    for severity in (Severity.CRITICAL, Severity.WARNING, Severity.INFO):
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity.value.upper()} ({len(group)}):")
        for item in (i for i in items if i.severity is severity):
            lines.append(_item_line(item))
            fix = _item_fix(item, fixes)
            if fix is not None:
                lines.append(f"      fix: {fix}")
    lines.append("")
    lines.append("health: " + ", ".join(f"{k}={v}" for k, v in report.health.items()))
    if report.backups is not None:
        missing = report.backups.missing
        lines.append(
            f"backups: {report.backups.found} of {report.backups.expected} expected"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    if report.quarantine is not None:
        lines.append(
            f"quarantine: {report.quarantine.entries} entr"
            f"{'y' if report.quarantine.entries == 1 else 'ies'}, "
            f"{report.quarantine.bytes / 1024:.1f} KiB ("
            "freed only when botstore cleanup purges it)"
        )
    if verbose >= 1 and config is not None:
        lines.extend(_verbose_lines(report, config, verbose))
    # every line escaped on its own: a control or newline in a name/value cannot forge one
    return safe_lines(lines)


def _verbose_lines(report: HealthReport, config: Config, verbose: int) -> list[str]:
    lines = [
        "",
        f"config: {config.source or 'defaults (no botstore.toml)'}",
        "thresholds (warning/critical): "
        + ", ".join(
            f"{name}={_num(t.warning)}/{_num(t.critical)}"
            for name, t in sorted(config.thresholds.items())
        ),
        f"files scanned: {len(report.files)}, parquet files: {len(report.parquet)}",
    ]
    if verbose >= 2:
        lines.append("")
        lines.extend(
            f"  {f.path}  {f.size} bytes  mode {f.mode & 0o7777:03o}  {f.kind}"
            for f in report.files
        )
    if verbose >= 3:
        lines.append(f"scan_seconds: {report.scan_seconds:.6f}")
    return lines


def _item_fix(item: Finding | FindingGroup, fixes: dict[tuple[str, str], str]) -> str | None:
    """The fix command of a finding; of a group, the one its members share (if they do)."""
    from core.health.grouping import FindingGroup

    if not isinstance(item, FindingGroup):
        return fixes.get(item.key)
    shared = {fixes.get((item.code, path)) for path in item.paths}
    return shared.pop() if len(shared) == 1 else None


def _item_line(item: Finding | FindingGroup) -> str:
    """One line per finding, or per group of findings with the same problem."""
    from core.health.grouping import FindingGroup

    if isinstance(item, FindingGroup):
        return f"  {item.severity.symbol} [{item.code}] {item.summary}"
    return f"  {item.severity.symbol} [{item.code}] {item.path}: {item.message}"


__all__ = ["perf_item", "perfdata", "render_text", "status_line", "with_hints"]
