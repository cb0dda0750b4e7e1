"""The GraphQL schema: queries, mutations (one per use case) and subscriptions, with the hardening extensions."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import eventsourcing.persistence
import psycopg2
import strawberry
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.base_scalars import UUIDDefinition

from carerecord_events.glossary import GLOSSARY
from carerecord_events.people import PersonDetails
from carerecord_events.record.state import PersonRecord
from carerecord_graphql.access import (
    may_see_access_history,
    read_record,
    record_id_for,
    search_people,
)
from carerecord_graphql.arguments import (
    AsOf,
    DateOfBirth,
    FamilyName,
    NhsNumber,
    Organisation,
    PeriodEnd,
    PeriodStart,
    Postcode,
    Purpose,
    RecordId,
    Region,
    SettingName,
)
from carerecord_graphql.connections import After, Before, Connection, First, Last, connection, listed, page
from carerecord_graphql.context import NotAllowed, NotSignedIn, TryAgain, info_context
from carerecord_graphql.described import description_of
from carerecord_graphql.disclosure import SchemaDisclosure
from carerecord_graphql.input_errors import explain_input_errors
from carerecord_graphql.inputs import graphql_enum
from carerecord_graphql.investigations import InvestigationQueries
from carerecord_graphql.limits import CostLimits, QueryCost
from carerecord_graphql.mutations import build_mutation_type
from carerecord_graphql.node import Node, read_global_id
from carerecord_graphql.oversight import (
    ALERTS,
    DRILL_DOWN,
    BlanketAlertView,
    EqualityMonitoringView,
    OversightDashboard,
    OversightDecision,
    authorised_scope,
    dashboard_type,
    drill_down_page,
    equality_view,
    views,
)
from carerecord_graphql.persisted import ValidatedOnce, Validations
from carerecord_graphql.person import ACCESS_HISTORY, Person, access_views, read_person
from carerecord_graphql.relationships import RelationshipQueries
from carerecord_graphql.subscriptions import Subscription
from carerecord_graphql.types import AccessView
from carerecord_graphql.wrapping import graphql_type
from carerecord_projections.oversight.rules.scope import Period
from carerecord_services import snapshot
from carerecord_services.errors import DomainError, StoreUnavailable
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.snapshot import AsOfClock
from graphql import GraphQLError

log = logging.getLogger("carerecord.api")

PARSED_QUERIES = 512  # distinct query texts whose parsed documents are kept

SDL_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


@strawberry.type(description="A word or acronym of advance care planning, in plain and easy-read language.")
class GlossaryTerm:
    term: str = strawberry.field(description="The word or acronym (such as DNACPR)")
    expansion: str = strawberry.field(description="What it stands for")
    plain: str = strawberry.field(description="What it means, in plain language")
    easy_read: str = strawberry.field(description="What it means, in easy-read language")


graphql_enum(AsOfClock)  # marks the services' enum


if TYPE_CHECKING:
    PlanSnapshot = snapshot.PlanSnapshot
else:  # what the as-of question shows of each plan
    PlanSnapshot = graphql_type(
        snapshot.PlanSnapshot,
        name="PlanSnapshot",
        fields=("plan_id", "status", "form_type", "cpr_code", "cpr", "made_at", "recorded_at", "review_due"),
    )


@strawberry.type(
    description="The record as it stood at an instant: by when things were recorded (what the record said then), or by when they happened."
)
class RecordAsOf:
    record_id: UUID = strawberry.field(description="The record asked about")
    at: datetime = strawberry.field(description="The instant asked about")
    clock: AsOfClock = strawberry.field(description="Which clock `at` was read on")
    version: int = strawberry.field(description="The record's version at that instant")
    plans: list[PlanSnapshot] = strawberry.field(description="Every plan made by then, as it stood")


@strawberry.type(description="A person found by a search: enough to confirm who they are, not their plan")
class PersonMatch:
    record_id: UUID = strawberry.field(description="The person's record: ask `record` with it")
    given_name: str = strawberry.field(description=description_of(PersonDetails, "given_name"))
    family_name: str = strawberry.field(description=description_of(PersonDetails, "family_name"))
    date_of_birth: date = strawberry.field(description=description_of(PersonDetails, "date_of_birth"))


@strawberry.type(
    description="What the record shows: every read of a person's record is authorised and recorded"
)
class Query(InvestigationQueries, RelationshipQueries):
    @strawberry.field(description="Every acronym and term the record uses, expanded and explained.")
    def glossary(self) -> list[GlossaryTerm]:
        return [
            GlossaryTerm(term=e.term, expansion=e.expansion, plain=e.plain, easy_read=e.easy_read)
            for e in GLOSSARY
        ]

    @strawberry.field(
        description="A person's record by NHS number (with or without spaces). Every read is recorded."
    )
    def person(
        self, info: strawberry.Info, nhs_number: NhsNumber, purpose: Purpose = "direct care"
    ) -> Person:
        context = info_context(info)
        record_id = record_id_for(context, canonical_nhs_number(nhs_number, field="nhsNumber"))
        return read_person(context, record_id, "person", purpose)

    @strawberry.field(description="A person's record by its record id. Every read is recorded.")
    def record(self, info: strawberry.Info, record_id: RecordId, purpose: Purpose = "direct care") -> Person:
        return read_person(info_context(info), record_id, "record", purpose)

    @strawberry.field(
        description="Anything with a global id (a Person, a PlanView), fetched again by it (Relay's node): a read "
        "of the record it belongs to, authorised and recorded as `record` is. None: the record holds no such plan."
    )
    def node(
        self,
        info: strawberry.Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id (a Person's or PlanView's `id`)")
        ],
        purpose: Purpose = "direct care",
    ) -> Node | None:
        context = info_context(info)
        asked = read_global_id(id)
        person = read_person(context, asked.record_id, "node", purpose)
        if asked.plan_id is None:
            return person
        return next((plan for plan in person.plans() if plan.plan_id == asked.plan_id), None)

    @strawberry.field(
        description="Urgent care only: find a person by family name, date of birth and postcode (at most 5). Recorded."
    )
    def search_people(
        self,
        info: strawberry.Info,
        family_name: FamilyName,
        date_of_birth: DateOfBirth,
        postcode: Postcode,
        purpose: Purpose,
    ) -> list[PersonMatch]:
        context = info_context(info)
        rows = search_people(context, family_name, date_of_birth, postcode, purpose, "searchPeople")
        return [
            PersonMatch(
                record_id=r.record_id,
                given_name=r.given_name,
                family_name=r.family_name,
                date_of_birth=r.date_of_birth,
            )
            for r in rows
        ]

    @strawberry.field(description="The plans as they stood at an instant, replayed from the event store.")
    def record_as_of(
        self,
        info: strawberry.Info,
        record_id: RecordId,
        at: Annotated[
            datetime, strawberry.argument(description="The instant asked about (with its time zone)")
        ],
        clock: Annotated[
            AsOfClock,
            strawberry.argument(
                description="Which clock `at` is read on: when recorded, or when it happened"
            ),
        ] = AsOfClock.RECORDED,
        purpose: Purpose = "investigation",
    ) -> RecordAsOf:
        context = info_context(info)
        if at.tzinfo is None:  # comparing it with recorded instants would fail
            raise ValueError("give the instant with its time zone, e.g. 2026-11-01T12:00:00Z")
        version, state = context.api.care_records.as_of(record_id, at, clock)
        read_record(context, record_id, f"recordAsOf:{version}", purpose, period=(at, at))
        return RecordAsOf(record_id=record_id, at=at, clock=clock, version=version, plans=_snapshots(state))

    @strawberry.field(
        description="Who has looked at a record, newest first: for the person, their representative and assurance teams."
    )
    def access_history(
        self,
        info: strawberry.Info,
        record_id: RecordId,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AccessView]:
        context = info_context(info)
        if not may_see_access_history(context.caller()):
            raise NotAllowed(
                "only the person, their representative and assurance teams may see who has looked"
            )
        asked = page(ACCESS_HISTORY, first, after, last, before)
        read_record(context, record_id, "accessHistory", "who has looked")
        return access_views(context, record_id, asked)

    @strawberry.field(
        description="Oversight for assurance teams and administrators: quality figures for a region (integrated care board code or NHS region), an organisation (ODS code) or a setting, over a period. 'Overdue' is judged against asOf (default now)."
    )
    def oversight(
        self,
        info: strawberry.Info,
        period_start: PeriodStart,
        period_end: PeriodEnd,
        region: Region = None,
        organisation: Organisation = None,
        setting: SettingName = None,
        as_of: AsOf = None,
    ) -> OversightDashboard:
        context = info_context(info)
        scope = authorised_scope(context, region, organisation, setting, "oversight")
        period = Period(period_start, period_end)
        dashboard = views(context).dashboard(scope, period, _instant(as_of) or context.api.clock())
        return dashboard_type(dashboard)

    @strawberry.field(
        description="The decisions behind one oversight figure (its key), a page at a time, each linking to the person's record. Each person on the page is recorded as read."
    )
    def oversight_decisions(
        self,
        info: strawberry.Info,
        figure: Annotated[str, strawberry.argument(description="The figure's key (`OversightFigure.key`)")],
        period_start: PeriodStart,
        period_end: PeriodEnd,
        region: Region = None,
        organisation: Organisation = None,
        setting: SettingName = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[OversightDecision]:
        context = info_context(info)
        scope = authorised_scope(context, region, organisation, setting, f"oversightDecisions:{figure}")
        asked = page(DRILL_DOWN, first, after, last, before)
        period = Period(period_start, period_end)
        now = _instant(as_of) or context.api.clock()
        return drill_down_page(context, figure, scope, period, now, asked)

    @strawberry.field(
        description="Possible blanket decisions in scope over the period: many decisions in one organisation or by one author in a short window, near-identical reasoning across different people, reasoning that rests on a group characteristic. Each alert names every decision in it."
    )
    def blanket_alerts(
        self,
        info: strawberry.Info,
        period_start: PeriodStart,
        period_end: PeriodEnd,
        region: Region = None,
        organisation: Organisation = None,
        setting: SettingName = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[BlanketAlertView]:
        context = info_context(info)
        scope = authorised_scope(context, region, organisation, setting, "blanketAlerts")
        asked = page(ALERTS, first, after, last, before)
        alerts = views(context).blanket_alerts(scope, Period(period_start, period_end))
        return connection(ALERTS, listed(alerts), asked)

    @strawberry.field(
        description="Equality monitoring: DNACPR recommendation rates by age band, sex, ethnicity, disability, learning disability, autism and dementia, with small numbers withheld."
    )
    def equality_monitoring(
        self,
        info: strawberry.Info,
        period_start: PeriodStart,
        period_end: PeriodEnd,
        region: Region = None,
        organisation: Organisation = None,
        setting: SettingName = None,
    ) -> EqualityMonitoringView:
        context = info_context(info)
        scope = authorised_scope(context, region, organisation, setting, "equalityMonitoring")
        return equality_view(views(context).equality(scope, Period(period_start, period_end)))


def _instant(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("asOf must carry a time zone")
    return value


def _snapshots(state: PersonRecord) -> list[PlanSnapshot]:
    return [snapshot.plan_snapshot(plan) for plan in state.plans.values()]


# A DomainError is a refusal worded for the caller (e.g. unstorable text in a read's purpose).
EXPECTED_ERRORS = (NotAllowed, NotSignedIn, ValueError, DomainError, TryAgain, StoreUnavailable)


def _mask(error: GraphQLError) -> bool:
    """Permission, sign-in and validation messages reach the client; anything unexpected is masked."""
    original = error.original_error
    if original is None:
        return False  # GraphQL's own validation errors
    return not isinstance(original, EXPECTED_ERRORS)


# The database refused a connection or went away (too many clients, a restart): not a bug, and the caller
# can do something about it.
DATABASE_UNAVAILABLE = (
    psycopg2.OperationalError,
    eventsourcing.persistence.OperationalError,
)  # the portal's too
UNAVAILABLE_MESSAGE = (
    "the care record could not reach its database just now; try again shortly (with the same idempotency key)"
)


class _MaskErrors(MaskErrors):
    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """A request value that cannot be read is told to the caller, naming its argument (input_errors.py)."""
        document = self.execution_context.graphql_document
        return super()._process_errors(explain_input_errors(errors, document))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, DATABASE_UNAVAILABLE):
            return GraphQLError(
                message=UNAVAILABLE_MESSAGE, nodes=error.nodes, source=error.source, path=error.path
            )
        return super().anonymise_error(error)


class CareRecordSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Logs what went wrong without the query or its variables: they carry personal data."""
        for error in errors:
            if isinstance(error.original_error, DATABASE_UNAVAILABLE):
                log.warning("database unavailable (%s)", type(error.original_error).__name__)
            elif error.original_error is not None and not isinstance(error.original_error, EXPECTED_ERRORS):
                log.error(
                    "unexpected %s at %s",
                    type(error.original_error).__name__,
                    ".".join(map(str, error.path or [])),
                )


