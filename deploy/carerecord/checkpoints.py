"""The checkpoint signing key, and the thread with which `carerecord serve` signs a checkpoint every so often."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carerecord.duties import OncePerDeployment
from carerecord.settings import Settings, SettingsError
from carerecord_services.checkpoint_store import CheckpointLog
from carerecord_services.store import EventStore

log = logging.getLogger("carerecord.checkpoints")

KEY_FILE_NAME = "checkpoint-signing-key.pem"


def checkpoint_key(settings: Settings) -> Ed25519PrivateKey:
    """CARERECORD_CHECKPOINT_KEY_FILE (a PEM Ed25519 private key), or one generated once (mode 0600) in the
    data folder."""
    if settings.checkpoint_key_file is not None:
        return _read_key(settings.checkpoint_key_file, "CARERECORD_CHECKPOINT_KEY_FILE")
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_bytes(pem)
    return _read_key(path, "CARERECORD_DATA_DIR")


def _read_key(path: Path, setting: str) -> Ed25519PrivateKey:
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise SettingsError(setting, f"{path} holds no usable private key ({type(error).__name__})") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SettingsError(setting, f"{path} is not an Ed25519 private key")
    return loaded


def checkpoint_log(
    settings: Settings, store: EventStore, audit_store: EventStore | None = None
) -> CheckpointLog:
    """Checkpoints over the clinical store's chains and, given it, the access audit's."""
    return CheckpointLog(
        store, checkpoint_key(settings), clock=lambda: datetime.now(UTC), audit_store=audit_store
    )


class Checkpointer:
    """Signs a checkpoint every `seconds`, the first one `seconds` after it starts, until stopped: the first
    checkpoint of a store walks every event, and an API that has just started should be answering requests,
    not competing with that walk (`carerecord checkpoint` signs one at once). A failure is logged (its kind,
    never any content) and tried again next time; broken chains are logged as such."""

    def __init__(
        self, checkpoints: CheckpointLog, seconds: int, duty: OncePerDeployment | None = None
    ) -> None:
        """With `duty`, a checkpoint is signed only while this process holds it (one signer per deployment,
        however many processes run the checker)."""
        self._checkpoints = checkpoints
        self._duty = duty
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)  # a daemon: one still signing must not hold up a stopping process
        if self._duty is not None:
            self._duty.close()

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            if self._duty is not None and not self._duty.held():
                continue  # another process signs for the deployment
            try:
                made = self._checkpoints.make()
                log.info("signed checkpoint at position %d over %d records", made.position, len(made.leaves))
            except Exception as error:
                log.error("no checkpoint signed this time (%s)", type(error).__name__)
