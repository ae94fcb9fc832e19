"""Venues the executor trades on, each behind the ``Venue`` protocol."""
