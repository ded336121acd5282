"""The webhooks admin page in Chromium: an admin registers a local receiver (a bad URL is refused inline), adding a
customer in the UI delivers a signed customer.created to it, the delivery log shows it, and Resend sends it again."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, sign_in
from tests.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.e2e

NAME = "Wilhelmina Hookworth"


def _received(receiver: Receiver, count: int, within_s: float = 60) -> None:
    """Wait for the served app's sender to post `count` requests (it looks at the outbox every 2 seconds)."""
    deadline = time.monotonic() + within_s
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_an_admin_registers_an_endpoint_and_a_new_customer_reaches_it_signed(page, app_url):
    with Receiver() as receiver:
        sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
        open_page(page, f"{app_url}/admin/webhooks")
        page.get_by_label("URL (https://, or http:// to localhost)").fill("http://example.com/hooks")
        page.get_by_text("customer.created", exact=True).click()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_test_id("error-url")).to_have_text("Use https://: plain http is only allowed to localhost.")
        expect(page.get_by_test_id("endpoint-row")).to_have_count(0)

        page.get_by_label("URL (https://, or http:// to localhost)").fill(receiver.url)
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_test_id("webhook-secret")
        expect(secret).to_contain_text("whsec_")
        signing_secret = secret.inner_text().strip()
        expect(page.get_by_test_id("endpoint-row")).to_have_count(1)
        expect(page.get_by_test_id("endpoint-row")).to_contain_text("customer.created")

        open_page(page, f"{app_url}/customers")
        page.get_by_role("button", name="New customer").first.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name", exact=True).fill(NAME)
        dialog.get_by_role("button", name="Save customer").click()
        expect(page.get_by_test_id("customer-name")).to_have_text(NAME)

        _received(receiver, 1)
        [got] = receiver.received
        event = verify(signing_secret, got.headers, got.body, now=int(time.time()))
        assert (event["type"], event["data"]["name"]) == ("customer.created", NAME)

        open_page(page, f"{app_url}/admin/webhooks")
        row = page.get_by_test_id("delivery-row").first
        expect(row).to_contain_text("customer.created")
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text("200")
        expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # shown once only

        row.get_by_role("button", name="Resend").click()
        _received(receiver, 2)
        first, again = receiver.received
        assert again.headers["webhook-id"] == first.headers["webhook-id"] and again.body == first.body

        # Leave the shared server without an endpoint for the other tests.
        page.get_by_role("button", name=f"Remove {receiver.url}").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
        expect(page.get_by_test_id("endpoint-row")).to_have_count(0)
