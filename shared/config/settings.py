"""Every setting of every service, in one place, under the one env prefix ``CRYPTOPULSE_``.

Each service reads only its own class; the classes share ``CommonSettings`` so NATS, PostgreSQL
and telemetry are configured once. ``cryptopulse config`` prints this file as a reference table.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_csv(value: object) -> object:
    # Environment variables carry lists as "BTC/USDT,ETH/USDT"; JSON lists work too.
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return tuple(json.loads(text))
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return value


CsvTuple = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_csv)]

ENV_PREFIX = "CRYPTOPULSE_"

DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT")


class CommonSettings(BaseSettings):
    """Settings every service reads: where NATS and PostgreSQL are, and how to log and trace."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="Deployment environment: dev, test or prod."
    )
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL (JetStream must be enabled).")
    database_url: SecretStr = Field(
        SecretStr("postgresql+asyncpg://postgres@127.0.0.1:5432/cryptopulse"),
        description="SQLAlchemy URL of the PostgreSQL database (asyncpg driver).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Minimum level of the JSON log lines written to stderr."
    )
    otel_exporter: Literal["none", "console", "otlp", "file"] = Field(
        "none",
        description="Where OpenTelemetry spans go: nowhere, stderr, an OTLP endpoint, or otel_file.",
    )
    otel_endpoint: str = Field(
        "http://127.0.0.1:4318/v1/traces", description="OTLP/HTTP endpoint when otel_exporter=otlp."
    )
    otel_file: str = Field(
        ".cryptopulse/traces/{service}.jsonl",
        description="Spans as JSON lines when otel_exporter=file; {service} becomes the service's name.",
    )
    sentry_dsn: SecretStr | None = Field(
        None, description="Sentry DSN: errors of every Python service go there (none: Sentry stays off)."
    )
    sentry_traces_sample_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of transactions Sentry records (0: errors only)."
    )
    host: str = Field("127.0.0.1", description="Interface every service's HTTP port binds to.")
    rules_max_per_user: int = Field(
        100, gt=0, description="Most active or paused standing rules one user may hold (chat and API alike)."
    )


class PaperExchangeSettings(CommonSettings):
    """The Binance-Spot-compatible simulated exchange."""

    paper_port: int = Field(8900, description="Paper exchange port: REST and WebSocket streams.")
    paper_candles_file: Path | None = Field(
        None,
        description="Binance kline CSV to replay (open_time,open,high,low,close,volume,…); "
        "a seeded random walk when unset.",
    )
    paper_speed: float = Field(
        1.0, gt=0, description="Replay speed: simulated seconds per wall-clock second."
    )
    paper_seed: int = Field(42, description="Seed of the random walk; the same seed gives the same prices.")
    paper_symbols: CsvTuple = Field(
        DEFAULT_SYMBOLS, description="Symbols listed (BASE/QUOTE); the replay file drives the first."
    )
    paper_trades_per_candle: int = Field(
        60, ge=4, description="Trades emitted per simulated 1-minute candle."
    )
    paper_history_candles: int = Field(
        1000, ge=0, description="1-minute candles of history available before live replay starts."
    )
    paper_state_dir: Path | None = Field(
        None, description="Folder where accounts, orders and balances persist across restarts."
    )
    paper_tick_ms: int = Field(
        100, ge=1, le=10_000, description="How often (wall-clock ms) the simulator steps and publishes."
    )
    paper_book_levels: int = Field(
        100, ge=5, le=5000, description="Price levels per side of the synthesised order book."
    )
    paper_ws_ping_interval_s: float = Field(
        20.0, gt=0, description="Seconds between the server's WebSocket ping frames (Binance: 20)."
    )
    paper_ws_max_pending: int = Field(
        200_000, ge=100, description="Queued messages after which a slow WebSocket client is dropped."
    )
    paper_weight_limit_1m: int = Field(
        6000, ge=1, description="REQUEST_WEIGHT per IP per minute before HTTP 429 (Binance: 6000)."
    )
    paper_max_candles: int = Field(
        50_000, ge=1000, description="Candles kept per interval for /api/v3/klines (older ones drop)."
    )
    paper_commission_rate: Decimal = Field(
        Decimal("0.001"),
        ge=0,
        lt=1,
        description="Trading fee per fill, charged in the asset received (0.1%).",
    )
    paper_slippage_bps: Decimal = Field(
        Decimal("0"),
        ge=0,
        le=1000,
        description="Extra slippage (basis points) on every book level a taker order takes.",
    )
    paper_fill_share: Decimal = Field(
        Decimal("0.25"),
        gt=0,
        le=1,
        description="Share of each simulated trade's volume that can fill resting orders.",
    )
    paper_orders_limit_10s: int = Field(
        100, ge=1, description="New orders per account per 10 s before -1015 (ORDERS rate limit)."
    )
    paper_orders_limit_1d: int = Field(
        200_000, ge=1, description="New orders per account per day before -1015 (ORDERS rate limit)."
    )


