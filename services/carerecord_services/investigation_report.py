"""An investigation bundle as a report a person can read: Markdown, oldest first. It is rendered from the bundle's
JSON document (`InvestigationBundle.as_json()`, what bundle.json holds), so that the report says what the evidence
says, and a kept bundle.json can be rendered again."""

from __future__ import annotations

from typing import Any

from carerecord_events.plain import label
from carerecord_events.record.facts import endorsement_outstanding
from carerecord_events.vocabulary import CprRecommendation, PlanStatus, Setting


def render_markdown(bundle: dict[str, Any]) -> str:
    period = bundle["period"]
    by = bundle["generated_by"]
    lines = [
        f"# Investigation of record {bundle['record_id']}",
        "",
        f"- Period: from {period['from']} up to {period['to']} (an event is in it if either clock falls inside)",
        f"- Generated at {bundle['generated_at']} for {by['user_id']} ({by['role']}, {by['organisation']})",
        f"- The record is now at version {bundle['current_version']}",
        "",
        "## The record before the first event of the period",
        "",
        *_record(bundle["record_before"]),
        "",
        f"## What happened ({len(bundle['events'])} events)",
        "",
    ]
    for event in bundle["events"]:
        who = event["recorded_by"]
        name = f"{who['name']}, " if who.get("name") else ""
        lines += [
            f"### Version {event['version']}: {event['label']}",
            "",
            f"- Happened: {event['occurred_at']}; recorded: {event['recorded_at']}"
            + ("  (recorded later than it happened)" if event["occurred_at"] != event["recorded_at"] else ""),
            f"- By {name}{who['user_id']} ({who['role']}, {who['organisation']})",
            f"- {event['summary']}",
        ]
        if event.get("record_after"):
            lines += ["", "The record after this change:", "", *_record(event["record_after"])]
        lines.append("")
    lines += (
        _accesses(bundle["accesses"]) + _disclosures(bundle["disclosures"]) + _integrity(bundle["integrity"])
    )
    return "\n".join(lines).rstrip() + "\n"


def _record(record: dict[str, Any]) -> list[str]:
    lines = [f"Version {record['version']}" + (" (the person has died)" if record["died"] else "")]
    caring = ", ".join(record["caring_organisations"]) or "none"
    lines.append(f"- Organisations caring for the person: {caring}")
    if not record["plans"]:
        lines.append("- No plan")
    for plan in record["plans"]:
        endorsement = (
            "awaiting senior endorsement"
            if endorsement_outstanding(plan["needs_senior_endorsement"], plan["endorsed"])
            else "endorsed"
            if plan["endorsed"]
            else "no endorsement needed"
        )
        lines.append(
            f"- Plan {plan['plan_id']} ({label(PlanStatus(plan['status']))}): {plan['form_name']}. "
            f"{label(CprRecommendation(plan['cpr']))} "
            f"Made by {plan['responsible_clinician']} at {plan['organisation']} "
            f"({label(Setting(plan['setting']))}); "
            f"person involved: {'yes' if plan['person_involved'] else 'no'}; {endorsement}; "
            f"review due: {plan['review_due'] or 'not set'}."
        )
    return lines


def _accesses(accesses: list[dict[str, Any]]) -> list[str]:
    lines = [f"## Who looked ({len(accesses)} accesses)", ""]
    if not accesses:
        lines.append("No one looked at the record in the period.")
    for access in accesses:
        outcome = (
            f"shown version {access['version_shown']}"
            if access["granted"] and access.get("version_shown")
            else "granted"
            if access["granted"]
            else f"REFUSED ({access['refusal_reason']})"
        )
        glass = " via break glass" if access["via_break_glass"] else ""
        lines.append(
            f"- {access['at']}: {access['user_id']} ({access['role']}, {access['organisation']}) "
            f"{access['operation']} for {access['purpose']!r}{glass}: {outcome}; access id {access['access_id']}"
        )
    return [*lines, ""]


def _disclosures(disclosures: list[dict[str, Any]]) -> list[str]:
    lines = [f"## Sent to provider feeds ({len(disclosures)} disclosures)", ""]
    if not disclosures:
        lines.append("Nothing was sent to a provider feed in the period.")
    for item in disclosures:
        lines.append(
            f"- {item['disclosed_at']}: {item['event_type']} (event {item['event_id']}) to {item['organisation']}"
        )
    return [*lines, ""]


def _integrity(integrity: dict[str, Any]) -> list[str]:
    chain = integrity["chain"]
    lines = ["## Integrity", ""]
    if chain["intact"]:
        lines.append(f"- Hash chain: intact up to version {chain['version']} (head {chain['head_hash']})")
    else:
        lines.append(f"- Hash chain: BROKEN at version {chain['broken_at_version']}: {chain['problem']}")
    proof = integrity["checkpoint"]
    if proof is None:
        lines.append("- No signed checkpoint yet: run `carerecord checkpoint`")
        return lines
    header = proof["checkpoint"]
    lines.append(
        f"- Latest signed checkpoint: position {header['position']}, {header['record_count']} records, "
        f"root {header['root']}, signed {header['created_at']} by key {header['key_id']}"
    )
    leaf = proof["leaf"]
    if leaf is None:
        lines.append("- The record is newer than that checkpoint: it is not in it yet")
        return lines
    lines += [
        f"- Leaf {proof['leaf_index']}: version {leaf['version']}, chain hash {leaf['chain_hash']}",
        f"- Inclusion proof ({len(proof['inclusion_proof'])} hashes) leads to the signed root: "
        + ("yes" if proof["proof_verifies"] else "NO"),
        "- The stored event at that version still has that chain hash: "
        + ("yes" if proof["store_matches_leaf"] else "NO"),
        f"- Versions recorded since the checkpoint: {proof['versions_since_checkpoint']}",
    ]
    return lines
