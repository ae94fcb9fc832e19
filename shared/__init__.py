"""Contracts every CryptoPulse service shares: settings, messages, subjects, telemetry, database."""
