"""How reasoning is compared: put in a standard form (names, numbers, dates, titles and pronouns masked, stock
phrases left out) and compared as bags of words and their three-letter pieces. See "How reasoning is compared"
in blanket.py's docstring."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from carerecord_projections.oversight.rules.blanket_alerts import DecisionUnderReview


@dataclass(frozen=True)
class NormalisedReasoning:
    """Reasoning in the standard form used for comparison."""

    tokens: tuple[str, ...]  # every word in order, with names, numbers, dates, titles and pronouns masked
    words: frozenset[
        str
    ]  # the content words compared (light stems), without masks, stop-words and stock phrases
    shingles: frozenset[str]  # three-letter pieces of the content words, so that near spellings still match

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


NAME, NUMBER, DATE, TITLE, PRONOUN = "<name>", "<number>", "<date>", "<title>", "<pronoun>"
MASKS = frozenset({NAME, NUMBER, DATE, TITLE, PRONOUN})

_TITLES = frozenset("mr mrs ms miss mx dr sir madam dame lady lord rev".split())  # noqa: SIM905
_PRONOUNS = frozenset(
    "he she him her his hers himself herself they them their theirs themselves themself ze zir".split()  # noqa: SIM905
)
_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred""".split()  # noqa: SIM905
)
_DATE_WORDS = frozenset(
    """january february march april june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday
    tomorrow tonight""".split()  # noqa: SIM905
)
# Words that say nothing about why: English grammar, and the stock phrases of CPR forms.
_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has have
    having here how i if in into is it its itself just may me might more most must my myself no nor not now of
    off on once only or other our out over own same should so some such than that the then there these this
    those through to too under until up very was we were what when where which while who whom why will with
    would you your yo yrs
    patient patients person individual cpr dnacpr resuscitation resuscitate resuscitated cardiopulmonary
    attempt attempted attempts attempting successful unsuccessful success succeed likely unlikely
    recommend recommended recommendation decision decided felt deemed considered""".split()  # noqa: SIM905 - a word list reads better as prose
)
_AGE_BEFORE = frozenset(["aged", "age"])
_AGE_AFTER = frozenset(["year", "years", "yr", "yrs", "yo", "old"])
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+")


def normalise_reasoning(text: str, person_names: Sequence[str] = ()) -> NormalisedReasoning:
    """Put reasoning in the standard form: see "How reasoning is compared" in the module docstring."""
    names = {token for name in person_names for token in _raw_tokens(name)}
    tokens = _mask_ages([_mask(token, names) for token in _raw_tokens(text)])
    words = frozenset(
        _stem(token) for token in tokens if token not in MASKS and token not in _STOP_WORDS and len(token) > 1
    )
    shingles = frozenset().union(*(_shingles(word) for word in words))
    return NormalisedReasoning(tokens=tokens, words=words, shingles=shingles)


def reasoning_similarity(a: NormalisedReasoning, b: NormalisedReasoning) -> float:
    """From 0 to 1: the mean of the share of content words and the share of their three-letter pieces in common.

    Two reasons with no content words at all (only stock phrases, names and numbers) count as the same.
    """
    if not a.words and not b.words:
        return 1.0
    return (_jaccard(a.words, b.words) + _jaccard(a.shingles, b.shingles)) / 2


def _raw_tokens(text: str) -> list[str]:
    text = text.casefold().replace("’", "'").replace("‘", "'")
    return [token.removesuffix("'s").replace("'", "") for token in _TOKEN.findall(text)]


def _mask(token: str, names: set[str]) -> str:
    if token.isdigit() or token in _NUMBER_WORDS:
        return NUMBER
    if token in names:
        return NAME
    if token in _TITLES:
        return TITLE
    if token in _PRONOUNS:
        return PRONOUN
    if token in _DATE_WORDS:
        return DATE
    return token


def _mask_ages(tokens: list[str]) -> tuple[str, ...]:
    """'aged 87', 'age 87', '87 years old', '87-year-old', '87 yo' all become one number."""
    for index, token in enumerate(tokens):
        if token != NUMBER:
            continue
        if index > 0 and tokens[index - 1] in _AGE_BEFORE:
            tokens[index - 1] = NUMBER
        after = index + 1
        while after < len(tokens) and tokens[after] in _AGE_AFTER:
            tokens[after] = NUMBER
            after += 1
    return tuple(
        token
        for index, token in enumerate(tokens)
        if token != NUMBER or index == 0 or tokens[index - 1] != NUMBER
    )


@functools.lru_cache(maxsize=65536)
def _shingles(word: str) -> frozenset[str]:
    padded = f"#{word}#"
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _stem(word: str) -> str:
    """A light stem so that 'admission' and 'admissions' count as one word."""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def alike_pairs(reasons: Sequence[NormalisedReasoning], similarity: float) -> list[tuple[int, int]]:
    """Pairs of reasons (all with different content words) at least `similarity` alike.

    A similarity of s needs at least 2s - 1 of the content words in common (the three-letter pieces can add at
    most half). Two sets that share that share of their words must share one of their rarest words
    (prefix filtering), so only reasons sharing a rare word are compared.
    """
    least_words_alike = 2 * similarity - 1
    if least_words_alike <= 0:
        candidates = {(a, b) for a in range(len(reasons)) for b in range(a + 1, len(reasons))}
    else:
        frequency = Counter(word for reason in reasons for word in reason.words)
        index: dict[str, list[int]] = defaultdict(list)
        candidates = set()
        for b, reason in enumerate(reasons):
            rarest_first = sorted(reason.words, key=lambda word: (frequency[word], word))
            prefix = len(rarest_first) - math.ceil(least_words_alike * len(rarest_first) - 1e-9) + 1
            for word in rarest_first[:prefix]:
                candidates.update((a, b) for a in index[word])
                index[word].append(b)
    return sorted(
        (a, b)
        for a, b in candidates
        if _jaccard(reasons[a].words, reasons[b].words) >= least_words_alike - 1e-12
        and reasoning_similarity(reasons[a], reasons[b]) >= similarity - 1e-12
    )


def leans_on_group(decision: DecisionUnderReview, reason: NormalisedReasoning, most_other_words: int) -> bool:
    """Flagged for a group characteristic, and saying little else once the group terms are set aside."""
    if not decision.reasoning_flags:
        return False
    group_words = {_stem(token) for flag in decision.reasoning_flags for token in _raw_tokens(flag)}
    return len(reason.words - group_words) <= most_other_words


def shared_wording(reasons: Sequence[NormalisedReasoning]) -> tuple[str, ...]:
    """The words (masks aside) used by at least half of the reasons, in the order the earliest uses them.

    A word half or more of several different people's reasons use cannot identify one of them.
    """
    uses = Counter(token for reason in reasons for token in set(reason.tokens) if token not in MASKS)
    common = {token for token, count in uses.items() if 2 * count >= len(reasons)}
    ordered: list[str] = []
    for reason in reasons:
        ordered.extend(token for token in reason.tokens if token in common and token not in ordered)
    return tuple(ordered)
