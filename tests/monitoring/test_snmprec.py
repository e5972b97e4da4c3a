"""Reading and writing snmpsim recordings: pure, no network, no database."""

from __future__ import annotations

import pytest

from monitoring.snmp import oids
from monitoring.snmp.snmprec import (
    SnmprecError,
    Typed,
    format_snmprec,
    parse_snmprec,
    parse_snmprec_typed,
    raw_from_values,
    read_snmprec,
    write_snmprec,
)

SAMPLE = (
    b"1.3.6.1.2.1.1.1.0|4|Printer | with a pipe\n"
    b"1.3.6.1.2.1.1.2.0|6|.1.3.6.1.4.1.11.2.3.9.1\n"
    b"1.3.6.1.2.1.1.3.0|67|3721980054\n"
    b"1.3.6.1.2.1.1.5.0|4x|d0bfd180d0b8d0bdd182d0b5d180\n"
    b"1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n"
    b"1.3.6.1.2.1.4.20.1.1.172.23.175.107|64x|ac17af6b\n"
    b"1.3.6.1.2.1.43.10.2.1.4.1.1|65|4294967295\n"
    b"1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n"
    b"1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n"
    b"1.3.6.1.2.1.33.1.2.1.0|66|2\n"
    b"1.3.6.1.4.1.3808.1.1.1.2.2.3.0|5|\n"
    b"1.3.6.1.2.1.43.11.1.1.6.1.1|4x|426c61636b0a00ff\n"
    b"\n"
    b"# a comment\n"
)


def test_parse_gives_values_as_the_client_hands_them_over():
    values = parse_snmprec(SAMPLE)

    assert values == {
        "1.3.6.1.2.1.1.1.0": b"Printer | with a pipe",
        "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.11.2.3.9.1",
        "1.3.6.1.2.1.1.3.0": 3721980054,
        "1.3.6.1.2.1.1.5.0": "принтер".encode(),
        "1.3.6.1.2.1.4.20.1.1.10.0.0.1": "10.0.0.1",
        "1.3.6.1.2.1.4.20.1.1.172.23.175.107": "172.23.175.107",
        "1.3.6.1.2.1.43.10.2.1.4.1.1": 4294967295,
        "1.3.6.1.2.1.43.11.1.1.9.1.1": -3,
        "1.3.6.1.2.1.31.1.1.1.6.1": 2**64 - 1,
        "1.3.6.1.2.1.33.1.2.1.0": 2,
        "1.3.6.1.4.1.3808.1.1.1.2.2.3.0": None,
        "1.3.6.1.2.1.43.11.1.1.6.1.1": b"Black\n\x00\xff",
    }


def test_parse_keeps_the_tags():
    typed = parse_snmprec_typed(SAMPLE.decode("latin-1"))

    assert typed["1.3.6.1.2.1.1.3.0"] == Typed("67", 3721980054)
    assert typed["1.3.6.1.2.1.1.5.0"].tag == "4"
    assert typed["1.3.6.1.2.1.4.20.1.1.172.23.175.107"] == Typed("64", "172.23.175.107")


def test_parse_keeps_plain_strings_byte_for_byte():
    values = parse_snmprec(b"1.3.6.1.2.1.1.1.0|4|\xd0\x9f\xff trailing  \r\n")

    assert values == {"1.3.6.1.2.1.1.1.0": b"\xd0\x9f\xff trailing  "}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"1.3.6.1.2.1.1.1.0|4", "line 1: expected OID|tag|value, got b'1.3.6.1.2.1.1.1.0|4'"),
        (b"1.3.six.1|2|1", "line 1: '1.3.six.1' is not a numeric OID"),
        (b"1.3.6.1.2.1.1.3.0|67|6git3159", "line 1: tag 67 needs a number, got '6git3159'"),
        (b"1.3.6.1.2.1.1.1.0|4x|zz", "line 1: 4x value is not hex: b'zz'"),
        (b"1.3.6.1.2.1.1.1.0|4:hexvalue|00", "line 1: unsupported tag '4:hexvalue'"),
        (b"1.3.6.1.2.1.1.1.0|99|00", "line 1: unsupported tag '99'"),
    ],
)
def test_parse_strict_names_the_bad_line(line, message):
    with pytest.raises(SnmprecError) as caught:
        parse_snmprec(line, strict=True)
    assert str(caught.value) == message


def test_parse_leaves_out_unreadable_lines_like_snmpsim():
    text = b"1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.2.1.2.2.1.17.1|65|6git3159\nrubbish\n"

    assert parse_snmprec(text) == {"1.3.6.1.2.1.1.1.0": b"ok"}
    with pytest.raises(SnmprecError) as caught:
        parse_snmprec(text, strict=True)
    assert str(caught.value) == "line 2: tag 65 needs a number, got '6git3159'"


def test_raw_from_values_reads_like_a_get_and_walks():
    values = {
        oids.SYS_DESCR: b"Printer",
        oids.PRT_SUPPLY_LEVEL + ".1.10": 10,
        oids.PRT_SUPPLY_LEVEL + ".1.2": 2,
        oids.PRT_SUPPLY_LEVEL + ".1.1": 1,
        oids.PRT_SUPPLY_MAX + ".1.1": 100,
        oids.PRT_SUPPLY_LEVEL[:-1] + "90.1": 99,  # a sibling whose OID merely starts alike
        oids.UPS_BATTERY_STATUS: None,
    }

    raw = raw_from_values(values, scalars=(oids.SYS_DESCR, oids.SYS_UPTIME), tables=())
    assert raw.scalars == {oids.SYS_DESCR: b"Printer", oids.SYS_UPTIME: None}
    assert raw.tables == {}

    raw = raw_from_values(values)
    assert set(raw.scalars) == set(oids.SCALARS)
    assert raw.scalars[oids.SYS_UPTIME] is None
    assert set(raw.tables) == set(oids.TABLES)
    assert list(raw.tables[oids.PRT_SUPPLY_LEVEL].items()) == [
        (oids.PRT_SUPPLY_LEVEL + ".1.1", 1),
        (oids.PRT_SUPPLY_LEVEL + ".1.2", 2),
        (oids.PRT_SUPPLY_LEVEL + ".1.10", 10),
    ]
    assert raw.tables[oids.PRT_SUPPLY_MAX] == {oids.PRT_SUPPLY_MAX + ".1.1": 100}
    assert raw.tables[oids.IF_NAME] == {}


