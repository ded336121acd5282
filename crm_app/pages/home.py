"""/ (My day): what the signed-in user should work on today; the company's equivalents for executives and admins.
Every number links to the filtered list behind it; every section says what to do when it is empty."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.empty_state import empty_state
from crm_app.components.shell import staff_page
from crm_app.states.auth import AuthState
from crm_app.states.home import HomeState
from crm_app.states.tasks import RESCHEDULES

MUTED = rx.color("gray", 11)
STATUS_COLOURS = {"good": "green", "warning": "amber", "bad": "red", "none": "gray"}


def _go(label: str, href: str) -> rx.Component:
    return rx.link(rx.button(label, size="2", variant="soft"), href=href)


def _figure(figure: dict) -> rx.Component:
    return rx.link(
        rx.card(
            rx.text(figure["label"], size="2", color=MUTED),
            rx.text(figure["value"], size="6", weight="bold", data_testid="figure-value"),
            rx.text(figure["detail"], size="1", color=MUTED),
            width="100%",
            height="100%",
        ),
        href=figure["link"],
        id="figure-" + figure["key"],
        aria_label=figure["label"] + ": " + figure["value"],
        underline="none",
        data_testid="figure",
    )


def _section(title: str, see_all: str, *children: rx.Component, cockpit: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="4", as_="h2"),
                rx.spacer(),
                rx.cond(HomeState.company, rx.link(t("In the cockpit"), href=cockpit, size="2")) if cockpit
                else rx.fragment(),
                rx.link(t("See all"), href=see_all, size="2"),
                width="100%",
                align="center",
            ),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _task(row: dict, bucket: str) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(row["subject"], weight="medium"),
            rx.text(t("Due "), row["due"], " · ", row["kind"],
                    rx.cond(row["customer"] != "", rx.fragment(" · ", rx.link(row["customer"],
                                                                             href=row["customer_link"]))),
                    rx.cond(HomeState.company, rx.fragment(" · ", row["owner"])),
                    size="1", color=MUTED),
            spacing="0",
            flex="1",
            min_width="12em",
        ),
        rx.cond(
            HomeState.can_work_tasks,
            rx.hstack(
                rx.button(t("Done"), size="1", variant="soft", on_click=HomeState.mark_done(row["id"]),
                          aria_label=t("Done: {value}", value=row["subject"])),
                rx.menu.root(
                    rx.menu.trigger(rx.button(t("Reschedule"), size="1", variant="soft", color_scheme="gray",
                                              aria_label=t("Reschedule: {value}", value=row["subject"]))),
                    rx.menu.content(*[rx.menu.item(t(label), on_click=HomeState.reschedule(row["id"], choice))
                                      for choice, label in RESCHEDULES]),
                ),
            ),
        ),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
        data_testid=f"my-task-{bucket}",
    )


def _tasks() -> rx.Component:
    return _section(
        t("Tasks"), routes.TASKS,
        rx.foreach(HomeState.overdue_tasks, lambda row: _task(row, "overdue")),
        rx.foreach(HomeState.today_tasks, lambda row: _task(row, "today")),
        empty_state(t("Nothing is overdue or due today."), _go(t("Plan a task"), routes.TASKS),
                    _go(t("See what is upcoming"), f"{routes.TASKS}?show=upcoming"),
                    shown=(HomeState.overdue_tasks.length() == 0) & (HomeState.today_tasks.length() == 0)),
    )


def _deal(row: dict, kind: str) -> rx.Component:
    return rx.hstack(
        rx.link(row["title"], href=row["link"], weight="medium"),
        rx.text(row["customer"], " · ", row["stage"], " · ", row["amount"], t(" · closes "), row["close"],
                rx.cond(HomeState.company, rx.fragment(" · ", row["owner"])), size="1", color=MUTED),
        rx.cond(kind == "overdue", rx.badge(t("Overdue"), color_scheme="red")),
        wrap="wrap",
        align="center",
        data_testid=f"my-deal-{kind}",
    )


def _deals() -> rx.Component:
    return _section(
        t("Deals to close"), routes.PIPELINE,
        rx.foreach(HomeState.overdue_deals, lambda row: _deal(row, "overdue")),
        rx.foreach(HomeState.closing_deals, lambda row: _deal(row, "closing")),
        empty_state(t("No open deal is overdue or expected to close this month."), _go(t("Open the pipeline"), routes.PIPELINE),
                    shown=(HomeState.overdue_deals.length() == 0) & (HomeState.closing_deals.length() == 0)),
        cockpit=f"{routes.COCKPIT}?period=this_month",
    )


def _detractors() -> rx.Component:
    return _section(
        t("Unhappy customers (NPS 0-6, last 14 days)"), routes.INBOX,
        rx.foreach(HomeState.detractors, lambda row: rx.vstack(
            rx.hstack(rx.cond(row["customer_link"] != "", rx.link(row["customer"], href=row["customer_link"]),
                              rx.text(row["customer"])),
                      rx.badge(t("NPS "), row["nps"], color_scheme="red"), rx.text(row["submitted"], size="1", color=MUTED),
                      align="center"),
            rx.text(row["comment"], size="1"),
            spacing="1",
            data_testid="my-detractor",
        )),
        empty_state(t("No detractor answers in the last 14 days."), _go(t("Open the inbox"), routes.INBOX),
                    shown=HomeState.detractors.length() == 0),
        cockpit=f"{routes.COCKPIT}?period=last_30_days",
    )


def _churn() -> rx.Component:
    return _section(
        t("Customers at churn risk"), f"{routes.CUSTOMERS}?risk=churn",
        rx.foreach(HomeState.churn_customers, lambda row: rx.hstack(
            rx.link(row["name"], href=row["link"]), rx.text(row["probability"], t(" chance of no order in 90 days"),
                                                            size="1", color=MUTED),
            align="center", data_testid="my-churn-customer")),
        rx.cond(HomeState.churn_fitted != "", rx.text(t("From the churn fit of "), HomeState.churn_fitted, size="1",
                                                      color=MUTED)),
        empty_state(
            rx.cond(HomeState.churn_fitted == "", t("Churn risk has not been fitted yet."),
                    t("None of these customers is on the last churn fit's list.")),
            rx.cond(HomeState.company, _go(t("Fit it on Insights"), routes.INSIGHTS), _go(t("Your customers"), routes.CUSTOMERS)),
            shown=HomeState.churn_customers.length() == 0),
    )


def _month() -> rx.Component:
    month = HomeState.month
    return _section(
        t("Revenue this month"), f"{routes.COCKPIT}?period=this_month",
        rx.hstack(
            rx.text(month["value"], size="6", weight="bold"),
            rx.cond(month["target"] != "", rx.text(t("of "), month["target"], size="3", color=MUTED)),
            align="baseline",
        ),
        rx.badge(month["note"], color_scheme=rx.match(month["status"], *STATUS_COLOURS.items(), "gray"),
                 data_testid="month-to-date-note"),
        # Executives and admins set targets (on the cockpit).
        rx.cond((month["target"] == "") & HomeState.company,
                _go(t("Set a target on the cockpit"), f"{routes.COCKPIT}?period=this_month")),
    )


@staff_page(route=routes.HOME, title="My day", on_load=HomeState.load)
def home() -> rx.Component:
    return rx.vstack(
        rx.text(t("Welcome, "), AuthState.user_name, ". ", HomeState.scope, ".", size="3"),
        rx.grid(
            rx.foreach(HomeState.figures, _figure),
            columns=rx.breakpoints(initial="2", sm="4", lg="7"),
            spacing="3",
            width="100%",
        ),
        rx.grid(
            _tasks(), _deals(), _detractors(), _churn(), _month(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        spacing="4",
    )
