"""`carerecord feeds` and `feed-add`: each person's events copied to the organisations caring for them."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, log_to_stderr, process_settings, refuse, subcommand
from carerecord.settings import load_settings

FEED_ADD_HELP = "create a provider organisation's feed topic, Kafka user and ACLs (admin principal)"
FEED_ADD = "Prints the new feed's topic, user name and password once: hand them to the provider securely."


def add(commands: Commands) -> None:
    feeds = subcommand(
        commands,
        "feeds",
        _feeds,
        help="copy each person's events to the feeds of the organisations caring for them",
        description=(
            "Reads KAFKA_TOPIC and writes each event to carerecord.feed.<ODS> for every organisation with an "
            "active care relationship with that person at that point, and every plan-level change to the urgent "
            "and emergency care services a board granted the region's plans; never concerns. Records every disclosure "
            "(principal: feeds)."
        ),
    )
    feeds.add_argument(
        "--status",
        action="store_true",
        help="print, per organisation, how many events are held for want of a feed topic (feed-add), and exit",
    )
    feed_add = subcommand(commands, "feed-add", _feed_add, help=FEED_ADD_HELP, description=FEED_ADD)
    feed_add.add_argument("organisation", help="the organisation's ODS code, e.g. RXF or K81003")


def _feeds(arguments: argparse.Namespace) -> int:
    from carerecord.processes import run_feeds

    if arguments.status:
        return _feeds_status()
    log_to_stderr()
    run_feeds(process_settings())
    return 0


def _feeds_status() -> int:
    """Organisations caring for people with no feed topic yet: their events wait for `feed-add`, nothing lost."""
    from carerecord.bootstrap import Services
    from carerecord_messaging.feed_backlog import held_counts

    held = held_counts(Services(load_settings()).read_models_dsn)
    for organisation, count in held.items():
        print(f"{organisation}: {count} events held until `carerecord feed-add {organisation}`")
    if not held:
        print("no events held: every organisation caring for someone has its feed")
    return 0


def _feed_add(arguments: argparse.Namespace) -> int:
    from carerecord.kafka_setup import add_feed
    from carerecord_services.identifiers import ods_code_is_valid

    if not ods_code_is_valid(arguments.organisation):
        return refuse(f"{arguments.organisation!r} is not an ODS organisation code")
    account = add_feed(load_settings().kafka_for("feed-add"), arguments.organisation)
    print(f"topic:    {account.topic}\nuser:     {account.username}\npassword: {account.password}")
    print(
        f"groups:   consumer group names must start with {account.group_prefix} (e.g. {account.group_prefix}main)"
    )
    return 0
