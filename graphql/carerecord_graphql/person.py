"""The Person type: a person's current plan and what surrounds it, as one audited read."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

import strawberry

from carerecord_events.people import PersonDetails
from carerecord_events.record.facts import in_force
from carerecord_events.roles import Role
from carerecord_events.vocabulary import AccessKind
from carerecord_graphql.access import may_see_access_history, read_record
from carerecord_graphql.connections import After, Before, Connection, First, Last, Page, connection, page
from carerecord_graphql.context import ApiContext, NotAllowed, info_context
from carerecord_graphql.described import description_of
from carerecord_graphql.fhir_api import fhir_base_of, fhir_bundle
from carerecord_graphql.fhir_graphql import FhirBundle
from carerecord_graphql.node import GLOBAL_ID, Node, person_id
from carerecord_graphql.types import (
    AccessView,
    AdvanceDecisionView,
    CaringOrganisation,
    PlanConflictView,
    PlanView,
    RepresentativeView,
    TimelineEntry,
)
from carerecord_projections.current_plan import view
from carerecord_projections.current_plan.queries import PlanRow


@strawberry.type(
    description="A person's shared care record as it stands now (the version shown is recorded)."
)
class Person(Node):
    row: strawberry.Private[PlanRow]
    today: strawberry.Private[date]

    @strawberry.field(description=GLOBAL_ID)
    def id(self) -> strawberry.ID:
        return person_id(self.row.record_id)

    @strawberry.field(description="The record's id: ask `record` with it")
    def record_id(self) -> UUID:
        return self.row.record_id

    @strawberry.field(description="The record's version: send it back as expectedVersion when changing it")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description=description_of(PersonDetails, "nhs_number"))
    def nhs_number(self) -> str:
        return self.row.nhs_number

    @strawberry.field(description=description_of(PersonDetails, "given_name"))
    def given_name(self) -> str:
        return self.row.given_name

    @strawberry.field(description=description_of(PersonDetails, "family_name"))
    def family_name(self) -> str:
        return self.row.family_name

    @strawberry.field(description=description_of(PersonDetails, "preferred_name"))
    def preferred_name(self) -> str | None:
        value = self.row.document.get("preferred_name")
        return str(value) if value else None

    @strawberry.field(description=description_of(PersonDetails, "date_of_birth"))
    def date_of_birth(self) -> date:
        return self.row.date_of_birth

    @strawberry.field(description="Whether the person's death is recorded (plans in force close)")
    def died(self) -> bool:
        return self.row.died

    @strawberry.field(description=description_of(PersonDetails, "communication_needs"))
    def communication_needs(self) -> list[str]:
        return list(self.row.document.get("communication_needs", []))

    @strawberry.field(
        description="The plans in force now. More than one means plans from different settings: read both."
    )
    def current_plans(self) -> list[PlanView]:
        return [p for p in self.plans() if in_force(p.status)]

    @strawberry.field(description="Whether more than one plan is in force: read each")
    def more_than_one_active_plan(self) -> bool:
        return len(self.current_plans()) > 1

    @strawberry.field(
        description="Why the plans in force conflict (more than one in force, CPR recommendations that "
        "disagree, CPR recommended beside a valid advance decision refusing it); empty when they do not"
    )
    def plan_conflicts(self) -> list[PlanConflictView]:
        return view.plan_conflicts(self.row.document)

    @strawberry.field(
        description="Every plan ever made, with its status (revoked and superseded plans included)"
    )
    def plans(self) -> list[PlanView]:
        return view.plans_of(self.row, self.today)

    @strawberry.field(description="The organisations caring for the person now")
    def caring_organisations(self) -> list[CaringOrganisation]:
        return view.caring(self.row)

    @strawberry.field(description="The latest capacity assessment for the CPR decision, if any")
    def has_capacity_for_cpr_decision(self) -> bool | None:
        assessed = self.row.document.get("capacity", {}).get("cpr")
        return None if assessed is None else bool(assessed["has_capacity"])

    @strawberry.field(description="Those who speak for the person, withdrawn ones included (see `active`)")
    def representatives(self) -> list[RepresentativeView]:
        return view.representatives(self.row)

    @strawberry.field(
        description="The person's advance decisions to refuse treatment, withdrawn ones included"
    )
    def advance_decisions(self) -> list[AdvanceDecisionView]:
        return view.advance_decisions(self.row)

    @strawberry.field(
        description="The record as a FHIR R4 searchset Bundle (Patient, Flag, CarePlan, Consent, Practitioner, "
        "Organization): `json` is the same as GET /fhir/Patient/{nhsNumber}/$everything"
    )
    def fhir(self, info: strawberry.Info) -> FhirBundle:
        context = info_context(info)
        return FhirBundle(document=fhir_bundle(context.api, self.row, fhir_base_of(context.request)))

    @strawberry.field(description="Every event of the record in order, oldest first, a page at a time")
    def timeline(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TimelineEntry]:
        asked = page(TIMELINE, first, after, last, before)
        entries = partial(info_context(info).api.read_models.timeline, self.row.record_id)
        return connection(
            TIMELINE, lambda *bounds: [(k, _timeline_entry(e)) for k, e in entries(*bounds)], asked
        )

    @strawberry.field(
        description="Who has looked at this record, newest first (the person, their representative, assurance)"
    )
    def access_history(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AccessView]:
        return access_views(
            info_context(info), self.row.record_id, page(ACCESS_HISTORY, first, after, last, before)
        )


TIMELINE = "timeline"
ACCESS_HISTORY = "access history"


def read_person(context: ApiContext, record_id: UUID | None, operation: str, purpose: str) -> Person:
    """A person's record, if the caller may read it, the read recorded (`read_record`): how `person`, `record`
    and `node` read one."""
    return Person(row=read_record(context, record_id, operation, purpose), today=context.api.clock().date())


def access_views(context: ApiContext, record_id: UUID, asked: Page) -> Connection[AccessView]:
    if not may_see_access_history(context.caller()):
        raise NotAllowed("only the person, their representative and assurance teams may see who has looked")
    looks = partial(context.api.read_models.access_history, record_id)
    return connection(ACCESS_HISTORY, lambda *bounds: [(k, _access(a)) for k, a in looks(*bounds)], asked)


def _timeline_entry(entry: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(**{**entry, "recorded_by_role": Role(entry["recorded_by_role"])})


def _access(look: dict[str, Any]) -> AccessView:
    return AccessView(**{**look, "kind": AccessKind(look["kind"]), "role": Role(look["role"])})
