"""Throughput of the mail outbox: queueing (one transaction per message, as actions do) and the sender delivering
to a real local SMTP server (aiosmtpd), with the rate limit out of the way.

    python -m benchmarks.mail_outbox [--messages 500] [--database-url URL]

Without --database-url it migrates a temporary SQLite file; a PostgreSQL URL must name an empty database.
Prints messages per second for queueing and for sending (one SMTP connection per message, as the sender does).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.served_app import migrate
from crm_app import mail_sender, rate_limit
from crm_app.data.db import write_session
from crm_app.data.repositories import mail_outbox
from crm_app.settings import get_settings
from tests.smtp_server import SmtpServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        migrate(url)
        settings = get_settings()
        settings.database_url, settings.redis_url, settings.mail_rate_limit = url, None, "1000000/minute"
        rate_limit._limiter.cache_clear()
        started = time.perf_counter()
        for number in range(args.messages):
            with write_session() as session:
                mail_outbox.enqueue(session=session, to=f"customer{number}@example.com", purpose_key="bench",
                                    subject="Benchmark", body_text="Hello,\nthis is a benchmark message.\n")
        queued_s = time.perf_counter() - started
        with SmtpServer() as smtp:
            settings.smtp_url = smtp.url
            started = time.perf_counter()
            sent = 0
            while sent < args.messages:
                sent += asyncio.run(mail_sender.send_due()).sent
            sent_s = time.perf_counter() - started
            smtp.wait_for(args.messages)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{kind}, {args.messages:,} messages")
    print(f"queue: {args.messages / queued_s:,.0f} messages/s ({queued_s * 1000 / args.messages:.2f} ms each)")
    print(f"send:  {args.messages / sent_s:,.0f} messages/s ({sent_s * 1000 / args.messages:.2f} ms each, "
          f"batches of {mail_sender.BATCH})")


if __name__ == "__main__":
    main()