def test_format_sorts_numerically_and_picks_types():
    text = format_snmprec(
        {
            "1.3.6.1.2.1.43.11.1.1.9.1.10": -2,
            "1.3.6.1.2.1.43.11.1.1.9.1.9": 2**31,
            ".1.3.6.1.2.1.1.3.0": 12345,
            "1.3.6.1.2.1.1.1.0": b"HP | LaserJet",
            "1.3.6.1.2.1.1.5.0": "офис".encode(),
            "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.11",
            "1.3.6.1.2.1.1.6.0": None,
            "1.3.6.1.2.1.4.20.1.1.10.0.0.1": Typed("64", "10.0.0.1"),
            "1.3.6.1.2.1.43.10.2.1.4.1.1": Typed("65", 2**32 - 1),
            "1.3.6.1.2.1.31.1.1.1.6.1": 2**40,
            "1.3.6.1.2.1.43.11.1.1.6.1.1": Typed("4x", b"ok"),
        }
    )

    assert text == (
        "1.3.6.1.2.1.1.1.0|4|HP | LaserJet\n"
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11\n"
        "1.3.6.1.2.1.1.3.0|67|12345\n"
        "1.3.6.1.2.1.1.5.0|4x|d0bed184d0b8d181\n"
        "1.3.6.1.2.1.1.6.0|5|\n"
        "1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n"
        "1.3.6.1.2.1.31.1.1.1.6.1|70|1099511627776\n"
        "1.3.6.1.2.1.43.10.2.1.4.1.1|65|4294967295\n"
        "1.3.6.1.2.1.43.11.1.1.6.1.1|4|ok\n"
        "1.3.6.1.2.1.43.11.1.1.9.1.9|66|2147483648\n"
        "1.3.6.1.2.1.43.11.1.1.9.1.10|2|-2\n"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "1.3.6.1.2.1.1.1.0: cannot write a float"),
        (True, "1.3.6.1.2.1.1.1.0: cannot write a bool"),
        (-(2**31) - 1, "1.3.6.1.2.1.1.1.0: -2147483649 is out of range for tag 2"),
        (Typed("65", -1), "1.3.6.1.2.1.1.1.0: -1 is out of range for tag 65"),
        (Typed("67", "12"), "1.3.6.1.2.1.1.1.0: tag 67 needs an int, got '12'"),
        (Typed("5", 0), "1.3.6.1.2.1.1.1.0: a NULL has no value, got 0"),
        (Typed("4", 7), "1.3.6.1.2.1.1.1.0: tag 4 needs bytes, got 7"),
        (
            Typed("64", "10.0.0.256"),
            "1.3.6.1.2.1.1.1.0: '10.0.0.256' is not a valid value for tag 64",
        ),
        (
            Typed("6", "not.an.oid"),
            "1.3.6.1.2.1.1.1.0: 'not.an.oid' is not a valid value for tag 6",
        ),
        (Typed("6", b"1.3"), "1.3.6.1.2.1.1.1.0: tag 6 needs a dotted string, got b'1.3'"),
        (Typed("99", 1), "1.3.6.1.2.1.1.1.0: unsupported tag '99'"),
    ],
)
def test_format_refuses_what_snmpsim_could_not_serve(value, message):
    with pytest.raises(SnmprecError) as caught:
        format_snmprec({"1.3.6.1.2.1.1.1.0": value})
    assert str(caught.value) == message


def test_write_then_read_round_trips(tmp_path):
    typed = parse_snmprec_typed(SAMPLE)
    path = tmp_path / "device.snmprec"

    write_snmprec(path, typed)

    assert parse_snmprec_typed(path.read_bytes()) == typed
    assert read_snmprec(path) == parse_snmprec(SAMPLE)
    lines = path.read_text(encoding="ascii").splitlines()
    assert lines == sorted(lines, key=lambda line: oids.oid_key(line.split("|")[0]))


def test_oid_key_orders_numerically_and_refuses_text():
    assert sorted(["1.3.6.1.10", "1.3.6.1.9", ".1.3.6.1.9.0"], key=oids.oid_key) == [
        "1.3.6.1.9",
        ".1.3.6.1.9.0",
        "1.3.6.1.10",
    ]
    with pytest.raises(ValueError) as caught:
        oids.oid_key("1.3.-6")
    assert str(caught.value) == "not a numeric OID: '1.3.-6'"


def test_oid_lists_hold_scalars_in_the_get_and_columns_in_the_walks():
    assert all(oid.endswith(".0") for oid in oids.SCALARS)
    assert len(set(oids.SCALARS)) == len(oids.SCALARS)
    assert not any(oid.endswith(".0") for oid in oids.TABLES)
    assert len(set(oids.TABLES)) == len(oids.TABLES)
    for kind in ("printer", "scanner", "ups", "router"):
        assert set(oids.tables_for(kind)) <= set(oids.TABLES)
        assert set(oids.scalars_for(kind)) <= set(oids.SCALARS)
    assert oids.tables_for(None) == oids.TABLES
    assert oids.scalars_for("other") == oids.SCALARS
