"""A single-node Apache Kafka (KRaft: broker and controller in one process) from the jars that Maven fetches
from Maven Central, run by the machine's OpenJDK. Clients authenticate with SASL/SCRAM; the StandardAuthorizer
denies everything that no ACL allows.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from carerecord_infra.maven import copy_dependencies
from carerecord_infra.processes import refuse_if_taken, running_pid, start_detached, stop_pid, wait_until
from carerecord_infra.state import InfraPaths, remembered_secret

KAFKA_VERSION = "4.3.1"
HOST = "127.0.0.1"
DEFAULT_PORT = 59092
DEFAULT_CONTROLLER_PORT = 59093
POM = Path(__file__).resolve().parents[2] / "kafka" / "pom.xml"

# The principals of the region's Kafka. admin is the super user that infra and tests use to set things up;
# relay writes the internal topic; projector reads it; feeds copies it to per-organisation feeds; outsider
# authenticates but is granted nothing.
Progress = Callable[[str], None]

PRINCIPALS = ("admin", "relay", "projector", "feeds", "outsider")


@dataclass(frozen=True)
class LocalKafka:
    paths: InfraPaths
    port: int = DEFAULT_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT

    @property
    def jars(self) -> Path:
        return Path(platformdirs.user_cache_dir("carerecord")) / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def home(self) -> Path:
        """The broker's own folder: its data, its configuration and its pid file."""
        return self.paths.root / "kafka"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.paths.log_file("kafka")

    @staticmethod
    def credentials(values: dict[str, str]) -> dict[str, str]:
        """Each principal's password, generated once and kept in the settings file before Kafka sees it."""
        return {name: remembered_secret(values, f"KAFKA_{name.upper()}_PASSWORD") for name in PRINCIPALS}

    def up(self, values: dict[str, str], progress: Progress) -> dict[str, str]:
        passwords = self.credentials(values)
        self.fetch_jars(progress)
        self.paths.folder("kafka")
        self.config_file.write_text(self._server_properties(passwords["admin"]))
        if not (self.data_dir / "meta.properties").exists():
            progress("formatting the Kafka storage (KRaft, single node)")
            self._format(passwords)
        if running_pid(self.pid_file) is None:
            refuse_if_taken(HOST, self.port, "Kafka")
            progress(f"starting Kafka {KAFKA_VERSION} on {HOST}:{self.port}")
            java = shutil.which("java") or "java"
            start_detached(
                [java, "-Xms256m", "-Xmx768m", "-cp", f"{self.jars}/*", "kafka.Kafka", str(self.config_file)],
                self.log_file,
                self.pid_file,
            )
        values.update(
            KAFKA_BOOTSTRAP_SERVERS=f"{HOST}:{self.port}",
            KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        )
        progress("waiting for Kafka to answer an authenticated admin client")
        if not wait_until(lambda: self.answers(values), 120, interval=1.0):
            raise RuntimeError(f"Kafka did not answer on {HOST}:{self.port}; see {self.log_file}")
        return values

    def down(self) -> bool:
        return stop_pid(self.pid_file)

    def answers(self, values: dict[str, str]) -> bool:
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaConfigurationError, KafkaError

        try:
            admin = KafkaAdminClient(
                bootstrap_servers=[f"{HOST}:{self.port}"],
                security_protocol="SASL_PLAINTEXT",
                sasl_mechanism="SCRAM-SHA-256",
                sasl_plain_username="admin",
                sasl_plain_password=values.get("KAFKA_ADMIN_PASSWORD", ""),
                request_timeout_ms=5000,
            )
        except KafkaConfigurationError:
            raise
        except (KafkaError, OSError):
            return False
        try:
            admin.list_topics()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()

    def describe(self, values: dict[str, str]) -> str:
        pid = running_pid(self.pid_file)
        if pid is None:
            return f"Kafka stopped (data {self.data_dir}, log {self.log_file})"
        state = "running" if self.answers(values) else "starting or not answering"
        return f"Kafka {state} on {HOST}:{self.port}, pid {pid} (log {self.log_file})"

    def fetch_jars(self, progress: Progress) -> None:
        """The broker's jars and the distribution's own tools (the console consumer and producer) beside them."""
        if (self.jars / f"kafka_2.13-{KAFKA_VERSION}.jar").exists() and (
            self.jars / f"kafka-tools-{KAFKA_VERSION}.jar"
        ).exists():
            return
        progress(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central into {self.jars}")
        copy_dependencies(POM, self.jars, "the Kafka jars")

    def _format(self, passwords: dict[str, str]) -> None:
        java = shutil.which("java") or "java"
        classpath = f"{self.jars}/*"
        cluster_id = (
            subprocess.run(
                [java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        scram = []
        for name, password in passwords.items():
            scram += ["--add-scram", f"SCRAM-SHA-256=[name={name},password={password}]"]
        subprocess.run(
            [
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
                *scram,
            ],
            check=True,
            capture_output=True,
            text=True,
        )

    def _server_properties(self, admin_password: str) -> str:
        plain = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{admin_password}" user_admin="{admin_password}";'
        )
        scram = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{admin_password}";'
        )
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": f"SASL_PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"SASL_PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "SCRAM-SHA-256",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-256",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": plain,
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": scram,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:admin",
            "allow.everyone.if.no.acl.found": "false",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            # one node: one partition for consumer offsets, so the first consumer group joins in moments
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        return "\n".join(f"{key}={value}" for key, value in lines.items()) + "\n"
