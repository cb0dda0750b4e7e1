"""`carerecord subscribe`: plan changes for the caller's organisation, as JSON lines, as they happen."""

from __future__ import annotations

import argparse
import os
import sys

from carerecord.commands.shared import Commands, subcommand
from carerecord.settings import SettingsError

QUERY = (
    "subscription($after: Int!) { planChanges(afterPosition: $after) "
    "{ position recordId version eventType label recordedAt } }"
)


def add(commands: Commands) -> None:
    subscribe = subcommand(
        commands,
        "subscribe",
        _subscribe,
        help="print plan changes for your organisation as they happen (graphql-transport-ws)",
        description=(
            "Connects to CARERECORD_URL/graphql (default http://127.0.0.1:8000) with the bearer token in "
            "CARERECORD_TOKEN and prints each change as a JSON line. Pass the last position you saw with --after "
            "to resume without missing anything."
        ),
    )
    subscribe.add_argument("--after", type=int, default=0, help="resume after this position (default 0)")
    subscribe.add_argument("--count", type=int, help="stop after this many changes")


def _subscribe(arguments: argparse.Namespace) -> int:
    import asyncio

    url = os.environ.get("CARERECORD_URL", "http://127.0.0.1:8000").replace("http", "ws", 1) + "/graphql"
    token = os.environ.get("CARERECORD_TOKEN")
    if not token:
        raise SettingsError("CARERECORD_TOKEN", "must hold a bearer token (see `carerecord token`)")
    asyncio.run(_print_changes(url, token, arguments.after, arguments.count))
    return 0


async def _print_changes(url: str, token: str, after: int, count: int | None) -> None:
    import json

    import websockets

    headers = {"authorization": f"Bearer {token}"}
    protocol = websockets.Subprotocol("graphql-transport-ws")
    async with websockets.connect(url, subprotocols=[protocol], additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        payload = {"query": QUERY, "variables": {"after": after}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        received = 0
        while count is None or received < count:
            message = json.loads(await ws.recv())
            if message["type"] != "next":
                print(json.dumps(message), file=sys.stderr)
                return
            print(json.dumps(message["payload"]["data"]["planChanges"]), flush=True)
            received += 1
