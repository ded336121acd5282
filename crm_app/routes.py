"""Every route of the app and who sees it in the navigation. Routes are shared as links: keep them stable."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from crm_app.data.models import Role
from crm_app.data.permissions import COMPANY_READERS

HOME = "/"
LOGIN = "/login"
ACCOUNT = "/account"
# HTTP endpoints (crm_app/sign_in.py) the login form and the sign-out button post to.
SIGN_IN = "/auth/sign-in"
SIGN_IN_CODE = "/auth/sign-in/code"
SIGN_OUT = "/auth/sign-out"
# "Forgot password?": the pages (crm_app/pages/login.py) and the endpoints their forms post to
# (crm_app/password_reset.py). The emailed link opens RESET_PASSWORD?t=...
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
FORGOT_PASSWORD_POST = "/auth/forgot-password"
RESET_PASSWORD_POST = "/auth/reset-password"
ADMIN_USERS = "/admin/users"
ADMIN_WEBHOOKS = "/admin/webhooks"
FEEDBACK = "/feedback"
INBOX = "/inbox"
CUSTOMERS = "/customers"
CUSTOMER = "/customers/[customer_id]"
PIPELINE = "/pipeline"
DEAL = "/deals/[deal_id]"
ORDERS = "/orders"
ORDER_NEW = "/orders/new"
ORDER = "/orders/[order_id]"
COCKPIT = "/cockpit"
TASKS = "/tasks"
IMPORT = "/import"
INSIGHTS = "/insights"
CAMPAIGNS = "/campaigns"
CAMPAIGN = "/campaigns/[campaign_id]"
# Reflex serves its "404" page for every path the app does not have.
NOT_FOUND = "404"

# Where the customer page's timeline composer is, to open it there in one click.
TIMELINE_COMPOSER_ANCHOR = "log-activity"


def customer_page(customer_id: int | str) -> str:
    return f"/customers/{customer_id}"


def deal_page(deal_id: int | str) -> str:
    return f"/deals/{deal_id}"


def order_page(order_id: int | str) -> str:
    return f"/orders/{order_id}"


def campaign_page(campaign_id: int | str) -> str:
    return f"/campaigns/{campaign_id}"

STAFF = (Role.admin, Role.executive, Role.sales_rep, Role.marketer)


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str
    roles: tuple[Role, ...]


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Home", HOME, "house", STAFF),
    NavItem("Customers", CUSTOMERS, "contact", STAFF),
    NavItem("Pipeline", PIPELINE, "kanban", STAFF),
    NavItem("Orders", ORDERS, "receipt", STAFF),
    NavItem("Tasks", TASKS, "list-checks", STAFF),
    NavItem("Inbox", INBOX, "inbox", STAFF),
    NavItem("Insights", INSIGHTS, "lightbulb", COMPANY_READERS),
    NavItem("Cockpit", COCKPIT, "gauge", STAFF),
    NavItem("Campaigns", CAMPAIGNS, "megaphone", STAFF),
    NavItem("Import", IMPORT, "upload", (Role.admin, Role.sales_rep)),
    NavItem("Users", ADMIN_USERS, "users", (Role.admin,)),
    NavItem("Webhooks", ADMIN_WEBHOOKS, "webhook", (Role.admin,)),
)


def navigation_for(role: Role | str) -> list[NavItem]:
    return [item for item in NAVIGATION if role in item.roles]


def safe_next_path(candidate: object) -> str:
    """A same-origin path to go to after sign-in, or HOME when `candidate` could leave the site."""
    if not isinstance(candidate, str) or not candidate.startswith("/") or len(candidate) > 2000:
        return HOME
    if candidate.startswith("//") or "\\" in candidate or any(ord(ch) < 32 for ch in candidate):
        return HOME
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or candidate.startswith(LOGIN):
        return HOME
    return candidate
