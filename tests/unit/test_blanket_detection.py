"""Blanket DNACPR decisions: a care home applying one reason to all its residents is caught; a busy hospital whose
clinicians reuse phrasing templates for individual decisions is not. Reasoning flags come from the real policy."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carerecord_events.vocabulary import AlertKind, AlertScope, CprRecommendation, Setting
from carerecord_projections.oversight.rules.blanket import detect_blanket_decisions
from carerecord_projections.oversight.rules.blanket_alerts import (
    AlertReason,
    BlanketAlert,
    BlanketThresholds,
    DecisionUnderReview,
)
from carerecord_projections.oversight.rules.reasoning_similarity import (
    normalise_reasoning,
    reasoning_similarity,
)
from carerecord_services.reasoning import ReasoningPolicy

POLICY = ReasoningPolicy()
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

GIVEN_NAMES = (
    "Ada", "Edith", "Florence", "Winifred", "Mabel", "Doris", "Irene", "Gladys", "Ivy", "Hilda",
    "John", "Arthur", "Albert", "Walter", "Stanley", "Frank", "Harold", "Cyril", "Leonard", "Reginald",
)  # fmt: skip
FAMILY_NAMES = (
    "Smith", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Green",
    "Hall", "Wood", "Clarke", "Jackson", "Turner", "Hill", "Cooper", "Ward", "Morris", "Baker", "Harris", "Lewis",
    "Young",
)  # fmt: skip


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _decision(
    rng: random.Random,
    reasoning: str,
    *,
    organisation: str,
    setting: str,
    author: str,
    made_at: datetime,
    names: tuple[str, ...] = (),
) -> DecisionUnderReview:
    return DecisionUnderReview(
        plan_id=_uuid(rng),
        record_id=_uuid(rng),
        organisation=organisation,
        setting=setting,
        author=author,
        made_at=made_at,
        reasoning=reasoning,
        reasoning_flags=POLICY.assess(reasoning).group_terms_mentioned,
        person_names=names,
    )


# --- a care home applying one reason to everyone ---

CARE_HOME_PHRASINGS = (
    "{title} {given} {family}, {age}, is frail and lives in a care home; CPR would not be successful.",
    "CPR would not be successful. {title} {given} {family} lives in a care home and is frail, aged {age}.",
    "{given} is {age} years old, frail, and lives in a care home, so CPR would not be successful.",
    "Lives in a care home and is frail ({given} {family}, {age}): CPR would not be successful for {him}.",
    "As {he} is frail and lives in a care home, CPR would not be successful for {given} {family} ({age}-year-old).",
)


def care_home_residents(
    count: int,
    *,
    seed: int,
    organisation: str = "VLAXL",
    author: str = "dr-grey",
    first_day: datetime = START,
    spacing: timedelta | None = None,
) -> list[DecisionUnderReview]:
    """One reason applied to every resident: names, ages and word order vary, the reason does not."""
    rng = random.Random(seed)
    residents = []
    for n in range(count):
        woman = n % 2 == 0
        given_name = GIVEN_NAMES[(n // 2) % 10 + (0 if woman else 10)]
        family_name = FAMILY_NAMES[(n + seed) % len(FAMILY_NAMES)]
        text = rng.choice(CARE_HOME_PHRASINGS).format(
            title="Mrs" if woman else "Mr",
            given=given_name,
            family=family_name,
            age=rng.randint(78, 99),
            he="she" if woman else "he",
            him="her" if woman else "him",
        )
        made_at = (
            first_day + n * spacing if spacing else first_day + timedelta(minutes=rng.randrange(0, 10 * 60))
        )
        residents.append(
            _decision(
                rng,
                text,
                organisation=organisation,
                setting="care-home",
                author=author,
                made_at=made_at,
                names=(given_name, family_name),
            )
        )
    return residents


# --- a busy hospital: individual decisions written from phrasing templates ---

PRIMARIES = (
    "lung", "pancreatic", "oesophageal", "gastric", "ovarian", "colorectal", "breast", "prostate",
    "renal cell", "bladder", "hepatocellular", "melanoma",
)  # fmt: skip
SPREAD = (
    "liver metastases", "bony metastases", "peritoneal disease", "brain metastases", "malignant pleural effusions",
    "lymphangitis carcinomatosa", "adrenal deposits", "spinal cord compression", "leptomeningeal disease",
)  # fmt: skip
CANCER_COMPLICATIONS = (
    "bilirubin rising despite biliary stenting", "hypercalcaemia refractory to bisphosphonates",
    "recurrent malignant bowel obstruction", "pulmonary emboli despite anticoagulation",
    "neutropenic sepsis after the last cycle", "pain needing a syringe driver",
    "ascites drained weekly", "haemoptysis with falling haemoglobin", "hypoxia on high-flow oxygen",
)  # fmt: skip
CANCER_TRAJECTORY = (
    "sleeping most of the day and eating very little", "oncology advise no further chemotherapy",
    "declined further systemic treatment after talking it through with the family",
    "weight loss of twelve kilograms since the summer", "now jaundiced and intermittently confused",
    "transferred from the hospice for symptom control", "performance status four on the oncology review",
)  # fmt: skip
HEART_CONDITIONS = (
    "ischaemic cardiomyopathy", "dilated cardiomyopathy", "severe aortic stenosis not fit for valve replacement",
    "cardiac amyloidosis", "restrictive cardiomyopathy", "congestive cardiac failure with tricuspid regurgitation",
)  # fmt: skip
HEART_PROBLEMS = (
    "pulmonary oedema", "diuretic-resistant fluid overload", "ventricular tachycardia", "cardiogenic shock",
    "worsening renal function on diuretics", "syncope with hypotension",
)  # fmt: skip
HEART_NOW = (
    "now breathless at rest despite maximal therapy", "cardiology confirm no further device or surgical options",
    "creatinine doubled this admission", "inotropes weaned but not tolerated", "defibrillator deactivated at his request",
    "palliative furosemide infusion started",
)  # fmt: skip
LUNG_CONDITIONS = (
    "COPD", "idiopathic pulmonary fibrosis", "bronchiectasis with pseudomonas", "pulmonary hypertension",
    "hypersensitivity pneumonitis", "combined emphysema and fibrosis",
)  # fmt: skip
LUNG_EVENTS = (
    "type two respiratory failure needing NIV twice this winter", "intubated last year with prolonged weaning",
    "pneumothorax with persistent air leak", "three exacerbations since November",
    "desaturates to the low eighties on minimal exertion", "not a candidate for lung transplant",
)  # fmt: skip
MULTI_ORGAN_INSULTS = (
    "bowel perforation", "necrotising pancreatitis", "ruptured aortic aneurysm repair", "variceal haemorrhage",
    "urosepsis with bacteraemia", "out-of-hospital arrest with prolonged downtime",
)  # fmt: skip
ORGAN_SUPPORT = (
    "on noradrenaline and vasopressin", "anuric on haemofiltration", "ventilated with rising oxygen requirement",
    "lactate climbing despite source control", "disseminated intravascular coagulation",
    "hypoxic brain injury confirmed on MRI",
)  # fmt: skip
COMORBIDITIES = (
    "Parkinson's disease", "chronic kidney disease stage four", "recurrent aspiration pneumonia",
    "heart failure with reduced ejection fraction", "previous stroke with dense hemiparesis",
    "insulin-dependent diabetes with foot ulcers", "atrial fibrillation with falls", "severe osteoporosis with fractures",
)  # fmt: skip
FUNCTION = (
    "needs two carers for all transfers", "has lost the ability to swallow safely", "weight falling month on month",
    "third hip fracture this year", "pressure ulcers not healing",
)  # fmt: skip


def _hospital_reasoning(rng: random.Random, template: int, title: str, family: str) -> str:
    who = rng.choice((f"{title} {family}: ", f"{title} {family} has ", ""))
    if template == 0:
        return (
            f"{who}advanced metastatic {rng.choice(PRIMARIES)} cancer with {rng.choice(SPREAD)}; "
            f"{rng.choice(CANCER_COMPLICATIONS)}, {rng.choice(CANCER_TRAJECTORY)}. CPR would not be successful."
        )
    if template == 1:
        return (
            f"{who}end-stage {rng.choice(HEART_CONDITIONS)}, ejection fraction {rng.randint(8, 25)}%, "
            f"{rng.randint(2, 6)} admissions with {rng.choice(HEART_PROBLEMS)} in {rng.randint(3, 12)} months; "
            f"{rng.choice(HEART_NOW)}. CPR would not be successful."
        )
    if template == 2:
        return (
            f"{who}severe {rng.choice(LUNG_CONDITIONS)} on home oxygen {rng.randint(2, 6)} litres, FEV1 "
            f"{rng.randint(3, 9) / 10} litres; {rng.choice(LUNG_EVENTS)}. CPR would not be successful."
        )
    if template == 3:
        return (
            f"{who}multi-organ failure after {rng.choice(MULTI_ORGAN_INSULTS)}; {rng.choice(ORGAN_SUPPORT)}, "
            f"{rng.choice(ORGAN_SUPPORT)}. CPR would not be successful."
        )
    first, second = rng.sample(COMORBIDITIES, 2)
    return (
        f"{who}Clinical Frailty Scale {rng.randint(6, 8)} with {first} and {second}; {rng.choice(FUNCTION)}. "
        f"CPR would not be successful."
    )


def hospital_decisions(
    *,
    seed: int,
    organisation: str = "RXF",
    days: int = 30,
    per_day: int = 8,
    clinicians: int = 5,
    first_day: datetime = START,
) -> list[DecisionUnderReview]:
    """Individual decisions by a few clinicians, each with favourite templates filled with the person's own details."""
    rng = random.Random(seed)
    authors = [f"{organisation.lower()}-consultant-{n}" for n in range(clinicians)]
    decisions = []
    for day in range(days):
        for _ in range(per_day):
            clinician = rng.randrange(clinicians)
            template = rng.choice((clinician % 5, (clinician + 1) % 5, rng.randrange(5)))
            woman = rng.random() < 0.5
            given_name = rng.choice(GIVEN_NAMES[:10] if woman else GIVEN_NAMES[10:])
            family_name = rng.choice(FAMILY_NAMES)
            text = _hospital_reasoning(rng, template, "Mrs" if woman else "Mr", family_name)
            made_at = first_day + timedelta(days=day, minutes=rng.randrange(0, 24 * 60))
            decisions.append(
                _decision(
                    rng,
                    text,
                    organisation=organisation,
                    setting="hospital",
                    author=authors[clinician],
                    made_at=made_at,
                    names=(given_name, family_name),
                )
            )
    return decisions


