"""The chat service: requests from ``chat.request.<user>`` answered as streamed ``ChatReplied`` chunks,
and the risk gate's decisions explained in the conversation that asked for the trade.

``consumers.chat_consumers`` assembles it; ``services.agent.main`` runs it beside the rules engine.
"""
