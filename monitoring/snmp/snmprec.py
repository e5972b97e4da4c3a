"""snmpsim's ``.snmprec`` recordings: read them as the client would hand the values over, and
write them (for the simulated devices). Pure: no network; only ``read_snmprec`` and
``write_snmprec`` touch a file.

A line is ``OID|tag|value``. Tags: 2 Integer32, 4 OCTET STRING, 5 NULL, 6 OBJECT IDENTIFIER,
64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64; a trailing ``x`` means the
value is hex-encoded (``4x``, ``64x``). snmpsim's variation modules (``tag:module``) are not
used by the recordings and are refused.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from monitoring.snmp import oids
from monitoring.snmp.decode import RawDevice, SnmpValue

INTEGER = "2"
OCTET_STRING = "4"
NULL = "5"
OBJECT_IDENTIFIER = "6"
IP_ADDRESS = "64"
COUNTER32 = "65"
GAUGE32 = "66"
TIMETICKS = "67"
COUNTER64 = "70"

_INT_TAGS = {INTEGER, COUNTER32, GAUGE32, TIMETICKS, COUNTER64}
_TAGS = _INT_TAGS | {OCTET_STRING, NULL, OBJECT_IDENTIFIER, IP_ADDRESS}
_RANGES = {
    INTEGER: (-(2**31), 2**31 - 1),
    COUNTER32: (0, 2**32 - 1),
    GAUGE32: (0, 2**32 - 1),
    TIMETICKS: (0, 2**32 - 1),
    COUNTER64: (0, 2**64 - 1),
}


class Typed(NamedTuple):
    """A value with its SNMP type tag, for writing (``Typed("67", 12345)``) or reading back."""

    tag: str
    value: SnmpValue


class SnmprecError(ValueError):
    """A recording line that cannot be read or a value that cannot be written."""


def parse_snmprec_typed(data: bytes | str, *, strict: bool = False) -> dict[str, Typed]:
    """Return every OID of a recording with its tag (``"4"`` for ``4x`` too) and value.

    A line that cannot be read is left out, as snmpsim answers noSuchInstance for it (one
    recording has a Counter32 of ``6git3159``); with ``strict`` it raises ``SnmprecError``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    values: dict[str, Typed] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line.strip() or line.startswith(b"#"):
            continue
        try:
            oid, typed = _parse_line(line, number)
        except SnmprecError:
            if strict:
                raise
            continue
        values[oid] = typed
    return values


def parse_snmprec(data: bytes | str, *, strict: bool = False) -> dict[str, SnmpValue]:
    """Return {OID: value} from a recording's text, as the client hands values over."""
    return {oid: typed.value for oid, typed in parse_snmprec_typed(data, strict=strict).items()}


def read_snmprec(path: str | Path, *, strict: bool = False) -> dict[str, SnmpValue]:
    """Return {OID: value} from a ``.snmprec`` file."""
    return parse_snmprec(Path(path).read_bytes(), strict=strict)


def _parse_line(line: bytes, number: int) -> tuple[str, Typed]:
    parts = line.split(b"|", 2)
    if len(parts) != 3:
        raise SnmprecError(f"line {number}: expected OID|tag|value, got {line[:80]!r}")
    raw_oid, raw_tag, raw_value = parts
    oid = raw_oid.decode("ascii", "replace").strip().lstrip(".")
    try:
        oids.oid_key(oid)
    except ValueError:
        raise SnmprecError(f"line {number}: {oid[:80]!r} is not a numeric OID") from None
    tag = raw_tag.decode("ascii", "replace").strip()
    return oid, Typed(*_parse_value(tag, raw_value, number))


def _parse_value(tag: str, raw: bytes, number: int) -> tuple[str, SnmpValue]:
    hexed = tag.endswith("x")
    base = tag[:-1] if hexed else tag
    if base not in _TAGS:
        raise SnmprecError(f"line {number}: unsupported tag {tag!r}")
    if hexed:
        try:
            raw = bytes.fromhex(raw.decode("ascii"))
        except ValueError:
            raise SnmprecError(f"line {number}: {tag} value is not hex: {raw[:80]!r}") from None
    if base == NULL:
        return base, None
    if base == OCTET_STRING:
        return base, raw
    text = raw.decode("ascii", "replace").strip()
    if base == IP_ADDRESS:
        if hexed:
            return base, ".".join(str(octet) for octet in raw)
        return base, text
    if base == OBJECT_IDENTIFIER:
        return base, text.lstrip(".")
    try:
        return base, int(text)
    except ValueError:
        raise SnmprecError(f"line {number}: tag {tag} needs a number, got {text[:80]!r}") from None


