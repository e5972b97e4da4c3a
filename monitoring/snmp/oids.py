"""Numeric OIDs the poller reads (Printer-MIB and HOST-RESOURCES-MIB are not bundled with
pysnmp, so names are kept here, once). Dotted strings, no leading dot.

CONTRACT: ``SCALARS`` is what one GET reads (the client may split it into several PDUs);
``TABLES`` are the roots walked with GETBULK (v2c/v3) or GETNEXT (v1). The decoder work may
add OIDs; the poller reads whatever is listed.
"""

from __future__ import annotations

# System group (RFC 3418)
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"

SCALARS: tuple[str, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)
TABLES: tuple[str, ...] = ()
