"""Browser tests: Debian's chromium driven by Playwright, against pytest-django's live server.

One browser for the whole session (pytest-playwright's session-scoped ``browser``), one
context per test. Playwright's sync API leaves an event loop running in the main thread, so
these tests run last: the ORM then needs DJANGO_ALLOW_ASYNC_UNSAFE (set by pytest-env), and
tests that call ``asyncio.run()`` must not come after them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import BrowserContext

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests after every other test (after pytest-django's own ordering)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def _migrated_data(django_db_setup) -> dict[str, str | None]:
    """Return the copy of the test database Django serialised after migrating, per alias.

    Taken before Playwright starts: once its event loop runs, the ORM hands these tests
    another connection object, which lacks the copy, so ``serialized_rollback`` would
    silently restore nothing after the first flush (pytest-django issue #1117).
    """
    return {
        connection.alias: getattr(connection, "_test_serialized_contents", None)
        for connection in connections.all()
    }


@pytest.fixture(scope="session")
def browser(_migrated_data: dict[str, str | None], live_server, browser):
    """Reuse pytest-playwright's one browser, and give the ORM's connections the copy back.

    The live server starts first so that it stops last: a request thread still open when the
    browser closes its connections must find the server's shared database connection.
    """
    for alias, contents in _migrated_data.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents
    return browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's chromium, never a browser downloaded by ``playwright install``."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Open pages relative to the live server: ``page.goto("/assets/")``."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Browse as an English-speaking user; pages switch language only when asked."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture
def log_in(live_server) -> Callable[[BrowserContext, object], None]:
    """Return a function that gives a browser context the session of a logged-in user.

    Only the login test goes through the form; the others start logged in, which is faster.
    """

    def _log_in(context: BrowserContext, user) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )

    return _log_in
