"""The form that travels with the person: a plan printed in its national form's layout (print_forms.py), as a
page with a print stylesheet and as a PDF the server makes itself with Debian's chromium (headless,
`--print-to-pdf`). Read and recorded exactly as the person's page is (`read_record_decided`), as "portal print"
and "portal print pdf".

The page is self-contained: its stylesheet is inline (allowed by its hash in the page's Content-Security-Policy),
it has no script, image or font to fetch, so it prints offline and chromium renders it from a file with every
network request sent to a closed port. Without chromium on the server's PATH the PDF is a 503 page saying so,
pointing to the page, which any browser prints.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from carerecord_events.roles import ROLES, Role
from carerecord_graphql.access import read_record_decided
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain
from carerecord_graphql.portal.print_forms import PrintedForm, printed_form
from carerecord_graphql.portal.rendering import SECURITY_HEADERS, PortalRendering, sentence
from carerecord_graphql.portal.views import person_page

log = logging.getLogger("carerecord.portal")

CHROMIUM = "chromium"  # Debian's, found on the server's PATH (`make browser` installs it)
PDF_SECONDS = 60
# chromium is heavy: at most two PDFs are made at once, whatever the number of requests
_MAKING = threading.BoundedSemaphore(2)


class PdfUnavailable(Exception):
    """The server could not make the PDF (chromium missing, failed or too slow); the message says which."""


def print_stylesheet() -> str:
    return resources.files("carerecord_graphql.portal").joinpath("static/print.css").read_text()


def _style_hash(css: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


class PlanPrinting(PortalRendering):
    """GET /portal/people/{record_id}/plans/{plan_id}/print and .../print.pdf."""

    chromium = CHROMIUM

    async def print_plan(self, request: Request) -> Response:
        found = await self._printed(request, "portal print")
        if isinstance(found, Response):
            return found
        return HTMLResponse(self._print_html(found), headers=self._print_headers(found))

    async def print_pdf(self, request: Request) -> Response:
        found = await self._printed(request, "portal print pdf")
        if isinstance(found, Response):
            return found
        try:
            pdf = await run_in_threadpool(pdf_of, self._print_html(found), self.chromium)
        except PdfUnavailable as why:
            log.warning("portal: no PDF made (%s)", why)
            session, _ = self.signed_in(request)
            page = request.url.path.removesuffix(".pdf")
            return self.render(
                request,
                session,
                "print_unavailable.html",
                {"title": "The PDF cannot be made just now", "reason": sentence(str(why)), "page": page},
                status_code=503,
            )
        name = f"plan-{request.path_params['plan_id']}.pdf"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    async def _printed(self, request: Request, operation: str) -> PrintedForm | Response:
        """The plan as its form, read as the person page reads the record (recorded), or the page to show."""
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        record_id: UUID = request.path_params["record_id"]
        plan_id: UUID = request.path_params["plan_id"]
        context = ApiContext(self.api, principal, None)
        purpose = "assurance" if principal.role is Role.ASSURANCE else "direct care"
        try:
            row, _ = await run_in_threadpool(read_record_decided, context, record_id, operation, purpose)
        except TryAgain as later:
            return self.catching_up(request, session, later)
        except NotAllowed as refused:
            values: dict[str, Any] = {
                "title": "You may not see this record",
                "message": sentence(str(refused)),
                "recorded": True,
            }
            return self.render(request, session, "problem.html", values, status_code=403)
        now = self.api.clock()
        names = await run_in_threadpool(
            self.api.read_models.organisation_names,
            {
                principal.organisation,
                *(p.get("organisation", "") for p in row.document.get("plans", {}).values()),
            },
        )
        person = person_page(row, now.date(), names)
        plan = next(
            (p for p in person.current_plans + person.earlier_plans if p.view.plan_id == plan_id), None
        )
        if plan is None:
            values = {
                "title": "There is no such plan",
                "message": "This record holds no plan with that address.",
            }
            return self.render(request, session, "problem.html", values, status_code=404)
        organisation = names.get(principal.organisation) or principal.organisation
        printed_by = ", ".join(
            part for part in (principal.name, ROLES[principal.role].label, organisation) if part
        )
        check_at = str(request.url.replace(path=f"/portal/people/{record_id}", query="", fragment=""))
        return printed_form(person, plan, now, printed_by, check_at)

    def _print_html(self, form: PrintedForm) -> str:
        return self.templates.get_template("print_form.html").render(
            form=form, stylesheet=stylesheet_for(form), title=f"{form.title}: {form.person_name}"
        )

    def _print_headers(self, form: PrintedForm) -> dict[str, str]:
        csp = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "style-src 'self'", f"style-src '{_style_hash(stylesheet_for(form))}'"
        )
        return {**SECURITY_HEADERS, "Content-Security-Policy": csp}


def stylesheet_for(form: PrintedForm) -> str:
    """The print stylesheet, with the person's name and NHS number at the head of every printed page (a page
    that comes apart from the others still says whose it is)."""
    whose = f"{form.person_name}, NHS number {form.nhs_number}"
    return print_stylesheet() + (
        f'@page {{ @top-left {{ content: "{css_string(whose)}"; font: 8pt Arial, Helvetica, sans-serif; }} }}\n'
    )


def css_string(text: str) -> str:
    """Text for inside a CSS string: every character but letters, digits and spaces as a 6-digit escape, so
    nothing in a name can end the string or the style element (the space after each escape is its end, eaten
    by the CSS parser, so that a space or hex digit after it stays text)."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):06x} " for ch in text)


def pdf_of(html: str, chromium: str = CHROMIUM) -> bytes:
    """The page as a PDF (A4, no browser header or footer), made by chromium headless from a file in a private
    folder that is removed afterwards; any network request it tried would go to a closed port."""
    executable = shutil.which(chromium)
    if executable is None:
        raise PdfUnavailable("chromium is not installed on this server")
    with _MAKING, tempfile.TemporaryDirectory(prefix="carerecord-print-") as folder:
        page, pdf = Path(folder) / "plan.html", Path(folder) / "plan.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            executable,
            "--headless",
            "--no-sandbox",  # as root (a container) chromium refuses to start with its sandbox
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=http://127.0.0.1:9",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        # its own home (chromium makes no PDF without one) in the private folder, and nothing else inherited
        environment = {"PATH": os.environ.get("PATH", ""), "HOME": folder}
        try:
            subprocess.run(
                command,
                capture_output=True,
                timeout=PDF_SECONDS,
                check=False,
                stdin=subprocess.DEVNULL,
                env=environment,
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"chromium did not finish within {PDF_SECONDS} seconds") from None
        except OSError as error:
            raise PdfUnavailable(f"chromium could not be started ({type(error).__name__})") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise PdfUnavailable("chromium made no PDF")
        return pdf.read_bytes()
