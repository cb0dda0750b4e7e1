from typing import Any

from starlette.testclient import TestClient

from carerecord_events.glossary import GLOSSARY
from carerecord_graphql.app import create_app
from carerecord_graphql.schema import build_schema


def _client(report: dict[str, Any]) -> TestClient:
    return TestClient(create_app(build_schema(), lambda: report))


def test_health_is_200_only_when_everything_answers() -> None:
    assert _client({"status": "ok"}).get("/health").status_code == 200
    degraded = _client({"status": "degraded", "database": {"status": "down"}}).get("/health")
    assert degraded.status_code == 503
    assert degraded.json()["database"]["status"] == "down"


def test_the_glossary_needs_no_sign_in() -> None:
    result = build_schema().execute_sync("{ glossary { term easyRead } }")
    assert result.errors is None
    assert result.data is not None
    terms = [entry["term"] for entry in result.data["glossary"]]
    assert terms == [entry.term for entry in GLOSSARY]
    assert "DNACPR" in terms


def test_metrics_are_served_as_prometheus_text() -> None:
    app = create_app(build_schema(), lambda: {"status": "ok"}, lambda: "carerecord_store_position 3\n")
    response = TestClient(app).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "carerecord_store_position 3" in response.text
