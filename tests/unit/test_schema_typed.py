"""Every answer the GraphQL schema gives is typed: no untyped JSON scalar, only the standard scalars and the
dates and ids the record uses. The FHIR Bundle and the investigation bundle, JSON documents by nature, are
given as text inside types that describe them (issue 15)."""

from __future__ import annotations

from carerecord_graphql.schema import build_schema
from graphql import GraphQLScalarType, specified_scalar_types

OUR_SCALARS = {"Date", "DateTime", "UUID"}


def test_the_schema_has_no_untyped_json_scalar_only_standard_scalars_dates_and_ids() -> None:
    types = build_schema()._schema.type_map.values()
    scalars = {t.name for t in types if isinstance(t, GraphQLScalarType) and not t.name.startswith("__")}
    assert scalars - set(specified_scalar_types) == OUR_SCALARS


def test_the_bundles_are_types_with_their_json_documents_as_text() -> None:
    schema = build_schema()._schema
    assert str(schema.get_type("Person").fields["fhir"].type) == "FhirBundle!"
    assert str(schema.get_type("FhirBundle").fields["json"].type) == "String!"
    assert str(schema.query_type.fields["investigation"].type) == "InvestigationBundle!"
    assert str(schema.get_type("InvestigationBundle").fields["document"].type) == "String!"
