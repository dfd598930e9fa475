"""Portfolio from the exchange: ``rebuild-portfolio --from-exchange``, the bot's fallback,
credentials refusal — the real ccxt client against the local fake Coinbase."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from cli_run import run_python
from fake_exchange import (
    OUTPUTS,
    FakeCoinbase,
    exchange_tree,
    run,
    sha,
    wait_until,
    write_config,
    write_credentials,
)
from gcs_emulator import Emulator

from core.documents import schemas
from core.documents.recovery import RecoveryFailed, load_with_recovery
from core.exchange.client import ExchangeUnavailable, import_ccxt
from core.exchange.fallback import exchange_fallback
from core.exchange.settings import load_settings
from core.standard.layout import ACTIONS_LOG, PORTFOLIO, QUARANTINE_DIR

EARLIER = {
    "trades_executed": 7,
    "portfolio_value_eur": {"amount": 9000.0, "last_price_eur": 1.0},
    "initial_value_eur": {"amount": 5000.0, "last_price_eur": 1.0},
    "last_updated": "2026-11-01T10:00:00.000000",
    "EUR": {"amount": 1000.0, "initial_amount": 2500.0},
    "BTC": {"amount": 0.4, "initial_amount": 0.05, "last_price_eur": 40000.0},
    "SOL": {"amount": 3.0, "initial_amount": 10.0, "last_price_eur": 100.0},
}


pytestmark = pytest.mark.usefixtures("no_secret_leaks")  # tests/conftest.py


@pytest.fixture
def tree(tmp_path: Path, fake: FakeCoinbase) -> Path:
    return exchange_tree(tmp_path, fake, "data")


def test_rebuild_portfolio_when_portfolio_and_bak_are_corrupt(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    portfolio = tree / PORTFOLIO
    portfolio.write_text('{"trades_executed": 3, "EUR": ')
    (tree / (PORTFOLIO + ".bak")).write_bytes(b"\x00\x01 not json")
    earlier = tree / QUARANTINE_DIR / "20261101T100000Z" / PORTFOLIO
    earlier.parent.mkdir(parents=True)
    earlier.write_text(json.dumps(EARLIER))
    before = {p: sha(p) for p in (portfolio, tree / (PORTFOLIO + ".bak"), earlier)}

    code, out, _ = run(capsys, "rebuild-portfolio", "--from-exchange", "--root", str(tree))
    assert code == 0
    assert "dry run: nothing changed" in out
    assert f"carried over from {QUARANTINE_DIR}/20261101T100000Z/{PORTFOLIO}" in out
    assert "~ BTC.amount: 0.4 → 0.5" in out  # diff against the newest readable version
    assert {p: sha(p) for p in before} == before
    assert not (tree / ACTIONS_LOG).exists()

    code, out, err = run(
        capsys, "rebuild-portfolio", "--from-exchange", "--yes", "--root", str(tree)
    )
    assert code == 0, err
    data = json.loads(portfolio.read_text())
    assert schemas.validate("portfolio", data) == []
    assert {k: data[k]["amount"] for k in ("EUR", "BTC", "ETH")} == {
        k: float(v) for k, v in fake.balances.items()
    }
    assert data["SOL"]["amount"] == 0.0  # held before, not on the exchange any more
    assert data["BTC"]["last_price_eur"] == 50000.0
    assert data["ETH"]["last_price_eur"] == 3000.0
    assert data["portfolio_value_eur"]["amount"] == pytest.approx(
        1234.56 + 0.5 * 50000 + 2.25 * 3000
    )
    assert data["initial_value_eur"] == EARLIER["initial_value_eur"]
    assert data["trades_executed"] == 7
    assert data["BTC"]["initial_amount"] == 0.05
    assert data["ETH"]["initial_amount"] == 2.25  # new asset: no earlier initial amount
    assert portfolio.stat().st_mode & 0o777 == 0o644  # the file's mode is kept
    # the corrupt primary and the corrupt .bak are in this action's quarantine
    moved = sorted((tree / QUARANTINE_DIR).glob(f"*-rebuild-portfolio/{PORTFOLIO}*"))
    assert [sha(p) for p in moved] == [before[portfolio], before[tree / (PORTFOLIO + ".bak")]]
    assert not (tree / (PORTFOLIO + ".bak")).exists()
    audit = [json.loads(line) for line in (tree / ACTIONS_LOG).read_text().splitlines()]
    assert [(a["action"], a["result"]) for a in audit] == [("rebuild-portfolio", "ok")]
    assert not fake.auth_failures


def test_rebuild_without_earlier_version_says_so(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "rebuild-portfolio", "--from-exchange", "--yes", "--json", "--root", str(tree)
    )
    assert code == 0, err
    report = json.loads(out)
    assert any("no usable earlier version" in n for n in report["plan"]["notes"])
    data = json.loads((tree / PORTFOLIO).read_text())
    assert data["initial_value_eur"] == data["portfolio_value_eur"]
    assert data["trades_executed"] == 0
    assert data["BTC"]["initial_amount"] == 0.5
    assert (tree / PORTFOLIO).stat().st_mode & 0o777 == 0o640  # new file: the policy's mode


def test_rebuild_with_coinbase_es256_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fake = FakeCoinbase(
        api_key="organizations/org-9/apiKeys/key-9", secret=pem, public_pem=public
    ).start()
    try:
        root = tmp_path / "bot"
        (root / "data").mkdir(parents=True)
        write_config(
            root, fake.url, write_credentials(tmp_path / "etc", fake, coinbase_format=True)
        )
        code, _, err = run(
            capsys, "rebuild-portfolio", "--from-exchange", "--yes", "--root", str(root)
        )
        assert code == 0, err
        assert json.loads((root / PORTFOLIO).read_text())["BTC"]["amount"] == 0.5
        accounts = [h for _, p, h in fake.requests if p.startswith("/v2/accounts")]
        assert accounts and accounts[0]["Authorization"].startswith("Bearer ")
        assert not fake.auth_failures
        logs = capsys.readouterr()
        for text in (*OUTPUTS, logs.out, logs.err):
            assert "BEGIN EC PRIVATE KEY" not in text and fake.api_key not in text
    finally:
        fake.stop()


def test_wrong_secret_is_a_clear_authentication_error(
    tmp_path: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "bot"
    (root / "data").mkdir(parents=True)
    creds = tmp_path / "etc" / "exchange.json"
    creds.parent.mkdir()
    creds.write_text(json.dumps({"apiKey": fake.api_key, "secret": "wrong-secret-xyz"}))
    creds.chmod(0o600)
    write_config(root, fake.url, creds)
    code, out, err = run(
        capsys, "rebuild-portfolio", "--from-exchange", "--yes", "--root", str(root)
    )
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "authentication failed" in err and "wrong-secret-xyz" not in err
    assert not (root / PORTFOLIO).exists()


def test_fallback_gives_the_exchange_portfolio(tree: Path, fake: FakeCoinbase) -> None:
    (tree / PORTFOLIO).write_text("{broken")
    cfg = load_settings(tree)
    result = load_with_recovery(
        tree / PORTFOLIO, validate="portfolio", fallback=exchange_fallback(cfg, timeout=30)
    )
    assert result.source == "fallback"
    assert {k: result.data[k]["amount"] for k in ("EUR", "BTC", "ETH")} == {
        k: float(v) for k, v in fake.balances.items()
    }
    assert [p.code for p in result.problems] == ["invalid_json", "missing"]


def test_fallback_with_the_exchange_down_fails_clearly(tree: Path, fake: FakeCoinbase) -> None:
    cfg = load_settings(tree)
    fake.stop()  # the port is closed now: connection refused
    with pytest.raises(RecoveryFailed) as info:
        load_with_recovery(
            tree / PORTFOLIO, validate="portfolio", fallback=exchange_fallback(cfg, timeout=30)
        )
    message = str(info.value)
    assert "fallback failed" in message
    assert (
        "coinbase: network error (unreachable or connection dropped); gave up after 2 attempt(s)"
    ) in message


def test_fallback_gives_up_at_its_timeout_on_a_hanging_exchange(
    tree: Path, fake: FakeCoinbase
) -> None:
    fake.fault("slow", "/v2/currencies", delay=60)  # the first call ccxt makes
    cfg = load_settings(tree)
    with pytest.raises(RecoveryFailed) as info:
        load_with_recovery(
            tree / PORTFOLIO, validate="portfolio", fallback=exchange_fallback(cfg, timeout=1)
        )
    # It gave up before the exchange answered anything (the hanging call never returned).
    assert fake.answered == []
    assert "no portfolio from the exchange within 1 s" in str(info.value)
    fake.release.set()
    assert wait_until(lambda: fake.open_requests == 0)


@pytest.mark.parametrize("problem", ["mode644", "inside", "symlink-inside"])
def test_credentials_refused_unless_private_and_outside_the_tree(
    tmp_path: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    root = tmp_path / "bot"
    (root / "data").mkdir(parents=True)
    if problem == "mode644":
        creds = write_credentials(tmp_path / "etc", fake, mode=0o644)
        expected = "has mode 644"
    elif problem == "inside":
        creds = write_credentials(root / "secrets", fake)
        expected = "is inside the bot tree"
    else:
        inner = write_credentials(root / "secrets", fake)
        creds = tmp_path / "etc" / "exchange.json"
        creds.parent.mkdir()
        creds.symlink_to(inner)
        expected = "is inside the bot tree"
    write_config(root, fake.url, creds)
    for argv in (
        ["rebuild-portfolio", "--from-exchange", "--yes"],
        ["refetch-history", "BTC-EUR_hour_7d", "--yes"],
    ):
        code, out, err = run(capsys, *argv, "--root", str(root))
        assert code == 1 and out == ""
        assert expected in err and len(err.strip().splitlines()) == 1
    assert fake.requests == []  # refused before anything was sent
    assert not (root / PORTFOLIO).exists()


def test_core_works_without_ccxt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ccxt", None)
    with pytest.raises(ExchangeUnavailable, match=r"pip install 'botstore\[exchange\]'"):
        import_ccxt()
    code = (
        "import sys; sys.modules['ccxt'] = None\n"
        "import core, core.cli.main as m, core.actions.rebuild_portfolio,"
        " core.actions.refetch_history, core.exchange.fallback\n"
        "m.build_parser()\n"
        "print('ok')\n"
    )
    done = run_python(code, check=False, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.stdout.strip() == "ok", done.stderr


def test_fits_offers_rebuild_only_without_a_valid_backup(tree: Path) -> None:
    from core.actions import rebuild_portfolio

    assert rebuild_portfolio.fits(tree, PORTFOLIO, {"invalid_json"})
    (tree / (PORTFOLIO + ".bak")).write_text(json.dumps(EARLIER))
    assert not rebuild_portfolio.fits(tree, PORTFOLIO, {"invalid_json"})
    assert not rebuild_portfolio.fits(tree, "data/cache/bot_startup.json", {"invalid_json"})


def test_initial_values_come_from_the_cloud_when_no_local_copy_is_usable(
    tmp_path: Path, fake: FakeCoinbase, gcs: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    import uuid

    from core import cloud
    from core.storage.write import write_json

    root = tmp_path / "bot"
    (root / "data").mkdir(parents=True)
    write_json(root / PORTFOLIO, EARLIER, backup=False)
    bucket = f"bkt-{uuid.uuid4().hex[:12]}"
    client = cloud.make_client(endpoint=gcs.url)
    try:
        client.create_bucket(bucket)
        cloud.sync_once(root, bucket, "backups", client=client, host="bot-1", write_status=False)
    finally:
        client.close()
    (root / PORTFOLIO).write_text("{lost")
    creds = write_credentials(tmp_path / "etc", fake)
    write_config(root, fake.url, creds)
    with (root / "botstore.toml").open("a") as handle:
        handle.write(
            f'[cloud]\nbucket = "{bucket}"\nprefix = "backups"\nhost = "bot-1"\n'
            f'endpoint = "{gcs.url}"\n'
        )
    code, out, err = run(
        capsys, "rebuild-portfolio", "--from-exchange", "--yes", "--root", str(root)
    )
    assert code == 0, err
    assert "carried over from cloud snapshot" in out
    data = json.loads((root / PORTFOLIO).read_text())
    assert data["trades_executed"] == 7 and data["BTC"]["initial_amount"] == 0.05
