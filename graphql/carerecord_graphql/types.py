"""Output types: the current plan in plain language, the timeline, access records, mutation results."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from carerecord_events import base, conversations, plans
from carerecord_events.plain import label
from carerecord_events.roles import Role
from carerecord_events.vocabulary import AccessKind
from carerecord_graphql.described import description_of
from carerecord_graphql.inputs import graphql_enum
from carerecord_graphql.node import GLOBAL_ID, Node, plan_id
from carerecord_graphql.wrapping import graphql_type
from carerecord_projections.current_plan import view
from carerecord_services.investigation import AccessShown

if TYPE_CHECKING:
    from carerecord_projections.current_plan.view import AdvanceDecisionView as AdvanceDecisionView
    from carerecord_projections.current_plan.view import CaringOrganisation as CaringOrganisation
    from carerecord_projections.current_plan.view import ClinicianView as ClinicianView
    from carerecord_projections.current_plan.view import InvolvementView as InvolvementView
    from carerecord_projections.current_plan.view import PersonInvolved as PersonInvolved
    from carerecord_projections.current_plan.view import PlanConflictView as PlanConflictView
    from carerecord_projections.current_plan.view import PlanView as PlanView
    from carerecord_projections.current_plan.view import RepresentativeView as RepresentativeView
    from carerecord_projections.current_plan.view import (
        TreatmentRecommendationView as TreatmentRecommendationView,
    )
else:  # nested types first: a field of a wrapped dataclass's type takes its GraphQL type

    def _plan_global_id(root: strawberry.Parent[view.PlanView]) -> strawberry.ID:
        return plan_id(root.record_id, root.plan_id)

    PersonInvolved = graphql_type(
        view.PersonInvolved,
        name="PersonInvolved",
        description="A named person and the role or relationship they took part in.",
        like=[base.Participant],
    )
    ClinicianView = graphql_type(view.ClinicianView, name="ClinicianView", like=[base.Clinician])
    InvolvementView = graphql_type(
        view.InvolvementView,
        name="InvolvementView",
        description="Who was involved in making the recommendation, or why no one was (ReSPECT section 6).",
        like=[plans.Involvement],
    )
    TreatmentRecommendationView = graphql_type(
        view.TreatmentRecommendationView,
        name="TreatmentRecommendationView",
        like=[plans.TreatmentRecommendation],
    )
    CarePlanningDocumentView = graphql_type(
        view.CarePlanningDocumentView, name="CarePlanningDocumentView", like=[plans.CarePlanningDocument]
    )
    SignatureView = graphql_type(
        view.SignatureView,
        name="SignatureView",
        description="A clinician's signature (ReSPECT section 7).",
        like=[plans.ClinicianSignature],
    )
    EmergencyContactView = graphql_type(
        view.EmergencyContactView,
        name="EmergencyContactView",
        description="An emergency contact or someone involved in discussing the plan (ReSPECT section 8).",
        like=[plans.EmergencyContact],
    )
    RespectView = graphql_type(view.RespectView, name="RespectView", like=[plans.RespectSections])
    TreatmentLimitView = graphql_type(
        view.TreatmentLimitView, name="TreatmentLimitView", like=[plans.TreatmentLimit]
    )
    EscalationView = graphql_type(view.EscalationView, name="EscalationView", like=[plans.EscalationPlan])
    DnacprView = graphql_type(view.DnacprView, name="DnacprView", like=[plans.DnacprForm])
    LocalFieldView = graphql_type(view.LocalFieldView, name="LocalFieldView", like=[plans.LocalField])
    LocalFormView = graphql_type(view.LocalFormView, name="LocalFormView", like=[plans.LocalFormSource])
    ReviewView = graphql_type(
        view.ReviewView, name="ReviewView", description="A review of the plan.", like=[plans.ReviewFindings]
    )
    PlanView = graphql_type(
        view.PlanView,
        name="PlanView",
        description="One recommendation for emergency care and CPR, in plain language.",
        like=[plans.RecommendationContent, plans.RecommendationMade],
        implements={Node: {"id": strawberry.field(resolver=_plan_global_id, description=GLOBAL_ID)}},
        extra={"cpr_code": str},
    )
    CaringOrganisation = graphql_type(view.CaringOrganisation, name="CaringOrganisation")
    RepresentativeView = graphql_type(
        view.RepresentativeView, name="RepresentativeView", like=[conversations.RepresentativeDetails]
    )
    AdvanceDecisionView = graphql_type(
        view.AdvanceDecisionView, name="AdvanceDecisionView", like=[conversations.AdvanceDecisionTerms]
    )
    PlanConflictView = graphql_type(
        view.PlanConflictView,
        name="PlanConflictView",
        description="Why the plans in force cannot all be followed as they stand: check which one applies.",
    )


@strawberry.type(
    description="One event of the record: what happened, when (by both clocks) and who recorded it"
)
class TimelineEntry:
    version: int = strawberry.field(description="The record's version this event made")
    position: int = strawberry.field(description="The event's position in the store, across all records")
    event_id: UUID = strawberry.field(
        description="The event's id (to mark it entered in error, or correct it)"
    )
    event_type: str = strawberry.field(description="What happened, as the event's stable type name")
    label: str = strawberry.field(description="What happened, in a few plain words")
    summary: str = strawberry.field(description="What happened, in a plain-English sentence")
    occurred_at: datetime = strawberry.field(description="When it happened")
    recorded_at: datetime = strawberry.field(description="When it was recorded")
    recorded_by_user: str = strawberry.field(description="Who recorded it: their user id")
    recorded_by_role: Role = strawberry.field(description="Their role")
    recorded_by_organisation: str = strawberry.field(description="Their organisation, by its ODS code")
    corrects_event_id: UUID | None = strawberry.field(
        description="The event this one corrects or marks entered in error, when it does"
    )
    entered_in_error: bool = strawberry.field(
        description="Whether this entry has been marked entered in error"
    )

    @strawberry.field(description="In plain words: their role")
    def recorded_by_role_label(self) -> str:
        return label(self.recorded_by_role)


graphql_enum(Role)  # the enums the hand-written types below name (the inputs register the rest)
graphql_enum(AccessKind)


def _accessed(name: str) -> str | None:  # a recorded access is described once, by the service's account of it
    return description_of(AccessShown, name)


@strawberry.type(
    description="One look at the record: who, in what role, from which organisation, why, and what they saw."
)
class AccessView:
    kind: AccessKind = strawberry.field(description=_accessed("kind"))
    user_id: str = strawberry.field(description=_accessed("user_id"))
    role: Role = strawberry.field(description=_accessed("role"))
    organisation: str = strawberry.field(description=_accessed("organisation"))
    operation: str = strawberry.field(description=_accessed("operation"))
    purpose: str = strawberry.field(description=_accessed("purpose"))
    granted: bool = strawberry.field(description=_accessed("granted"))
    version_shown: int | None = strawberry.field(description=_accessed("version_shown"))
    refusal_reason: str = strawberry.field(description=_accessed("refusal_reason"))
    via_break_glass: bool = strawberry.field(description=_accessed("via_break_glass"))
    at: datetime = strawberry.field(description=_accessed("at"))
    expires_at: datetime | None = strawberry.field(description="For a break-glass access: when it ends")
    access_id: UUID = strawberry.field(description="Ask accessShown with it (assurance) for what was shown")
    name: str | None = strawberry.field(
        description="The reader's name as their token gave it; none where it gave none (older accesses too)"
    )

    @strawberry.field(description="In plain words: how they came to see the record")
    def kind_label(self) -> str:
        return label(self.kind)

    @strawberry.field(description="In plain words: their role")
    def role_label(self) -> str:
        return label(self.role)


@strawberry.type(description="The change was recorded.")
class RecordChanged:
    record_id: UUID = strawberry.field(description="The record changed")
    version: int = strawberry.field(description="The record's version after the change")
    event_ids: list[UUID] = strawberry.field(description="The events the change recorded")
    replayed: bool = strawberry.field(description="True when this is the first answer to a retried request")


@strawberry.type(description="The record's rules refused the change; nothing was recorded.")
class Refused:
    rule: str = strawberry.field(description="The rule that refused it, as a stable code")
    field: str = strawberry.field(
        description="The input field the rule is about (empty: the change as a whole)"
    )
    message: str = strawberry.field(description="Why, in words for the person who asked")


@strawberry.type(description="Someone else changed the record since you read it; reload and decide again.")
class VersionConflict:
    message: str = strawberry.field(description="What happened, in words for the person who asked")
    current_version: int | None = strawberry.field(description="The record's version now, when known")


@strawberry.type(description="You may not do this; nothing was recorded.")
class NotAllowedResult:
    message: str = strawberry.field(description="Why not, in words for the person who asked")


@strawberry.type(
    description="The record is open to you, without a care relationship, until it expires. Recorded."
)
class BreakGlassGranted:
    record_id: UUID = strawberry.field(description="The record opened")
    expires_at: datetime = strawberry.field(description="When the access ends")


MutationResult = Annotated[
    RecordChanged | Refused | VersionConflict | NotAllowedResult,
    strawberry.union("MutationResult", description="The change was recorded, or why it was not"),
]
BreakGlassResult = Annotated[
    BreakGlassGranted | Refused | NotAllowedResult,
    strawberry.union(
        "BreakGlassResult", description="The record was opened for a limited time, or why it was not"
    ),
]
