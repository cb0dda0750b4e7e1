"""The blanket decisions the oversight views must catch: a care home where one GP put the same reasoning on
every resident's DNACPR form within two days, without involving them or anyone for them."""

from __future__ import annotations

from datetime import datetime, timedelta

from carerecord.tools.demo_region.people import (
    BLANKET_CARE_HOME,
    Person,
    care_relationship,
    manager_of,
    responsible,
)
from carerecord.tools.demo_region.words import BLANKET_REASONING
from carerecord_events.plans import Involvement
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    RelationshipBasis,
    Setting,
)
from carerecord_services import commands as c


def blanket_resident(person: Person, now: datetime) -> list[c.Command]:
    """A care home where one GP put the same reasoning on every resident's form within two days."""
    day = now - timedelta(days=9)
    moved_in = day - timedelta(days=40)
    manager = manager_of(BLANKET_CARE_HOME)
    return [
        care_relationship(manager, moved_in, Setting.CARE_HOME, RelationshipBasis.RESIDENT_OF_CARE_HOME),
        c.MakeRecommendation(
            actor=person.gp,
            occurred_at=day + timedelta(hours=person.rng.uniform(0, 40)),
            form_type=FormType.DNACPR,
            cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,
            reason_category=ReasonCategory.WOULD_NOT_SUCCEED,
            reasoning=BLANKET_REASONING.format(name=person.name),
            involvement=Involvement(
                route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
                person_involved=False,
                reason_person_not_involved="visiting restrictions in the home",
                reason_no_one_consulted="visiting restrictions in the home",
            ),
            responsible_clinician=responsible(person.gp),
            setting=Setting.CARE_HOME,
            review_due=(day + timedelta(days=365)).date(),
        ),
    ]
