"""One mutation per use case, generated from the commands so that the API and the rules cannot drift apart.

Each takes the version the client last saw (a stale one is a VersionConflict result) and an idempotency key
(scoped to the user; a retry returns the first answer and records nothing twice; the same key with a different
request is refused). Expected failures are data: RecordChanged | Refused | VersionConflict | NotAllowedResult.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from carerecord_graphql.access import reader_of
from carerecord_graphql.arguments import ExpectedVersion, IdempotencyKey, Reason, RecordId
from carerecord_graphql.context import ApiContext, TryAgain, info_context, record_permission_refusal
from carerecord_graphql.described import class_description, sentence
from carerecord_graphql.inputs import input_type, to_domain
from carerecord_graphql.types import (
    BreakGlassGranted,
    BreakGlassResult,
    MutationResult,
    NotAllowedResult,
    RecordChanged,
    Refused,
    VersionConflict,
)
from carerecord_projections.staff_training import StaffTrainingRefused
from carerecord_services import commands as c
from carerecord_services.break_glass import BreakGlass, ReviewBreakGlass
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted, RecordNotFound, StoreUnavailable
from carerecord_services.errors import VersionConflict as DomainVersionConflict
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.read_access import UNSEEN
from carerecord_services.service import Idempotency, Outcome
from carerecord_services.urgent_care import GrantUrgentCareSharing, Register, WithdrawUrgentCareSharing

USE_CASES: dict[str, type[c.Command]] = {
    "recordDeath": c.RecordDeath,
    "startCareRelationship": c.StartCareRelationship,
    "endCareRelationship": c.EndCareRelationship,
    "confirmCareRelationship": c.ConfirmCareRelationship,
    "reviewCareRelationship": c.ReviewCareRelationship,
    "recordConversation": c.RecordConversation,
    "assessCapacity": c.AssessCapacity,
    "recordRepresentative": c.RecordRepresentative,
    "withdrawRepresentative": c.WithdrawRepresentative,
    "recordAdvanceDecision": c.RecordAdvanceDecision,
    "withdrawAdvanceDecision": c.WithdrawAdvanceDecision,
    "makeRecommendation": c.MakeRecommendation,
    "endorsePlan": c.EndorsePlan,
    "reviewPlan": c.ReviewPlan,
    "revokePlan": c.RevokePlan,
    "communicateDecision": c.CommunicateDecision,
    "markEnteredInError": c.MarkEnteredInError,
    "recordCorrection": c.RecordCorrection,
    "raiseConcern": c.RaiseConcern,
    "resolveConcern": c.ResolveConcern,
    "recordBoardFinding": c.RecordBoardFinding,
}

_INPUT = "What the change records (its fields are the use case's)"
UrgentCareService = Annotated[
    str, strawberry.argument(description="The urgent and emergency care service, by its ODS code")
]


def _fingerprint(name: str, record_id: UUID | None, value: Any) -> str:
    material = json.dumps({"m": name, "r": str(record_id), "i": _plain(value)}, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def mutation_result(context: ApiContext, operation: str, run: Callable[[], Outcome]) -> MutationResult:
    """The answer to a change, every expected failure as data (and each refused access recorded)."""
    try:
        outcome = run()
    except NotPermitted as refused:
        record_permission_refusal(context, operation, "role-not-permitted")
        return NotAllowedResult(message=refused.message)
    except ChangeRefused as refused:
        record_permission_refusal(context, operation, refused.reason)
        return NotAllowedResult(message=refused.message)
    except DomainVersionConflict as conflict:
        return VersionConflict(message=conflict.message, current_version=None)
    except RecordNotFound:  # worded as a refusal of access: a stranger learns nothing of what exists
        record_permission_refusal(context, operation, "no-such-record")
        return NotAllowedResult(message=UNSEEN)
    except DomainError as refused:
        return Refused(rule=refused.rule, field=refused.field, message=refused.message)
    except StoreUnavailable as away:  # not a refusal, and not data: the request was not judged
        raise TryAgain(away.message) from None
    return RecordChanged(
        record_id=outcome.record_id,
        version=outcome.version,
        event_ids=list(outcome.event_ids),
        replayed=outcome.replayed,
    )


def _use_case(name: str, command_class: type[c.Command]) -> Any:
    input_class = input_type(command_class)

    def resolve(
        info: strawberry.Info,
        record_id: RecordId,
        input: Any,
        expected_version: ExpectedVersion = None,
        idempotency_key: IdempotencyKey = None,
    ) -> MutationResult:
        context = info_context(info)
        caller = context.caller()

        def run() -> Outcome:
            command = to_domain(command_class, input, actor=caller.actor)
            return context.api.changes.change(
                reader_of(caller),
                record_id,
                command,
                expected_version=expected_version,
                idempotency=idempotency_of(caller.user_id, idempotency_key, name, record_id, input),
            )

        return mutation_result(context, name, run)

    resolve.__annotations__ = {
        "info": strawberry.Info,
        "record_id": RecordId,
        "input": Annotated[input_class, strawberry.argument(description=_INPUT)],
        "expected_version": ExpectedVersion,
        "idempotency_key": IdempotencyKey,
        "return": MutationResult,
    }
    resolve.__name__ = name
    return strawberry.mutation(resolver=resolve, description=class_description(command_class))


def idempotency_of(
    user_id: str, key: str | None, name: str, record_id: UUID | None, value: Any
) -> Idempotency | None:
    """The caller's idempotency key for a request, fingerprinted with the request it was first given for."""
    if key is None:
        return None
    return Idempotency(user_id, key, _fingerprint(name, record_id, value))


