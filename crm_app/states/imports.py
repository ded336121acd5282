"""The /import page: upload a CSV, check it in the background, see every bad row, then confirm to write the good ones.

The uploaded file waits on the server's disk (var/imports/), never in session state; the checking and writing run in
a worker thread inside a Reflex background event, so the user can work elsewhere meanwhile and other users are not
held up. Each step asks the database who the user is again, so a client cannot skip the guard.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import secrets
import time
from pathlib import Path
from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import Actor, PermissionDenied
from crm_app.data.repositories import imports
from crm_app.settings import VAR_DIR
from crm_app.states.auth import FORBIDDEN, AuthState, staff_event
from crm_app.states.downloading import offer, refused_format

_log = logging.getLogger(__name__)

IMPORTERS = (Role.admin, Role.sales_rep)
UPLOAD_ID = "import_file"
UPLOAD_DIR = VAR_DIR / "imports"
# The page lists this many problems; the full list is a download.
SHOWN_PROBLEMS = 200
# Uploads nobody confirmed are deleted after a day.
STALE_UPLOAD_SECONDS = 24 * 3600


def _upload_path(name: str) -> Path | None:
    """The stored upload this state names, or None when it is not one of ours."""
    if not name or not name.isalnum():
        return None
    path = UPLOAD_DIR / f"{name}.csv"
    return path if path.exists() else None


def _store_upload(data: bytes) -> str:
    """Keep an upload on disk under a random name (sweeping day-old leftovers) and return the name."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for old in UPLOAD_DIR.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = secrets.token_hex(16)
    (UPLOAD_DIR / f"{name}.csv").write_bytes(data)
    return name


def _discard_upload(name: str) -> None:
    for suffix in (".csv", ".problems.csv"):
        if name.isalnum():
            (UPLOAD_DIR / f"{name}{suffix}").unlink(missing_ok=True)


def _run_import(path: Path, kind: str, actor: Actor, commit: bool, meter: list[float]) -> imports.ImportReport:
    """The worker thread: check (and with `commit`, write) the file, reporting progress into meter[0]."""
    text = path.read_text(encoding="utf-8")
    progress = lambda fraction: meter.__setitem__(0, fraction)  # noqa: E731
    with (write_session() if commit else read_session()) as session:
        run = imports.import_file if commit else imports.preview_import
        report = run(session=session, actor=actor, kind=kind, text=text, progress=progress)
    with path.with_suffix(".problems.csv").open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("row", "column", "reason"),
                                    *((p.row, p.column, p.reason) for p in report.problems)])
    return report


