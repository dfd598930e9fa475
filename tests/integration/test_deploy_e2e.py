"""End to end: a real Prometheus (and Alertmanager, node_exporter) on 127.0.0.1 scraping botstore
on a demo tree; the tree is broken and the shipped alert must go ``firing``.

The configuration is the shipped example (file-based service discovery, the shipped rules)
with the intervals shortened and every ``for:`` set to 0 s, so an alert fires within a few
scrapes; the ``for:`` durations themselves are covered by ``promtool test rules``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from metrics_testkit import BOTSTORE, free_port, listening, prometheus_tool, stop

from core.demo import build_demo_tree
from core.standard import layout

PROM = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
DASHBOARD = PROM.parent / "grafana" / "botstore.json"
T = TypeVar("T")


def binary(name: str) -> str:
    return prometheus_tool(name, "prometheus prometheus-node-exporter prometheus-alertmanager")


def api(port: int, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{query}", timeout=30) as resp:
        return json.loads(resp.read())


def eventually(probe: Callable[[], T | None], what: str, deadline_s: float = 90) -> T:
    """Poll ``probe`` until it returns a value (a deadline for a hung run, not a speed test)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            value = probe()
        except OSError:
            value = None
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    build_demo_tree(root)
    return root


class Prometheus:
    """A real Prometheus on the shipped example config, shortened for the test."""

    def __init__(self, base: Path, alertmanager_port: int | None) -> None:
        self.base = base
        self.port = free_port()
        cfg = base / "prom"
        (cfg / "botstore-targets").mkdir(parents=True)
        (cfg / "node-targets").mkdir()
        rules = re.sub(r"for: \S+", "for: 0s", (PROM / "botstore.rules.yml").read_text())
        (cfg / "botstore.rules.yml").write_text(rules)
        config = (PROM / "prometheus.example.yml").read_text()
        config = config.replace("interval: 30s", "interval: 1s")
        am = f"127.0.0.1:{alertmanager_port}" if alertmanager_port else "127.0.0.1:1"
        config = config.replace('"localhost:9093"', f'"{am}"')
        assert "scrape_interval: 1s" in config and am in config
        (cfg / "prometheus.yml").write_text(config)
        self.config_dir = cfg

    def target(self, kind: str, port: int, host: str) -> None:
        """Add a target the way an operator does: one file_sd file (no reload)."""
        entry = [{"targets": [f"127.0.0.1:{port}"], "labels": {"host": host}}]
        path = self.config_dir / kind / f"{host}.yml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry))
        tmp.replace(path)

    @staticmethod
    def _ready(port: int) -> bool | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=5) as resp:
            return True if resp.status == 200 else None

    def run(self) -> subprocess.Popen[bytes]:
        with (self.base / "prometheus.log").open("wb") as log:
            proc = subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={self.config_dir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.base / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        eventually(lambda: self._ready(self.port), "Prometheus to be ready")
        return proc

    def firing(self, alert: str, **labels: str) -> list[dict[str, Any]] | None:
        found = [
            a
            for a in api(self.port, "/api/v1/alerts")["data"]["alerts"]
            if a["labels"].get("alertname") == alert
            and a["state"] == "firing"
            and all(a["labels"].get(k) == v for k, v in labels.items())
        ]
        return found or None

    def value(self, expr: str) -> float | None:
        result = api(self.port, "/api/v1/query", query=expr)["data"]["result"]
        return float(result[0]["value"][1]) if result else None


@contextlib.contextmanager
def started(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    try:
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def started_proc(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield proc
    finally:
        stop(proc)


def test_listen_alert_fires_in_prometheus_and_reaches_alertmanager(
    demo: Path, tmp_path: Path
) -> None:
    am_port = free_port()
    am_conf = tmp_path / "alertmanager.yml"
    shutil.copy(PROM / "alertmanager.example.yml", am_conf)
    prom = Prometheus(tmp_path, am_port)
    with (
        listening(demo, "--interval", "1") as (exporter, port),
        started(
            [
                binary("prometheus-alertmanager"),
                f"--config.file={am_conf}",
                f"--storage.path={tmp_path / 'am'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            tmp_path / "alertmanager.log",
        ),
        started_proc(prom.run()),
    ):
        prom.target("botstore-targets", port, "bot-e2e")
        eventually(lambda: prom.value('botstore_status{host="bot-e2e"} == 0'), "a healthy scrape")
        assert prom.firing("BotstoreCritical") is None
        # every dashboard query runs on the live data
        dashboard = json.loads(DASHBOARD.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = target["expr"].replace("$instance", ".*")
                assert api(prom.port, "/api/v1/query", query=expr)["status"] == "success"

        (demo / layout.PORTFOLIO).write_text('{"BTC": {"amount": ')  # truncated write
        alert = eventually(lambda: prom.firing("BotstoreCritical", host="bot-e2e"), "firing")
        assert alert[0]["labels"]["severity"] == "critical"

        def routed() -> list[str] | None:
            groups = api(am_port, "/api/v2/alerts/groups")
            names = [
                g["receiver"]["name"]
                for g in groups
                if any(a["labels"].get("alertname") == "BotstoreCritical" for a in g["alerts"])
            ]
            return names or None

        assert eventually(routed, "Alertmanager to route the alert") == ["ops-pager"]

        exporter.terminate()  # the exporter dies: the scrape-down alert
        exporter.wait(30)
        eventually(lambda: prom.firing("BotstoreMetricsDown", host="bot-e2e"), "MetricsDown")


def test_textfile_unknown_fires_through_node_exporter(demo: Path, tmp_path: Path) -> None:
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    prom_file = textfiles / "botstore.prom"
    node_port = free_port()
    prom = Prometheus(tmp_path, None)

    def textfile_run() -> int:
        argv = [BOTSTORE, "metrics", "--root", str(demo), "--textfile", str(prom_file)]
        return subprocess.run(argv, capture_output=True, timeout=60, check=False).returncode

    assert textfile_run() == 0
    with (
        started(
            [
                binary("prometheus-node-exporter"),
                "--collector.disable-defaults",
                "--collector.textfile",
                f"--collector.textfile.directory={textfiles}",
                f"--web.listen-address=127.0.0.1:{node_port}",
            ],
            tmp_path / "node_exporter.log",
        ),
        started_proc(prom.run()),
    ):
        prom.target("node-targets", node_port, "bot-textfile")
        eventually(lambda: prom.value('botstore_status{host="bot-textfile"} == 0'), "healthy")
        assert prom.firing("BotstoreUnknown") is None
        (demo / "botstore.toml").write_text("[thresholds]\nstale_seconds = 5\n")  # bad config
        assert textfile_run() == 3
        alert = eventually(lambda: prom.firing("BotstoreUnknown", host="bot-textfile"), "firing")
        assert alert[0]["labels"]["job"] == "node"
        reason = prom.value('botstore_scan_error{host="bot-textfile", reason="config"}')
        assert reason == 1.0