INDIVIDUAL_REASONS = (
    "Metastatic pancreatic cancer with liver involvement, bilirubin rising despite stenting.",
    "End-stage heart failure, ejection fraction 10%, three admissions with pulmonary oedema since March.",
    "Severe COPD on home oxygen, hypercapnic respiratory failure twice this winter, declined NIV.",
    "Refuses CPR herself after discussion with her husband; understands the outcome and wants a peaceful death.",
    "Motor neurone disease with bulbar weakness; has decided against ventilation and against CPR.",
    "Widespread bony metastases from prostate cancer, spinal cord compression, sleeping most of the day.",
    "Out-of-hospital arrest last month with prolonged downtime; hypoxic brain injury confirmed on MRI.",
    "Cirrhosis with refractory ascites, encephalopathy and variceal bleeding; declined transplant assessment.",
    "Mesothelioma with bilateral effusions; breathless at rest; wishes to die at home with her sisters.",
    "Stopped dialysis by choice after a long conversation with the nephrologist; uraemic and drowsy.",
    "Idiopathic pulmonary fibrosis, desaturating on minimal exertion, not suitable for transplant.",
    "Recurrent aspiration pneumonia with a failed swallow assessment; family agree feeding tube not wanted.",
    "Glioblastoma progressing after radiotherapy, now unresponsive for most of the day.",
)

