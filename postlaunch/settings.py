"""The one reader of configuration: the settings block of postlaunch.toml and POSTLAUNCH_ environment
variables (nested delimiter `__`; environment wins over the file, the file over the defaults).

Every setting is declared once here, with its help text; docs/configuration.md is generated from
these declarations and a test keeps the two equal. Unknown keys, at any depth, are refused.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from postlaunch.catalog import DEFAULT_THRESHOLDS
from postlaunch.errors import ConfigError

ENV_PREFIX = "POSTLAUNCH_"
DEFAULT_CONFIG = Path("postlaunch.toml")
REGISTRY_KEY = "deployments"
ACCESS_KEY = "access"
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")  # an address, not a display name


class MinN(BaseModel):
    """Minimum sample before a proportion may alert (DESIGN §6)."""

    model_config = ConfigDict(extra="forbid")
    feedback: int = Field(
        default=30, ge=1, description="feedback rows with the field set, for feedback-based rates"
    )
    events: int = Field(default=100, ge=1, description="events, for event-based shares")
    drift: int = Field(default=200, ge=1, description="events with a use case, for use_case_drift_js")


class TierLevels(BaseModel):
    """A warn and/or critical threshold."""

    model_config = ConfigDict(extra="forbid")
    warn: float | None = None
    critical: float | None = None


class ModelPrice(BaseModel):
    """What a model costs per million tokens, in the reporting currency (DESIGN §19)."""

    model_config = ConfigDict(extra="forbid")
    input_per_million: float = Field(ge=0, description="price of a million input tokens")
    output_per_million: float = Field(ge=0, description="price of a million output tokens")


class SmtpSettings(BaseModel):
    """The mail server `postlaunch notify --smtp` sends the weekly digest through."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    host: str | None = Field(default=None, description="SMTP server name or address (notify --smtp needs it)")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 with starttls, 25 without)")
    user: str | None = Field(default=None, description="login name (none: no login)")
    password: SecretStr | None = Field(
        default=None, description="login password (set it in the environment, not in the file)"
    )
    from_: str | None = Field(
        default=None,
        alias="from",
        description="the sender address of the digest, e.g. postlaunch@example.org",
    )
    starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS before logging in")

    @field_validator("from_")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value.strip() if value else value


class NotifySettings(BaseModel):
    """How hard `notify` tries (who receives the digest is the registry's: owners and [access] governance)."""

    model_config = ConfigDict(extra="forbid")
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="time-out of one SMTP or webhook attempt"
    )
    retries: int = Field(
        default=2, ge=0, le=5, description="further attempts after a failed delivery that may pass on retry"
    )


