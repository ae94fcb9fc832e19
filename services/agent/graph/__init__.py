"""The copilot's LangGraph graph: state, context, prompts, tools, nodes and routing, one module each.

``graph.build_graph`` is the only place they are put together; nothing is compiled at import.
"""
