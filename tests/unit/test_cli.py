import subprocess
import sys

import pytest

from carerecord.cli import build_parser, main

SUBCOMMANDS = (
    "serve",
    "infra",
    "relay",
    "project",
    "rebuild",
    "kafka-setup",
    "feeds",
    "feed-add",
    "schemas",
    "import",
    "demo",
    "verify",
    "checkpoint",
    "investigate",
    "keygen",
)


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as finished:
        main(["--help"])
    assert finished.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("argv", [[name, "--help"] for name in SUBCOMMANDS] + [["infra", "up", "--help"]])
def test_every_subcommand_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as finished:
        build_parser().parse_args(argv)
    assert finished.value.code == 0
    assert "usage: carerecord" in capsys.readouterr().out


def test_a_wrong_database_url_gives_one_line_naming_the_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "serve"],
        env={"DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/nothing", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "carerecord: DATABASE_URL: could not connect to postgresql://nobody@127.0.0.1:1/"
    )
    assert ":pw@" not in lines[0]


def test_keygen_prints_a_usable_cipher_key(capsys: pytest.CaptureFixture[str]) -> None:
    from carerecord.settings import load_settings

    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert load_settings({"CARERECORD_CIPHER_KEY": key}).cipher_key == key


def test_every_subcommand_module_is_in_the_registry() -> None:
    import pkgutil

    from carerecord import commands

    modules = {info.name for info in pkgutil.iter_modules(commands.__path__)} - {"shared"}
    assert modules == {module.__name__.rsplit(".", 1)[1] for module in commands.REGISTRY}
