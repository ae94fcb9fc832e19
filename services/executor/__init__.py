"""The executor: order lifecycle and reconciliation (its work arrives with its own issue)."""
