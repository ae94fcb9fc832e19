"""Headless Chromium for the browser tests, and where their screenshots go."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS_ENV = "CRYPTOPULSE_SCREENSHOTS_DIR"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium (``make browser``), or the one ``CRYPTOPULSE_CHROMIUM`` names."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("CRYPTOPULSE_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
    )


class Screenshots:
    """Saves full-page screenshots into ``folder``, and also into ``$CRYPTOPULSE_SCREENSHOTS_DIR``
    when it is set (where CI collects them)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        extra = os.environ.get(SCREENSHOTS_ENV)
        self.also = Path(extra) if extra else None

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if self.also is not None:
            self.also.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.also / path.name)
        return path
