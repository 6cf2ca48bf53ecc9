"""``sohoa users list|disable|enable|set-role|reset-password`` on a real (SQLite) database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from core.domain import AuditAction
from storage.db import make_engine, session_factory
from storage.models import AuditEntry, User

ROOT = Path(__file__).resolve().parents[2]


def _sohoa(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_users_commands_change_accounts_audited_and_bump_the_token_version(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_DATA_DIR"] = str(tmp_path)
    created = _sohoa(
        env, "users", "create", "lan", "--role", "reception", "--password-stdin", stdin="x" * 12
    )
    assert created.returncode == 0, created.stderr
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'sohoa.db'}")

    def version() -> int:
        with session_factory(engine)() as session:
            user = session.scalar(select(User).where(User.username == "lan"))
            assert user is not None
            return user.token_version

    start = version()
    steps = [
        (("users", "disable", "lan"), ""),
        (("users", "enable", "lan"), ""),
        (("users", "set-role", "lan", "signer"), ""),
        (("users", "reset-password", "lan", "--password-stdin"), "y" * 12),
    ]
    for args, stdin in steps:
        done = _sohoa(env, *args, stdin=stdin)
        assert done.returncode == 0, (args, done.stderr)
    # Every change revokes the tokens issued before it.
    assert version() == start + 4
    listed = json.loads(_sohoa(env, "users", "list", "--json").stdout)
    assert listed[0]["username"] == "lan" and listed[0]["role"] == "signer"
    assert listed[0]["active"] is True
    with session_factory(engine)() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "lan")))
    assert {
        AuditAction.USER_DISABLED.value,
        AuditAction.USER_ENABLED.value,
        AuditAction.USER_ROLE_CHANGED.value,
        AuditAction.USER_PASSWORD_RESET.value,
    } <= actions
    missing = _sohoa(env, "users", "disable", "nobody")
    assert missing.returncode == 60 and "sohoa: error [not-found]" in missing.stderr
    engine.dispose()
