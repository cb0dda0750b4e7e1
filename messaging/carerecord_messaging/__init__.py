"""Messaging: the event store's notification log carried to where it is read. The relay to the region's
internal Kafka topic, the CloudEvents wire format, the provider feeds, and the transports that feed the read
models (in process from the store, or from Kafka), reading the store only through services' event-log port."""
