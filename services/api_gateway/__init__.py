"""api_gateway: REST and WebSocket for the web app, and the built web app itself."""
