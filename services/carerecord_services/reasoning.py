"""Is a CPR recommendation's reasoning about this person, or about a group they belong to?

Blanket decisions (a whole care home, an age band, a diagnosis such as learning disability, "because of the
pandemic") are unlawful. We strip the group terms and the words that say nothing about anyone in particular,
and count the distinct person-specific content words left. Too few, and the reasoning is refused; enough, but
mentioning a group term, and it is accepted and flagged for oversight.

Counting distinct words, after removing generic clinical filler, resists the obvious tricks: repeating a phrase,
padding with boilerplate ("clinical decision made in line with policy"), or spelling terms in capitals, with
hyphens or with punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_GROUP_TERMS: tuple[str, ...] = (
    # age
    "age",
    "aged",
    "ageing",
    "aging",
    "elderly",
    "old age",
    "older",
    "old",
    "years old",
    "year old",
    "over eighty",
    "over eighties",
    "octogenarian",
    "nonagenarian",
    "centenarian",
    # frailty
    "frail",
    "frailty",
    "clinical frailty scale",
    "cfs",
    # disability and neurodiversity
    "learning disability",
    "learning disabilities",
    "learning disabled",
    "ld",
    "intellectual disability",
    "down syndrome",
    "down's syndrome",
    "downs syndrome",
    "disability",
    "disabilities",
    "disabled",
    "autism",
    "autistic",
    "asd",
    "cerebral palsy",
    "wheelchair user",
    "wheelchair bound",
    # dementia
    "dementia",
    "alzheimer",
    "alzheimer's",
    "alzheimers",
    "cognitive impairment",
    # where someone lives
    "care home",
    "care home resident",
    "nursing home",
    "residential home",
    "resident",
    "residents",
    "lives in a care home",
    # the pandemic
    "covid",
    "covid-19",
    "covid19",
    "coronavirus",
    "pandemic",
    "sars-cov-2",
    # other group labels
    "mental illness",
    "mental health",
    "bed bound",
    "bedbound",
    "housebound",
    "nursing needs",
)

# Words that carry no information about a particular person: grammar, and the boilerplate of CPR forms.
GENERIC_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing done down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours per via etc
    patient patients person people persons individual individuals client clients service user users
    decision decisions decided decide clinical clinically medical medically appropriate inappropriate
    appropriately cpr dnacpr resuscitation resuscitate resuscitated attempt attempted attempts attempting
    cardiopulmonary arrest cardiac respect form forms recommendation recommended recommend tep plan plans
    policy policies guidance guideline guidelines protocol local national standard standards trust home homes
    reason reasons reasoning due given considered consider considering deemed felt feel feels think thought
    likely unlikely success successful succeed would outcome outcomes benefit benefits best interest
    interests burden burdens treatment treatments care cared caring made make making agreed agree line
    accordance current currently situation circumstances condition conditions general overall status case
    cases group groups category categories whole everyone everybody anyone all blanket applies apply applied
    """.split()  # noqa: SIM905 - a word list reads better as prose
)


@dataclass(frozen=True)
class ReasoningAssessment:
    person_specific_words: tuple[str, ...]
    group_terms_mentioned: tuple[str, ...]
    sufficient: bool


@dataclass(frozen=True)
class ReasoningPolicy:
    """Configurable: the group terms, and how many distinct person-specific words a reason needs."""

    group_terms: tuple[str, ...] = DEFAULT_GROUP_TERMS
    min_person_specific_words: int = 5
    _patterns: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False, compare=False)
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted({_normalise(term) for term in self.group_terms}, key=len, reverse=True)
        patterns = tuple(
            (term, re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")) for term in ordered
        )
        object.__setattr__(self, "_patterns", patterns)
        # one search that finds a text mentioning none of the terms (most reasons): then none is looked for
        alternatives = "|".join(re.escape(term) for term in ordered)
        any_term = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])") if ordered else None
        object.__setattr__(self, "_any", any_term)

    def assess(self, reasoning: str) -> ReasoningAssessment:
        text = _normalise(reasoning)
        mentioned: list[str] = []
        patterns = self._patterns if self._any is not None and self._any.search(text) else ()
        for term, pattern in patterns:
            if pattern.search(text):
                mentioned.append(term)
                text = pattern.sub(" ", text)
        words = sorted(set(_content_words(text)))
        return ReasoningAssessment(
            person_specific_words=tuple(words),
            group_terms_mentioned=tuple(sorted(mentioned)),
            sufficient=len(words) >= self.min_person_specific_words,
        )


_JOINERS = re.compile(r"[-_/]+")  # learning-disability, care/nursing home
_ABBREVIATION_DOTS = re.compile(r"(?<=[a-z])\.(?=[a-z]\.)")  # l.d. -> ld.
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[a-z][a-z']+")


def _normalise(text: str) -> str:
    text = text.casefold().replace("’", "'")
    text = _JOINERS.sub(" ", text)
    text = _ABBREVIATION_DOTS.sub("", text)
    return _SPACES.sub(" ", text)


def _content_words(text: str) -> list[str]:
    words = [_stem(word) for word in _WORDS.findall(text)]
    return [word for word in words if len(word) >= 3 and word not in GENERIC_WORDS]


def _stem(word: str) -> str:
    """A light stem so that 'admission' and 'admissions' (and "patient's") count once."""
    word = word.strip("'").removesuffix("'s")
    if word.endswith("s") and len(word) > 4 and not word.endswith("ss") and word not in GENERIC_WORDS:
        return word[:-1]
    return word
