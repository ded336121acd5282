"""The app object. Pages register themselves when their modules are imported."""

from crm_app import mail_sender, metrics, start_up, webhook_sender
from crm_app.api import api
from crm_app.components.responsive import STYLESHEET
from crm_app.request_guards import RequestGuards
from crm_app.serving import report_backend_error
from crm_app.states.auth import FollowTheSessionCookie
from crm_app.survey_path import AppWithSurveyPath
from crm_app.pages import admin_users, customer, customers, feedback, home, inbox, login, pipeline  # noqa: F401  (registers the routes)
from crm_app.pages import order_new, orders, tasks  # noqa: F401  (registers the routes)
from crm_app.pages import imports  # noqa: F401  (registers the routes)
from crm_app.pages import cockpit  # noqa: F401  (registers the routes)
from crm_app.pages import insights  # noqa: F401  (registers the routes)
from crm_app.pages import account  # noqa: F401  (registers the routes)
from crm_app.pages import deal, order  # noqa: F401  (registers the routes)
from crm_app.pages import campaigns  # noqa: F401  (registers the routes)
from crm_app.pages import not_found  # noqa: F401  (registers the routes)
from crm_app.pages import admin_webhooks  # noqa: F401  (registers the routes)

# RequestGuards wraps everything (the API and Reflex's own routes): origins, uploads and body deadlines. The survey's
# POST /api/feedback is answered ahead of all that Reflex and the API put in front of their routes, under the same
# rules (crm_app/survey_path.py).
app = AppWithSurveyPath(api_transformer=[api, RequestGuards], backend_exception_handler=report_backend_error,
             stylesheets=[STYLESHEET])
# A tab's state follows its session cookie (set and cleared over HTTP): signed out or in as someone else, it
# receives nothing of before.
app.add_middleware(FollowTheSessionCookie())

# The app measures itself (crm_app/metrics.py): every event timed, samples flushed to metric_sample.
metrics.time_events()
app.add_middleware(metrics.NoteTheUser())
app.register_lifespan_task(metrics.flush_forever)
# Webhook deliveries leave the outbox from every worker (claims keep them apart): crm_app/webhook_sender.py.
app.register_lifespan_task(webhook_sender.send_forever)
# Outgoing mail leaves the outbox through CRM_SMTP_URL (crm_app/mail_sender.py); every worker sends, sharing by lease.
app.register_lifespan_task(mail_sender.send_forever)
# The start-up output ends with the address to open and the demo logins (crm_app/start_up.py).
app.register_lifespan_task(start_up.announce_address_and_demo_logins)
