"""The coded vocabulary events use. Values are stable on the wire; labels are plain English."""

from __future__ import annotations

from enum import StrEnum


class FormType(StrEnum):
    """The kind of form a plan is recorded on."""

    RESPECT = "respect"
    TREATMENT_ESCALATION_PLAN = "tep"
    DNACPR = "dnacpr"


class CprRecommendation(StrEnum):
    """SNOMED CT codes: 450475007 For CPR; 450476008 Not for attempted CPR."""

    ATTEMPT_CPR = "450475007"
    DO_NOT_ATTEMPT_CPR = "450476008"


class ReasonCategory(StrEnum):
    """Why CPR is or is not recommended: the national adult DNACPR form's reasons (RCUK, BMA/RCUK/RCN)."""

    WOULD_NOT_SUCCEED = "cpr-would-not-succeed"
    NOT_IN_BEST_INTERESTS = "not-in-best-interests"
    PERSONS_INFORMED_REFUSAL = "persons-informed-refusal"
    VALID_ADVANCE_DECISION = "valid-advance-decision"
    PERSON_DECLINES = "person-declines-or-valid-adrt"
    """The person's refusal or a valid advance decision, as one reason: kept so that decisions recorded before
    the two were told apart still read as they were made; a new decision chooses one of the two."""
    CPR_RECOMMENDED = "cpr-recommended"


class EscalationLevel(StrEnum):
    """How far treatment is to be escalated (a treatment escalation plan's category)."""

    FULL = "full-escalation"  # every appropriate treatment, intensive care included
    WARD_BASED = "ward-based-with-limits"  # ward-based care, with the limits named on the plan
    COMFORT = "comfort-and-end-of-life-care"  # symptom control and comfort; end-of-life care


class LimitedTreatment(StrEnum):
    """A treatment a treatment escalation plan names as a limit (not to be started)."""

    INTENSIVE_CARE = "intensive-care"
    INTUBATION = "intubation-and-ventilation"
    NON_INVASIVE_VENTILATION = "non-invasive-ventilation"
    DIALYSIS = "dialysis"
    HOSPITAL_ADMISSION = "hospital-admission"
    INTRAVENOUS_ANTIBIOTICS = "intravenous-antibiotics"
    INTRAVENOUS_FLUIDS = "intravenous-fluids"
    BLOOD_TRANSFUSION = "blood-transfusion"
    OTHER = "other"  # named in the limit's words


class CarePlanningDocumentKind(StrEnum):
    """Other care planning documents a ReSPECT plan points to (section 2)."""

    ADVANCE_DECISION = "advance-decision-to-refuse-treatment"
    LASTING_POWER_OF_ATTORNEY = "lasting-power-of-attorney"
    ADVANCE_CARE_PLAN = "advance-care-plan"
    CARER_EMERGENCY_PLAN = "carer-emergency-plan"
    OTHER = "other"


class InvolvementRoute(StrEnum):
    """ReSPECT section 6: how the person, or those close to them, took part in making the plan."""

    A_PERSON_WITH_CAPACITY = "A"
    """A: the person has capacity to take part and did."""
    B_PERSON_LACKS_CAPACITY = "B"
    """B: the person lacks capacity to take part; their representative or those close to them were consulted."""
    C_CHILD = "C"
    """C: a child or young person, with those with parental responsibility."""
    D_NOT_INVOLVED_WITH_REASON = "D"
    """D: the plan was made without involving the person or those close to them, for the reason recorded."""


class RelationshipBasis(StrEnum):
    """Why an organisation has a legitimate relationship with the person (what it states when it starts caring)."""

    REGISTERED_WITH_PRACTICE = "registered-with-the-practice"
    REFERRAL_RECEIVED = "referral-received"
    ADMITTED = "admitted"
    RESIDENT_OF_CARE_HOME = "resident-of-the-care-home"
    UNDER_THE_CARE_OF_SERVICE = "under-the-care-of-the-service"
    OTHER = "other"
    NOT_RECORDED = "not-recorded"
    """Only for relationships started before a basis was asked for (never accepted from a caller)."""


class CapacityDecision(StrEnum):
    """The decision a mental capacity assessment is about. Capacity is decision-specific (Mental Capacity Act
    2005 s2), so the record asks which of the plan's decisions was assessed, as a code, never free text."""

    CPR_RECOMMENDATION = "cpr"  # the CPR recommendation (DNACPR, the CPR section of ReSPECT)
    EMERGENCY_TREATMENT = "emergency-treatment"  # the other emergency-treatment recommendations
    WHOLE_PLAN = "whole-plan"  # the plan as a whole, CPR recommendation included
    OTHER = "other"  # another decision, named in words

    @property
    def covers_cpr(self) -> bool:
        """Whether lacking capacity for this decision means lacking it for the CPR recommendation."""
        return self in (CapacityDecision.CPR_RECOMMENDATION, CapacityDecision.WHOLE_PLAN)


