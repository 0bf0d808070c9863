"""Residents' declarations (主动申报): public submission into staging, triage by versioned rules,
desk review, door visits through gridgov.visits, and the purge of personal fields."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Settings:
    keep_days: int = 180  # personal fields of a closed declaration are purged after this
    per_address: int = 20  # declarations one client address may submit per window
    per_id: int = 3  # declarations for one ID number per window
    window: timedelta = timedelta(hours=1)
    visit_confirm_approves: bool = True  # a confirming door visit approves (else: the desk)


def settings_of(config) -> Settings:
    return Settings(
        keep_days=config["GRIDGOV_DECLARATION_KEEP_DAYS"],
        per_address=config["GRIDGOV_DECLARATIONS_PER_ADDRESS"],
        per_id=config["GRIDGOV_DECLARATIONS_PER_ID"],
        window=timedelta(seconds=config["GRIDGOV_DECLARATION_WINDOW_SECONDS"]),
        visit_confirm_approves=config["GRIDGOV_VISIT_CONFIRM_APPROVES"],
    )


_settings = Settings()


def configure(settings: Settings) -> None:
    """Set the declarations' settings (the app factory does, from the config)."""
    global _settings
    _settings = settings


def current() -> Settings:
    return _settings