DEMENTIA_REASONS = (
    "Advanced dementia; three aspiration pneumonias since June, now unable to swallow even thickened fluids.",
    "Dementia with recurrent falls, fractured neck of femur last month, not weight bearing since surgery.",
    "Vascular dementia and end-stage renal failure; declined dialysis when she still had capacity.",
    "Lewy body dementia with severe orthostatic hypotension, syncope most mornings, pressure sores on both heels.",
    "Alzheimer's disease, metastatic bowel cancer diagnosed in May, daughter reports he wished no heroics.",
    "Mixed dementia, severe aortic stenosis not for valve surgery, breathless sitting in the chair.",
    "Frontotemporal dementia, motor neurone disease features, losing the ability to cough and clear secretions.",
)


GROUP_REASONS = (
    "Advanced dementia, poor oral intake.",
    "Dementia and frailty; CPR would not be successful.",
    "Alzheimer's, bed bound.",
    "Elderly with vascular dementia, needs hoisting.",
    "Frail, lives in a nursing home.",
)


def _of_kind(alerts: Sequence[BlanketAlert], kind: AlertKind) -> list[AlertReason]:
    """The patterns of one kind, across the alerts."""
    return [reason for alert in alerts for reason in alert.reasons if reason.kind is kind]


def _plan_ids(decisions: Sequence[DecisionUnderReview]) -> set[UUID]:
    return {decision.plan_id for decision in decisions}


