"""Talking to a device: the only module that sends SNMP. Returns plain Python values.

CONTRACT (filled in by the client work):

- ``SnmpTarget``: where and how to reach one device.
- ``SnmpClient``: ``async with SnmpClient(window=…) as client:`` one UDP socket (per address
  family) and a bounded window of requests in flight, shared by every target of a round;
  ``await client.get(target, oids) -> dict[str, SnmpValue]`` and
  ``await client.walk(target, root) -> dict[str, SnmpValue]``.
- Errors: ``SnmpTimeout`` (no answer within timeout × (retries + 1)), ``SnmpAuthError``
  (wrong community cannot be told from silence in v1/v2c, so it is a timeout there; SNMPv3
  unknown user / wrong keys / wrong digest), ``SnmpError`` (anything else, with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass


class SnmpError(Exception):
    """The device answered with an error, or the answer made no sense."""


class SnmpTimeout(SnmpError):
    """No answer within the target's timeout and retries."""


class SnmpAuthError(SnmpError):
    """SNMPv3 authentication or privacy failed (unknown user, wrong key or protocol)."""


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    version: str = "2c"  # "1", "2c", "3"
    community: str = "public"
    v3_user: str = ""
    auth_proto: str = ""  # "", "MD5", "SHA", "SHA256", "SHA512"
    auth_key: str = ""
    priv_proto: str = ""  # "", "DES", "AES", "AES256"
    priv_key: str = ""
    context: str = ""
    timeout: float = 2.0
    retries: int = 1
    key: object = None  # the caller's own id for this target (e.g. the monitored asset's pk)

    def __repr__(self) -> str:  # never print secrets
        return f"SnmpTarget({self.host}:{self.port} v{self.version} key={self.key!r})"
