"""One recommendation: the whole report with the recommendation and its finding
highlighted, the due window and how it was derived, the match and why, the
candidates, the audit trail; and a reviewer's actions (close, reopen, unmatch,
confirm a match, assign, note, contact, verify). Every action is audited with
the signed-in user's name and answers with a redirect (POST-redirect-GET)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from radfollow.errors import TrackerError
from radfollow.models import Modality
from radfollow.tracker.accounts import SignedIn, user_names
from radfollow.tracker.decisions import choose, unmatch
from radfollow.tracker.queries import MAX_ID, detail, report_of
from radfollow.tracker.review import CloseReason, close, reopen
from radfollow.tracker.worklog import ContactKind, Verdict, add_contact, add_note, assign, verify
from radfollow.web.highlight import section_at, segments
from radfollow.web.render import render
from radfollow.web.security import ReviewerPost, SignedInUser, state_of

router = APIRouter()


def _window_text(tracker: Any, row: Any) -> str:
    if row.window == "report" and row.interval_min is not None:
        low, high = row.interval_min, row.interval_max
        span = f"{low:g}" if low == high else f"{low:g} to {high:g}"
        return f"the report's interval, {span} months after the study"
    months = tracker.policy.rules.default_windows_months
    low, high = months.get(row.modality or "null", months["null"])
    return (
        f"no interval was stated: the site's default window for "
        f"{row.modality or 'a follow-up'} ({low:g} to {high:g} months, rules/tracker.json)"
    )


def _page(
    request: Request, me: SignedIn, rec_id: int, *, error: str | None = None, status_code: int = 200
) -> Response:
    state = state_of(request)
    tracker = state.tracker
    if not 1 <= rec_id <= MAX_ID:
        return render(request, "error.html", me, status_code=404, message="No such recommendation.")
    with tracker.session() as session:
        found = detail(
            session,
            rec_id,
            as_of=state.clock(),
            grace=tracker.policy.grace,
            lead=tracker.policy.coming_due,
            tz=tracker.timezone,
        )
        report = report_of(session, rec_id)
        assignees = user_names(session)
    if found is None or report is None:
        return render(request, "error.html", me, status_code=404, message="No such recommendation.")
    parts = segments(
        report.text, {"recommendation": report.recommendation, "finding": report.finding}
    )
    return render(
        request,
        "detail.html",
        me,
        status_code=status_code,
        d=found,
        row=found.row,
        parts=parts,
        rec_section=section_at(report.text, report.recommendation[0]),
        finding_section=section_at(report.text, report.finding[0]) if report.finding else None,
        window_text=_window_text(tracker, found.row),
        close_reasons=[r.value for r in CloseReason],
        contact_kinds=[k.value for k in ContactKind],
        verdicts=[v.value for v in Verdict],
        modalities=[m.value for m in Modality],
        assignees=assignees,
        error=error,
    )


@router.get("/recommendations/{rec_id}")
def detail_page(request: Request, rec_id: int, me: SignedInUser) -> Response:
    return _page(request, me, rec_id)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def _number(form: FormData, name: str) -> float | None:
    text = _text(form, name)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise TrackerError(f"{name.replace('_', ' ')} must be a number of months") from None


async def _act(
    request: Request,
    me: SignedIn,
    rec_id: int,
    done: str,
    action: Callable[[Session, FormData, str], None],
) -> Response:
    """Run ``action`` in one transaction as the signed-in user; redirect to the detail
    page with a notice, or show the page again with the reason (400)."""
    state = state_of(request)
    form = await request.form()

    def run() -> None:  # the database: off the event loop
        if not 1 <= rec_id <= MAX_ID:
            raise TrackerError(f"no recommendation {rec_id}")
        with state.tracker.session() as session:
            action(session, form, me.account.name)

    try:
        await run_in_threadpool(run)
    except (TrackerError, ValueError) as error:
        return _page(request, me, rec_id, error=str(error), status_code=400)
    return RedirectResponse(f"/recommendations/{rec_id}?done={done}", status_code=303)


@router.post("/recommendations/{rec_id}/close")
async def close_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    def run(session: Session, form: FormData, by: str) -> None:
        reason = _text(form, "reason")
        if reason not in {r.value for r in CloseReason}:
            raise TrackerError("choose a reason for closing")
        at = state_of(request).clock()
        close(session, rec_id, reason=CloseReason(reason), by=by, at=at, note=_text(form, "note"))

    return await _act(request, me, rec_id, "closed", run)


@router.post("/recommendations/{rec_id}/reopen")
async def reopen_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    state = state_of(request)

    def run(session: Session, form: FormData, by: str) -> None:
        reopen(
            session,
            rec_id,
            by=by,
            at=state.clock(),
            note=_text(form, "note"),
            policy=state.tracker.policy,
        )

    return await _act(request, me, rec_id, "reopened", run)


@router.post("/recommendations/{rec_id}/unmatch")
async def unmatch_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    state = state_of(request)

    def run(session: Session, form: FormData, by: str) -> None:
        reason = _text(form, "reason")
        if reason is None:
            raise TrackerError("say why the study does not fulfil the recommendation")
        unmatch(
            session,
            rec_id,
            by=by,
            reason=reason,
            at=state.clock(),
            accession=_text(form, "accession"),
            policy=state.tracker.policy,
        )

    return await _act(request, me, rec_id, "unmatched", run)


@router.post("/recommendations/{rec_id}/match")
async def match_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    state = state_of(request)

    def run(session: Session, form: FormData, by: str) -> None:
        accession = _text(form, "accession")
        if accession is None:
            raise TrackerError("name the study (accession) that fulfils it")
        choose(
            session,
            rec_id,
            accession=accession,
            by=by,
            note=_text(form, "note"),
            at=state.clock(),
            early_days=state.tracker.policy.early,
        )

    return await _act(request, me, rec_id, "matched", run)


@router.post("/recommendations/{rec_id}/assign")
async def assign_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    def run(session: Session, form: FormData, by: str) -> None:
        assign(session, rec_id, to=_text(form, "assignee"), by=by, at=state_of(request).clock())

    return await _act(request, me, rec_id, "assigned", run)


@router.post("/recommendations/{rec_id}/note")
async def note_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    def run(session: Session, form: FormData, by: str) -> None:
        add_note(
            session, rec_id, text=_text(form, "note") or "", by=by, at=state_of(request).clock()
        )

    return await _act(request, me, rec_id, "note", run)


@router.post("/recommendations/{rec_id}/contact")
async def contact_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    def run(session: Session, form: FormData, by: str) -> None:
        kind = _text(form, "kind")
        if kind not in {k.value for k in ContactKind}:
            raise TrackerError("choose who was contacted and how")
        add_contact(
            session,
            rec_id,
            kind=ContactKind(kind),
            note=_text(form, "note"),
            by=by,
            at=state_of(request).clock(),
        )

    return await _act(request, me, rec_id, "contact", run)


@router.post("/recommendations/{rec_id}/verify")
async def verify_action(request: Request, rec_id: int, me: ReviewerPost) -> Response:
    def run(session: Session, form: FormData, by: str) -> None:
        verdict = _text(form, "verdict")
        if verdict not in {v.value for v in Verdict}:
            raise TrackerError("choose a verdict")
        verify(
            session,
            rec_id,
            verdict=Verdict(verdict),
            by=by,
            at=state_of(request).clock(),
            modality=_text(form, "modality"),
            interval_min=_number(form, "interval_min"),
            interval_max=_number(form, "interval_max"),
            note=_text(form, "note"),
        )

    return await _act(request, me, rec_id, "verified", run)
