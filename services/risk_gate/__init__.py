"""The risk gate: pre-trade controls, approvals and the kill switch (its work arrives with its own issue)."""