class Settings(BaseSettings):
    """postlaunch settings. In postlaunch.toml they are top-level keys beside `[deployments.*]`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    db: Path = Field(default=Path("postlaunch.duckdb"), description="the DuckDB database file")
    config: Path = Field(
        default=DEFAULT_CONFIG,
        description="the registry and settings file (environment or --config only; ignored inside the file)",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA zone: weeks start Monday 00:00 here, and timestamps without a zone are read in it",
    )
    currency: str = Field(
        default="USD", description="reporting currency (ISO 4217); every amount is shown in it"
    )
    currency_rates: dict[str, float] = Field(
        default_factory=dict,
        description="units of the reporting currency per unit of another currency, e.g. EUR = 1.08; "
        "a cost row in a currency without a rate is quarantined",
    )
    request_text: Literal["keep", "redact", "drop"] = Field(
        default="redact",
        description="what ingest stores of request_text: keep it, redact personal data (emails, phones, "
        "cards, IBANs, national ids), or drop the text (the personal-data count is kept in every case)",
    )
    reporting_deadline_days: int = Field(
        default=15,
        ge=0,
        description="days from aware_at (else opened_at) to report a serious incident of serious_kind other "
        "or without a kind; the shorter statutory clocks (death 10, critical_infrastructure and "
        "widespread_infringement 2) apply unless this is shorter still",
    )
    min_n: MinN = Field(
        default_factory=lambda: MinN(), description="minimum samples before a proportion alerts"
    )
    thresholds: dict[str, dict[Literal["low", "medium", "high"], TierLevels]] = Field(
        default_factory=dict,
        description="overrides of the tier defaults, e.g. [thresholds.error_rate.high] warn = 0.03; "
        "a deployment's own [deployments.X.thresholds] wins over these",
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description='per model, e.g. [prices."gpt-4o-mini"] input_per_million = 0.15, output_per_million = 0.6: '
        "a usage row with tokens and no cost is costed at these prices, marked as estimated; tokens of a model "
        "without a price are counted, never guessed",
    )
    memory_limit: str = Field(
        default="1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory limit while ingesting and placing (e.g. 1GB, 512MiB); bigger files spill "
        "to disk",
    )
    baseline_weeks: int = Field(
        default=4, ge=1, description="weeks after launch with data that form the use-case baseline"
    )
    status_file: Path | None = Field(
        default=None,
        description="a flagd flag file that every decision rewrites atomically with each deployment's "
        "operating mode (postlaunch status --format flagd); unset: no file is written",
    )
    pause_ack_minutes: int = Field(
        default=15,
        ge=1,
        description="minutes after a pause or stop until 'not yet observed by the app' becomes an alert",
    )
    lock_timeout_seconds: float = Field(
        default=30.0, gt=0, description="how long a command waits for another process's database lock"
    )
    dashboard_secrets: Path | None = Field(
        default=None,
        description="the Streamlit secrets file whose [auth] section configures sign-in (docs/login.md); "
        "default: .streamlit/secrets.toml in the folder where the dashboard starts",
    )
    roles_claim: str = Field(
        default="roles",
        min_length=1,
        description="the ID-token claim whose values grant roles: viewer, operator, governance, "
        "owner:DEPLOYMENT (Entra app roles arrive as `roles`; map Okta groups or Keycloak roles to it)",
    )
    access_log: Path | None = Field(
        default=None,
        description="the access log's own DuckDB file (who signed in, viewed, exported, decided, uploaded); "
        "default: beside the database, named <database>.access.duckdb",
    )
    retention_days: int = Field(
        default=183,
        ge=0,
        description="`postlaunch prune` never deletes request text or access records of a high-tier "
        "deployment younger than this many days (EU AI Act Art. 26(6): at least six months)",
    )
    max_upload_mb: float = Field(
        default=200, gt=0, description="the largest file the dashboard's Data page accepts, in megabytes"
    )
    dashboard_url: str | None = Field(
        default=None,
        description="the dashboard's address as owners open it (e.g. https://postlaunch.example.org); the "
        "digest links to its views (none: no links)",
    )
    smtp: SmtpSettings = Field(
        default_factory=lambda: SmtpSettings(), description="the mail server of `notify --smtp`"
    )
    notify: NotifySettings = Field(
        default_factory=lambda: NotifySettings(), description="the weekly digest (`postlaunch notify`)"
    )

    @field_validator("dashboard_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value.strip()):
            raise ValueError(f"{value!r} is not an http(s) address such as https://postlaunch.example.org")
        return value.strip().rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (expected an IANA name such as Europe/Berlin)"
            ) from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"{value!r} is not a 3-letter currency code")
        return value.upper()

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for code, rate in value.items():
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"{code!r} is not a 3-letter currency code")
            if rate <= 0:
                raise ValueError(f"rate for {code} must be above 0, got {rate}")
        return {code.upper(): rate for code, rate in value.items()}

    @field_validator("thresholds")
    @classmethod
    def _known_metrics(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name not in DEFAULT_THRESHOLDS:
                raise ValueError(
                    f"no thresholds can be set for metric {name!r}; known: {', '.join(sorted(DEFAULT_THRESHOLDS))}"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file's settings block, which `load_settings` passes as the
        # constructor's arguments; the command line's --db and --config are applied after both. No state
        # lives on the class, so loading is safe from any thread (the dashboard's server has many).
        return (env_settings, init_settings)


def read_toml(path: Path) -> dict[str, Any]:
    """The config file as a dict; a missing default file is empty, a broken one is refused with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def environment() -> tuple[tuple[str, str], ...]:
    """The POSTLAUNCH_ variables as they stand (what a cache of loaded settings must be keyed on)."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)))


def config_path(config: Path | None = None) -> Path:
    """The config file: `config` (the command line's), else POSTLAUNCH_CONFIG, else ./postlaunch.toml."""
    return config or Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG))


def _check_environment() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for key, _ in environment():
        top = key.upper()[len(ENV_PREFIX) :].split("__", 1)[0]
        if top not in known:
            raise ConfigError(
                f"environment variable {key}: unknown setting {top.lower()!r}; "
                f"known: {', '.join(sorted(n.lower() for n in known))}"
            )


def format_validation_error(source: str, exc: ValidationError, prefix: str = "") -> str:
    """One line per problem: `source: key.path: message`."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        key = f"{prefix}{loc}" if loc else prefix.rstrip(".")
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        given = err.get("input")
        if err["type"] in ("literal_error", "enum") and given is not None:
            message = f"{given!r} is not allowed; {message.lower()}"
        lines.append(f"{source}: {key}: {message}")
    return "\n".join(lines)


def load_settings(
    config: Path | None = None, db: Path | None = None
) -> tuple[Settings, dict[str, Any], dict[str, Any] | None]:
    """Settings from the config file and the environment, plus the raw `[deployments]` and `[access]`
    tables (the registry, validated by `postlaunch.registry`).

    `config` and `db` come from the command line and win over everything else.
    """
    _check_environment()
    path = config_path(config)
    if config is not None and not config.exists():
        raise ConfigError(f"{config}: config file not found")
    raw = read_toml(path)
    registry = raw.pop(REGISTRY_KEY, {})
    if not isinstance(registry, dict):
        raise ConfigError(f"{path}: [{REGISTRY_KEY}] must be a table of deployments")
    access = raw.pop(ACCESS_KEY, None)
    raw.pop("config", None)
    try:
        settings = Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(str(path), exc)) from exc
    overrides: dict[str, Any] = {"config": path}
    if db is not None:
        overrides["db"] = db
    return settings.model_copy(update=overrides), registry, access


def settings_doc() -> str:
    """The Markdown reference of every setting, generated from the declarations (docs/configuration.md)."""
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]

    def add(name: str, field: FieldInfo, env: str) -> None:
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = ""
        shown = f"`{default}`" if default not in ("", {}, None, []) else ""
        rows.append(f"| `{name}` | `{env}` | {shown} | {field.description or ''} |")

    for name, field in Settings.model_fields.items():
        add(name, field, f"{ENV_PREFIX}{name.upper()}")
        nested = field.get_default(call_default_factory=True)
        if isinstance(nested, BaseModel):
            for sub, subfield in type(nested).model_fields.items():
                key = subfield.alias or sub
                add(f"{name}.{key}", subfield, f"{ENV_PREFIX}{name.upper()}__{key.upper()}")
    return "\n".join(rows) + "\n"
