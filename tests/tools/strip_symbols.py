#!/usr/bin/env python3
"""Removes the symbols from a profile, as if it had been written without
them: strip_symbols.py IN OUT [MAPPING_ID]. Locations lose their lines and
mappings no longer claim symbols: all of them, or only those of one mapping
(then the functions stay, else they go too); every other byte is kept."""

import gzip
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pprof_writer import bytes_field, key  # noqa: E402

PROFILE_MAPPING, PROFILE_LOCATION, PROFILE_FUNCTION = 3, 4, 5
LOCATION_MAPPING_ID, LOCATION_LINE = 2, 4
MAPPING_ID = 1
MAPPING_SYMBOL_FLAGS = {7, 8, 9, 10}


def read_varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(data):
    """(field number, wire type, raw field bytes, payload) for each field."""
    at = 0
    while at < len(data):
        start = at
        tag, at = read_varint(data, at)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, at = read_varint(data, at)
            payload = None
        elif wire == 1:
            at += 8
            payload = None
        elif wire == 2:
            length, at = read_varint(data, at)
            payload = data[at:at + length]
            at += length
        elif wire == 5:
            at += 4
            payload = None
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, data[start:at], payload


def without(message, dropped):
    return b"".join(raw for number, _, raw, _ in fields(message) if number not in dropped)


def varint_field(message, wanted):
    """The value of a varint field (0 when absent)."""
    for number, wire, raw, _ in fields(message):
        if number == wanted and wire == 0:
            return read_varint(raw, len(key(number, 0)))[0]
    return 0


def strip(profile, mapping=None):
    out = []
    for number, _, raw, payload in fields(profile):
        if number == PROFILE_FUNCTION and mapping is None:
            continue
        if number == PROFILE_LOCATION and mapping in (None, varint_field(payload, LOCATION_MAPPING_ID)):
            raw = bytes_field(number, without(payload, {LOCATION_LINE}))
        elif number == PROFILE_MAPPING and mapping in (None, varint_field(payload, MAPPING_ID)):
            raw = bytes_field(number, without(payload, MAPPING_SYMBOL_FLAGS))
        out.append(raw)
    return b"".join(out)


def main():
    with open(sys.argv[1], "rb") as source:
        data = source.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with open(sys.argv[2], "wb") as out:
        mapping = int(sys.argv[3]) if len(sys.argv) > 3 else None
        out.write(gzip.compress(strip(data, mapping), mtime=0))


if __name__ == "__main__":
    main()
