"""/feedback: the public survey. No sign-in; everything typed here is shown back only as plain text."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.i18n import in_context
from crm_app.components.forms import field_error
from crm_app.components.shell import page_title
from crm_app.states.feedback_form import FeedbackFormState

CSAT_LABELS = [t("Very unsatisfied"), t("Unsatisfied"), t(in_context("Satisfaction", "Neutral")), t("Satisfied"), t("Very satisfied")]


def _choice(name: str, value: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.vstack(
            rx.radio_group.item(value=value, id=f"{name}-{value}", aria_label=label),
            rx.text(value, size="2", weight="bold"),
            align="center",
            spacing="1",
        ),
        html_for=f"{name}-{value}",
        cursor="pointer",
        padding="0.25em",
    )


def _question(legend: str, name: str, choices: list[rx.Component], hint: rx.Component | None = None) -> rx.Component:
    errors = FeedbackFormState.errors
    return rx.el.fieldset(
        rx.el.legend(rx.text(legend, weight="medium")),
        rx.radio_group.root(
            rx.flex(*choices, wrap="wrap", spacing="1"),
            name=name,
            aria_describedby=f"{name}-error",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
        ),
        hint or rx.fragment(),
        field_error(errors, name),
        border="none",
        padding="0",
        margin="0",
    )


def _form() -> rx.Component:
    errors = FeedbackFormState.errors
    return rx.form(
        rx.vstack(
            _question(
                t("How satisfied are you with us?"), "csat",
                [_choice("csat", str(score), label) for score, label in enumerate(CSAT_LABELS, start=1)],
                rx.text(t("1 = very unsatisfied, 5 = very satisfied"), size="1", color=rx.color("gray", 11)),
            ),
            _question(
                t("How likely are you to recommend us to a friend or colleague?"), "nps",
                [_choice("nps", str(score), t("{score} out of 10", score=score)) for score in range(11)],
                rx.hstack(rx.text(t("0 = not at all likely"), size="1"), rx.spacer(),
                          rx.text(t("10 = extremely likely"), size="1"), width="100%", color=rx.color("gray", 11)),
            ),
            rx.vstack(
                rx.el.label(t("Anything you would like to tell us? (optional)"), html_for="feedback-comment"),
                rx.text_area(id="feedback-comment", name="comment", rows="5", width="100%",
                             on_change=FeedbackFormState.count_comment.debounce(250),
                             aria_describedby="comment-count comment-error"),
                rx.text(FeedbackFormState.comment_length, t(" / 2,000 characters"), id="comment-count", size="1",
                        color=rx.cond(FeedbackFormState.comment_length > 2000, rx.color("red", 11),
                                      rx.color("gray", 11)),
                        aria_live="polite", data_testid="comment-count"),
                field_error(errors, "comment"),
                width="100%",
                spacing="1",
            ),
            rx.grid(
                rx.vstack(rx.el.label(t("Your name (optional)"), html_for="feedback-name"),
                          rx.input(id="feedback-name", name="name", width="100%", auto_complete="name"),
                          field_error(errors, "name"), spacing="1"),
                rx.vstack(rx.el.label(t("Your email (optional)"), html_for="feedback-email"),
                          rx.input(id="feedback-email", name="email", type="email", width="100%",
                                   auto_complete="email"),
                          field_error(errors, "email"), spacing="1"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            rx.el.label(
                rx.hstack(rx.checkbox(name="consent", id="feedback-consent"),
                          rx.text(t("You may contact me about my answer using the details above."), size="2"),
                          align="center"),
                html_for="feedback-consent",
            ),
            # A honeypot: hidden from people and screen readers, filled only by bots.
            rx.el.input(name="website", tab_index=-1, auto_complete="off", aria_hidden="true",
                        style={"position": "absolute", "left": "-10000px", "width": "1px", "height": "1px"}),
            field_error(errors, "form"),
            rx.button(t("Send my answer"), type="submit", size="3"),
            spacing="5",
            width="100%",
        ),
        on_submit=FeedbackFormState.submit,
        reset_on_submit=False,
    )


@rx.page(route=routes.FEEDBACK, title=page_title("Your feedback"), on_load=FeedbackFormState.open_form)
def feedback() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(t("Tell us how we are doing"), size="6"),
                rx.cond(FeedbackFormState.greeting != "", rx.text(FeedbackFormState.greeting, data_testid="greeting")),
                rx.cond(
                    FeedbackFormState.link_problem != "",
                    rx.callout(FeedbackFormState.link_problem, icon="info", color_scheme="amber", role="status",
                               data_testid="link-problem"),
                ),
                rx.cond(
                    FeedbackFormState.sent,
                    rx.vstack(rx.heading(t("Thank you!"), size="5"),
                              rx.text(t("Your answer has been received. It helps us improve.")),
                              role="status", data_testid="thank-you"),
                    _form(),
                ),
                spacing="4",
                width="100%",
            ),
            width="min(44em, 96vw)",
            size="4",
        ),
        min_height="100vh",
        padding_y="2em",
        background=rx.color("gray", 2),
    )