# strawberry's UUID scalar, described
_UUID = dataclasses.replace(
    UUIDDefinition,
    description="An identifier, written as a UUID (RFC 9562), such as 0f8e3a52-4a57-4c1e-9d7e-2b3c4d5e6f70",
    specified_by_url="https://www.rfc-editor.org/rfc/rfc9562",
)


def build_schema(
    *,
    max_depth: int = 8,
    max_aliases: int = 15,
    max_tokens: int = 2000,
    max_fields: int = CostLimits.max_fields,
    max_spreads: int = CostLimits.max_spreads,
    production: bool = False,
) -> strawberry.Schema:
    """`production`: no field suggestions in errors, and introspection for signed-in callers only."""
    cost = CostLimits(max_depth=max_depth, max_fields=max_fields, max_spreads=max_spreads)
    return CareRecordSchema(
        config=StrawberryConfig(scalar_map={UUID: _UUID}),
        query=Query,
        mutation=build_mutation_type(),
        subscription=Subscription,
        extensions=[
            # the cost check is linear and runs before validation; it replaces strawberry's QueryDepthLimiter,
            # which is exponential in nested fragment spreads
            partial(QueryCost, limits=cost),
            partial(MaxAliasesLimiter, max_alias_count=max_aliases),
            partial(MaxTokensLimiter, max_token_count=max_tokens),
            partial(_MaskErrors, should_mask_error=_mask),
            *([SchemaDisclosure] if production else []),
            # the fixed costs of a query paid once per text: parsing (bounded LRU), and validation, last, after
            # every extension that refuses a query or adds a rule (persisted.py)
            partial(ParserCache, maxsize=PARSED_QUERIES),
            partial(ValidatedOnce, validations=Validations()),
        ],
    )


def export_sdl(path: Path = SDL_FILE) -> Path:
    path.write_text(build_schema().as_str() + "\n")
    return path