def _register_person() -> Any:
    input_class = input_type(c.RegisterPerson)

    def register_person(
        info: strawberry.Info, input: Any, idempotency_key: IdempotencyKey = None
    ) -> MutationResult:
        context = info_context(info)
        caller = context.caller()

        def run() -> Outcome:
            command = to_domain(c.RegisterPerson, input, actor=caller.actor)
            return context.api.care_records.register_person(
                command,
                idempotency=idempotency_of(caller.user_id, idempotency_key, "registerPerson", None, input),
            )

        return mutation_result(context, "registerPerson", run)

    register_person.__annotations__ = {
        "info": strawberry.Info,
        "input": Annotated[input_class, strawberry.argument(description=_INPUT)],
        "idempotency_key": IdempotencyKey,
        "return": MutationResult,
    }
    return strawberry.mutation(
        resolver=register_person, description="Registers a person on the shared care record."
    )


def break_glass(info: strawberry.Info, record_id: RecordId, reason: Reason) -> BreakGlassResult:
    """Opens a record without a care relationship, in an emergency, for a limited time. Recorded, reviewable."""
    context = info_context(info)
    caller = context.caller()
    try:
        started = context.api.audit.grant_break_glass(
            BreakGlass(caller.actor, record_id, reason, context.api.break_glass_lasts)
        )
    except NotPermitted as refused:
        record_permission_refusal(context, "breakGlass", "role-not-permitted")
        return NotAllowedResult(message=refused.message)
    except DomainError as refused:
        return Refused(rule=refused.rule, field=refused.field, message=refused.message)
    return BreakGlassGranted(record_id=record_id, expires_at=started.expires_at)


@strawberry.type(description="A break-glass access has been reviewed")
class BreakGlassReviewed:
    access_id: UUID = strawberry.field(description="The break-glass access reviewed")
    appropriate: bool = strawberry.field(
        description="The finding: whether opening the record was appropriate"
    )


ReviewBreakGlassResult = Annotated[
    BreakGlassReviewed | Refused | NotAllowedResult,
    strawberry.union("ReviewBreakGlassResult", description="The finding was recorded, or why it was not"),
]


def review_break_glass(
    info: strawberry.Info,
    access_id: Annotated[
        UUID, strawberry.argument(description="The break-glass access (`AccessView.accessId`)")
    ],
    appropriate: Annotated[
        bool, strawberry.argument(description="Whether opening the record was appropriate")
    ],
    notes: Annotated[str, strawberry.argument(description="The finding's reasons, in the reviewer's words")],
) -> ReviewBreakGlassResult:
    """An assurance team's finding on one break-glass access: appropriate or not, and why. Recorded."""
    context = info_context(info)
    caller = context.caller()
    review = ReviewBreakGlass(caller.actor, access_id, appropriate, notes)

    def whose(access: UUID) -> UUID | None:  # the read model only says whose record it opened
        found = context.api.read_models.break_glass_access(access)
        return found[0] if found else None

    try:  # whether it is one of theirs, and still unreviewed, is decided from the store
        context.api.audit.review_break_glass_access(review, whose)
    except NotPermitted as refused:
        record_permission_refusal(context, "reviewBreakGlass", "role-not-permitted")
        return NotAllowedResult(message=refused.message)
    except DomainError as refused:
        return Refused(rule=refused.rule, field=refused.field, message=refused.message)
    return BreakGlassReviewed(access_id=access_id, appropriate=appropriate)


@strawberry.type(
    description="Whether an urgent and emergency care service is sent the region's plans in force: granted (from "
    "now its feed carries every plan in force and every plan-level change in the region) or withdrawn"
)
class UrgentCareSharingChanged:
    organisation: str = strawberry.field(description="The urgent and emergency care service, by its ODS code")
    board: str = strawberry.field(description="Its integrated care board, by its code")
    granted: bool = strawberry.field(description="Whether it is now sent the region's plans in force")
    access_id: UUID = strawberry.field(description="The grant (the same id on its withdrawal)")


UrgentCareSharingResult = Annotated[
    UrgentCareSharingChanged | Refused | NotAllowedResult,
    strawberry.union(
        "UrgentCareSharingResult", description="The grant or its withdrawal was recorded, or why it was not"
    ),
]


