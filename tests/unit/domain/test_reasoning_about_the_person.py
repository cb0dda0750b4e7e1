"""Reasoning must be about the person, not a group they belong to: refused, accepted, accepted and flagged.

Written to resist keyword tricks: repetition, boilerplate padding, capitals, hyphens and punctuation.
"""

import pytest

from carerecord_services.reasoning import ReasoningPolicy

POLICY = ReasoningPolicy()

REFUSED = [
    "Learning disability.",
    "Learning-disability",
    "LEARNING DISABILITY, LEARNING DISABILITY, LEARNING DISABILITY",
    "Frail elderly care home resident.",
    "Aged 92 and frail.",
    "Dementia.",
    "Advanced age and dementia; care home resident.",
    "Due to the COVID-19 pandemic all residents of the home are not for CPR.",
    "Covid pandemic policy applies to all care home residents.",
    "Down's syndrome",
    "Downs syndrome with learning disabilities, lives in a residential home.",
    "Autistic; non-verbal.",
    "Clinical decision made in line with local policy and national guidance.",
    "CPR would not be successful given the patient's age.",
    "Not in best interests due to frailty.",
    "Elderly. Frail. Elderly. Frail. Elderly. Frail.",
    "Wheelchair user with cerebral palsy.",
    "Nursing home resident, bed bound.",
    "Old age",
    "Clinical Frailty Scale 7; care home.",
    "Patient is 95 years old and lives in a nursing home; CPR inappropriate.",
    "Alzheimer's disease.",
    "Resuscitation would not succeed in this group of patients.",
    "Considered in accordance with trust DNACPR policy for all frail patients.",
]

ACCEPTED = [
    "Metastatic pancreatic cancer with liver involvement, bilirubin rising despite stenting; CPR would not restart the heart.",
    "End-stage heart failure, ejection fraction 10%, three admissions with pulmonary oedema since March.",
    "Severe COPD on home oxygen 4 litres, FEV1 0.5 litres, hypercapnic respiratory failure twice this winter.",
    "Refuses CPR herself after discussion with her husband; understands the outcome and wants a peaceful death.",
    "Multi-organ failure after bowel perforation; on noradrenaline, anuric, lactate climbing despite surgery.",
    "Motor neurone disease with bulbar weakness; he has decided against ventilation and against CPR.",
    "Widespread bony metastases from prostate cancer, spinal cord compression, sleeping most of the day.",
    "Out-of-hospital arrest last month with prolonged downtime; hypoxic brain injury confirmed on MRI.",
    "Cirrhosis with refractory ascites, encephalopathy and variceal bleeding; declined transplant assessment.",
    "Mesothelioma with bilateral effusions; breathless at rest; wishes to die at home with her sisters.",
    "Chronic kidney disease stage 5, stopped dialysis by choice after long conversation with nephrologist.",
    "Glioblastoma progressing after second-line chemotherapy; increasingly drowsy, swallowing failing.",
    "Pulmonary fibrosis, resting saturations 84% on high-flow oxygen, not a transplant candidate.",
    "Septic shock from infected sacral sore with osteomyelitis, refused surgery, antibiotics continuing.",
    "Valvular heart disease, severe aortic stenosis, declined valve replacement; syncopal episodes weekly.",
    "He told me clearly he never wants chest compressions; wife and son were present and agree.",
    "Ovarian cancer with malignant bowel obstruction; vomiting faeculent fluid; surgeons advise against operating.",
    "Recurrent ventricular tachycardia despite ablation; cardiologist advises that further shocks would not help.",
    "Acute myeloid leukaemia relapsed after transplant; neutropenic, fungal pneumonia, on palliative transfusions.",
    "Severe anorexia nervosa with BMI 11, cardiac arrhythmias, and refeeding has failed twice this year.",
    "Extensive burns covering 80% of body surface; intensivists judge survival impossible.",
    "Stroke with dense hemiplegia, aspiration pneumonias, she previously wrote that she would refuse resuscitation.",
]

FLAGGED = [
    "Advanced dementia with three aspiration pneumonias since June, now unable to swallow, weight down 9 kg.",
    "Frail, with metastatic breast cancer in liver and bones, bedridden since her femur fracture in August.",
    "Learning disability is NOT the reason: she has end-stage kidney failure and has declined dialysis herself.",
    "Care home resident with end-stage heart failure; two admissions with pulmonary oedema this autumn.",
    "Aged 88; severe aortic stenosis, declined valve surgery, recurrent collapses with chest pain.",
    "COVID-19 pneumonia with respiratory failure despite CPAP; son agrees escalation has failed.",
    "Autism noted; separate issue is relapsed lymphoma unresponsive to salvage chemotherapy, septic today.",
    "Elderly gentleman with metastatic lung cancer, brain secondaries, sleeping most of the day.",
    "Down syndrome; congenital heart disease with Eisenmenger physiology, cyanosed at rest, cardiology agree.",
    "Alzheimer's: also widespread prostate cancer, spinal cord compression, catheterised, eating little.",
    "Frailty plus motor neurone disease: she declined ventilation and gastrostomy after talking with family.",
    "Resident at Oakwood; end-stage COPD with hypercapnic failure twice in October, home oxygen 4 litres.",
    "Dementia and end-stage liver cirrhosis with encephalopathy, ascites and bleeding varices.",
    "Old age is not the reason; severe pulmonary fibrosis with saturations 82% on oxygen.",
    "Disabled after spinal injury; now overwhelming sepsis from pressure ulcers with osteomyelitis.",
    "Frail. Ovarian cancer with malignant bowel obstruction; surgeons advise no operation possible.",
    "Cerebral palsy; aspiration pneumonias recurrent, tracheostomy declined by her and her mother.",
    "Elderly; acute myeloid leukaemia relapsed, neutropenic sepsis, fungal pneumonia, palliative transfusions.",
    "Housebound; glioblastoma progressing after chemotherapy, drowsy, swallow failing.",
    "Nursing home; mesothelioma with bilateral effusions, breathless at rest, wants to die there.",
    "Wheelchair user; metastatic melanoma in lungs and liver, jaundiced, sleeping twenty hours daily.",
]


@pytest.mark.parametrize("reasoning", REFUSED)
def test_reasoning_that_rests_on_a_group_is_refused(reasoning: str) -> None:
    assessment = POLICY.assess(reasoning)
    assert not assessment.sufficient, assessment.person_specific_words


@pytest.mark.parametrize("reasoning", ACCEPTED)
def test_reasoning_about_the_person_is_accepted_unflagged(reasoning: str) -> None:
    assessment = POLICY.assess(reasoning)
    assert assessment.sufficient, assessment.person_specific_words
    assert assessment.group_terms_mentioned == ()


@pytest.mark.parametrize("reasoning", FLAGGED)
def test_reasoning_about_the_person_that_mentions_a_group_is_accepted_and_flagged(reasoning: str) -> None:
    assessment = POLICY.assess(reasoning)
    assert assessment.sufficient, assessment.person_specific_words
    assert assessment.group_terms_mentioned != ()


def test_the_table_holds_at_least_twenty_labelled_reasons_of_each_kind() -> None:
    assert min(len(REFUSED), len(ACCEPTED), len(FLAGGED)) >= 20


def test_the_threshold_and_the_terms_are_configurable() -> None:
    strict = ReasoningPolicy(min_person_specific_words=30)
    assert not strict.assess(ACCEPTED[0]).sufficient
    custom = ReasoningPolicy(group_terms=("homeless",))
    assert custom.assess(
        "Homeless; liver failure with ascites, encephalopathy and variceal bleeding."
    ).group_terms_mentioned == ("homeless",)
