"""`python -m services.api_gateway`: serve the web app and the API."""

from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings
from shared.runtime.serve import serve


def main() -> None:
    settings = GatewaySettings()
    serve(create_app(settings), host=settings.host, port=settings.gateway_port)


if __name__ == "__main__":
    main()
