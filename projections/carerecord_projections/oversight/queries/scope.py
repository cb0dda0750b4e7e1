"""A scope as SQL: conditions on an ODS code column, on decision_facts (`d`), and the people in scope."""

from __future__ import annotations

from typing import Any

from carerecord_projections.oversight.rules.scope import Scope


def organisations_in_scope(scope: Scope, column: str) -> tuple[str, list[Any]]:
    """A condition on an ODS code column, and its parameters."""
    clauses, parameters = [], []
    if scope.organisation:
        clauses.append(f"{column} = %s")
        parameters.append(scope.organisation.upper())
    if scope.region:
        clauses.append(
            f"{column} IN (SELECT ods_code FROM organisations WHERE icb_code = upper(%s) OR region = %s)"
        )
        parameters += [scope.region, scope.region]
    if scope.setting:
        clauses.append(f"{column} IN (SELECT ods_code FROM organisations WHERE setting = %s)")
        parameters.append(scope.setting)
    return (" AND ".join(clauses) or "true"), parameters


def decisions_in_scope(scope: Scope) -> tuple[str, list[Any]]:
    where, parameters = organisations_in_scope(scope, "d.organisation")
    if scope.setting:  # a decision carries the setting it was made in; that is the one that counts
        where, parameters = organisations_in_scope(Scope(scope.region, scope.organisation), "d.organisation")
        where += " AND d.setting = %s"
        parameters.append(scope.setting)
    return where, parameters


def people_in_scope(scope: Scope) -> tuple[str, list[Any]]:
    """People cared for by an organisation in scope, or with a decision made by one."""
    if scope == Scope():
        return "SELECT record_id FROM current_plan", []
    caring, parameters = relationships_in_scope(scope)
    deciding, deciding_parameters = decisions_in_scope(scope)
    return (
        f"SELECT r.record_id FROM care_relationships r WHERE {caring} "
        f"UNION SELECT d.record_id FROM decision_facts d WHERE {deciding}",
        parameters + deciding_parameters,
    )


def relationships_in_scope(scope: Scope) -> tuple[str, list[Any]]:
    """Care relationships (`r`) of the organisations in scope, in the setting of the relationship."""
    where, parameters = organisations_in_scope(Scope(scope.region, scope.organisation), "r.organisation")
    if scope.setting:  # the setting of the care relationship, as for decisions
        where += " AND r.setting = %s"
        parameters.append(scope.setting)
    return where, parameters


def has_table(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    return bool(cursor.fetchone()[0])