class Setting(StrEnum):
    """The kind of service an organisation provides care in."""

    CARE_HOME = "care-home"
    GP_PRACTICE = "gp-practice"
    HOSPITAL = "hospital"
    HOSPICE = "hospice"
    AMBULANCE = "ambulance"
    COMMUNITY = "community"
    NHS_111 = "nhs-111"
    OUT_OF_HOURS = "out-of-hours"
    EMERGENCY_DEPARTMENT = "emergency-department"


URGENT_AND_EMERGENCY_CARE_SETTINGS = frozenset(
    {Setting.AMBULANCE, Setting.NHS_111, Setting.OUT_OF_HOURS, Setting.EMERGENCY_DEPARTMENT}
)
"""The settings of urgent and emergency care: services that meet people in a crisis, often for the first time,
and so may be granted a region's plans in force (the register marks which organisations are such services)."""


class PlanStatus(StrEnum):
    """Where a plan stands: in force, or why it no longer is."""

    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    ENTERED_IN_ERROR = "entered-in-error"
    CLOSED_AFTER_DEATH = "closed-after-death"


class InformationFormat(StrEnum):
    """An accessible format information was offered in (the Accessible Information Standard, DCB1605): what
    the person, or those close to them, were given to read, hear or see, beyond standard print."""

    EASY_READ = "easy-read"
    LARGE_PRINT = "large-print"
    BRITISH_SIGN_LANGUAGE = "british-sign-language"
    INTERPRETER = "interpreter"  # a spoken-language interpreter: the language is recorded with it
    BRAILLE = "braille"
    AUDIO = "audio"


class PlanConflict(StrEnum):
    """Why the plans on a record cannot all be followed as they stand: someone must check which applies."""

    MORE_THAN_ONE_IN_FORCE = "more-than-one-plan-in-force"
    CPR_RECOMMENDATIONS_DISAGREE = "cpr-recommendations-disagree"
    CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION = "cpr-recommended-despite-advance-decision"


class RepresentativeKind(StrEnum):
    """On what footing someone speaks for the person."""

    LPA_HEALTH_AND_WELFARE = "lpa-health-and-welfare"
    """An attorney under a lasting power of attorney for health and welfare."""
    COURT_APPOINTED_DEPUTY = "court-appointed-deputy"
    """A deputy appointed by the Court of Protection."""
    IMCA = "imca"
    """An independent mental capacity advocate."""
    FAMILY_OR_FRIEND = "family-or-friend"
    """Family or a friend, consulted, without legal authority to decide."""


class TreatmentDecision(StrEnum):
    """What a plan recommends about one treatment."""

    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not-recommended"
    NOT_WANTED = "not-wanted"


class ReviewOutcome(StrEnum):
    """What a review of a plan concluded."""

    CONFIRMED = "confirmed"
    """The plan stands as it is."""
    CHANGED = "changed"
    """The plan is to change: a new plan replaces it."""
    REVOKED = "revoked"
    """The plan is no longer in force."""


class RevocationInitiator(StrEnum):
    """Who asked for a plan to be revoked."""

    PERSON_REQUEST = "at-the-persons-request"
    """The person asked for it."""
    CLINICAL = "clinical"
    """A clinical decision."""


class BoardFinding(StrEnum):
    """What an integrated care board's assurance team found when it looked into a decision."""

    REVIEWED_AND_INDIVIDUAL = "reviewed-and-individual"  # looked into: the decision was made for the person
    BLANKET_RAISED_WITH_PROVIDER = (
        "blanket-raised-with-provider"  # a blanket decision, taken up with the provider
    )
    REFERRED_TO_SAFEGUARDING = "referred-to-safeguarding"  # referred to the safeguarding team


class AlertKind(StrEnum):
    """A pattern among do-not-attempt-CPR decisions that may mean a blanket decision."""

    CLUSTER_IN_ORGANISATION = "cluster-in-organisation"
    """Many decisions in one organisation in a short time, well above its usual rate."""
    CLUSTER_BY_AUTHOR = "cluster-by-author"
    """Many decisions recorded by one person in a short time."""
    NEAR_IDENTICAL_REASONING = "near-identical-reasoning"
    """Different people's decisions giving near-identical reasoning."""
    GROUP_CHARACTERISTIC = "group-characteristic"
    """Decisions whose reasoning rests on a group the people belong to (age, disability, a care home), not on
    the person."""


class AlertScope(StrEnum):
    """Where a pattern was seen: in one organisation's decisions or in one author's."""

    ORGANISATION = "organisation"
    """In one organisation's decisions."""
    AUTHOR = "author"
    """In the decisions one person recorded."""


class AccessKind(StrEnum):
    """How someone came to see a record, as the access audit records it."""

    READ = "read"
    """They read it, with a care relationship or as their role allows."""
    BREAK_GLASS = "break-glass"
    """They broke the glass: emergency access without a care relationship, reviewed afterwards."""
    BREAK_GLASS_REVIEW = "break-glass review"
    """A privacy officer reviewed a break-glass access."""
    SEARCH = "search"
    """They found the person by a search."""


class ConcernRaisedBy(StrEnum):
    """Who raised a concern about a decision."""

    PERSON = "person"
    """The person themselves."""
    FAMILY = "family"
    """Their family or those close to them."""
    STAFF = "staff"
    """A member of staff."""
