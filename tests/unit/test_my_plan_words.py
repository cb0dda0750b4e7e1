"""The person's own pages in words, from the current plan document: the easy-read plan (one idea a sentence, the
glossary's easy-read words, its reading level), who has looked (a name, else the role; the organisation by its
register name; never a user id) and the concern form's checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import textstat
from starlette.datastructures import FormData

from carerecord_events.glossary import lookup
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CprRecommendation, ReasonCategory
from carerecord_graphql.auth import Principal
from carerecord_graphql.portal.my_plan import Subject, concern_form, easy_read_plans, look_of, subject_of
from carerecord_projections.current_plan.document import document_of
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.current_plan.view import plans_of
from tests.builders import NOW, Scenario, recommendation

TODAY = NOW.date()
NAMES = {"RXF": "Riverside General Hospital NHS Trust", "RX9": "South Downs Ambulance Service NHS Trust"}
YOU = Subject(False, "Margaret")


def _row(document: dict[str, Any]) -> PlanRow:
    return PlanRow(
        uuid4(), "9434765919", "Margaret", "Hale", date(1938, 4, 2), "NG1 1AA", False, 3, 3, document
    )


def _principal(role: Role, user_id: str = "margaret") -> Principal:
    return Principal(user_id, role, "K81003", None, None, uuid4(), uuid4(), "t")


def _easy_text(cpr: CprRecommendation, subject: Subject = YOU) -> str:
    if cpr is CprRecommendation.DO_NOT_ATTEMPT_CPR:
        made = recommendation()  # the builders' consultant's DNACPR recommendation, reasoned about the person
    else:
        made = recommendation(cpr=cpr, reason_category=ReasonCategory.CPR_RECOMMENDED, reasoning="Wants CPR.")
    scenario = Scenario().registered().given(made)
    plans = plans_of(_row(document_of(scenario.record)), TODAY)
    [plan] = easy_read_plans(plans, TODAY, NAMES, subject)
    return "\n".join([plan.heading, *(idea.text for idea in plan.ideas)])


def test_a_dnacpr_plan_in_easy_read_uses_the_glossarys_words_and_reads_easily() -> None:
    text = _easy_text(CprRecommendation.DO_NOT_ATTEMPT_CPR)
    assert text.startswith("Your plan says: do not try CPR.")
    assert lookup("CPR").easy_read in text and lookup("DNACPR").easy_read in text  # type: ignore[union-attr]
    assert "The doctor thinks CPR would not work for you." in text
    assert "Dr Okafor made this plan.\nThey work at Riverside General Hospital NHS Trust." in text
    assert textstat.flesch_reading_ease(text) >= 70


def test_a_plan_to_attempt_cpr_in_easy_read_says_so_and_a_representative_reads_it_by_name() -> None:
    text = _easy_text(CprRecommendation.ATTEMPT_CPR, Subject(True, "Margaret Hale"))
    assert text.startswith("Margaret Hale's plan says: try CPR.")
    assert "If the heart stops, doctors and nurses will try CPR." in text
    assert "do not try" not in text


def test_no_plan_in_easy_read_says_there_is_none() -> None:
    [plan] = easy_read_plans([], TODAY, NAMES, YOU)
    assert (plan.heading, plan.kind) == ("There is no plan about CPR for you.", "none")


def test_whoever_looked_is_named_else_their_role_and_the_organisation_by_its_name() -> None:
    entry = {
        "user_id": "p-khan",
        "name": None,
        "role": "paramedic",
        "organisation": "RX9",
        "kind": "read",
        "granted": False,
        "purpose": "direct care",
        "at": datetime(2026, 12, 2, 3, 12, tzinfo=UTC),
        "expires_at": None,
    }
    look = look_of(entry, NAMES, _principal(Role.PERSON))
    assert (look.who, look.role, look.organisation) == (
        "Someone working as paramedic",
        "paramedic",
        "South Downs Ambulance Service NHS Trust",
    )
    assert look.refused and "refused" in look.what and "p-khan" not in str(look)
    named = look_of({**entry, "name": "Pat Medic", "granted": True}, NAMES, _principal(Role.PERSON))
    assert (named.who, named.what) == ("Pat Medic", "looked at the record")
    own = look_of({**entry, "user_id": "margaret", "role": "person"}, NAMES, _principal(Role.PERSON))
    assert (own.who, own.organisation, own.organisation_code) == (
        "You",
        "none: not on behalf of an organisation",
        "",
    )
    unknown = look_of({**entry, "organisation": "ZZZ"}, NAMES, _principal(Role.PERSON))
    assert unknown.organisation == "an organisation not in the register"


def test_a_representative_is_spoken_to_about_the_person_by_name() -> None:
    row = _row(document_of(Scenario().registered().record))
    assert subject_of(_principal(Role.REPRESENTATIVE), row).whose == "Margaret Hale's"
    assert subject_of(_principal(Role.PERSON), row).Whose == "Your"


def test_the_concern_form_needs_its_id_words_and_at_most_2000_characters() -> None:
    form_id = uuid4().hex
    assert concern_form(FormData({"form_id": form_id, "summary": " worried "}))[1] is None
    assert concern_form(FormData({"form_id": "x", "summary": "worried"}))[1] == (
        "The form is incomplete. Reload the page and try again."
    )
    assert (
        concern_form(FormData({"form_id": form_id, "summary": "  "}))[1] == "Say what you are worried about."
    )
    assert "over 2,000" in str(concern_form(FormData({"form_id": form_id, "summary": "a" * 2001}))[1])
    assert concern_form(FormData({"form_id": form_id, "summary": "w", "plan_id": "nope"}))[1] == (
        "Choose what your concern is about from the list."
    )
