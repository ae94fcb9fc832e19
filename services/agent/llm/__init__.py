"""Model providers: OpenAI-compatible clients from configuration, tried in order with fallback.

One configuration serves OpenAI, Gemini's OpenAI-compatible endpoint, OpenRouter and a local
Ollama; an empty list means offline mode (the parser and indicator summaries answer).
"""
