"""Which database errors mean "run the transaction again" (``storage.db.lock_conflict``)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from storage.db import lock_conflict


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("db error")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "conflict"),
    [("40P01", True), ("40001", True), ("23505", False), ("08006", False), (None, False)],
)
def test_deadlocks_and_serialization_failures_are_conflicts(
    sqlstate: str | None, conflict: bool
) -> None:
    error = DBAPIError("UPDATE documents ...", {}, _Orig(sqlstate))
    assert lock_conflict(error) is conflict
