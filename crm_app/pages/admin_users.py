"""/admin/users: who can sign in, with which role, and whether their role requires two-factor sign-in."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.api_tokens import all_tokens_card
from crm_app.components.forms import select_field, text_field
from crm_app.components.responsive import card_cell, screen_reader_only, table_region
from crm_app.components.shell import staff_page
from crm_app.data.models import ROLE_LABELS, Role
from crm_app.labels import choices
from crm_app.states.admin_users import ROLE_CHOICES, AdminUsersState
from crm_app.states.api_tokens import AllTokensState


def _user_row(user: dict) -> rx.Component:
    # The phone card: the name, the email and the role, and Deactivate.
    return rx.table.row(
        rx.table.cell(user["full_name"]),
        card_cell(user["email"]),
        card_cell(
            rx.select.root(
                # The label goes on the trigger: it is the control a screen reader lands on.
                rx.select.trigger(aria_label=t("Role of {email}", email=user['email'])),
                rx.select.content(*[rx.select.item(t(text), value=code) for code, text in ROLE_LABELS.items()]),
                value=user["role"],
                on_change=lambda role: AdminUsersState.set_role(user["id"], role),
                disabled=user["is_me"],
            )
        ),
        card_cell(
            rx.cond(
                user["is_active"],
                rx.badge(t("active"), color_scheme="green", high_contrast=True),
                rx.badge(t("deactivated"), color_scheme="red", high_contrast=True),
            ),
            rx.cond(user["must_change_password"], rx.badge(t("must change password"), color_scheme="amber",
                                                           high_contrast=True)),
            phone=False,
        ),
        card_cell(
            rx.cond(
                user["two_factor"],
                rx.hstack(
                    rx.badge(t("on"), color_scheme="green", high_contrast=True),
                    rx.cond(
                        user["is_me"],
                        rx.fragment(),
                        rx.button(t("Turn off"), variant="ghost", size="1", color_scheme="red",
                                  on_click=AdminUsersState.turn_off_two_factor(user["id"]),
                                  aria_label=t("Turn off two-factor sign-in of {email}", email=user['email'])),
                    ),
                    align="center",
                ),
                rx.badge(t("off"), color_scheme="gray", high_contrast=True),
            ),
            phone=False,
        ),
        card_cell(
            rx.cond(
                user["is_me"],
                rx.fragment(),
                rx.button(t("Reset password"), variant="soft", size="1",
                          on_click=AdminUsersState.open_reset(user["id"]),
                          aria_label=t("Reset the password of {email}", email=user['email'])),
            ),
            phone=False,
        ),
        rx.table.cell(
            rx.cond(
                user["is_me"],
                rx.text(t("you"), color=rx.color("gray", 11)),
                rx.cond(
                    user["is_active"],
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button(t("Deactivate"), color_scheme="red", variant="soft", size="1",
                                      aria_label=t("Deactivate {email}", email=user['email']))
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title(t("Deactivate this user?")),
                            rx.alert_dialog.description(
                                user["full_name"], t(" is signed out everywhere and cannot sign in until reactivated.")
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                                rx.alert_dialog.action(
                                    rx.button(t("Deactivate"), color_scheme="red",
                                              on_click=AdminUsersState.set_active(user["id"], False))
                                ),
                                justify="end",
                                spacing="3",
                            ),
                        ),
                    ),
                    rx.button(t("Reactivate"), variant="soft", size="1",
                              on_click=AdminUsersState.set_active(user["id"], True),
                              aria_label=t("Reactivate {email}", email=user['email'])),
                ),
            )
        ),
        data_testid="user-row",
    )


def _create_form() -> rx.Component:
    errors = AdminUsersState.form_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Add a user"), size="4"),
                rx.grid(
                    text_field(t("Full name"), "full_name", errors),
                    text_field(t("Email"), "email", errors, type="email"),
                    select_field(t("Role"), "role", [(code, t(text)) for code, text in choices(ROLE_LABELS)], errors, default="sales_rep"),
                    text_field(t("Initial password (10+ characters)"), "password", errors, type="password",
                               auto_complete="new-password"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.button(t("Add user"), type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AdminUsersState.create_user,
            key=AdminUsersState.form_key,
        ),
        width="100%",
    )


def _reset_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Reset the password of "), AdminUsersState.reset_user_name),
            rx.dialog.description(
                t("They are signed out everywhere, and must choose their own password when they next sign in "
                "with this temporary one. Tell it to them in person or by phone.")
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Temporary password (10+ characters, hard to guess)"), html_for="reset-password"),
                    rx.input(id="reset-password", name="password", type="text", auto_complete="off", width="100%"),
                    rx.cond(AdminUsersState.reset_error != "",
                            rx.text(AdminUsersState.reset_error, color=rx.color("red", 11), size="2",
                                    role="alert", data_testid="error-reset-password")),
                    rx.hstack(
                        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                                  on_click=AdminUsersState.close_reset),
                        rx.button(t("Reset password"), type="submit", color_scheme="red"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AdminUsersState.reset_password,
                reset_on_submit=False,
            ),
        ),
        open=AdminUsersState.reset_user_id != 0,
    )


def _two_factor_policy() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Two-factor sign-in required for"), size="4"),
            rx.hstack(
                *[
                    rx.el.label(
                        rx.hstack(
                            rx.switch(
                                checked=AdminUsersState.two_factor_roles.contains(role),
                                on_change=lambda required, role=role: AdminUsersState.set_two_factor_required(
                                    role, required),
                                aria_label=t("Require two-factor sign-in for {value}", value=t(ROLE_LABELS[role])),
                            ),
                            rx.text(t(ROLE_LABELS[role])),
                            align="center",
                            spacing="2",
                        ),
                    )
                    for role in ROLE_CHOICES
                ],
                spacing="5",
                wrap="wrap",
            ),
            rx.text(t("Users of a required role without it can only open their account page until they turn it on."),
                    size="2", color=rx.color("gray", 11)),
            spacing="3",
        ),
        width="100%",
    )


@staff_page(route=routes.ADMIN_USERS, title="Users", on_load=[AdminUsersState.load, AllTokensState.load],
            roles=(Role.admin,))
def admin_users() -> rx.Component:
    return rx.vstack(
        _create_form(),
        _two_factor_policy(),
        rx.callout(AdminUsersState.mail_status + " " + AdminUsersState.mail_notice, icon="mail",
                   color_scheme=rx.cond(AdminUsersState.mail_notice != "", "amber", "gray"), width="100%",
                   data_testid="mail-status"),
        _reset_dialog(),
        table_region(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(h) for h in (t("Name"), t("Email"), t("Role"), t("Status"), t("Two-factor"))],
                        rx.table.column_header_cell(screen_reader_only(t("Password"))),
                        rx.table.column_header_cell(screen_reader_only(t("Access"))),
                    )
                ),
                rx.table.body(rx.foreach(AdminUsersState.users, _user_row)),
                width="100%",
            ),
            label=t("Users"),
            cards=True,
        ),
        all_tokens_card(),
        spacing="4",
        width="100%",
    )
