"""Poll one device now and say what it is and how it is: for technicians adding a device.

    python manage.py snmp_probe HOST[:PORT] [--community C | --v3-user U
        --auth-proto {MD5,SHA,SHA256,SHA512} --auth-key K --priv-proto {DES,AES,AES256}
        --priv-key K] [--context NAME] [--timeout S] [--retries N] [--json]

Reads what a poll round reads (``oids.SCALARS`` and ``oids.TABLES``) and prints a summary,
or with ``--json`` exactly one JSON object: ``reachable``, ``error`` and the facts (see
``decode.facts_json``). Exits with 0 when the device answered, 2 when it did not; a usage
error exits with 1. Communities and keys are never printed.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from monitoring.poller import PollResult, poll_round
from monitoring.snmp.client import AUTH_PROTOCOLS, MIN_KEY_LENGTH, PRIV_PROTOCOLS, SnmpTarget
from monitoring.snmp.decode import DeviceFacts, facts_json

EXIT_NO_ANSWER = 2
DEFAULT_PORT = 161

# The facts' keys, all null, for a device that did not answer (or could not be decoded).
NO_FACTS = {
    "sys_descr": None,
    "sys_object_id": None,
    "uptime_seconds": None,
    "serial": None,
    "kind": None,
    "printer": None,
    "ups": None,
    "interfaces": None,
}


def parse_address(address: str) -> tuple[str, int]:
    """Return (host, port) from ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6."""
    text = address.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _bracket, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            host = ""
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, _colon, port_text = text.partition(":")
    if not host:
        raise CommandError(_("Not a host or address: %(address)s") % {"address": address})
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise CommandError(_("Not a UDP port (1 to 65535) in %(address)s") % {"address": address})
    return host, int(port_text)


class Command(BaseCommand):
    help = gettext_lazy("Poll one device by SNMP and print what it found.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", help=gettext_lazy("HOST or HOST:PORT (default port 161)"))
        credentials = parser.add_mutually_exclusive_group()
        credentials.add_argument(
            "--community", help=gettext_lazy("SNMPv2c community (default: public)")
        )
        credentials.add_argument("--v3-user", help=gettext_lazy("SNMPv3 user name"))
        parser.add_argument("--auth-proto", choices=AUTH_PROTOCOLS, type=str.upper)
        parser.add_argument("--auth-key", help=gettext_lazy("SNMPv3 authentication key"))
        parser.add_argument("--priv-proto", choices=PRIV_PROTOCOLS, type=str.upper)
        parser.add_argument("--priv-key", help=gettext_lazy("SNMPv3 privacy key"))
        parser.add_argument("--context", default="", help=gettext_lazy("SNMPv3 context name"))
        parser.add_argument(
            "--timeout",
            type=float,
            default=2.0,
            help=gettext_lazy("seconds to wait for each answer (default 2)"),
        )
        parser.add_argument(
            "--retries",
            type=int,
            default=1,
            help=gettext_lazy("times to ask again after a timeout (default 1)"),
        )
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("print one JSON object")
        )

    def handle(self, *args, **options) -> None:
        target = self._target(options)
        [result] = poll_round([target])
        if options["json"]:
            self.stdout.write(json.dumps(probe_json(result)))
        else:
            for line in summary_lines(result, f"{target.host}:{target.port}"):
                self.stdout.write(line)
        if not result.reachable:
            sys.exit(EXIT_NO_ANSWER)

    def _target(self, options: dict) -> SnmpTarget:
        host, port = parse_address(options["address"])
        if options["timeout"] <= 0:
            raise CommandError(_("--timeout must be more than 0 seconds."))
        if options["retries"] < 0:
            raise CommandError(_("--retries cannot be negative."))
        common = {
            "host": host,
            "port": port,
            "timeout": options["timeout"],
            "retries": options["retries"],
            "key": options["address"],
        }
        v3_options = ("auth_proto", "auth_key", "priv_proto", "priv_key")
        if not options["v3_user"]:
            given = [name for name in v3_options if options[name]]
            if given:
                raise CommandError(
                    _("--%(option)s needs --v3-user.") % {"option": given[0].replace("_", "-")}
                )
            return SnmpTarget(version="2c", community=options["community"] or "public", **common)
        for proto, key in (("auth_proto", "auth_key"), ("priv_proto", "priv_key")):
            if bool(options[proto]) != bool(options[key]):
                missing, given = (key, proto) if options[proto] else (proto, key)
                raise CommandError(
                    _("--%(given)s needs --%(missing)s.")
                    % {"given": given.replace("_", "-"), "missing": missing.replace("_", "-")}
                )
            if options[key] and len(options[key]) < MIN_KEY_LENGTH:
                raise CommandError(
                    _("--%(option)s must be at least %(count)s characters long.")
                    % {"option": key.replace("_", "-"), "count": MIN_KEY_LENGTH}
                )
        if options["priv_proto"] and not options["auth_proto"]:
            raise CommandError(_("SNMPv3 privacy needs authentication: give --auth-proto too."))
        return SnmpTarget(
            version="3",
            v3_user=options["v3_user"],
            auth_proto=options["auth_proto"] or "",
            auth_key=options["auth_key"] or "",
            priv_proto=options["priv_proto"] or "",
            priv_key=options["priv_key"] or "",
            context=options["context"],
            **common,
        )


def probe_json(result: PollResult) -> dict:
    """Return the probe's one JSON object for a poll result (issue 5's keys)."""
    facts = facts_json(result.facts) if result.facts is not None else NO_FACTS
    return {"reachable": result.reachable, "error": result.error, **facts}


def summary_lines(result: PollResult, where: str) -> list[str]:
    """Return the readable summary of one poll, line by line."""
    if not result.reachable:
        reason = result.error or _("no answer")
        if result.overloaded:
            return [_("The poller was too busy to ask %(where)s.") % {"where": where}]
        return [_("No answer from %(where)s: %(reason)s.") % {"where": where, "reason": reason}]
    lines = [
        _("%(where)s answered in %(ms)s ms.")
        % {"where": where, "ms": round(result.response_ms or 0)}
    ]
    if result.facts is None:
        lines.append(_("Its answer could not be read: %(error)s") % {"error": result.error})
        return lines
    lines += _facts_lines(result.facts)
    for warning in result.warnings:
        lines.append(_("Not read: %(what)s") % {"what": warning})
    return lines


def _facts_lines(facts: DeviceFacts) -> list[str]:
    unknown = _("unknown")
    lines = [
        _("Kind: %(kind)s") % {"kind": facts.kind},
        _("Description: %(text)s") % {"text": facts.sys_descr or unknown},
        _("Object ID: %(oid)s") % {"oid": facts.sys_object_id or unknown},
        _("Name: %(name)s") % {"name": facts.sys_name or unknown},
        _("Up for: %(uptime)s") % {"uptime": _uptime(facts.uptime_seconds) or unknown},
        _("Serial number: %(serial)s") % {"serial": facts.serial or unknown},
    ]
    printer = facts.printer
    if printer is not None:
        lines.append(
            _("Printer: device %(device)s, printer %(printer)s")
            % {
                "device": printer.device_status or unknown,
                "printer": printer.printer_status or unknown,
            }
        )
        lines.append(_("Errors: %(errors)s") % {"errors": ", ".join(printer.errors) or _("none")})
        lines.append(
            _("Page count: %(count)s")
            % {"count": unknown if printer.page_count is None else printer.page_count}
        )
        lines.append(_("Supplies: %(count)s") % {"count": len(printer.supplies)})
        for supply in printer.supplies:
            lines.append(
                "  "
                + _("%(index)s %(description)s (%(type)s): %(level)s")
                % {
                    "index": supply.index,
                    "description": supply.description,
                    "type": supply.type or unknown,
                    "level": _supply_level(supply.level, supply.max_capacity, supply.percent),
                }
            )
    ups = facts.ups
    if ups is not None:
        lines.append(
            _("UPS: output %(source)s, battery %(battery)s")
            % {
                "source": ups.output_source or unknown,
                "battery": ups.battery_status or unknown,
            }
        )
        lines.append(
            _(
                "Charge: %(charge)s %%, minutes left: %(minutes)s, load: %(load)s %%, "
                "input: %(voltage)s V"
            )
            % {
                "charge": _number(ups.charge_percent, unknown),
                "minutes": _number(ups.minutes_remaining, unknown),
                "load": _number(ups.load_percent, unknown),
                "voltage": _number(ups.input_voltage, unknown),
            }
        )
    if facts.interfaces is not None:
        lines.append(_("Interfaces: %(count)s") % {"count": len(facts.interfaces)})
        for interface in facts.interfaces:
            lines.append(
                "  "
                + _("%(index)s %(name)s: admin %(admin)s, link %(oper)s")
                % {
                    "index": interface.index,
                    "name": interface.name,
                    "admin": _up_down(interface.admin_up),
                    "oper": _up_down(interface.oper_up),
                }
            )
    return lines


def _supply_level(level: int | None, maximum: int | None, percent: float | None) -> str:
    special = {-1: _("other"), -2: _("unknown"), -3: _("some remaining")}
    if level is None:
        return _("unknown")
    if level in special:
        return special[level]
    if percent is not None:
        return _("%(level)s of %(max)s (%(percent)s %%)") % {
            "level": level,
            "max": maximum,
            "percent": _number(percent, ""),
        }
    return _("%(level)s (maximum %(max)s)") % {
        "level": level,
        "max": special.get(maximum, maximum) if maximum is not None else _("unknown"),
    }


def _up_down(value: bool | None) -> str:
    if value is None:
        return _("unknown")
    return _("up") if value else _("down")


def _number(value: float | None, missing: str) -> str:
    if value is None:
        return missing
    return f"{value:g}"


def _uptime(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return _("%(days)s d %(hh)02d:%(mm)02d:%(ss)02d") % {
        "days": days,
        "hh": hours,
        "mm": minutes,
        "ss": secs,
    }