# --- 1. the care home ---


def test_a_care_home_applying_one_reason_to_all_its_residents_is_named_in_full() -> None:
    residents = care_home_residents(20, seed=1)
    (alert,) = detect_blanket_decisions(residents)  # one group of decisions, one alert

    assert set(alert.plan_ids) == _plan_ids(residents)
    assert len(alert.plan_ids) == 20
    assert alert.scope is AlertScope.ORGANISATION
    assert (alert.organisation, alert.author) == ("VLAXL", "dr-grey")
    assert alert.window_start == min(r.made_at for r in residents)
    assert alert.window_end == max(r.made_at for r in residents)
    # Every reason it matched, near-identical reasoning first.
    assert alert.kinds == (
        AlertKind.NEAR_IDENTICAL_REASONING,
        AlertKind.GROUP_CHARACTERISTIC,
        AlertKind.CLUSTER_IN_ORGANISATION,
    )
    assert alert.summary.startswith("20 do-not-attempt-CPR decisions between ")
    assert alert.summary.endswith(", decided by VLAXL for 20 different people, all recorded by dr-grey.")

    (alike,) = _of_kind([alert], AlertKind.NEAR_IDENTICAL_REASONING)
    assert set(alike.plan_ids) == _plan_ids(residents)
    assert alike.shared_features == ("is frail and lives in a care home cpr would not be successful",)
    assert alike.explanation.startswith(
        "Near-identical reasoning: 20 decisions for 20 different people of VLAXL"
    )

    (cluster,) = _of_kind([alert], AlertKind.CLUSTER_IN_ORGANISATION)
    assert set(cluster.plan_ids) == _plan_ids(residents)
    assert cluster.shared_features == ("near-identical reasoning",)
    assert "20 of them have near-identical reasoning" in cluster.explanation

    (groups,) = _of_kind([alert], AlertKind.GROUP_CHARACTERISTIC)
    assert set(groups.plan_ids) == _plan_ids(residents)
    assert {"frail", "lives in a care home"} <= set(groups.shared_features)

    # The one GP recorded them all, so the organisation's patterns already say who: none by author.
    assert all(reason.scope is AlertScope.ORGANISATION for reason in alert.reasons)
    assert alert.explanation == " ".join([alert.summary, *(reason.explanation for reason in alert.reasons)])


def test_an_alert_about_residents_names_the_care_home_and_the_deciding_organisation_by_name() -> None:
    """The GP practice decided for the residents of a care home: the alert says both, by their register names,
    and never calls the practice a care home."""
    residents = [
        replace(resident, organisation="K81045", setting=Setting.CARE_HOME.value, care_home="VLAXP")
        for resident in care_home_residents(20, seed=5)
    ]
    names = {"K81045": "Old Forge Health Centre", "VLAXP": "Seaview House"}
    (alert,) = detect_blanket_decisions(residents, names=names)
    assert (alert.organisation, alert.care_home) == ("K81045", "VLAXP")
    assert (
        "decided by Old Forge Health Centre (K81045) for 20 residents of Seaview House (VLAXP),"
        in alert.summary
    )
    assert "care home K81045" not in alert.explanation

    # Most, not all, living there: the others are counted; fewer than half: no care home is named.
    some = residents[:12] + [replace(r, care_home="") for r in residents[12:]]
    (alert,) = detect_blanket_decisions(some, names=names)
    assert "for 12 residents of Seaview House (VLAXP) and 8 other people," in alert.summary
    few = residents[:9] + [replace(r, care_home="") for r in residents[9:]]
    (alert,) = detect_blanket_decisions(few, names=names)
    assert alert.care_home is None
    assert "for 20 different people," in alert.summary


