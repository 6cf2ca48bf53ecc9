"""Property-based calls generated from /openapi.json (schemathesis) never get a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.fixtures.service import ServiceProcesses

pytestmark = pytest.mark.slow


def test_generated_requests_never_get_a_server_error(service: ServiceProcesses) -> None:
    # schemathesis' own pytest plugin does not load under pytest 9, so its operations and
    # strategies are driven with hypothesis directly.
    schema = schemathesis.openapi.from_url(f"{service.base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {service.token('admin')}"}
    failures: list[str] = []
    operations = 0
    results: Any = schema.get_all_operations()
    for result in results:
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            # As an admin, so that calls get past authentication into the routes themselves.
            response = case.call(headers=headers, timeout=60)
            # /readyz answers 503 by design when a dependency is down; nothing else may 5xx.
            if response.status_code >= 500 and case.path != "/readyz":
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        call()
    assert operations >= 15
    assert not failures, "\n".join(failures[:10])
