"""Local infrastructure without Docker: a real PostgreSQL and a single-node Apache Kafka (KRaft, SASL/SCRAM,
ACLs), started from packages that this project's own files install. Behind `carerecord infra up|down|status`.
"""