def test_alerts_carry_no_names_or_ages_of_the_residents() -> None:
    residents = care_home_residents(20, seed=2)
    alerts = detect_blanket_decisions(residents)
    assert alerts
    text = " ".join(alert.explanation + " " + " ".join(alert.shared_features) for alert in alerts).casefold()
    for resident in residents:
        for name in resident.person_names:
            assert name.casefold() not in text.split() and f"{name.casefold()}," not in text


def test_only_do_not_attempt_cpr_recommendations_count() -> None:
    residents = care_home_residents(20, seed=3)
    for_cpr = [replace(r, cpr=CprRecommendation.ATTEMPT_CPR.value) for r in residents]
    assert detect_blanket_decisions(for_cpr) == []
    assert detect_blanket_decisions(residents) != []


def test_one_gp_applying_one_reason_across_several_care_homes_is_caught_by_author() -> None:
    homes = [
        care_home_residents(4, seed=10 + n, organisation=f"VLAX{n}", author="dr-hale", first_day=START)
        for n in range(3)
    ]
    everyone = [resident for home in homes for resident in home]
    (alert,) = detect_blanket_decisions(everyone)
    assert (alert.author, alert.organisation) == ("dr-hale", None)
    assert alert.summary.endswith(
        ", decided by 3 organisations for 12 different people, all recorded by dr-hale."
    )
    alike = _of_kind([alert], AlertKind.NEAR_IDENTICAL_REASONING)
    # No one home reaches five people, but the GP's twelve decisions do.
    assert [reason.scope for reason in alike] == [AlertScope.AUTHOR]
    assert set(alike[0].plan_ids) == _plan_ids(everyone)
    assert "recorded by dr-hale" in alike[0].explanation
    (cluster,) = _of_kind([alert], AlertKind.CLUSTER_BY_AUTHOR)
    assert set(cluster.plan_ids) == _plan_ids(everyone)


# --- 2. the hospital ---


def test_a_busy_hospital_reusing_phrasing_templates_for_individual_decisions_raises_no_alert() -> None:
    decisions = hospital_decisions(seed=20260302)
    assert len(decisions) >= 200
    assert len({d.author for d in decisions}) <= 5
    assert sum(bool(d.reasoning_flags) for d in decisions) > 0  # some reasons rightly mention frailty scores

    assert detect_blanket_decisions(decisions) == []


def test_the_hospital_data_really_reuses_templates_so_a_looser_detector_would_flag_it() -> None:
    decisions = hospital_decisions(seed=20260302)
    loose = detect_blanket_decisions(decisions, BlanketThresholds(similarity=0.45))
    assert _of_kind(loose, AlertKind.NEAR_IDENTICAL_REASONING)
    # A detector judging volume alone would flag this hospital too: there are far more than ten a window.
    busy = detect_blanket_decisions(
        decisions, BlanketThresholds(min_share_with_near_identical_reasoning=0.01, similarity=0.45)
    )
    assert _of_kind(busy, AlertKind.CLUSTER_IN_ORGANISATION)


# --- 3. normalisation ---


def test_names_ages_titles_dates_and_pronouns_are_masked() -> None:
    reasoning = normalise_reasoning(
        "Mrs Ada Smith, aged 87, seen on 3 March 2026: she is frail, and her daughter agrees.",
        ["Ada", "Smith"],
    )
    assert reasoning.text == (
        "<title> <name> <name> <number> seen on <number> <date> <number> <pronoun> is frail and <pronoun>"
        " daughter agrees"
    )
    assert reasoning.words == {"seen", "frail", "daughter", "agree"}


def test_names_ages_and_word_order_barely_change_similarity() -> None:
    first = normalise_reasoning(
        "Mrs Ada Smith, 87, is frail and lives in a care home; CPR would not be successful.", ["Ada", "Smith"]
    )
    second = normalise_reasoning(
        "CPR would not be successful. Mr John Brown lives in a care home and is frail, aged 91.",
        ["John", "Brown"],
    )
    assert reasoning_similarity(first, second) >= 0.95
    she = normalise_reasoning("She has refused CPR after talking with her son on 2 May.")
    he = normalise_reasoning("He has refused CPR after talking with his son on 14 June.")
    assert reasoning_similarity(she, he) == 1.0


