"""The composition root builds each part on first use: building it, or closing it unused, touches nothing."""

import pytest

from carerecord.bootstrap import Feeding, Services
from carerecord.settings import SettingsError, load_settings

NOWHERE = {"DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/nothing"}


def test_the_root_of_a_process_connects_to_nothing_until_a_part_is_asked_for() -> None:
    services = Services(load_settings(NOWHERE), feeding=Feeding.NOT_HERE)
    services.close()
    assert "store" not in vars(services) and "database" not in vars(services)


def test_without_kafka_a_process_has_no_relay_to_build_and_says_which_setting_is_missing() -> None:
    with pytest.raises(SettingsError) as refused:
        _ = Services(load_settings(NOWHERE)).kafka
    assert refused.value.setting == "KAFKA_BOOTSTRAP_SERVERS"
