"""The copilot: LangGraph agent, offline parser and rules engine (its work arrives with its own issue)."""