def test_different_clinical_reasons_are_not_alike() -> None:
    reasons = [normalise_reasoning(text) for text in INDIVIDUAL_REASONS]
    for i, first in enumerate(reasons):
        for second in reasons[i + 1 :]:
            assert reasoning_similarity(first, second) < 0.3
    same_template = [
        normalise_reasoning(
            "Advanced metastatic lung cancer with liver metastases; bilirubin rising despite biliary stenting."
        ),
        normalise_reasoning(
            "Advanced metastatic ovarian cancer with peritoneal disease; recurrent malignant bowel obstruction."
        ),
    ]
    assert reasoning_similarity(*same_template) < 0.5


@given(st.text(max_size=80), st.text(max_size=80))
@settings(max_examples=60, deadline=None)
def test_similarity_is_symmetric_between_nought_and_one_and_one_for_the_same_text(a: str, b: str) -> None:
    first, second = normalise_reasoning(a), normalise_reasoning(b)
    assert 0.0 <= reasoning_similarity(first, second) <= 1.0
    assert reasoning_similarity(first, second) == reasoning_similarity(second, first)
    assert reasoning_similarity(first, first) == 1.0


# --- 4. thresholds ---


def test_the_number_of_similar_people_needed_is_honoured() -> None:
    residents = care_home_residents(6, seed=4)
    assert _of_kind(detect_blanket_decisions(residents), AlertKind.NEAR_IDENTICAL_REASONING)
    assert not _of_kind(
        detect_blanket_decisions(residents, BlanketThresholds(min_similar_people=7)),
        AlertKind.NEAR_IDENTICAL_REASONING,
    )


def test_the_window_is_honoured() -> None:
    residents = care_home_residents(6, seed=5, spacing=timedelta(days=3))
    assert detect_blanket_decisions(residents) == []
    wider = detect_blanket_decisions(residents, BlanketThresholds(window=timedelta(days=4)))
    (alike,) = _of_kind(wider, AlertKind.NEAR_IDENTICAL_REASONING)
    assert set(alike.plan_ids) == _plan_ids(residents)
    assert "within 4 days" in alike.explanation


def test_the_similarity_threshold_is_honoured() -> None:
    rng = random.Random(6)
    texts = [
        "Frail, lives in a care home, dementia; CPR would not be successful.",
        "Frail, lives in a care home, Parkinson's; CPR would not be successful.",
        "Frail, lives in a care home, heart failure; CPR would not be successful.",
        "Frail, lives in a care home, COPD; CPR would not be successful.",
        "Frail, lives in a care home, stroke; CPR would not be successful.",
    ]
    decisions = [
        _decision(
            rng,
            text,
            organisation="VLB",
            setting="care-home",
            author="dr-x",
            made_at=START + timedelta(hours=n),
        )
        for n, text in enumerate(texts)
    ]
    alike = normalise_reasoning(texts[0]), normalise_reasoning(texts[1])
    between = reasoning_similarity(*alike)
    assert 0.4 < between < 0.8
    assert not _of_kind(detect_blanket_decisions(decisions), AlertKind.NEAR_IDENTICAL_REASONING)
    looser = detect_blanket_decisions(decisions, BlanketThresholds(similarity=0.4))
    (alert,) = _of_kind(looser, AlertKind.NEAR_IDENTICAL_REASONING)
    assert set(alert.plan_ids) == _plan_ids(decisions)
    assert alert.shared_features == ("frail lives in a care home cpr would not be successful",)


def _individual_decisions_on_one_day(
    rng: random.Random, count: int, organisation: str
) -> list[DecisionUnderReview]:
    return [
        _decision(
            rng,
            INDIVIDUAL_REASONS[n % len(INDIVIDUAL_REASONS)],
            organisation=organisation,
            setting="hospice",
            author=f"dr-{n % 4}",
            made_at=START + timedelta(days=60, hours=n),
        )
        for n in range(count)
    ]


