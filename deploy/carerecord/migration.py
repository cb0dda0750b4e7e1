"""A region's existing plans moved in: FHIR NDJSON, one Bundle per line (a Patient and its CarePlans, as
`POST /fhir/Bundle` takes them), each taken in exactly as that route takes it, for the organisation whose token
runs the import (the same authorisation, rules, idempotency and held queue).

Resumable: a checkpoint file beside the input records the last line done (written every `CHECKPOINT_EVERY`
lines and at the end, atomically). A run that crashed starts again after the checkpoint; the lines done since
it are sent again and taken in once, because each plan's idempotency key is its Bundle's identifier. The report
(NDJSON, one line per refused Bundle: its line, identifier, status and reasons, each the rule, the element and
why, never a value sent) is cut back to the checkpoint when a run resumes, so no refusal is reported twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from carerecord_graphql.fhir_intake import TakenIn
from carerecord_projections.fhir import NHS_NUMBER_SYSTEM
from carerecord_services.intake import StatedRelationship
from carerecord_services.read_access import Reader

CHECKPOINT_EVERY = 20
Progress = Callable[[int, int], None]


class ItemIntake(Protocol):
    """What takes in one line: `BundleIntake` (FHIR Bundles), `LocalFormIntake` (a region's own forms)."""

    def take_in(
        self, reader: Reader, item: Any, relationship: StatedRelationship | None, via: str
    ) -> TakenIn: ...


@dataclass
class ImportReport:
    total: int = 0
    resumed_after: int = 0
    taken_in: int = 0
    already_taken_in: int = 0
    refused: int = 0
    plans: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    items: str = "Bundles"

    def summary(self) -> str:
        held = "held for correction and in the report" if self.items == "Bundles" else "in the report"
        return (
            f"{self.total} {self.items}: {self.taken_in} taken in ({self.plans} plans), {self.already_taken_in} "
            f"already taken in, {self.refused} refused ({held})"
            + (f"; resumed after line {self.resumed_after}" if self.resumed_after else "")
        )


def import_ndjson(
    intake: ItemIntake,
    reader: Reader,
    source: Path,
    *,
    checkpoint: Path,
    report: Path,
    relationship: StatedRelationship | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    person_of: Callable[[Any], str | None] | None = None,
    identifier_of: Callable[[Any], str | None] | None = None,
    items: str = "Bundles",
) -> ImportReport:
    """Items (Bundles, by default) `workers` at a time, in batches of `CHECKPOINT_EVERY` a worker: within a batch
    one person's items (`person_of`: their NHS number) go to one worker, in file order; the checkpoint is
    written once the whole batch is done. `identifier_of` gives an item's identifier for the report."""
    lines = _count_lines(source)
    done = _resume(checkpoint, source)
    refusals = _kept_refusals(report, done)
    result = ImportReport(total=lines, resumed_after=done, refusals=refusals, items=items)
    person = person_of or _nhs_number
    identify = identifier_of or _identifier
    _write_report(report, refusals)
    via = f"migration from {source.name}, sent by {reader.actor.organisation}"

    def take_in(lane: list[tuple[int, Any]]) -> list[tuple[int, Any, TakenIn]]:
        return [
            (number, bundle, intake.take_in(reader, bundle, relationship, via=via)) for number, bundle in lane
        ]

    with report.open("a") as out, ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(_lines(source, after=done), CHECKPOINT_EVERY * workers):
            answered = [each for lane in pool.map(take_in, _lanes(batch, workers, person)) for each in lane]
            for number, bundle, taken in sorted(answered, key=lambda each: each[0]):
                _count(number, identify(bundle), taken, result, out)
            out.flush()
            _save_checkpoint(checkpoint, source, batch[-1][0])
            if progress is not None:
                progress(batch[-1][0], lines)
    _save_checkpoint(checkpoint, source, lines)
    result.refused = len(result.refusals)
    return result


def _parsed(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _batches(lines: Iterator[tuple[int, str]], size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    for number, line in lines:
        batch.append((number, _parsed(line)))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _lanes(
    batch: list[tuple[int, Any]], workers: int, person_of: Callable[[Any], str | None]
) -> list[list[tuple[int, Any]]]:
    """One lane a worker; a person's items (by their NHS number) all in one lane, in file order."""
    lanes: list[list[tuple[int, Any]]] = [[] for _ in range(workers)]
    for number, bundle in batch:
        key = person_of(bundle) or str(number)
        lanes[int(hashlib.sha256(key.encode()).hexdigest(), 16) % workers].append((number, bundle))
    return [lane for lane in lanes if lane]


def _nhs_number(bundle: Any) -> str | None:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            for identifier in resource.get("identifier") or []:
                if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER_SYSTEM:
                    return "".join(ch for ch in str(identifier.get("value")) if ch in "0123456789")
    return None


def _count(number: int, identifier: str | None, taken: TakenIn, result: ImportReport, out: Any) -> None:
    if taken.status >= 400:
        refusal = {
            "line": number,
            "identifier": identifier,
            "status": taken.status,
            "reasons": [
                {"rule": i.rule, "expression": i.expression, "message": i.message} for i in taken.issues
            ],
        }
        result.refusals.append(refusal)
        out.write(json.dumps(refusal) + "\n")
        return
    assert taken.result is not None
    result.plans += len(taken.result.taken_in)
    if taken.result.recorded_nothing_new:
        result.already_taken_in += 1
    else:
        result.taken_in += 1


def _identifier(bundle: Any) -> str | None:
    identifier = bundle.get("identifier") if isinstance(bundle, dict) else None
    if isinstance(identifier, dict):
        return f"{identifier.get('system')}|{identifier.get('value')}"
    return None


def _lines(source: Path, *, after: int) -> Iterator[tuple[int, str]]:
    with source.open() as lines:
        for number, line in enumerate(lines, start=1):
            if number > after and line.strip():
                yield number, line


def _count_lines(source: Path) -> int:
    with source.open("rb") as lines:
        return sum(1 for _ in lines)


def _resume(checkpoint: Path, source: Path) -> int:
    if not checkpoint.exists():
        return 0
    kept = json.loads(checkpoint.read_text())
    if kept.get("source") != str(source.resolve()):
        raise ValueError(f"the checkpoint {checkpoint} is for another file: {kept.get('source')}")
    return int(kept["line"])


def _save_checkpoint(checkpoint: Path, source: Path, line: int) -> None:
    written = checkpoint.with_name(checkpoint.name + ".tmp")
    written.write_text(json.dumps({"source": str(source.resolve()), "line": line}))
    written.replace(checkpoint)


def _kept_refusals(report: Path, done: int) -> list[dict[str, Any]]:
    if not report.exists() or not done:
        return []
    kept = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    return [refusal for refusal in kept if refusal["line"] <= done]


def _write_report(report: Path, refusals: list[dict[str, Any]]) -> None:
    report.write_text("".join(json.dumps(refusal) + "\n" for refusal in refusals))