class MarketFeedSettings(CommonSettings):
    """The market-data ingester."""

    feed_port: int = Field(8101, description="market_feed health and metrics port.")
    venue: Literal["paper", "testnet", "live"] = Field(
        "paper", description="Exchange the system talks to: paper, Binance Spot testnet, or live."
    )
    paper_url: str = Field(
        "http://127.0.0.1:8900", description="Base URL of the paper exchange (venue=paper)."
    )
    feed_symbols: CsvTuple = Field(DEFAULT_SYMBOLS, description="Symbols to ingest.")
    feed_intervals: CsvTuple = Field(
        ("1m", "5m", "1h", "1d"), description="Candle intervals published; 1m is rolled up."
    )
    feed_backfill_candles: int = Field(
        500, ge=0, le=1000, description="Closed candles fetched per interval at start-up."
    )
    feed_poll_interval_s: float = Field(
        2.0, gt=0, description="REST polling period while the WebSocket is down."
    )
    feed_stale_after_s: float = Field(
        10.0, gt=0, description="A socket silent this long is polled over REST until it speaks again."
    )
    feed_reconnect_max_s: float = Field(30.0, gt=0, description="Upper bound of the reconnect backoff.")
    binance_api_key: SecretStr | None = Field(None, description="Binance API key (testnet/live).")
    binance_api_secret: SecretStr | None = Field(None, description="Binance API secret (testnet/live).")


class LlmProvider(BaseModel):
    """One OpenAI-compatible model endpoint (OpenAI, Gemini's OpenAI endpoint, OpenRouter, Ollama)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    base_url: str = Field(min_length=1, description="e.g. https://api.openai.com/v1")
    model: str = Field(min_length=1)
    api_key: SecretStr | None = Field(None, description="None for a local Ollama, which ignores it.")
    timeout_s: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(
        0, ge=0, le=5, description="The client's own retries; 0 because the next provider is the retry."
    )


class LlmProvidersSettings(CommonSettings):
    """The server's model providers: the agent calls them, the gateway lists their names and models."""

    agent_llm_providers: tuple[LlmProvider, ...] = Field(
        (),
        description="Model providers tried in order, as a JSON list of {name, base_url, model, api_key, "
        "timeout_s, max_retries}; the next is tried on a timeout, a 429 or a 5xx. Empty: offline mode "
        "(the command parser and indicator summaries answer) unless a user adds their own provider.",
    )

    @field_validator("agent_llm_providers")
    @classmethod
    def _names_free_for_users(cls, value: tuple[LlmProvider, ...]) -> tuple[LlmProvider, ...]:
        # Users choose "auto", "offline", "own" or a provider's name, and their own providers are
        # named "own-<preset>": server names must collide with neither, nor with each other.
        from shared.domain.model_choice import OWN_PROVIDER_PREFIX, RESERVED_CHOICES

        names = [p.name for p in value]
        for name in names:
            if name in RESERVED_CHOICES or name.startswith(OWN_PROVIDER_PREFIX):
                raise ValueError(
                    f"{name!r} is reserved for users' model choices; name the provider otherwise"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"expected distinct provider names, were {', '.join(names)}")
        return value


