"""Each mutation's description in the API is its command's docstring: it must be written, in the domain's
words, and never the signature dataclasses make up when a class has none."""

import dataclasses

import pytest

from carerecord_services import commands
from carerecord_services.commands import Command

COMMANDS = [
    value
    for value in vars(commands).values()
    if isinstance(value, type) and issubclass(value, Command) and value is not Command
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.__name__)
def test_every_command_says_what_it_does_in_words(command: type[Command]) -> None:
    written = vars(command).get("__doc__") or ""
    assert dataclasses.is_dataclass(command)
    assert written.strip(), f"{command.__name__} has no docstring"
    assert not written.startswith(f"{command.__name__}("), (
        f"{command.__name__}'s description is its signature"
    )


def test_the_commands_are_found() -> None:
    assert len(COMMANDS) >= 20