def _sharing(
    context: ApiContext, operation: str, run: Callable[[Register], Any], granted: bool
) -> UrgentCareSharingResult:
    register = context.api.register
    assert register is not None, "the API was built without the organisation register"
    try:
        event = run(register)
    except StoreUnavailable as away:
        raise TryAgain(away.message) from None
    except NotPermitted as refused:
        record_permission_refusal(context, operation, "role-not-permitted")
        return NotAllowedResult(message=refused.message)
    except DomainError as refused:
        return Refused(rule=refused.rule, field=refused.field, message=refused.message)
    return UrgentCareSharingChanged(
        organisation=event.organisation, board=event.board, granted=granted, access_id=event.access_id
    )


def grant_urgent_care_sharing(
    info: strawberry.Info, organisation: UrgentCareService, reason: Reason
) -> UrgentCareSharingResult:
    """A board's administrator grants an urgent and emergency care service of their board (ambulance, NHS 111,
    out-of-hours, emergency department, as the register marks it) the region's plans in force. Recorded."""
    context = info_context(info)
    command = GrantUrgentCareSharing(context.caller().actor, organisation, reason)
    audit = context.api.audit
    return _sharing(
        context, "grantUrgentCareSharing", lambda r: audit.grant_urgent_care_sharing(command, r), True
    )


def withdraw_urgent_care_sharing(
    info: strawberry.Info, organisation: UrgentCareService, reason: Reason
) -> UrgentCareSharingResult:
    """The board's administrator withdraws a grant: the service's feed stops carrying the region's plans."""
    context = info_context(info)
    command = WithdrawUrgentCareSharing(context.caller().actor, organisation, reason)
    audit = context.api.audit
    return _sharing(
        context, "withdrawUrgentCareSharing", lambda r: audit.withdraw_urgent_care_sharing(command, r), False
    )


@strawberry.type(description="A problem in a CSV file: its row (the header is row 1) and column")
class CsvProblemView:
    row: int = strawberry.field(description="The row (the header is row 1)")
    column: str = strawberry.field(description="The column, by its header")
    problem: str = strawberry.field(description="What is wrong, in words")


@strawberry.type(
    description="The training figures were taken in, replacing those reported before for the same quarters"
)
class StaffTrainingReported:
    organisation: str = strawberry.field(description="Your organisation, by its ODS code")
    rows: int = strawberry.field(description="How many rows were taken in")
    quarters: list[str] = strawberry.field(description="The quarters reported (such as 2026-Q3)")


@strawberry.type(description="The file was refused and nothing changed: every problem, by row and column")
class StaffTrainingRefusedResult:
    message: str = strawberry.field(description="Why the file was refused, in words")
    problems: list[CsvProblemView] = strawberry.field(description="Every problem, by row and column")


StaffTrainingResult = Annotated[
    StaffTrainingReported | StaffTrainingRefusedResult | NotAllowedResult,
    strawberry.union("StaffTrainingResult", description="The figures were taken in, or why they were not"),
]


def report_staff_training(
    info: strawberry.Info,
    csv: Annotated[
        str, strawberry.argument(description="The figures as CSV, with the header described above")
    ],
) -> StaffTrainingResult:
    """Your organisation's staff trained in advance care planning and in DNACPR conversations, by role, per
    quarter, as CSV with the header quarter,role,staff,trained_in_advance_care_planning,
    trained_in_dnacpr_conversations (quarters such as 2026-Q3). Administrators only."""
    context = info_context(info)
    caller = context.caller()
    reports = context.api.staff_training
    if caller.role not in PERMISSIONS[Read.REPORT_STAFF_TRAINING] or reports is None:
        record_permission_refusal(context, "reportStaffTraining", "role-not-permitted")
        return NotAllowedResult(message="only an organisation's administrator may report its staff training")
    try:
        figures = reports.report(caller.organisation, csv, caller.user_id, context.api.clock())
    except StaffTrainingRefused as refused:
        problems = [CsvProblemView(row=p.row, column=p.column, problem=p.problem) for p in refused.problems]
        return StaffTrainingRefusedResult(message=str(refused), problems=problems)
    quarters = sorted({found.quarter for found in figures})
    return StaffTrainingReported(organisation=caller.organisation, rows=len(figures), quarters=quarters)


def _described_mutation(resolver: Callable[..., Any]) -> Any:
    return strawberry.mutation(resolver=resolver, description=sentence(resolver.__doc__))


def build_mutation_type() -> type:
    from carerecord_graphql import local_forms  # it builds on this module's results and idempotency

    fields: dict[str, Any] = {"register_person": _register_person()}
    for name, command_class in USE_CASES.items():
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        fields[snake] = _use_case(name, command_class)
    fields["make_recommendation_from_local_form"] = local_forms.make_recommendation_from_local_form()
    fields["break_glass"] = _described_mutation(break_glass)
    fields["review_break_glass"] = _described_mutation(review_break_glass)
    fields["grant_urgent_care_sharing"] = _described_mutation(grant_urgent_care_sharing)
    fields["withdraw_urgent_care_sharing"] = _described_mutation(withdraw_urgent_care_sharing)
    fields["report_staff_training"] = _described_mutation(report_staff_training)
    return strawberry.type(
        type("Mutation", (), fields),
        description="Changes to the record, one per use case: each is checked, recorded and answered as data",
    )
