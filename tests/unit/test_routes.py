"""Who sees which page in the navigation, and where sign-in may send the browser."""

from __future__ import annotations

import pytest

from crm_app import routes
from crm_app.data.models import Role


@pytest.mark.parametrize(
    "role, labels",
    [
        (Role.admin, ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit", "Campaigns",
                      "Import", "Users", "Webhooks"]),
        (Role.executive, ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit",
                          "Campaigns"]),
        (Role.sales_rep, ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Cockpit", "Campaigns",
                          "Import"]),
        (Role.marketer, ["Home", "Customers", "Pipeline", "Orders", "Tasks", "Inbox", "Insights", "Cockpit",
                         "Campaigns"]),
        ("stranger", []),
    ],
)
def test_navigation_per_role(role, labels):
    assert [item.label for item in routes.navigation_for(role)] == labels


@pytest.mark.parametrize("path", ["/", "/admin/users", "/customers?region=EMEA&page=2", "/customers/12"])
def test_same_origin_paths_are_kept(path):
    assert routes.safe_next_path(path) == path


@pytest.mark.parametrize(
    "candidate",
    [
        "https://evil.example/phish", "//evil.example", "/\\evil.example", "\\\\evil.example",
        "javascript:alert(1)", "evil.example", "", None, 42, {"path": "/"}, "/login?next=/",
        "/ok\nSet-Cookie: x=1", "/" + "a" * 3000,
    ],
)
def test_other_destinations_fall_back_to_home(candidate):
    assert routes.safe_next_path(candidate) == routes.HOME
