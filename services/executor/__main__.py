"""`python -m services.executor`: serve the executor on its port."""

from services.executor.main import create_app
from shared.config.settings import ExecutorSettings
from shared.runtime.serve import serve


def main() -> None:
    settings = ExecutorSettings()
    serve(create_app(settings), host=settings.host, port=settings.executor_port)


if __name__ == "__main__":
    main()
