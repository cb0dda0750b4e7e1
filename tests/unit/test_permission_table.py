"""The README's "Who may do what" is the permission table, so the two cannot drift."""

import re
from pathlib import Path

from carerecord_services.policy import (
    COMMAND_ACTIONS,
    CONDITIONS,
    OPERATIONS,
    PERMISSIONS,
    Action,
    Read,
    who_may_do_what,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_permission_table() -> None:
    found = re.search(r"<!-- permissions:start -->\n(.*?)<!-- permissions:end -->", README.read_text(), re.S)
    assert found, "the README has lost its permissions markers"
    assert found.group(1) == who_may_do_what(), "paste this into README.md:\n" + who_may_do_what()


def test_every_change_and_read_has_roles_operations_and_every_command_an_action() -> None:
    every = set(Action) | set(Read)
    assert set(PERMISSIONS) == every
    assert set(OPERATIONS) == every
    assert set(CONDITIONS) <= every
    assert set(COMMAND_ACTIONS.values()) == set(Action)
