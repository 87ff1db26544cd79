"""Every ``sfa`` command given a bad argument — an unknown id or name, a missing store, an
unreadable file — exits non-zero with one line on stderr and no traceback. Run in-process
(``workers.cli.main``) to stay fast; ``tests/e2e/test_cli.py`` covers the real subprocess."""

import sys
import uuid

import pytest

from infra.bootstrap import bootstrap
from infra.settings import Settings
from workers import cli

UNKNOWN = str(uuid.UUID(int=12345))


def run(argv, monkeypatch, capsys, url):
    monkeypatch.setenv("SFA_DATABASE_URL", url)
    monkeypatch.delenv("SFA_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setattr(sys, "argv", ["sfa", *argv])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    return ended.value.code, capsys.readouterr().err


@pytest.fixture
def store(sqlite_url):
    bootstrap(Settings(database_url=sqlite_url)).close()
    return sqlite_url


BAD = [
    (["audit", "forget", UNKNOWN], "sfa: not_found: no lead or contact"),
    (["audit", "forget", "not-an-id"], "sfa: invalid_input"),
    (["audit", "history", UNKNOWN], "sfa: no events of account"),
    (["audit", "history", "nope"], "sfa: invalid_input"),
    (["audit", "history", UNKNOWN, "--as-of", "yesterday"], "sfa: --as-of must be"),
    (["audit", "export", UNKNOWN, "--format", "jsonl"], "sfa: no events of account"),
    (["audit", "verify", "--checkpoints", "/nonexistent/cp.jsonl"], "sfa: cannot read the checkpoints"),
    (["audit", "checkpoint", "--out", "/nonexistent/dir/cp.jsonl"], "sfa: cannot write"),
    (["audit", "verify-export", "/nonexistent/x.jsonl"], "sfa: export unreadable"),
    (["tokens", "revoke", "nosuchtoken"], "sfa: not_found"),
    (["tokens", "create", "--role", "rep", "--rep", UNKNOWN], "sfa: not_found"),
    (["tokens", "create", "--role", "boss"], "sfa: Invalid value"),
    (["projections", "rebuild", "no_such_model"], "sfa: unknown read model"),
    (["projections", "rebuild"], "sfa: name one read model or pass --all"),
    (["relay", "--once"], "sfa: SFA_KAFKA_BOOTSTRAP is not set"),
    (["demo", "--scale", "huge"], "sfa: Invalid value"),
    (["serve", "--port", "70000"], "sfa: Invalid value"),
    (["no-such-command"], "sfa: No such command"),
]


@pytest.mark.parametrize(("argv", "reason"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_argument_is_refused_in_one_line(argv, reason, store, monkeypatch, capsys):
    code, err = run(argv, monkeypatch, capsys, store)
    assert code not in (0, None), err
    assert err.startswith(reason), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_relay_from_position_past_the_head_is_refused(store, monkeypatch, capsys):
    monkeypatch.setenv("SFA_KAFKA_BOOTSTRAP", "127.0.0.1:18699")
    monkeypatch.setenv("SFA_DATABASE_URL", store)
    monkeypatch.setattr(sys, "argv", ["sfa", "relay", "--from-position", "99", "--once"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    err = capsys.readouterr().err
    assert ended.value.code == 1 and err.startswith("sfa: --from-position 99 is past the last")


READERS = [["info"], ["flows", "resume"], ["project", "--once"], ["projections", "status"],
           ["projections", "rebuild", "--all"], ["tokens", "list"], ["tokens", "revoke", "x"],
           ["tokens", "create", "--role", "admin"], ["relay", "status"], ["audit", "verify"],
           ["audit", "seal"], ["audit", "checkpoint"], ["audit", "history", UNKNOWN],
           ["audit", "forget", UNKNOWN], ["serve"]]


@pytest.mark.parametrize("argv", READERS, ids=[" ".join(a) for a in READERS])
def test_a_missing_sqlite_store_is_refused_not_created(argv, tmp_path, monkeypatch, capsys):
    typo = tmp_path / "sfa.bd"
    code, err = run(argv, monkeypatch, capsys, f"sqlite:///{typo}")
    assert code == 1 and err.startswith(f"sfa: no SQLite store at {typo}"), err
    assert len(err.strip().splitlines()) == 1
    assert not typo.exists()


def test_demo_creates_a_store(tmp_path, monkeypatch, capsys):
    fresh = tmp_path / "new" / "sfa.db"
    code, err = run(["demo", "--scale", "small", "--seed", "3"], monkeypatch, capsys,
                    f"sqlite:///{fresh}")
    assert code == 0, err
    assert fresh.stat().st_size > 100_000
