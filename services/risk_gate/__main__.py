"""`python -m services.risk_gate`: serve the risk_gate on its port."""

from services.risk_gate.main import create_app
from shared.config.settings import RiskGateSettings
from shared.runtime.serve import serve


def main() -> None:
    settings = RiskGateSettings()
    serve(create_app(settings), host=settings.host, port=settings.risk_gate_port)


if __name__ == "__main__":
    main()