class RiskGateSettings(CommonSettings):
    """Pre-trade controls and approvals."""

    risk_gate_port: int = Field(8103, description="risk_gate health and metrics port.")
    risk_gate_venue: Literal["paper", "testnet", "live"] = Field(
        "paper", description="Venue whose intents this gate decides and whose order commands it sends."
    )
    risk_gate_paper_url: str = Field(
        "http://127.0.0.1:8900", description="Base URL of the paper exchange (for its filters)."
    )
    risk_gate_markets_refresh_s: float = Field(
        300.0, gt=0, description="Seconds between reloads of the venue's symbols and filters."
    )
    risk_gate_expiry_interval_s: float = Field(
        1.0, gt=0, description="Seconds between sweeps that expire pending approvals (time or price)."
    )
    risk_gate_ack_wait_s: float = Field(
        30.0, gt=0, description="Seconds JetStream waits for an intent's ack before redelivering it."
    )
    risk_gate_max_deliver: int = Field(
        5, ge=1, description="Deliveries of a failing message before it is dead-lettered."
    )


class SecretsSettings(CommonSettings):
    """Where exchange secrets are encrypted: Vault transit when ``vault_addr`` is set, else a local key.

    The master key file lives outside the database on purpose: a database dump alone must never
    be enough to decrypt a user's exchange keys.
    """

    vault_addr: str | None = Field(
        None,
        description="Vault (or OpenBao) address, e.g. https://vault:8200; when set, exchange keys are "
        "encrypted with its transit engine instead of the local master key.",
    )
    vault_token: SecretStr | None = Field(
        None, description="Vault token with encrypt/decrypt/rewrap rights on the transit key."
    )
    vault_transit_key: str = Field(
        "cryptopulse-exchange-keys", description="Name of the Vault transit key (created if missing)."
    )
    vault_mount: str = Field("transit", description="Mount path of Vault's transit secrets engine.")
    master_key_file: Path = Field(
        Path(".cryptopulse/master.key"),
        description="Master key ring (mode 0600, created on first use) for AES-256-GCM envelope "
        "encryption of exchange keys and users' own model keys when Vault is not configured. Keep it "
        "out of the database and its backups.",
    )

    @field_validator("master_key_file")
    @classmethod
    def _absolute_key_file(cls, value: Path) -> Path:
        return value.expanduser().resolve()


class AgentSettings(SecretsSettings, LlmProvidersSettings):
    """The copilot; reads the secrets settings to decrypt users' own model keys."""

    agent_port: int = Field(8102, description="agent health and metrics port.")
    agent_max_tool_steps: int = Field(
        8, ge=1, le=50, description="Model turns per chat message before the copilot stops calling tools."
    )
    agent_symbols: CsvTuple = Field(
        DEFAULT_SYMBOLS, description="Symbols the copilot reads and may propose orders on."
    )
    agent_own_model_private_hosts: bool = Field(
        False,
        description="Whether a user's own model provider may be on a private network "
        "(loopback, LAN, link-local); off on shared servers, so no user can make the agent "
        "reach internal addresses. "
        "`cryptopulse up` turns it on, for a local Ollama.",
    )
    agent_daily_token_budget: int = Field(
        200_000, ge=0, description="Model tokens per user per UTC day; 0 disables the model for everyone."
    )
    agent_chat_concurrency: int = Field(
        8, ge=1, le=256, description="Chat requests answered at once (different users; one user's in order)."
    )
    agent_chat_chunk_chars: int = Field(
        200, ge=1, le=8000, description="A streamed reply chunk is sent once it holds this many characters."
    )
    agent_chat_flush_s: float = Field(
        0.05, gt=0, le=5, description="Seconds a streamed reply's text may wait before it is sent as a chunk."
    )
    agent_chat_ack_wait_s: float = Field(
        120.0,
        gt=0,
        description="Seconds JetStream waits for a chat request's ack before redelivering it (a model "
        "answer with tool calls can take a while).",
    )
    agent_rules_reload_s: float = Field(
        1.0,
        gt=0,
        le=3600,
        description="Seconds between looks for created, paused, resumed or deleted rules (also retries "
        "firings a kill switch or the gate's rule throttle held back).",
    )
    agent_rules_outbox_s: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="Seconds between resends of committed rule firings whose publish was not confirmed.",
    )
    agent_rules_stale_after_s: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="Ticks and candles older than this (a backlog replayed after downtime) move prices and "
        "charts but fire no rule.",
    )


