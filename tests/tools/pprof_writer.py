"""Writes pprof profile.proto messages by hand, so that the tests can craft
any profile (valid or hostile) without a protobuf package."""

import gzip


def varint(value):
    value &= (1 << 64) - 1  # negative int64 values are written as 10 bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(field, wire_type):
    return varint(field << 3 | wire_type)


def int_field(field, value):
    """A varint field; zero is skipped as proto3 writers do."""
    return key(field, 0) + varint(value) if value else b""


def bytes_field(field, data):
    return key(field, 2) + varint(len(data)) + data


def packed_field(field, values):
    if not values:
        return b""
    return bytes_field(field, b"".join(varint(v) for v in values))


class Profile:
    """Builds a profile; strings are interned into the string table."""

    def __init__(self):
        self.strings = [""]
        self.index = {"": 0}
        self.parts = []

    def s(self, text):
        if text not in self.index:
            self.index[text] = len(self.strings)
            self.strings.append(text)
        return self.index[text]

    def sample_type(self, type_, unit):
        self.parts.append(bytes_field(1, int_field(1, self.s(type_)) + int_field(2, self.s(unit))))

    def period_type(self, type_, unit, period):
        self.parts.append(bytes_field(11, int_field(1, self.s(type_)) + int_field(2, self.s(unit))))
        self.parts.append(int_field(12, period))

    def sample(self, location_ids, values, labels=()):
        body = packed_field(1, location_ids) + packed_field(2, values)
        for label in labels:
            k, v = label[0], label[1]
            if isinstance(v, str):
                body += bytes_field(3, int_field(1, self.s(k)) + int_field(2, self.s(v)))
            else:
                unit = label[2] if len(label) > 2 else ""
                body += bytes_field(3, int_field(1, self.s(k)) + int_field(3, v) + int_field(4, self.s(unit)))
        self.parts.append(bytes_field(2, body))

    def mapping(self, id_, start, limit, offset, filename, build_id="", has_functions=False,
                has_filenames=False, has_lines=False, has_inline=False):
        body = (int_field(1, id_) + int_field(2, start) + int_field(3, limit) + int_field(4, offset)
                + int_field(5, self.s(filename)) + int_field(6, self.s(build_id))
                + int_field(7, has_functions) + int_field(8, has_filenames)
                + int_field(9, has_lines) + int_field(10, has_inline))
        self.parts.append(bytes_field(3, body))

    def location(self, id_, mapping_id=0, address=0, lines=()):
        """lines: (function_id, line) pairs, innermost first."""
        body = int_field(1, id_) + int_field(2, mapping_id) + int_field(3, address)
        for function_id, line in lines:
            body += bytes_field(4, int_field(1, function_id) + int_field(2, line))
        self.parts.append(bytes_field(4, body))

    def function(self, id_, name, system_name=None, filename="", start_line=0):
        if system_name is None:
            system_name = name
        body = (int_field(1, id_) + int_field(2, self.s(name)) + int_field(3, self.s(system_name))
                + int_field(4, self.s(filename)) + int_field(5, start_line))
        self.parts.append(bytes_field(5, body))

    def header(self, time_nanos=0, duration_nanos=0, comments=(), drop_frames="", keep_frames="",
               default_sample_type=""):
        self.parts.append(int_field(9, time_nanos))
        self.parts.append(int_field(10, duration_nanos))
        for comment in comments:
            self.parts.append(int_field(13, self.s(comment)) or key(13, 0) + varint(0))
        if drop_frames:
            self.parts.append(int_field(7, self.s(drop_frames)))
        if keep_frames:
            self.parts.append(int_field(8, self.s(keep_frames)))
        if default_sample_type:
            self.parts.append(int_field(14, self.s(default_sample_type)))

    def raw(self, data):
        """Appends arbitrary bytes, for hostile profiles."""
        self.parts.append(data)

    def encode(self, string_table=True):
        body = b"".join(self.parts)
        if string_table:
            # Lone surrogates stand for bytes that are not UTF-8.
            body += b"".join(bytes_field(6, text.encode("utf-8", "surrogateescape")) for text in self.strings)
        return body

    def write(self, path, compress=True, string_table=True):
        data = self.encode(string_table)
        with open(path, "wb") as out:
            out.write(gzip.compress(data, mtime=0) if compress else data)


def one_sample_profile(**header):
    """The smallest valid heap profile: one sample of 100 bytes in main, its header
    fields as given."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x1000, 0x2000, 0, "/bin/app")
    p.function(1, "main", filename="main.c")
    p.location(1, 1, 0x1100, [(1, 3)])
    p.sample([1], [100])
    p.header(**header)
    return p
