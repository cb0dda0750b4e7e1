"""`makeRecommendationFromLocalForm`: a plan taken in from a region's own form, through the mapping an
administrator loaded (`carerecord forms load`). Authorised exactly as `makeRecommendation` (the same action,
the same record decision, before the form's fit is judged), then judged by the same rules."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry

from carerecord_graphql.access import reader_of
from carerecord_graphql.arguments import ExpectedVersion, IdempotencyKey, RecordId
from carerecord_graphql.context import info_context
from carerecord_graphql.inputs import input_type, to_domain
from carerecord_graphql.mutations import idempotency_of, mutation_result
from carerecord_graphql.types import MutationResult
from carerecord_services import commands as c
from carerecord_services.local_forms import (
    LocalFormDocument,
    LocalFormMapping,
    LocalFormNotLoaded,
    load_mapping,
)
from carerecord_services.service import Outcome

NAME = "makeRecommendationFromLocalForm"


def _mapping(loaded: Any, form: str) -> LocalFormMapping:
    found = loaded.get(form) if loaded is not None else None
    if found is None:
        raise LocalFormNotLoaded(
            f"no mapping for the local form {form!r} is loaded: an administrator loads it with "
            "`carerecord forms load FILE`",
            field="form",
        )
    return load_mapping(found.mapping)  # checked again: the table is anyone's with the database's credentials


def make_recommendation_from_local_form() -> Any:
    input_class = input_type(LocalFormDocument)

    def resolve(
        info: strawberry.Info,
        record_id: RecordId,
        input: Any,
        expected_version: ExpectedVersion = None,
        idempotency_key: IdempotencyKey = None,
    ) -> MutationResult:
        context = info_context(info)
        caller = context.caller()

        def make() -> c.Command:
            document = to_domain(LocalFormDocument, input)
            return _mapping(context.api.local_forms, document.form).recommendation(
                document.answers(),
                actor=caller.actor,
                responsible_clinician=document.responsible_clinician,
                occurred_at=document.occurred_at,
            )

        def run() -> Outcome:
            return context.api.changes.change_made(
                reader_of(caller),
                record_id,
                c.MakeRecommendation,
                make,
                expected_version=expected_version,
                idempotency=idempotency_of(caller.user_id, idempotency_key, NAME, record_id, input),
            )

        return mutation_result(context, NAME, run)

    resolve.__annotations__ = {
        "info": strawberry.Info,
        "record_id": RecordId,
        "input": Annotated[
            input_class,
            strawberry.argument(description="The local form's answers, as its mapping names them"),
        ],
        "expected_version": ExpectedVersion,
        "idempotency_key": IdempotencyKey,
        "return": MutationResult,
    }
    resolve.__name__ = NAME
    return strawberry.mutation(
        resolver=resolve, description=inspect.cleandoc(LocalFormDocument.__doc__ or "")
    )
