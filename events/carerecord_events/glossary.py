"""The words and acronyms of advance care planning, in plain and in easy-read language.

The seed report found that acronyms and inaccessible language kept people out of conversations about their own
care; every screen and feed uses these expansions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    expansion: str
    plain: str
    easy_read: str


GLOSSARY: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        "CPR",
        "cardiopulmonary resuscitation",
        "Emergency treatment that tries to restart the heart and breathing when they stop: chest "
        "compressions, electric shocks and help with breathing.",
        "CPR is what doctors and nurses try if your heart stops. They press hard on your chest.",
    ),
    GlossaryEntry(
        "DNACPR",
        "do not attempt cardiopulmonary resuscitation",
        "A recommendation that CPR should not be attempted if the person's heart and breathing stop. It is "
        "about CPR only: every other treatment and care continues.",
        "This means: if your heart stops, do not try CPR. You still get all your other care.",
    ),
    GlossaryEntry(
        "ReSPECT",
        "Recommended Summary Plan for Emergency Care and Treatment",
        "A national form recording a person's wishes and clinical recommendations for emergency care, made "
        "through a conversation with them. It is not legally binding.",
        "ReSPECT is a form about what you want in an emergency. You talk about it with your doctor.",
    ),
    GlossaryEntry(
        "TEP",
        "treatment escalation plan",
        "A local hospital form that says which treatments should and should not be started if the person "
        "becomes more unwell.",
        "A plan that says which treatments to try if you get more ill.",
    ),
    GlossaryEntry(
        "ACP",
        "advance care planning",
        "Conversations, led by the person, about what matters to them and the care they would want in future.",
        "Talking about what you want for your care in the future.",
    ),
    GlossaryEntry(
        "ADRT",
        "advance decision to refuse treatment",
        "A legally binding decision, made by an adult with capacity, to refuse a treatment in future. To refuse "
        "CPR or other life-sustaining treatment it must be written, signed, witnessed and say it applies even "
        "if life is at risk.",
        "A paper you sign to say no to a treatment in the future. Doctors must follow it.",
    ),
    GlossaryEntry(
        "LPA",
        "lasting power of attorney (health and welfare)",
        "A legal document letting a chosen person (the attorney) make health decisions when the person cannot. "
        "It must be registered, and covers life-sustaining treatment only if it says so.",
        "A paper that lets someone you trust decide about your health if you cannot.",
    ),
    GlossaryEntry(
        "IMCA",
        "independent mental capacity advocate",
        "An advocate who must be instructed for serious medical decisions when a person lacks capacity and has "
        "no family or friend appropriate to consult.",
        "A person who helps speak up for you if you cannot decide and have no family to help.",
    ),
    GlossaryEntry(
        "MCA",
        "Mental Capacity Act 2005",
        "The law in England and Wales on making decisions for people who lack capacity: decisions must be in "
        "their best interests, after consulting those close to them.",
        "The law about helping people who cannot make a decision themselves.",
    ),
    GlossaryEntry(
        "capacity",
        "mental capacity",
        "Being able to understand, retain, use or weigh information about a decision, and communicate it. It is "
        "decided for each decision at a particular time.",
        "Being able to understand and make a choice about something.",
    ),
    GlossaryEntry(
        "representative",
        "a person who speaks for the person",
        "An attorney, a court-appointed deputy, an IMCA, or a family member or friend consulted about a "
        "decision.",
        "Someone who helps decide with you or for you.",
    ),
    GlossaryEntry(
        "endorsement",
        "senior endorsement",
        "Confirmation of a recommendation by the senior responsible clinician (a consultant or GP) when someone "
        "else recorded it.",
        "A senior doctor checks and agrees with the plan.",
    ),
)


def lookup(term: str) -> GlossaryEntry | None:
    wanted = term.casefold()
    return next((entry for entry in GLOSSARY if entry.term.casefold() == wanted), None)
