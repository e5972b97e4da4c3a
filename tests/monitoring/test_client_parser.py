"""The client's own response parser gives what pyasn1's decoder gives, or leaves it to pyasn1.

No network: messages are built and encoded with pysnmp's own protocol modules.
"""

from __future__ import annotations

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from monitoring.snmp.client import _END, _parse_response, column_runs, to_python

V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def response(pmod, varbinds, *, request_id=4242, status=0, index=0, community="public") -> bytes:
    pdu = pmod.GetResponsePDU()
    pmod.apiPDU.set_defaults(pdu)
    pmod.apiPDU.set_request_id(pdu, request_id)
    pmod.apiPDU.set_error_status(pdu, status)
    pmod.apiPDU.set_error_index(pdu, index)
    pmod.apiPDU.set_varbinds(pdu, varbinds)
    message = pmod.Message()
    pmod.apiMessage.set_defaults(message)
    pmod.apiMessage.set_community(message, community)
    pmod.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def by_pyasn1(data: bytes):
    """Return (request id, status, index, varbinds) as the client's pyasn1 path reads them."""
    pmod = api.PROTOCOL_MODULES[int(api.decodeMessageVersion(data))]
    message, _rest = decoder.decode(data, asn1Spec=pmod.Message())
    pdu = pmod.apiMessage.get_pdu(message)
    varbinds = [
        (tuple(name), _END if value.tagSet == rfc1905.EndOfMibView.tagSet else to_python(value))
        for name, value in pmod.apiPDU.get_varbinds(pdu)
    ]
    return int(pmod.apiPDU.get_request_id(pdu)), int(pdu[1]), int(pdu[2]), varbinds


OID = "1.3.6.1.2.1.43.11.1.1.9.1.1"
V2C_VALUES = [
    rfc1902.Integer32(-3),
    rfc1902.Integer32(2147483647),
    rfc1902.Integer32(-2147483648),
    rfc1902.OctetString(b"Black Toner \x00\n38 32 \xff\xfe"),
    rfc1902.OctetString(b""),
    rfc1902.OctetString("Тонер ҳ ҷ".encode()),
    rfc1902.ObjectIdentifier("1.3.6.1.4.1.2385.3.1.112.1.2"),
    rfc1902.IpAddress("10.3.1.30"),
    rfc1902.Counter32(4294967295),
    rfc1902.Gauge32(0),
    rfc1902.TimeTicks(3721980054),
    rfc1902.Counter64(18446744073709551615),
    rfc1905.NoSuchObject(""),
    rfc1905.NoSuchInstance(""),
    rfc1905.EndOfMibView(""),
    rfc1902.Null(""),
]


@pytest.mark.parametrize("value", V2C_VALUES, ids=lambda v: type(v).__name__)
def test_v2c_values_match_pyasn1(value):
    data = response(V2C, [(OID, value)])
    answer = _parse_response(data)
    assert answer is not None
    assert (answer.request_id, answer.status, answer.index, answer.varbinds) == by_pyasn1(data)


def test_many_varbinds_error_status_and_a_large_request_id():
    varbinds = [
        (f"1.3.6.1.2.1.2.2.1.{column}.{row}", rfc1902.Integer32(row))
        for column in (7, 8)
        for row in range(1, 40)
    ]
    data = response(V2C, varbinds, request_id=2**31 - 1, status=2, index=5)
    answer = _parse_response(data)
    assert (answer.request_id, answer.status, answer.index, answer.varbinds) == by_pyasn1(data)
    assert len(answer.varbinds) == 78


def test_v1_values_match_pyasn1():
    data = response(
        V1,
        [
            ("1.3.6.1.2.1.1.1.0", V1.OctetString(b"HP LaserJet")),
            ("1.3.6.1.2.1.1.3.0", V1.TimeTicks(12345)),
            ("1.3.6.1.2.1.1.2.0", V1.ObjectIdentifier("1.3.6.1.4.1.11.2.3.9.1")),
        ],
    )
    answer = _parse_response(data)
    assert (answer.request_id, answer.status, answer.index, answer.varbinds) == by_pyasn1(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"garbage that is not BER",
        b"\x30\x03\x02\x01\x01",  # a message cut short
        bytes(range(256)),
    ],
    ids=["empty", "one byte", "text", "truncated", "all bytes"],
)
def test_anything_unusual_is_left_to_pyasn1(data):
    assert _parse_response(data) is None


def test_a_request_is_not_taken_for_a_response():
    pdu = V2C.GetRequestPDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_varbinds(pdu, [(OID, V2C.Null(""))])
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, "public")
    V2C.apiMessage.set_pdu(message, pdu)
    assert _parse_response(encoder.encode(message)) is None


def test_column_runs_group_neighbouring_columns_of_one_entry():
    roots = [
        "1.3.6.1.2.1.43.11.1.1.9",
        "1.3.6.1.2.1.43.11.1.1.4",
        "1.3.6.1.2.1.43.11.1.1.5",
        "1.3.6.1.2.1.43.11.1.1.6",
        "1.3.6.1.2.1.2.2.1.8",
        "1.3.6.1.2.1.2.2.1.7",
        "1.3.6.1.2.1.2.2.1.2",
        "1.3.6.1.2.1.43.11.1.1.9",  # asked twice: read once
    ]
    assert column_runs(roots) == [
        ["1.3.6.1.2.1.43.11.1.1.4", "1.3.6.1.2.1.43.11.1.1.5", "1.3.6.1.2.1.43.11.1.1.6"],
        ["1.3.6.1.2.1.43.11.1.1.9"],
        ["1.3.6.1.2.1.2.2.1.2"],
        ["1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"],
    ]