class ImportState(rx.State):
    kind: str = imports.ImportKind.customers.value
    file_name: str = ""
    file_error: str = ""
    # idle -> checking -> checked -> writing -> written
    step: str = "idle"
    percent: int = 0
    summary: str = ""
    ignored_columns: str = ""
    problems: list[dict[str, str]] = []
    problem_count: int = 0
    bad_rows: int = 0
    good_records: int = 0
    _upload: str = ""

    @rx.var
    def busy(self) -> bool:
        return self.step in ("checking", "writing")

    @rx.var
    def more_problems(self) -> int:
        return max(self.problem_count - SHOWN_PROBLEMS, 0)

    @staff_event(*IMPORTERS)
    def load(self) -> None:
        """Opening the page keeps a running or finished import on show."""
        return None

    @staff_event(*IMPORTERS)
    def choose_kind(self, kind: str) -> None:
        if self.busy or kind not in (imports.ImportKind.customers, imports.ImportKind.orders):
            return
        self.kind = kind
        self._forget_results()

    @staff_event(*IMPORTERS)
    async def receive_file(self, files: list[rx.UploadFile]) -> Any:
        """Keep the chosen file on the server, then check it in the background."""
        if self.busy:
            return rx.toast.warning(i18n.gettext("An import is still running on this page."))
        self._forget_upload()
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], rx.UploadFile):
            self.file_error = i18n.gettext("Choose one CSV file.")
            return None
        data = await files[0].read(imports.MAX_UPLOAD_BYTES + 1)
        if len(data) > imports.MAX_UPLOAD_BYTES:
            self.file_error = i18n.gettext("The file is larger than {megabytes} MB: import it with `crm-app import` "
                                           "instead.", megabytes=imports.MAX_UPLOAD_BYTES // (1024 * 1024))
            return None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            self.file_error = i18n.gettext("The file is not UTF-8 text: save it as \"CSV UTF-8\" and choose it again.")
            return None
        self._upload = _store_upload(data)
        self.file_name = (files[0].filename or "upload.csv")[:120]
        return ImportState.check_file

    @rx.event(background=True)
    async def check_file(self) -> Any:
        """The dry run: count what would change and list every bad row; nothing is written."""
        return await self._run_in_background(commit=False)

    @rx.event(background=True)
    async def confirm_import(self) -> Any:
        """Write the good rows of the checked file in one transaction."""
        return await self._run_in_background(commit=True)

    @staff_event(*IMPORTERS)
    def start_over(self) -> Any:
        if self.busy:
            return rx.toast.warning(i18n.gettext("Wait until the import has finished."))
        self._forget_upload()
        return rx.clear_selected_files(UPLOAD_ID)

    @staff_event(*IMPORTERS)
    def download_problems(self, file_format: str = "csv") -> Any:
        """Every bad row of the last check, as CSV or XLSX (row numbers as numbers)."""
        if (refused := refused_format(file_format)) is not None:
            return refused
        path = _upload_path(self._upload)
        problems = path.with_suffix(".problems.csv") if path else None
        if problems is None or not problems.exists():
            return rx.toast.error(i18n.gettext("Check a file first."))
        with problems.open(newline="", encoding="utf-8") as file:
            _, *rows = csv.reader(file)
        header = [i18n.gettext("Row"), i18n.gettext("Column"), i18n.gettext("Reason")]  # as the page heads them
        return offer(file_format, "import-problems", header,
                     [(int(row), column, reason) for row, column, reason in rows])

    async def _run_in_background(self, *, commit: bool) -> Any:
        """Check or write the stored upload in a worker thread, showing its progress, then its report."""
        async with self:
            actor = await self._importer()
            if actor is None:
                return rx.toast.error(FORBIDDEN)
            path = _upload_path(self._upload)
            if path is None or self.busy or (commit and self.step != "checked"):
                return None
            self.step, self.percent, kind = ("writing" if commit else "checking"), 0, self.kind
        meter = [0.0]
        work = asyncio.create_task(asyncio.to_thread(_run_import, path, kind, actor, commit, meter))
        while not work.done():
            await asyncio.wait({work}, timeout=0.3)
            async with self:
                self.percent = int(meter[0] * 100)
        async with self:
            return self._finish(work, commit=commit)

    def _finish(self, work: asyncio.Task, *, commit: bool) -> Any:
        try:
            report = work.result()
        except PermissionDenied as refusal:
            self.step = "idle"
            return rx.toast.error(i18n.say(str(refusal)))
        except Exception:
            _log.exception("CSV import failed")
            # The write rolled back: the checked file can be confirmed again.
            self.step = "checked" if commit else "idle"
            return rx.toast.error(i18n.gettext("The import failed and nothing was written. Try again, or ask an admin to "
                                  "look at the server log."))
        self._show(report)
        self.step = "written" if commit else "checked"
        if commit:
            return rx.toast.success(i18n.gettext("Import finished: {created} created, {updated} updated.",
                                                  created=f"{report.created:,}", updated=f"{report.updated:,}"))
        return None

    async def _importer(self) -> Actor | None:
        """The signed-in admin or sales rep, asked of the database now; None for anyone else."""
        actor = (await self.get_state(AuthState))._resolve_actor()
        return actor if actor is not None and actor.role in IMPORTERS else None

    def _show(self, report: imports.ImportReport) -> None:
        self.summary = report.summary()
        self.ignored_columns = ", ".join(report.ignored_columns)
        self.problem_count, self.bad_rows = len(report.problems), report.bad_rows
        self.good_records = report.created + report.updated
        self.problems = [{"row": "header" if p.row == 0 else str(p.row), "column": p.column, "reason": p.reason}
                         for p in report.problems[:SHOWN_PROBLEMS]]

    def _forget_results(self) -> None:
        self.step, self.percent, self.summary, self.ignored_columns = "idle", 0, "", ""
        self.problems, self.problem_count, self.bad_rows, self.good_records = [], 0, 0, 0

    def _forget_upload(self) -> None:
        _discard_upload(self._upload)
        self._upload, self.file_name, self.file_error = "", "", ""
        self._forget_results()

