"""The use cases on the real PostgreSQL, through the eventsourcing library and the group writer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from carerecord_events.base import Participant
from carerecord_events.plans import RecommendationMade
from carerecord_events.vocabulary import (
    CapacityDecision,
    InvolvementRoute,
    PlanStatus,
    RelationshipBasis,
    RevocationInitiator,
    Setting,
)
from carerecord_services import commands as c
from carerecord_services.errors import (
    AlreadyRegistered,
    ConsultationMissing,
    InvolvementMissing,
    VersionConflict,
)
from carerecord_services.store import LoadedRecord
from tests.builders import (
    CARE_HOME_MANAGER,
    CONSULTANT,
    GP,
    Scenario,
    attorney,
    involved,
    lacks_capacity,
    recommendation,
    register,
    valid_nhs_numbers,
)
from tests.conftest import CareRecordStack

VALID_NUMBERS = valid_nhs_numbers(64)


def test_a_registered_person_is_found_by_nhs_number_and_their_history_reloads(stack: CareRecordStack) -> None:
    service = stack.care_records
    registered = service.register_person(register())
    assert service.find_record("943 476 5919") == registered.record_id
    assert service.find_record(VALID_NUMBERS[0]) is None
    made = service.execute(registered.record_id, recommendation(), expected_version=1)
    assert made.version == 2
    history = service.history(registered.record_id)
    assert [type(event).__name__ for event in history] == ["PersonRegistered", "RecommendationMade"]
    assert history[1] == made.events[0]


def test_one_nhs_number_has_one_record(stack: CareRecordStack) -> None:
    stack.care_records.register_person(register())
    with pytest.raises(AlreadyRegistered):
        stack.care_records.register_person(register(nhs_number="9434765919"))


def test_a_stale_version_is_a_conflict_not_a_silent_overwrite(stack: CareRecordStack) -> None:
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, recommendation(), expected_version=1)
    with pytest.raises(VersionConflict):
        service.execute(record_id, recommendation(), expected_version=1)


def test_two_writers_to_the_same_person_exactly_one_wins(stack: CareRecordStack) -> None:
    service, store = stack.care_records, stack.store
    record_id = service.register_person(register()).record_id
    loaded = store.load(record_id)
    scenario = Scenario()
    scenario.record = service.record(record_id)
    first = store.chain(loaded, scenario.when(recommendation()))
    second = store.chain(loaded, scenario.when(recommendation(actor=GP, setting=Setting.GP_PRACTICE)))
    barrier = threading.Barrier(2)

    def append(events: list[object]) -> str:
        barrier.wait()
        try:
            stack.writer.append(events)  # type: ignore[arg-type]
        except VersionConflict:
            return "conflict"
        return "committed"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(append, [first, second]))
    assert outcomes == ["committed", "conflict"]
    assert store.load(record_id).version == 2


def test_many_writers_to_different_people_all_succeed_in_fewer_transactions(stack: CareRecordStack) -> None:
    service = stack.care_records
    callers = 48
    before = stack.writer.statistics.transactions

    def register_and_recommend(number: str) -> int:
        record_id = service.register_person(register(nhs_number=number)).record_id
        return service.execute(record_id, recommendation(), expected_version=1).version

    with ThreadPoolExecutor(16) as pool:
        versions = list(pool.map(register_and_recommend, VALID_NUMBERS[:callers]))
    assert versions == [2] * callers
    transactions = stack.writer.statistics.transactions - before
    assert transactions < 2 * callers, f"{transactions} transactions for {2 * callers} appends"


def test_seed_a_decision_made_without_involving_the_person_is_refused(stack: CareRecordStack) -> None:
    record_id = stack.care_records.register_person(register()).record_id
    not_involved = involved(
        route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON, person_involved=False, consulted=()
    )
    with pytest.raises(InvolvementMissing):
        stack.care_records.execute(record_id, recommendation(involvement=not_involved))
    assert stack.store.load(record_id).version == 1, "nothing half-written"


def test_seed_a_person_lacking_capacity_with_a_registered_lpa_has_the_attorney_consulted(
    stack: CareRecordStack,
) -> None:
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, lacks_capacity())
    recorded = service.execute(record_id, attorney())
    attorney_id = recorded.events[0].representative_id  # type: ignore[attr-defined]
    reason = "Lacks capacity for the CPR decision: assessment recorded today."
    without = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        reason_person_not_involved=reason,
        consulted=(Participant(name="Tom Hale", role="son"),),
    )
    with pytest.raises(ConsultationMissing):
        service.execute(record_id, recommendation(involvement=without))
    with_attorney = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        reason_person_not_involved=reason,
        consulted=(
            Participant(name="Ann Hale", role="attorney (health and welfare)", representative_id=attorney_id),
        ),
    )
    made = service.execute(record_id, recommendation(involvement=with_attorney)).events[0]
    assert isinstance(made, RecommendationMade)
    assert made.involvement.consulted[0].representative_id == attorney_id


def test_seed_a_care_home_plan_is_the_same_plan_after_the_person_moves_to_hospital(
    stack: CareRecordStack,
) -> None:
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    service.execute(
        record_id,
        c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )
    made = service.execute(record_id, recommendation(actor=GP, setting=Setting.CARE_HOME)).events[0]
    assert isinstance(made, RecommendationMade)
    before = service.record(record_id)
    service.execute(
        record_id,
        c.StartCareRelationship(
            actor=CONSULTANT, organisation="RXF", setting=Setting.HOSPITAL, basis=RelationshipBasis.ADMITTED
        ),
    )
    after = service.record(record_id)
    assert after.active_plans() == before.active_plans()
    assert after.plans[made.plan_id].made_by_event == made.event_id
    assert set(after.caring_organisations) == {"VLAXL", "RXF"}
    plan_events = [e for e in service.history(record_id) if isinstance(e, RecommendationMade)]
    assert plan_events == [made], "the hospital sees the care home's plan as made, not a copy"


def test_seed_a_revoked_plan_stays_in_history_and_is_no_longer_current(stack: CareRecordStack) -> None:
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    made = service.execute(record_id, recommendation()).events[0]
    assert isinstance(made, RecommendationMade)
    service.execute(
        record_id,
        c.RevokePlan(
            actor=CONSULTANT,
            plan_id=made.plan_id,
            reason="She asked for CPR.",
            initiated=RevocationInitiator.PERSON_REQUEST,
        ),
    )
    record = service.record(record_id)
    assert record.active_plans() == []
    assert record.plans[made.plan_id].status is PlanStatus.REVOKED
    assert made in service.history(record_id)
    as_it_was = service.history(record_id, up_to_version=2)
    assert as_it_was[-1] == made


def test_loaded_record_carries_the_chain_head(stack: CareRecordStack) -> None:
    record_id = stack.care_records.register_person(register()).record_id
    loaded = stack.store.load(record_id)
    assert isinstance(loaded, LoadedRecord)
    assert len(loaded.head_hash) == 64 and loaded.head_hash != "0" * 64


def test_loading_a_record_again_reads_only_what_was_stored_since_even_from_another_store(
    plain: CareRecordStack, test_database_url: str
) -> None:
    from tests.conftest import open_stack

    record_id = plain.care_records.register_person(register()).record_id
    plain.care_records.execute(record_id, recommendation())
    first = plain.store.load(record_id)
    assert first.version == 2
    other = open_stack(test_database_url, plain.schema, encrypted=False)  # another process's store
    try:
        other.care_records.execute(
            record_id,
            c.AssessCapacity(actor=GP, decision=CapacityDecision.CPR_RECOMMENDATION, has_capacity=True),
        )
    finally:
        other.close()
    again = plain.store.load(record_id)
    assert again.version == 3 and [type(e).__name__ for e in again.events][-1] == "CapacityAssessed"
    assert again.events[:2] == first.events and again.head_hash != first.head_hash
    earlier = plain.store.load(record_id, up_to_version=2)
    assert (earlier.version, earlier.head_hash, earlier.events) == (2, first.head_hash, first.events)
