"""Strings shown from Django's auth forms whose Tajik translation Django lacks.

Listing them here puts them in the project's catalogue (locale/), which takes precedence.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_STRINGS = [
    gettext_noop("Username"),
    gettext_noop("Password"),
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both "
        "fields may be case-sensitive."
    ),
    gettext_noop("This account is inactive."),
]