def test_a_surge_far_above_the_usual_number_is_raised_even_with_individual_reasoning() -> None:
    rng = random.Random(7)
    history = [
        _decision(
            rng,
            INDIVIDUAL_REASONS[n % len(INDIVIDUAL_REASONS)],
            organisation="RH1",
            setting="hospice",
            author=f"dr-{n % 4}",
            made_at=START + timedelta(days=2 * n, hours=3),
        )
        for n in range(30)
    ]
    surge = _individual_decisions_on_one_day(rng, 12, "RH1")
    alerts = detect_blanket_decisions(history + surge)
    (cluster,) = alerts
    assert cluster.kind is AlertKind.CLUSTER_IN_ORGANISATION
    assert cluster.shared_features == ("above the usual number",)
    assert _plan_ids(surge) <= set(cluster.plan_ids)
    assert "the usual number is 1 per 2 days" in cluster.explanation
    assert "decided by RH1 for 12 different people" in cluster.summary

    assert detect_blanket_decisions(history + surge, BlanketThresholds(surge_factor=13)) == []
    assert (
        detect_blanket_decisions(
            history + surge, BlanketThresholds(min_history_for_usual_rate=timedelta(days=90))
        )
        == []
    )
    assert (
        detect_blanket_decisions(history + surge, BlanketThresholds(min_decisions_in_organisation_cluster=14))
        == []
    )


def test_volume_is_judged_against_the_number_of_people_in_care_when_known() -> None:
    decisions = _individual_decisions_on_one_day(random.Random(8), 10, "VLC")
    assert detect_blanket_decisions(decisions) == []
    (cluster,) = detect_blanket_decisions(decisions, people_in_care={"VLC": 30})
    assert cluster.kind is AlertKind.CLUSTER_IN_ORGANISATION
    assert set(cluster.plan_ids) == _plan_ids(decisions)
    assert "that is 33% of the 30 people in its care" in cluster.explanation
    assert detect_blanket_decisions(decisions, people_in_care={"VLC": 200}) == []


# --- 5. group characteristics ---


def test_reasons_resting_on_group_characteristics_are_reported_with_their_evidence() -> None:
    rng = random.Random(9)

    def at_vld(texts: Sequence[str], first_hour: int) -> list[DecisionUnderReview]:
        return [
            _decision(
                rng,
                text,
                organisation="VLD",
                setting="care-home",
                author=f"dr-{n % 3}",
                made_at=START + timedelta(hours=first_hour + 3 * n),
            )
            for n, text in enumerate(texts)
        ]

    resting_on_the_group = at_vld(GROUP_REASONS, 0)
    mentioning_a_group_among_much_else = at_vld(DEMENTIA_REASONS, 1)
    individual = at_vld(INDIVIDUAL_REASONS[:4], 2)
    assert all(d.reasoning_flags for d in resting_on_the_group + mentioning_a_group_among_much_else)
    everyone = resting_on_the_group + mentioning_a_group_among_much_else + individual

    (alert,) = detect_blanket_decisions(everyone)
    assert alert.kind is AlertKind.GROUP_CHARACTERISTIC
    assert set(alert.plan_ids) == _plan_ids(resting_on_the_group)
    assert alert.shared_features == (
        "dementia", "alzheimer's", "bed bound", "elderly", "frail", "frailty", "nursing home",
    )  # fmt: skip
    assert alert.summary == (
        "5 do-not-attempt-CPR decisions between 2 Mar 2026 08:00 and 2 Mar 2026 20:00, decided by VLD"
        " for 5 different people."
    )
    assert alert.reasons[0].explanation.startswith(
        "Group characteristics: 5 decisions of VLD between 2 Mar 2026 08:00 and 2 Mar 2026 20:00"
        " (up to 5 within 2 days) rest on group characteristics, saying at most 4 other things about the person:"
        " dementia (3), alzheimer's (1), bed bound (1), elderly (1), frail (1), frailty (1), nursing home (1)."
    )
    assert (alert.window_start, alert.window_end) == (
        resting_on_the_group[0].made_at,
        resting_on_the_group[-1].made_at,
    )

    assert detect_blanket_decisions(everyone, BlanketThresholds(min_group_characteristic_decisions=6)) == []
    (strict,) = detect_blanket_decisions(everyone, BlanketThresholds(max_words_beyond_group_terms=1))
    assert len(strict.plan_ids) == 3  # "poor oral intake" and "vascular ... needs hoisting" say more
    (lax,) = detect_blanket_decisions(everyone, BlanketThresholds(max_words_beyond_group_terms=40))
    assert set(lax.plan_ids) == _plan_ids(resting_on_the_group + mentioning_a_group_among_much_else)


