"""Messages on the region's topic are decoded from their `ce_*` headers directly: what the decoder gives is what the
cloudevents SDK reads from the same message, and what the SDK refused (or the wire format never sends) is refused
with the header named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from carerecord_messaging.wire import NotOurWireFormat, WireEvent, from_message, to_message

SOURCE = "/carerecord/regions/test"
WHEN = [
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, 0, 999999, tzinfo=timezone(timedelta(hours=1))),
    datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
]


def _wire(when: datetime, type_name: str = "ConversationRecorded", position: int = 7) -> WireEvent:
    payload: dict[str, Any] = {"what_matters": "her garden, ünïcödé, \u2603", "nested": {"a": [1, 2.5, None]}}
    if type_name == "NhsNumberIndexed":
        payload = {"person_record_id": str(uuid4())}
    return WireEvent(position, uuid4(), 3, type_name, 2, uuid4(), when, payload)


def _through_the_sdk(headers: dict[str, bytes], key: bytes | None, value: bytes) -> WireEvent:
    """The decoding this replaced: the SDK's binding, then the checks carerecord made on its result."""
    event = from_binary_event(KafkaMessage(headers=headers, key=key, value=value))
    name, _, version = event.get_type().removeprefix("uk.nhs.carerecord.").rpartition(".v")
    data, time = event.get_data(), event.get_time()
    assert isinstance(data, dict) and time is not None
    return WireEvent(
        int(headers["carerecord_position"]),
        UUID(str(event.get_subject())),
        int(event.get_extension("carerecordversion")),
        name,
        int(version),
        UUID(event.get_id()),
        time,
        data,
    )


@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("type_name", ["ConversationRecorded", "NhsNumberIndexed"])
def test_a_message_decodes_to_what_the_sdk_reads_from_it(when: datetime, type_name: str) -> None:
    sent = _wire(when, type_name, position=123_456_789)
    message = to_message(sent, SOURCE)
    headers = list(message.headers.items())  # as kafka-python gives them
    assert isinstance(message.key, bytes)
    decoded = from_message(headers, message.key, message.value)
    assert decoded == _through_the_sdk(message.headers, message.key, message.value)
    assert decoded == sent and decoded.recorded_at.utcoffset() == when.utcoffset()


def _message(**changed: bytes | None) -> tuple[dict[str, bytes], bytes]:
    message = to_message(_wire(WHEN[1]), SOURCE)
    headers = dict(message.headers)
    for name, value in changed.items():
        header = name.replace("content_type", "content-type")
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    return headers, message.value


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"ce_specversion": b"0.3"}, "specversion"),
        ({"ce_specversion": None}, "specversion"),
        ({"ce_type": b"com.example.Other.v1"}, "not a carerecord event"),
        ({"ce_type": b"uk.nhs.carerecord.ConversationRecorded"}, "not a carerecord event"),
        ({"ce_type": None}, "ce_type"),
        ({"ce_source": b""}, "source"),
        ({"ce_id": b""}, "ce_id"),
        ({"ce_id": b"{" + str(uuid4()).encode() + b"}"}, "ce_id"),
        ({"ce_subject": None}, "ce_subject"),
        ({"ce_time": None}, "ce_time"),
        ({"ce_time": b"2026-03-29T01:00:00"}, "RFC 3339"),
        ({"ce_time": b"2026-03-29"}, "RFC 3339"),
        ({"ce_time": b"2026-13-29T01:00:00Z"}, "RFC 3339"),
        ({"ce_carerecordversion": b"\xd9\xa3".decode().encode()}, "not a number"),
        ({"ce_carerecordversion": b"+3"}, "not a number"),
        ({"carerecord_position": None}, "carerecord_position"),
        ({"carerecord_position": b"7 "}, "not a number"),
        ({"content_type": b"text/plain"}, "application/json"),
        ({"ce_Bad-Name": b"x"}, "attribute name"),
        ({"ce_subject": b"\xff"}, "UTF-8"),
    ],
)
def test_a_message_outside_the_wire_format_is_refused_naming_what_is_wrong(
    changed: dict[str, bytes | None], named: str
) -> None:
    headers, value = _message(**changed)
    with pytest.raises(NotOurWireFormat, match=named):
        from_message(headers, None, value)


@pytest.mark.parametrize(
    ("value", "named"), [(b"", "not JSON"), (b"[1, 2]", "not a JSON object"), (b"\xff", "not JSON")]
)
def test_data_that_is_not_a_json_object_is_refused(value: bytes, named: str) -> None:
    headers, _ = _message()
    with pytest.raises(NotOurWireFormat, match=named):
        from_message(headers, None, value)
