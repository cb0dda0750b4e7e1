"""The GraphQL schema."""

from __future__ import annotations

import strawberry

from carerecord_events.glossary import GLOSSARY


@strawberry.type(description="A word or acronym of advance care planning, in plain and easy-read language.")
class GlossaryTerm:
    term: str
    expansion: str
    plain: str
    easy_read: str


@strawberry.type
class Query:
    @strawberry.field(description="Every acronym and term the record uses, expanded and explained.")
    def glossary(self) -> list[GlossaryTerm]:
        return [
            GlossaryTerm(term=e.term, expansion=e.expansion, plain=e.plain, easy_read=e.easy_read)
            for e in GLOSSARY
        ]


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
