"""The words of the demo region's stories: invented names, the region's mix of ethnicities, and what
clinicians write. None of it describes a real person."""

from __future__ import annotations

from carerecord_events.vocabulary import FormType

GIVEN = {
    "female": ("Ada", "Beryl", "Cora", "Doris", "Edna", "Freda", "Gwen", "Hilda", "Iris", "Joan", "Kathleen",
               "Lilian", "Mabel", "Nora", "Olive", "Pearl", "Rita", "Sylvia", "Thelma", "Vera", "Winifred",
               "Amira", "Bisi", "Chen", "Deepa", "Grace", "Halima", "Mei", "Nia", "Priya", "Sadia"),
    "male": ("Albert", "Bernard", "Cyril", "Dennis", "Ernest", "Frank", "George", "Harold", "Ivor", "Jack",
             "Kenneth", "Leonard", "Maurice", "Norman", "Owen", "Percy", "Ronald", "Stanley", "Trevor", "Walter",
             "Abdul", "Chidi", "Darnell", "Hamid", "Kwame", "Li", "Rajesh", "Tariq", "Wei", "Yusuf"),
}  # fmt: skip
FAMILY = ("Abbott", "Baker", "Clarke", "Dawson", "Ellis", "Fletcher", "Gray", "Hughes", "Iqbal", "Jenkins",
          "Khan", "Lowe", "Mensah", "Norris", "Okafor", "Patel", "Quinn", "Reid", "Shah", "Turner", "Usman",
          "Vaughan", "Walsh", "Yates", "Zhang", "Adeyemi", "Begum", "Chowdhury", "Evans", "Murphy")  # fmt: skip
ETHNICITIES = (
    ("White", 0.82),
    ("Asian or Asian British", 0.08),
    ("Black, Black British, Caribbean or African", 0.04),
    ("Mixed or multiple", 0.03),
    ("Other ethnic group", 0.03),
)
FINDINGS = (
    "metastatic lung cancer with pleural effusions re-accumulating despite drainage",
    "end-stage heart failure with ejection fraction under 20 percent and daily breathlessness at rest",
    "advanced COPD needing home oxygen, three admissions for respiratory failure this winter",
    "end-stage renal failure, has chosen not to start dialysis after discussion",
    "motor neurone disease with bulbar weakness and recurrent aspiration",
    "metastatic prostate cancer with spinal cord compression and bone marrow failure",
    "liver cirrhosis with refractory ascites and two episodes of variceal bleeding",
    "advanced pancreatic cancer, jaundiced, sleeping most of the day",
    "severe aortic stenosis, declined valve replacement, syncope on exertion",
    "glioblastoma progressing after radiotherapy with reduced consciousness",
)  # fmt: skip
CONSEQUENCES = (
    "CPR would not restart the heart and would cause rib fractures and a distressing death",
    "a cardiac arrest would be the final stage of this illness and CPR would not succeed",
    "she has said clearly she does not want CPR and wants to die peacefully at home",
    "he has said he would not want to be resuscitated and his family agree",
    "CPR would not be successful given the extent of the disease",
)  # fmt: skip
WHAT_MATTERS = (
    "being at home with family",
    "staying in the care home where friends are",
    "being free of pain and breathlessness",
    "seeing grandchildren at weekends",
    "avoiding going back into hospital",
    "keeping the garden and the cat",
)  # fmt: skip
BLANKET_REASONING = (
    "{name} has multiple long term conditions and a poor baseline; following review of the notes CPR would not "
    "be successful and admission to hospital would not be appropriate, ceiling of care is the home"
)
FORMS = (FormType.RESPECT, FormType.RESPECT, FormType.DNACPR, FormType.TREATMENT_ESCALATION_PLAN)
VIEWS = ("wants to be kept comfortable", "wants every treatment offered", "unsure, wants to talk to family")
