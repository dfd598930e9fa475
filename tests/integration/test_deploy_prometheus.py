"""The shipped Prometheus rules, example configs and Grafana dashboard: checked by the real
tools (``promtool``, ``amtool``) and against the metrics botstore actually exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import orjson
from metrics_testkit import prometheus_tool
from prometheus_client.parser import text_string_to_metric_families

from core.cloud.sync import STATUS_FILE
from core.demo import build_demo_tree
from core.health import scan
from core.health.metrics import ScanOutcome, render

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROM = DEPLOY / "prometheus"
RULES = PROM / "botstore.rules.yml"
DASHBOARD = DEPLOY / "grafana" / "botstore.json"
METRIC = re.compile(r"\bbotstore_[a-z_]+")


def tool(name: str) -> str:
    return prometheus_tool(name, "prometheus prometheus-alertmanager")


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=cwd)


def exported_names(tmp_path: Path) -> set[str]:
    """Every metric name botstore writes, for a demo tree and for a failed scan."""
    root = tmp_path / "root"
    build_demo_tree(root)
    (root / STATUS_FILE).write_bytes(  # as after a `botstore sync` run
        orjson.dumps(
            {
                "last_attempt": "2026-01-31T12:00:00Z",
                "last_success": "2026-01-31T12:00:00Z",
                "ok": True,
                "error": None,
            }
        )
    )
    good = render(ScanOutcome(time.time(), scan(root), None, 0, 60.0)).decode()
    failed = render(ScanOutcome(time.time(), None, "config", 1, 60.0)).decode()
    names = {
        sample.name
        for family in text_string_to_metric_families(good + failed)
        for sample in family.samples
    }
    names.add("botstore_time_to_full_seconds")  # only exported once growth is measured
    return names


def alerts_in(text: str) -> list[str]:
    return re.findall(r"^\s*-?\s*alert: (\w+)", text, re.M)


def test_promtool_check_rules() -> None:
    result = run(tool("promtool"), "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout


def test_promtool_unit_tests_cover_every_alert() -> None:
    result = run(tool("promtool"), "test", "rules", str(PROM / "botstore.rules.test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = alerts_in(RULES.read_text())
    tested = set(re.findall(r"alertname: (\w+)", (PROM / "botstore.rules.test.yml").read_text()))
    assert len(alerts) == 11 and set(alerts) == tested


def test_unit_tests_fail_when_the_for_durations_are_dropped(tmp_path: Path) -> None:
    """The unit tests check the waiting period of every alert, not only its expression."""
    (tmp_path / "botstore.rules.yml").write_text(re.sub(r"for: \S+", "for: 0s", RULES.read_text()))
    shutil.copy(PROM / "botstore.rules.test.yml", tmp_path)
    result = run(tool("promtool"), "test", "rules", "botstore.rules.test.yml", cwd=tmp_path)
    assert result.returncode != 0
    failing = set(re.findall(r"alertname: (\w+)", result.stdout + result.stderr))
    assert failing == set(alerts_in(RULES.read_text())) - {"BotstorePortfolioNotModified"}


def test_rules_and_dashboard_use_only_exported_metrics(tmp_path: Path) -> None:
    exported = exported_names(tmp_path)
    used_by_rules = set(METRIC.findall(RULES.read_text()))
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used_by_dashboard = {name for e in exprs for name in METRIC.findall(e)}
    assert used_by_rules and used_by_dashboard
    assert used_by_rules - exported == set()
    assert used_by_dashboard - exported == set()
    variable = dashboard["templating"]["list"][1]["query"]["query"]
    assert set(METRIC.findall(variable)) <= exported


def test_dashboard_queries_parse_as_promql(tmp_path: Path) -> None:
    """Each panel query, as a recording rule, passes promtool's PromQL parser."""
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:q{i}", "expr": e.replace("$instance", ".*")}
                    for i, e in enumerate(exprs)
                ],
            }
        ]
    }
    (tmp_path / "dashboard.rules.yml").write_text(json.dumps(rules))  # JSON is YAML
    result = run(tool("promtool"), "check", "rules", str(tmp_path / "dashboard.rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def test_prometheus_example_config_is_valid() -> None:
    result = run(tool("promtool"), "check", "config", str(PROM / "prometheus.example.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout


def test_alertmanager_example_routes() -> None:
    amtool = tool("amtool")
    config = str(PROM / "alertmanager.example.yml")
    result = run(amtool, "check-config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    for labels, receiver in (
        (["alertname=BotstoreCritical", "severity=critical", "host=bot-eu-1"], "ops-pager"),
        (["alertname=BotstorePortfolioMissing", "severity=critical"], "ops-pager"),
        (["alertname=BotstoreScanStale", "severity=warning"], "ops-mail"),
        (["alertname=NodeDown", "severity=critical"], "ops-mail"),
    ):
        result = run(
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={config}",
            f"--verify.receivers={receiver}",
            *labels,
        )
        assert result.returncode == 0, (labels, result.stdout, result.stderr)
