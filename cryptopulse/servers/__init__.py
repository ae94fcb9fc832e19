"""Servers the project brings itself from Python packages: NATS (JetStream) and PostgreSQL."""
