"""`cryptopulse bench`: the system's speed next to a baseline measured in the same run."""
