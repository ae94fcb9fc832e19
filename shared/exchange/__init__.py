"""Exchange clients: the one place in ``shared/`` that builds ccxt objects."""
