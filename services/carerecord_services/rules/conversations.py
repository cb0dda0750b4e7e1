"""The rules of what the person said and who speaks for them: conversations, capacity, representatives and
advance decisions to refuse treatment."""

from __future__ import annotations

from carerecord_events import conversations as facts
from carerecord_events.base import CareRecordEvent
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import CapacityDecision, InformationFormat, RepresentativeKind
from carerecord_services import commands as c
from carerecord_services.errors import EntryNotFound, InvalidInput, TimeInFuture
from carerecord_services.policy import Action
from carerecord_services.rules.common import Stamp, content, permit, require_alive, require_text, rule


@rule
def _(command: c.RecordConversation, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_CONVERSATION, stamp.context.policy)
    require_alive(record)
    if not command.participants:
        raise InvalidInput("say who took part in the conversation", field="participants")
    _check_interpreter(command)
    return [
        stamp(
            facts.ConversationRecorded,
            conversation_id=stamp.context.new_id(),
            **content(command, facts.ConversationContent),
        )
    ]


def _check_interpreter(command: c.RecordConversation) -> None:
    """An interpreter is offered in a language, and a language is recorded only with an interpreter."""
    interpreter = InformationFormat.INTERPRETER in command.formats_offered
    if interpreter and not command.interpreter_language.strip():
        raise InvalidInput("say which language the interpreter offered speaks", field="interpreter_language")
    if command.interpreter_language.strip() and not interpreter:
        raise InvalidInput(
            "a language is recorded only with an interpreter: add INTERPRETER to the formats offered",
            field="interpreter_language",
        )
    if len(set(command.formats_offered)) != len(command.formats_offered):
        raise InvalidInput("give each format once", field="formats_offered")


@rule
def _(command: c.AssessCapacity, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.ASSESS_CAPACITY, stamp.context.policy)
    require_alive(record)
    if command.decision is CapacityDecision.OTHER:
        require_text(command.decision_text, "decision_text", "the decision the assessment is about")
    if not command.has_capacity:
        require_text(
            command.how_capacity_is_lacking, "how_capacity_is_lacking", "how the person lacks capacity"
        )
    return [
        stamp(
            facts.CapacityAssessed,
            assessment_id=stamp.context.new_id(),
            **content(
                command,
                facts.CapacityFinding,
                decision_text=command.decision_text.strip(),
                assessor_name=command.assessor_name or (command.actor.name or ""),
            ),
        )
    ]


@rule
def _(command: c.RecordRepresentative, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_REPRESENTATIVE, stamp.context.policy)
    require_alive(record)
    require_text(command.name, "name", "the representative's name")
    if command.kind is RepresentativeKind.LPA_HEALTH_AND_WELFARE and (
        command.lpa_registered is None or command.lpa_covers_life_sustaining_treatment is None
    ):
        raise InvalidInput(
            "for a lasting power of attorney, say whether it is registered and whether it covers "
            "life-sustaining treatment",
            field="lpa_registered",
        )
    return [
        stamp(
            facts.RepresentativeRecorded,
            representative_id=stamp.context.new_id(),
            **content(command, facts.RepresentativeDetails, name=command.name.strip()),
        )
    ]


@rule
def _(command: c.WithdrawRepresentative, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_REPRESENTATIVE, stamp.context.policy)
    representative = record.representatives.get(command.representative_id)
    if representative is None or not representative.active:
        raise EntryNotFound("there is no such active representative", field="representative_id")
    require_text(command.reason, "reason", "a reason")
    return [
        stamp(
            facts.RepresentativeWithdrawn, representative_id=command.representative_id, reason=command.reason
        )
    ]


@rule
def _(command: c.RecordAdvanceDecision, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_ADVANCE_DECISION, stamp.context.policy)
    require_alive(record)
    require_text(command.treatments_refused, "treatments_refused", "the treatments refused")
    if command.made_on > stamp.context.now.date():
        raise TimeInFuture("an advance decision cannot be made in the future", field="made_on")
    # Recorded even when not valid for CPR (AdvanceDecisionState.reasons_not_valid_for_cpr): the record then says
    # why it is not valid, rather than losing it.
    return [
        stamp(
            facts.AdvanceDecisionRecorded,
            advance_decision_id=stamp.context.new_id(),
            **content(command, facts.AdvanceDecisionTerms),
        )
    ]


@rule
def _(command: c.WithdrawAdvanceDecision, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_ADVANCE_DECISION, stamp.context.policy)
    adrt = record.advance_decisions.get(command.advance_decision_id)
    if adrt is None or adrt.withdrawn:
        raise EntryNotFound("there is no such advance decision in force", field="advance_decision_id")
    require_text(command.reason, "reason", "a reason")
    return [
        stamp(
            facts.AdvanceDecisionWithdrawn,
            advance_decision_id=command.advance_decision_id,
            reason=command.reason,
        )
    ]