def raw_from_values(
    values: Mapping[str, SnmpValue],
    *,
    scalars: Iterable[str] = oids.SCALARS,
    tables: Iterable[str] = oids.TABLES,
) -> RawDevice:
    """Return what a GET of ``scalars`` and walks of ``tables`` would read from ``values``.

    A scalar the device lacks reads None; a walk returns the OIDs strictly under its root, in
    OID order.
    """
    ordered = sorted(values, key=oids.oid_key)
    keys = [oids.oid_key(oid) for oid in ordered]
    walked: dict[str, dict[str, SnmpValue]] = {}
    for root in tables:
        prefix = oids.oid_key(root)
        rows: dict[str, SnmpValue] = {}
        for position in range(bisect.bisect_right(keys, prefix), len(keys)):
            if keys[position][: len(prefix)] != prefix:
                break
            rows[ordered[position]] = values[ordered[position]]
        walked[root] = rows
    return RawDevice(scalars={oid: values.get(oid) for oid in scalars}, tables=walked)


def format_snmprec(values: Mapping[str, SnmpValue | Typed]) -> str:
    """Return recording text for ``values``, OIDs sorted numerically.

    A plain value gets a type from what it is: None → NULL, bytes → OCTET STRING (hex-encoded
    unless printable ASCII), str → OBJECT IDENTIFIER, int → Integer32 (Gauge32 above 2^31-1,
    Counter64 above 2^32-1), except sysUpTime, which is TimeTicks. Give a ``Typed`` for
    anything else (IpAddress, Counter32, a TimeTicks column).
    """
    lines = []
    for oid in sorted(values, key=oids.oid_key):
        tag, value = _typed(oid, values[oid])
        lines.append(f"{oid.lstrip('.')}|{_format_value(oid, tag, value)}\n")
    return "".join(lines)


def write_snmprec(path: str | Path, values: Mapping[str, SnmpValue | Typed]) -> None:
    """Write ``values`` as a ``.snmprec`` file that snmpsim serves (see ``format_snmprec``)."""
    Path(path).write_text(format_snmprec(values), encoding="ascii", newline="\n")


def _typed(oid: str, value: SnmpValue | Typed) -> tuple[str, SnmpValue]:
    if isinstance(value, Typed):
        return value.tag.removesuffix("x"), value.value
    if value is None:
        return NULL, None
    if isinstance(value, bytes):
        return OCTET_STRING, value
    if isinstance(value, str):
        return OBJECT_IDENTIFIER, value
    if isinstance(value, bool) or not isinstance(value, int):
        raise SnmprecError(f"{oid}: cannot write a {type(value).__name__}")
    if oid.lstrip(".") == oids.SYS_UPTIME:
        return TIMETICKS, value
    if value > 2**32 - 1:
        return COUNTER64, value
    if value > 2**31 - 1:
        return GAUGE32, value
    return INTEGER, value


def _format_value(oid: str, tag: str, value: SnmpValue) -> str:
    if tag not in _TAGS:
        raise SnmprecError(f"{oid}: unsupported tag {tag!r}")
    if tag == NULL:
        if value is not None:
            raise SnmprecError(f"{oid}: a NULL has no value, got {value!r}")
        return f"{NULL}|"
    if tag in _INT_TAGS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SnmprecError(f"{oid}: tag {tag} needs an int, got {value!r}")
        low, high = _RANGES[tag]
        if not low <= value <= high:
            raise SnmprecError(f"{oid}: {value} is out of range for tag {tag}")
        return f"{tag}|{value}"
    if tag == OCTET_STRING:
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, bytes):
            raise SnmprecError(f"{oid}: tag 4 needs bytes, got {value!r}")
        if all(0x20 <= byte < 0x7F for byte in value):
            return f"{OCTET_STRING}|{value.decode('ascii')}"
        return f"{OCTET_STRING}x|{value.hex()}"
    if not isinstance(value, str):
        raise SnmprecError(f"{oid}: tag {tag} needs a dotted string, got {value!r}")
    text = value.lstrip(".")
    try:
        parts = oids.oid_key(text)
    except ValueError:
        parts = ()
    if not parts or (tag == IP_ADDRESS and (len(parts) != 4 or max(parts) > 255)):
        raise SnmprecError(f"{oid}: {value!r} is not a valid value for tag {tag}")
    return f"{tag}|{text}"
