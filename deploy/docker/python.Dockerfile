# One image for every Python service; docker-compose.yml picks the process with `command:`.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9 && useradd --create-home cryptopulse
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY shared/ shared/
COPY services/ services/
COPY cryptopulse/ cryptopulse/
RUN uv sync --frozen --no-dev
COPY --from=web /web/dist web/dist
ENV PATH="/app/.venv/bin:$PATH" CRYPTOPULSE_HOST=0.0.0.0 CRYPTOPULSE_WEB_DIST_DIR=/app/web/dist
USER cryptopulse
CMD ["python", "-m", "services.api_gateway"]
