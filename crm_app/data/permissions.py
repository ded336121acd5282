"""Who may do what. Repositories take the acting user and call these before touching data."""

from __future__ import annotations

from dataclasses import dataclass

from crm_app.data.models import Role
from crm_app.i18n import gettext


# Who changes customers, deals, orders, tasks and feedback; executives and marketers read them.
RECORD_WRITERS = (Role.admin, Role.sales_rep)
# Who reads every customer's records and the company's figures (the cockpit with its system panels).
COMPANY_READERS = (Role.admin, Role.executive, Role.marketer)
# Who creates, targets and starts campaigns.
CAMPAIGN_RUNNERS = (Role.admin, Role.marketer)


class PermissionDenied(Exception):
    """The acting user may not do this. The message is safe to show."""


class NotFound(Exception):
    """No such record, or none the acting user may see (the two are not told apart)."""


@dataclass(frozen=True)
class Actor:
    """The signed-in user an action is done for."""

    id: int
    email: str
    full_name: str
    role: Role
    # What the user must do on their account page before anything else (an admin's reset, a role policy).
    must_change_password: bool = False
    must_enrol_two_factor: bool = False
    # The user's IANA time zone (None: not chosen yet, shown as UTC); see crm_app.due_times.
    time_zone: str | None = None
    # The language the user chose (None: their browser's); see crm_app.i18n.
    language: str | None = None

    @property
    def account_setup_pending(self) -> bool:
        return self.must_change_password or self.must_enrol_two_factor

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def reads_everything(self) -> bool:
        """Admins, executives and marketers (who target any customer) read every customer's records."""
        return self.role in COMPANY_READERS

    @property
    def writes_records(self) -> bool:
        """Customers, deals, orders, tasks, feedback and timelines are changed by sales reps and admins only."""
        return self.role in RECORD_WRITERS

    @property
    def runs_campaigns(self) -> bool:
        return self.role in CAMPAIGN_RUNNERS


def require_role(actor: Actor | None, *roles: Role) -> Actor:
    """Return the actor when it has one of `roles`; raise PermissionDenied otherwise."""
    if actor is None or actor.role not in roles:
        raise PermissionDenied(gettext("You do not have access to this."))
    return actor
