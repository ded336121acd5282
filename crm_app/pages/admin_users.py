"""/admin/users: who can sign in, with which role, and whether their role requires two-factor sign-in."""

import reflex as rx

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
                rx.select.trigger(aria_label=f"Role of {user['email']}"),
                rx.select.content(*[rx.select.item(text, value=code) for code, text in ROLE_LABELS.items()]),
                value=user["role"],
                on_change=lambda role: AdminUsersState.set_role(user["id"], role),
                disabled=user["is_me"],
            )
        ),
        card_cell(
            rx.cond(
                user["is_active"],
                rx.badge("active", color_scheme="green", high_contrast=True),
                rx.badge("deactivated", color_scheme="red", high_contrast=True),
            ),
            rx.cond(user["must_change_password"], rx.badge("must change password", color_scheme="amber",
                                                           high_contrast=True)),
            phone=False,
        ),
        card_cell(
            rx.cond(
                user["two_factor"],
                rx.hstack(
                    rx.badge("on", color_scheme="green", high_contrast=True),
                    rx.cond(
                        user["is_me"],
                        rx.fragment(),
                        rx.button("Turn off", variant="ghost", size="1", color_scheme="red",
                                  on_click=AdminUsersState.turn_off_two_factor(user["id"]),
                                  aria_label=f"Turn off two-factor sign-in of {user['email']}"),
                    ),
                    align="center",
                ),
                rx.badge("off", color_scheme="gray", high_contrast=True),
            ),
            phone=False,
        ),
        card_cell(
            rx.cond(
                user["is_me"],
                rx.fragment(),
                rx.button("Reset password", variant="soft", size="1",
                          on_click=AdminUsersState.open_reset(user["id"]),
                          aria_label=f"Reset the password of {user['email']}"),
            ),
            phone=False,
        ),
        rx.table.cell(
            rx.cond(
                user["is_me"],
                rx.text("you", color=rx.color("gray", 11)),
                rx.cond(
                    user["is_active"],
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button("Deactivate", color_scheme="red", variant="soft", size="1",
                                      aria_label=f"Deactivate {user['email']}")
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Deactivate this user?"),
                            rx.alert_dialog.description(
                                user["full_name"], " is signed out everywhere and cannot sign in until reactivated."
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                                rx.alert_dialog.action(
                                    rx.button("Deactivate", color_scheme="red",
                                              on_click=AdminUsersState.set_active(user["id"], False))
                                ),
                                justify="end",
                                spacing="3",
                            ),
                        ),
                    ),
                    rx.button("Reactivate", variant="soft", size="1",
                              on_click=AdminUsersState.set_active(user["id"], True),
                              aria_label=f"Reactivate {user['email']}"),
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
                rx.heading("Add a user", size="4"),
                rx.grid(
                    text_field("Full name", "full_name", errors),
                    text_field("Email", "email", errors, type="email"),
                    select_field("Role", "role", choices(ROLE_LABELS), errors, default="sales_rep"),
                    text_field("Initial password (10+ characters)", "password", errors, type="password",
                               auto_complete="new-password"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.button("Add user", type="submit"),
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
            rx.dialog.title("Reset the password of ", AdminUsersState.reset_user_name),
            rx.dialog.description(
                "They are signed out everywhere, and must choose their own password when they next sign in "
                "with this temporary one. Tell it to them in person or by phone."
            ),
            rx.form(
                rx.vstack(
                    rx.el.label("Temporary password (10+ characters, hard to guess)", html_for="reset-password"),
                    rx.input(id="reset-password", name="password", type="text", auto_complete="off", width="100%"),
                    rx.cond(AdminUsersState.reset_error != "",
                            rx.text(AdminUsersState.reset_error, color=rx.color("red", 11), size="2",
                                    role="alert", data_testid="error-reset-password")),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                  on_click=AdminUsersState.close_reset),
                        rx.button("Reset password", type="submit", color_scheme="red"),
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
            rx.heading("Two-factor sign-in required for", size="4"),
            rx.hstack(
                *[
                    rx.el.label(
                        rx.hstack(
                            rx.switch(
                                checked=AdminUsersState.two_factor_roles.contains(role),
                                on_change=lambda required, role=role: AdminUsersState.set_two_factor_required(
                                    role, required),
                                aria_label=f"Require two-factor sign-in for {ROLE_LABELS[role]}",
                            ),
                            rx.text(ROLE_LABELS[role]),
                            align="center",
                            spacing="2",
                        ),
                    )
                    for role in ROLE_CHOICES
                ],
                spacing="5",
                wrap="wrap",
            ),
            rx.text("Users of a required role without it can only open their account page until they turn it on.",
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
                        *[rx.table.column_header_cell(h) for h in ("Name", "Email", "Role", "Status", "Two-factor")],
                        rx.table.column_header_cell(screen_reader_only("Password")),
                        rx.table.column_header_cell(screen_reader_only("Access")),
                    )
                ),
                rx.table.body(rx.foreach(AdminUsersState.users, _user_row)),
                width="100%",
            ),
            label="Users",
            cards=True,
        ),
        all_tokens_card(),
        spacing="4",
        width="100%",
    )
