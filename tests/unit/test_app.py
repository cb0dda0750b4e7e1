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


def test_graphql_answers_at_slash_graphql_without_redirect() -> None:
    response = _client({"status": "ok"}).post("/graphql", json={"query": "{ glossary { term easyRead } }"})
    assert response.status_code == 200
    terms = [entry["term"] for entry in response.json()["data"]["glossary"]]
    assert terms == [entry.term for entry in GLOSSARY]
    assert "DNACPR" in terms