def test_thresholds_that_make_no_sense_are_refused() -> None:
    for wrong in (
        {"window": timedelta(0)},
        {"similarity": 0.0},
        {"similarity": 1.5},
        {"min_similar_people": 1},
        {"surge_factor": 1.0},
        {"max_words_beyond_group_terms": -1},
    ):
        with pytest.raises(ValueError):
            BlanketThresholds(**wrong)  # type: ignore[arg-type]


def test_a_decision_supplied_twice_counts_once_and_conflicting_copies_are_refused() -> None:
    residents = care_home_residents(5, seed=14)
    assert detect_blanket_decisions(residents + residents) == detect_blanket_decisions(residents)
    assert _of_kind(detect_blanket_decisions(residents), AlertKind.NEAR_IDENTICAL_REASONING)
    with pytest.raises(ValueError, match="share plan id"):
        detect_blanket_decisions([*residents, replace(residents[0], reasoning="Changed.")])


# --- 6. scale and order ---


def test_five_thousand_decisions_across_a_region_are_handled_and_the_blanket_home_found() -> None:
    region = [
        decision
        for n in range(24)
        for decision in hospital_decisions(seed=n, organisation=f"R{n:02d}", days=30, per_day=7, clinicians=5)
    ]
    blanket_home = care_home_residents(20, seed=11, organisation="VLZ", first_day=START + timedelta(days=9))
    everyone = region + blanket_home
    assert len(everyone) >= 5000

    alerts = detect_blanket_decisions(everyone)
    assert {alert.organisation for alert in alerts} == {"VLZ"}
    alike = _of_kind(alerts, AlertKind.NEAR_IDENTICAL_REASONING)
    assert [set(alert.plan_ids) for alert in alike] == [_plan_ids(blanket_home)]


WORD_POOL = ("frail", "dementia", "sepsis", "cachexia", "anuric", "jaundiced")


@given(
    st.lists(
        st.tuples(st.sets(st.sampled_from(WORD_POOL), min_size=1, max_size=4), st.integers(0, 6 * 24)),
        min_size=5,
        max_size=30,
    ),
    st.sampled_from((0.6, 0.8, 0.9)),
)
@settings(max_examples=60, deadline=None)
def test_near_identical_groups_are_exactly_those_a_comparison_of_every_pair_finds(
    reasons_and_hours: list[tuple[set[str], int]], similarity: float
) -> None:
    rng = random.Random(len(reasons_and_hours))
    decisions = [
        _decision(
            rng,
            " and ".join(sorted(words)) + ".",
            organisation="VLP",
            setting="care-home",
            author="dr-p",
            made_at=START + timedelta(hours=hour),
        )
        for words, hour in reasons_and_hours
    ]
    thresholds = BlanketThresholds(similarity=similarity, min_similar_people=2)
    reasons = [normalise_reasoning(d.reasoning) for d in decisions]
    group = list(range(len(decisions)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(len(decisions)):
        for j in range(i + 1, len(decisions)):
            close = abs(decisions[i].made_at - decisions[j].made_at) <= thresholds.window
            if close and reasoning_similarity(reasons[i], reasons[j]) >= similarity:
                group[root(i)] = root(j)
    components: dict[int, set[UUID]] = {}
    for i, d in enumerate(decisions):
        components.setdefault(root(i), set()).add(d.plan_id)
    expected = {frozenset(plans) for plans in components.values() if len(plans) >= 2}

    alerts = detect_blanket_decisions(decisions, thresholds)
    found = {
        frozenset(alert.plan_ids)
        for alert in _of_kind(alerts, AlertKind.NEAR_IDENTICAL_REASONING)
        if alert.scope is AlertScope.ORGANISATION
    }
    assert found == expected


@given(st.permutations(care_home_residents(8, seed=12) + hospital_decisions(seed=13, days=3, per_day=6)))
@settings(max_examples=25, deadline=None)
def test_the_order_decisions_arrive_in_changes_nothing(decisions: list[DecisionUnderReview]) -> None:
    expected = detect_blanket_decisions(
        care_home_residents(8, seed=12) + hospital_decisions(seed=13, days=3, per_day=6)
    )
    assert expected
    assert detect_blanket_decisions(decisions) == expected
