import pytest

from tests.factories import OfficeFactory, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords cheaply; production keeps Django's slow default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def logistics_user(db):
    return make_user("logistics_officer", username="logistics")


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in English, whatever language an earlier request activated."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep uploaded files (signed scans, kept imports) out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
