"""A method an /api/ route does not take answers 405 with `Allow`, even with Reflex's app mounted at "" behind the
API (api_transformer), whose catch-all would otherwise answer 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from crm_app.api import MethodNotAllowed, api


def _served() -> TestClient:
    """The middleware in front of what Reflex's mount does for every path it is handed: a 404."""
    return TestClient(MethodNotAllowed(PlainTextResponse("Reflex's 404", status_code=404), documented_by=api))


def test_other_methods_on_the_api_routes_answer_405_with_allow():
    client = _served()
    health, feedback = client.request("TRACE", "/api/health"), client.put("/api/feedback")
    assert (health.status_code, health.headers["allow"], health.json()) == (405, "GET", {"reason": "method_not_allowed"})
    assert (feedback.status_code, feedback.headers["allow"]) == (405, "POST")
    record = client.request("TRACE", "/api/v1/customers/7")
    assert (record.status_code, record.headers["allow"]) == (405, "DELETE, GET, PATCH")
    assert record.headers["content-type"] == "application/problem+json"


def test_documented_methods_and_other_paths_pass_through():
    client = _served()
    assert client.get("/api/health").text == "Reflex's 404"  # handed on: the stand-in answers for the app
    assert client.get("/api/nowhere").status_code == 404
    assert client.request("TRACE", "/customers").status_code == 404