class GatewaySettings(SecretsSettings, LlmProvidersSettings):
    """The API gateway that serves the web app; reads the secrets settings to encrypt exchange keys
    and users' own model keys, and the providers' names and models to offer them as choices.

    Without ``jwt_secret`` the gateway still starts (market data needs no sign-in), and the routes
    that need a signed-in user answer 503 saying what is missing.
    """

    # A refused JWT secret must not be echoed into the start-up error (and from there, the logs).
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    gateway_port: int = Field(8000, description="Gateway port: web app, /api, /openapi.json.")
    web_dist_dir: Path = Field(
        Path("web/dist"), description="Built web app served at `/` (made by `make web`)."
    )
    gateway_symbols: CsvTuple = Field(DEFAULT_SYMBOLS, description="Symbols the API accepts.")
    gateway_venue: Literal["paper", "testnet", "live"] = Field(
        "paper", description="Venue whose market data the API serves."
    )
    gateway_tick_flush_ms: int = Field(
        50,
        ge=0,
        le=1000,
        description="Trade batching on the WebSocket: after sending a symbol's trades, the hub "
        "gathers the next ones for this long (ms) and sends them as one `trades` frame (500 clients "
        "x 100 trades/s is 50,000 frames a second unbatched). A trade waits at most this long, the "
        "first after a quiet spell not at all; 0 sends one `trade` frame per trade.",
    )
    gateway_paper_url: str | None = Field(
        None,
        description="Paper exchange on which every local account gets its own funded account and key "
        "at sign-up (or, if that failed, at its next login); `cryptopulse up` sets it when the venue "
        "is paper. Unset: users add their own keys.",
    )
    gateway_paper_funds: dict[str, Decimal] = Field(
        {"USDT": Decimal("10000")},
        description="Starting balances of those paper accounts, as JSON (amounts as strings).",
    )
    jwt_secret: SecretStr | None = Field(
        None,
        description="HS256 secret that signs users' access tokens (on Supabase: the project's JWT "
        "secret), at least 32 bytes. Unset: routes that need a signed-in user answer 503. "
        "`cryptopulse up` generates one into its data dir.",
    )
    jwt_audience: str = Field(
        "authenticated", min_length=1, description="Audience (`aud` claim) an access token must carry."
    )
    jwt_jwks_url: str | None = Field(
        None,
        description="JWKS URL of the identity provider's signing keys (Supabase: "
        "`https://<project>.supabase.co/auth/v1/.well-known/jwks.json`); when set, RS256 and ES256 "
        "tokens are checked against those keys, beside HS256 ones when a JWT secret is set too.",
    )
    jwt_jwks_cache_s: float = Field(
        600.0, gt=0, description="How long fetched JWKS keys are used before they are fetched again."
    )
    auth_local_signup: bool = Field(
        True,
        description="Whether `POST /api/auth/signup` creates local accounts; turn off when the "
        "identity provider (Supabase) owns sign-up. Existing local accounts can still log in.",
    )
    auth_admin_emails: CsvTuple = Field(
        (),
        description="E-mail addresses of local accounts that get the admin role; applied at sign-up, "
        "login and refresh, so removing an address demotes that account at its next refresh.",
    )
    auth_access_ttl_s: int = Field(
        900, ge=60, le=86_400, description="Lifetime of access tokens issued by local sign-in (seconds)."
    )
    auth_refresh_ttl_s: int = Field(
        30 * 86_400, ge=300, description="Lifetime of refresh tokens (seconds); each is used once."
    )
    auth_login_failures_per_email: int = Field(
        5, ge=1, description="Failed logins per e-mail address within the window before 429."
    )
    auth_login_failures_per_ip: int = Field(
        20, ge=1, description="Failed logins per client IP within the window before 429."
    )
    auth_login_window_s: int = Field(
        900, ge=1, description="Sliding window (seconds) over which failed logins are counted."
    )
    auth_argon2_time_cost: int = Field(
        3,
        ge=1,
        le=20,
        description="argon2id passes per password hash; hashes made otherwise are "
        "replaced at the next login.",
    )
    auth_argon2_memory_kib: int = Field(
        65_536, ge=1024, le=4_194_304, description="argon2id memory per password hash (KiB)."
    )

    @field_validator("gateway_paper_funds")
    @classmethod
    def _paper_funds(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        # Checked here, as the paper exchange would check them, so a bad value stops the start-up
        # instead of failing every sign-up.
        for asset, amount in value.items():
            if not re.fullmatch(r"[A-Z0-9]{1,20}", asset):
                raise ValueError(f"expected upper-case asset codes like USDT, was {asset!r}")
            if not amount.is_finite() or amount <= 0 or -int(amount.normalize().as_tuple().exponent) > 8:
                raise ValueError(f"{asset}: expected a positive amount with at most 8 decimals, was {amount}")
        return value

    @field_validator("gateway_paper_url", "jwt_secret", "jwt_jwks_url", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        # Compose files and shells often pass "VAR=" for "not set".
        return None if value == "" else value

    @field_validator("auth_admin_emails")
    @classmethod
    def _lowercase_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Stored addresses are lowercased, so the list is compared in the same form.
        return tuple(email.strip().lower() for email in value)

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from shared.auth.tokens import check_secret

            check_secret(value)
        return value


class ExecutorSettings(SecretsSettings):
    """Order lifecycle against the venue; reads the secrets settings to decrypt exchange keys."""

    executor_port: int = Field(8104, description="executor health and metrics port.")
    executor_venue: Literal["paper", "testnet", "live"] = Field(
        "paper", description="Venue whose order commands (exec.cmd.<venue>) this executor places."
    )
    executor_paper_url: str = Field(
        "http://127.0.0.1:8900", description="Base URL of the paper exchange (executor_venue=paper)."
    )
    executor_max_deliver: int = Field(
        5, ge=1, description="Deliveries of a failing command before it is dead-lettered."
    )
    executor_ack_wait_s: float = Field(
        30.0, gt=0, description="Seconds JetStream waits for a command's ack before redelivering it."
    )
    executor_db_pool_size: int = Field(
        10, ge=1, le=100, description="PostgreSQL connections of the executor's order store."
    )
    executor_fetch_batch: int = Field(
        100, ge=1, le=1000, description="Commands fetched per pull; different orders run concurrently."
    )
    executor_reconcile_interval_s: float = Field(
        10.0, gt=0, description="Seconds between reconciliation sweeps while user streams are healthy."
    )
    executor_poll_interval_s: float = Field(
        2.0, gt=0, description="Seconds between sweeps (REST polling) while a user stream is failing."
    )
    executor_resend_after_s: float = Field(
        30.0,
        gt=0,
        description="An order whose outcome is unknown and that the venue has not shown for this "
        "long is re-sent with the same client order id; keep it above the venue's query lag.",
    )
    executor_lost_order_max_not_found: int = Field(
        3,
        ge=1,
        description="Queries answering 'not found' before an unseen order is re-sent or flagged lost.",
    )
    executor_fills_lookback_s: float = Field(
        86_400.0, gt=0, description="How far back reconciliation looks for fills of recent orders."
    )
    executor_weight_limit_1m: int = Field(
        6000, ge=1, description="REQUEST_WEIGHT per minute; sending pauses near it (Binance: 6000)."
    )


class StackSettings(CommonSettings):
    """`cryptopulse up`: the embedded stack."""

    data_dir: Path = Field(
        Path(".cryptopulse"), description="Folder for the embedded NATS and PostgreSQL data."
    )
    nats_port: int = Field(4222, description="Port of the embedded NATS server.")
    postgres_port: int = Field(5432, description="Port of the embedded PostgreSQL server.")
    ready_timeout_s: float = Field(60.0, gt=0, description="How long `up` waits for readiness.")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()


ALL_SETTINGS: tuple[type[CommonSettings], ...] = (
    CommonSettings,
    StackSettings,
    PaperExchangeSettings,
    MarketFeedSettings,
    GatewaySettings,
    AgentSettings,
    RiskGateSettings,
    ExecutorSettings,
    SecretsSettings,
)

__all__ = [
    "ALL_SETTINGS",
    "DEFAULT_SYMBOLS",
    "ENV_PREFIX",
    "AgentSettings",
    "CommonSettings",
    "ExecutorSettings",
    "GatewaySettings",
    "LlmProvider",
    "LlmProvidersSettings",
    "MarketFeedSettings",
    "PaperExchangeSettings",
    "RiskGateSettings",
    "SecretsSettings",
    "StackSettings",
]
