from pathlib import Path

import pytest

from carerecord.settings import SettingsError, load_settings, parse_database_url


def test_nothing_configured_means_embedded_database_and_in_process_projections() -> None:
    settings = load_settings({})
    assert settings.embedded
    assert settings.kafka is None
    assert settings.port == 8000
    assert settings.data_dir.name == "carerecord"


def test_database_url_is_taken_apart_for_every_driver() -> None:
    location = parse_database_url("postgresql://care:s3cret@db.example:6543/record")
    assert (location.host, location.port, location.user, location.password, location.dbname) == (
        "db.example",
        6543,
        "care",
        "s3cret",
        "record",
    )
    assert "s3cret" not in location.redacted()


def test_socket_urls_from_the_embedded_server_are_understood() -> None:
    location = parse_database_url("postgresql://postgres:@/carerecord?host=/tmp/pg")
    assert location.host == "/tmp/pg"
    assert location.dbname == "carerecord"


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://user@host:5432/"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://user@:5432/db"}, "DATABASE_URL"),
        ({"CARERECORD_PORT": "eighty"}, "CARERECORD_PORT"),
        ({"CARERECORD_PORT": "70000"}, "CARERECORD_PORT"),
        ({"KAFKA_BOOTSTRAP_SERVERS": "localhost"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"KAFKA_BOOTSTRAP_SERVERS": "localhost:9092"}, "KAFKA_USERNAME"),
        (
            {"KAFKA_BOOTSTRAP_SERVERS": "localhost:9092", "KAFKA_SECURITY_PROTOCOL": "CARRIER_PIGEON"},
            "KAFKA_SECURITY_PROTOCOL",
        ),
        ({"CARERECORD_CIPHER_KEY": "not base64!"}, "CARERECORD_CIPHER_KEY"),
        ({"CARERECORD_CIPHER_KEY": "c2hvcnQ="}, "CARERECORD_CIPHER_KEY"),
        ({"CARERECORD_CHECKPOINT_KEY_FILE": "/nowhere/key.pem"}, "CARERECORD_CHECKPOINT_KEY_FILE"),
        ({"CARERECORD_CHECKPOINT_SECONDS": "hourly"}, "CARERECORD_CHECKPOINT_SECONDS"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_setting(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert refused.value.setting == setting
    assert str(refused.value).startswith(f"{setting}: ")
    assert "\n" not in str(refused.value)


def test_kafka_with_sasl_gives_client_options() -> None:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "a:1,b:2",
            "KAFKA_USERNAME": "relay",
            "KAFKA_PASSWORD": "pw",
            "CARERECORD_DATA_DIR": "/data",
        }
    )
    assert settings.kafka is not None
    options = settings.kafka.client_options()
    assert options["bootstrap_servers"] == ["a:1", "b:2"]
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_plain_username"] == "relay"
    assert settings.data_dir == Path("/data")


def test_production_mode_refuses_to_start_without_real_key_configuration(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"CARERECORD_MODE": "production"})
    assert refused.value.setting == "CARERECORD_JWKS_FILE"
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": [{"kty": "EC"}]}')
    with pytest.raises(SettingsError) as refused:
        load_settings({"CARERECORD_MODE": "production", "CARERECORD_JWKS_FILE": str(jwks)})
    assert refused.value.setting == "CARERECORD_JWT_ISSUER"
    settings = load_settings(
        {
            "CARERECORD_MODE": "production",
            "CARERECORD_JWKS_FILE": str(jwks),
            "CARERECORD_JWT_ISSUER": "https://login.example.nhs.uk",
            "CARERECORD_JWT_AUDIENCE": "cr",
        }
    )
    assert settings.production and settings.jwks_file == jwks


def test_the_development_token_command_is_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carerecord.cli import main

    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": [{"kty": "EC"}]}')
    for name, value in {
        "CARERECORD_MODE": "production",
        "CARERECORD_JWKS_FILE": str(jwks),
        "CARERECORD_JWT_ISSUER": "i",
        "CARERECORD_JWT_AUDIENCE": "a",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["token", "--user", "u", "--role", "gp", "--org", "K81003", "--registration", "2345678"]) == 2


def test_the_checkpoint_key_is_generated_once_private_or_read_from_its_setting(tmp_path: Path) -> None:
    from carerecord.checkpoints import checkpoint_key
    from carerecord_services.checkpoint import key_id

    generated = load_settings({"CARERECORD_DATA_DIR": str(tmp_path / "data")})
    first = checkpoint_key(generated)
    key_file = tmp_path / "data" / "checkpoint-signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_id(checkpoint_key(generated).public_key()) == key_id(first.public_key())
    assert generated.checkpoint_seconds == 3600

    given = load_settings(
        {"CARERECORD_CHECKPOINT_KEY_FILE": str(key_file), "CARERECORD_CHECKPOINT_SECONDS": "0"}
    )
    assert key_id(checkpoint_key(given).public_key()) == key_id(first.public_key())
    assert given.checkpoint_seconds == 0

    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello")
    with pytest.raises(SettingsError) as refused:
        checkpoint_key(load_settings({"CARERECORD_CHECKPOINT_KEY_FILE": str(not_a_key)}))
    assert refused.value.setting == "CARERECORD_CHECKPOINT_KEY_FILE"


def test_the_session_secret_is_base64_of_at_least_32_bytes() -> None:
    import base64

    assert load_settings({}).session_secret is None
    key = base64.b64encode(b"s" * 32).decode()
    assert load_settings({"CARERECORD_SESSION_SECRET": key}).session_secret == b"s" * 32
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(SettingsError) as refused:
            load_settings({"CARERECORD_SESSION_SECRET": bad})
        assert refused.value.setting == "CARERECORD_SESSION_SECRET"


def test_the_schema_base_url_is_the_apis_own_schemas_unless_set() -> None:
    assert load_settings({}).schema_base_url == "http://127.0.0.1:8000/schemas/"
    assert load_settings({"CARERECORD_PORT": "9001"}).schema_base_url == "http://127.0.0.1:9001/schemas/"
    everywhere = load_settings({"CARERECORD_HOST": "0.0.0.0"})  # noqa: S104
    assert everywhere.schema_base_url == "http://localhost:8000/schemas/"
    given = load_settings({"CARERECORD_SCHEMA_BASE_URL": "https://record.example.nhs.uk/schemas"})
    assert given.schema_base_url == "https://record.example.nhs.uk/schemas/"
    for bad in ("ftp://record.example/schemas/", "record.example/schemas/", "https://x/schemas/?a=1"):
        with pytest.raises(SettingsError) as refused:
            load_settings({"CARERECORD_SCHEMA_BASE_URL": bad})
        assert refused.value.setting == "CARERECORD_SCHEMA_BASE_URL"
