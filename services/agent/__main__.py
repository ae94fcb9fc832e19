"""`python -m services.agent`: serve the agent on its port."""

from services.agent.main import create_app
from shared.config.settings import AgentSettings
from shared.runtime.serve import serve


def main() -> None:
    settings = AgentSettings()
    serve(create_app(settings), host=settings.host, port=settings.agent_port)


if __name__ == "__main__":
    main()
