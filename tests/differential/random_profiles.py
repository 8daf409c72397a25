"""Random valid profiles, the files they name and the commands run on them,
for differential.py. Everything comes from random.Random(seed): a seed is
one set of files and commands, always the same.

make_seed(seed, directory) writes a profile (and sometimes a base profile
and source files) into directory and returns the comparisons to make."""

import gzip
import os
import random

# The environment variables a case may set; a reproduced command shows them.
ENV_KEYS = ("TZ", "HOME", "PPROF_BINARY_PATH", "PPROF_TMPDIR")

# Sample types with units pprof knows (and some it does not); a base may
# name a compatible unit instead (units as pprof's measurement package
# scales them), or a type differing by a trailing "s".
SAMPLE_TYPES = [
    ("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
    ("inuse_space", "bytes"), ("samples", "count"), ("cpu", "nanoseconds"), ("delay", "nanoseconds"),
    ("contentions", "count"), ("space", "bytes"), ("objects", "count"), ("wall", "microseconds"),
    ("time", "ms"), ("gpu", "milligcu"), ("alloc", "kB"), ("size", "Bytes"), ("latency", "\u03bcs"),
    ("distance", "furlongs"), ("events", ""), ("bytes", "MB"), ("duration", "s"), ("uptime", "hrs"),
]
COMPATIBLE_UNITS = {
    "bytes": ["B", "kB", "Bytes", "byte", "MB", "kilobytes", "GB"],
    "B": ["bytes", "kB"], "kB": ["bytes", "B", "MB"], "Bytes": ["bytes", "kB"], "MB": ["kB", "bytes", "GB"],
    "nanoseconds": ["ns", "microseconds", "ms", "s", "seconds"], "microseconds": ["nanoseconds", "ms"],
    "ms": ["nanoseconds", "s", "us"], "s": ["ms", "nanoseconds", "hrs"], "milligcu": ["gcu", "microgcu"],
    "count": ["count"], "hrs": ["s", "ms"],
}

GO_NAMES = ["main.main", "runtime.mallocgc", "runtime.newobject", "main.(*server).handle",
            "github.com/acme/store.(*DB).Put", "github.com/acme/store/v2.Open", "main.main.func1",
            "sync.(*Pool).Get", "main.Map[...]", "bytes.(*Buffer).grow", "encoding/json.Marshal",
            "gopkg.in/yaml.v3.unmarshal", "example.com/a/b.c.d"]
C_NAMES = ["malloc", "calloc", "realloc", "__libc_start_main", "main", "worker", "parse_config", "do_work",
           "_start", "g", "strdup", "xmalloc", ".ppc_entry", "compute_3"]
CXX_NAMES = ["ns::Klass::method(int)", "std::vector<int, std::allocator<int> >::push_back(int const&)",
             "(anonymous namespace)::helper()", "operator new(unsigned long)", "Foo::operator()() const",
             "a::b<int>::c()", "Widget::~Widget()", "std::map<int, int>::operator[](int const&)"]
MANGLED = ["_Z3fooi", "_ZN2ns3barEv", "_ZN3FooC2Ev", "_Znwm", "_ZN6Widget4drawEv", "_ZdlPv"]
ODD_NAMES = ["a+b", "x.y*z", "[bracket]", "q?", "com.acme.Bar.<init>", "\u65e5\u672c.f", "caf\u00e9",
             "f\u03a3", "tab\tname", "sp ace", "bad\udcffbyte", "dollar$", "^caret", "back\\slash", "K\u212a",
             "pipe|name", "(paren)", "x{2}"]

FILE_NAMES = ["app.c", "src/util.c", "lib/inl.h", "./dot.c", "dir//double.c", "../up.c", "/proc/self/cwd/cwd.c",
              "/nonexistent/missing.c", "C:\\src\\win.c", "gen/long.c", "crlf.c", "empty.c", "dir/"]
MAPPING_FILES = ["/nonexistent/bin/app", "/nonexistent/lib/libc.so.6", "/nonexistent/lib/libfoo.so",
                 "C:\\Users\\me\\app.exe", "memfd:jit (deleted)", "[vdso]", "[heap]", "",
                 "http://example.com/bin/app", "app", "linux-vdso.so.1", "anon:thing", "a:b/c",
                 "/SYSV00000000 (deleted)", "1a:b", "https://host:8080/x", "x:%zz", "ftp://u@h/p?q#f",
                 "/nonexistent/\u00e9t\u00e9.so"]
BUILD_IDS = ["", "", "b1d0c0ffee", "0123456789abcdef0123456789abcdef01234567", "xyz", "B1D0"]
COMMENTS = ["a comment", "# hidden comment", "dup", "dup", "", "go1.19", "\u00e9t\u00e9", "#", "with  spaces "]
LABEL_KEYS = ["thread", "bytes", "request", "alignment", "tag", "pprof::base", "k"]
LABEL_STRINGS = ["main", "worker", "true", "", "x y", "\u03bb"]
LABEL_UNITS = ["", "bytes", "B", "kB", "ms", "count", "requests"]

# Regular expressions: Go (RE2) syntax, POSIX syntax, and what pprof refuses.
REGEXES = [".", "main", "^main$", "f\\d+", "(?i)MAIN", "(?:main|worker)", "\\x6dain", "\\Qa+b\\E", "\\pL+",
           "\\Amain", "main\\z", "(?s).", "(?U)m.+", "\\155ain", "a{,2}", "\\<main", "main\\>", "[[:alpha:]]+",
           "\\bmalloc\\b", "x{2}", "\\(", "(", "[", "\\C", "\\Z", "a*+", "(?P<n>main)", "(?<n>main)", "\\1",
           "[^a]", "caf.", "\\x{e9}", "\\p{Greek}", "\\PL", "^$", "", "|", "runtime\\..*", "\\.", "\\$",
           "(?i)k", "\\w+\\.\\w+", "[\\d]", "a|b|c", "(?m)^g$", "\u00e9", "\\S+ \\S+", "\\x{fffd}", "[^\\x00-\\x7f]"]

UNITS = ["minimum", "auto", "B", "kB", "MB", "GB", "TB", "PB", "s", "ms", "us", "\u03bcs", "ns", "hrs",
         "GCU", "count", "bytes", "furlong", "\u00b5x", "kilobyte", "second", "sec", "hour", "milligcu", ""]
TZS = [None, "UTC", "", "America/New_York", "Asia/Kolkata", ":Europe/Paris", "EST5EDT", "<+03>-3",
       "Nowhere/Atall", "right/Europe/Paris", "right/UTC", "posix/Asia/Tokyo", "/etc/passwd", "/dev/null",
       "Europe", "/usr/share/zoneinfo/Australia/Sydney", "zone.tab", "Etc/GMT+5"]


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class Message:
    """Fields in the order added; unknown fields may be mixed in."""

    def __init__(self, rng):
        self.rng = rng
        self.parts = []

    def unknown(self):
        """A field pprof skips: field number 0 and numbers no message uses."""
        number = self.rng.choice([0, 0, 15, 99, 1000, 1 << 20])
        if self.rng.random() < 0.5:
            self.parts.append(varint(number << 3) + varint(self.rng.randrange(1 << 40)))
        else:
            data = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(6)))
            self.parts.append(varint(number << 3 | 2) + varint(len(data)) + data)

    def maybe_unknown(self, chance):
        if self.rng.random() < chance:
            self.unknown()

    def int(self, field, value, keep_zero=False):
        if value or keep_zero:
            self.parts.append(varint(field << 3) + varint(value))

    def bytes(self, field, data):
        self.parts.append(varint(field << 3 | 2) + varint(len(data)) + data)

    def message(self, field, message):
        self.bytes(field, message.encode())

    def ints(self, field, values):
        """Packed or one field per value, as a writer may choose."""
        if values and self.rng.random() < 0.8:
            self.bytes(field, b"".join(varint(v) for v in values))
        else:
            for value in values:
                self.int(field, value, keep_zero=True)

    def encode(self):
        return b"".join(self.parts)


class Strings:
    def __init__(self, rng):
        self.rng = rng
        self.table = [""]
        self.index = {"": 0}

    def __call__(self, text):
        if text not in self.index or self.rng.random() < 0.05:  # a repeated string now and then
            self.index[text] = len(self.table)
            self.table.append(text)
        return self.index[text]


def encode_text(text):
    return text.encode("utf-8", "surrogateescape")


class Model:
    """A profile as plain data, so that a base profile can be derived from it."""

    def __init__(self):
        self.sample_types = []
        self.default_sample_type = ""
        self.period_type = None
        self.period = 0
        self.mappings = []    # dicts
        self.functions = []   # dicts
        self.locations = []   # dicts
        self.samples = []     # (location ids, values, labels)
        self.comments = []
        self.time_nanos = 0
        self.duration_nanos = 0
        self.drop_frames = ""
        self.keep_frames = ""


def pick_name(rng, i):
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(GO_NAMES) if rng.random() < 0.5 else f"main.f{i}"
    if kind < 0.55:
        return rng.choice(C_NAMES) if rng.random() < 0.5 else f"fn_{i}"
    if kind < 0.65:
        return rng.choice(CXX_NAMES)
    if kind < 0.75:
        return rng.choice(MANGLED)
    if kind < 0.9:
        return rng.choice(ODD_NAMES)
    return ""


def random_value(rng):
    kind = rng.random()
    if kind < 0.6:
        return rng.randrange(1, 5000)
    if kind < 0.7:
        return 0
    if kind < 0.8:
        return -rng.randrange(1, 5000)
    if kind < 0.9:
        return rng.randrange(1, 1 << rng.choice([20, 30, 40, 50]))
    return rng.choice([(1 << 62) + rng.randrange(1 << 20), (1 << 63) - 1, -(1 << 63), (1 << 53) + 1,
                       (1 << 60) * 3, 9007199254740993, -(1 << 62)])


def random_model(rng, src):
    m = Model()
    n_types = rng.choice([1, 1, 2, 2, 3, 4])
    if rng.random() < 0.4:
        m.sample_types = list(SAMPLE_TYPES[:4]) if n_types == 4 else rng.sample(SAMPLE_TYPES[:4], n_types)
    else:
        m.sample_types = [rng.choice(SAMPLE_TYPES) for _ in range(n_types)]
    if rng.random() < 0.3:
        m.default_sample_type = rng.choice([t for t, _ in m.sample_types] + ["nosuchtype", ""])
    if rng.random() < 0.6:
        m.period_type = rng.choice(SAMPLE_TYPES)
        m.period = rng.choice([0, 1, 512 * 1024, rng.randrange(1 << 30)])

    for i in range(rng.randrange(0, 5)):
        start = rng.choice([0, 0x400000, 0x7f0000000000]) + i * 0x100000
        m.mappings.append(dict(id=rng.choice([i + 1, i + 1, 1000 + i]), start=start,
                               limit=start + rng.choice([0x1000, 0x100000, 0x1234]),
                               offset=rng.choice([0, 0x1000]), file=rng.choice(MAPPING_FILES),
                               build_id=rng.choice(BUILD_IDS), has_functions=rng.random() < 0.5,
                               has_filenames=rng.random() < 0.3, has_lines=rng.random() < 0.3,
                               has_inline=rng.random() < 0.3))

    names = []
    for i in range(rng.randrange(1, 20)):
        name = pick_name(rng, i)
        system = name if rng.random() < 0.7 else rng.choice([pick_name(rng, i + 100), ""])
        filename = rng.choice(FILE_NAMES) if rng.random() < 0.7 else ""
        if filename and not filename.startswith(("/", "C:", "..", "dir/")) and rng.random() < 0.3:
            filename = os.path.join(src, filename)  # an absolute path to a file that exists
        m.functions.append(dict(id=i + 1 + rng.choice([0, 0, 500]) * (i % 2), name=name, system=system,
                                file=filename, start=rng.choice([0, 0, rng.randrange(1, 60)])))
        names.append(name)

    function_ids = [f["id"] for f in m.functions]
    mapping_ids = [mp["id"] for mp in m.mappings]
    for i in range(rng.randrange(1, 25)):
        n_lines = rng.choice([0, 1, 1, 1, 2, 3])
        lines = [(rng.choice(function_ids), rng.choice([0, rng.randrange(1, 80)])) for _ in range(n_lines)]
        mapping = rng.choice(mapping_ids + [0, 0, 77]) if mapping_ids else rng.choice([0, 0, 5])
        address = rng.choice([0, rng.randrange(0x400000, 0x800000), rng.randrange(1 << 47)])
        m.locations.append(dict(id=i + 1 + 100 * rng.randrange(2), mapping=mapping, address=address,
                                lines=lines, folded=rng.random() < 0.05))
    location_ids = [loc["id"] for loc in m.locations]

    # A numeric label's key usually has one unit throughout; pprof warns of others.
    key_units = {key: rng.choice(LABEL_UNITS) for key in LABEL_KEYS}
    for _ in range(rng.randrange(0, 40)):
        depth = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12])
        stack = [rng.choice(location_ids) for _ in range(depth)]
        values = [random_value(rng) for _ in m.sample_types]
        labels = []
        for _ in range(rng.choice([0, 0, 0, 1, 2, 3])):
            key = rng.choice(LABEL_KEYS)
            if rng.random() < 0.5:
                labels.append((key, rng.choice(LABEL_STRINGS), None))
            else:
                unit = key_units[key] if rng.random() < 0.9 else rng.choice(LABEL_UNITS)
                labels.append((key, rng.choice([0, 1, 8, 4096, -3, 1 << 40]), unit))
        m.samples.append((stack, values, labels))
        if rng.random() < 0.15:
            m.samples.append((list(stack), list(values), list(labels)))  # merged by profile.Merge

    m.comments = [rng.choice(COMMENTS) for _ in range(rng.choice([0, 0, 1, 2, 4]))]
    m.time_nanos = rng.choice([0, 1_790_000_000_123_456_789, 1_483_228_826_000_000_000, 1_000_000_000,
                               -86_400_000_000_000, rng.randrange(1 << 61)])
    m.duration_nanos = rng.choice([0, 0, 1_000_000_000, 30_000_000_000, rng.randrange(1 << 40)])
    if rng.random() < 0.25:
        named = [n for n in names if n]
        m.drop_frames = rng.choice(REGEXES + (named or ["main"]) * 3)
        if rng.random() < 0.3:
            m.keep_frames = rng.choice(REGEXES + (named or ["main"]))
    return m


def derive_base(rng, m):
    """A base for -base: the same program at another moment, renumbered, with
    some stacks grown, shrunk, gone or new; its units sometimes others of the
    same kind, and rarely incompatible."""
    import copy
    b = copy.deepcopy(m)
    shift = rng.choice([0, 1000])
    for f in b.functions:
        f["id"] += shift
    for loc in b.locations:
        loc["id"] += shift
        loc["lines"] = [(fid + shift, line) for fid, line in loc["lines"]]
    b.samples = []
    for stack, values, labels in m.samples:
        roll = rng.random()
        if roll < 0.2:
            continue
        if roll < 0.5:
            values = [v if rng.random() < 0.5 else random_value(rng) for v in values]
        b.samples.append(([s + shift for s in stack], values, labels))
    for _ in range(rng.randrange(3)):
        stack = [rng.choice(b.locations)["id"] for _ in range(rng.randrange(1, 5))]
        b.samples.append((stack, [random_value(rng) for _ in b.sample_types], []))
    if rng.random() < 0.3:
        b.sample_types = [(t, rng.choice(COMPATIBLE_UNITS.get(u, [u]))) for t, u in b.sample_types]
    if rng.random() < 0.1:
        b.sample_types = [(t + "s" if not t.endswith("s") else t[:-1], u) for t, u in b.sample_types]
    if rng.random() < 0.05:
        b.sample_types = b.sample_types[:-1] + [("other", "count")]
    if b.period_type and rng.random() < 0.2:
        b.period_type = (b.period_type[0], rng.choice(COMPATIBLE_UNITS.get(b.period_type[1], ["count"])))
    b.comments = [rng.choice(COMMENTS) for _ in range(rng.choice([0, 1, 2]))] + \
        (m.comments[:1] if rng.random() < 0.5 else [])
    b.time_nanos = rng.choice([0, m.time_nanos - 10**9, m.time_nanos + 10**9])
    b.duration_nanos = rng.choice([0, 5_000_000_000])
    return b


def encode_model(rng, m):
    s = Strings(rng)
    p = Message(rng)
    unknown = rng.choice([0, 0, 0.2])  # how often an unknown field comes in
    for type_, unit in m.sample_types:
        vt = Message(rng)
        vt.int(1, s(type_))
        vt.int(2, s(unit))
        vt.maybe_unknown(unknown)
        p.message(1, vt)
    for stack, values, labels in m.samples:
        sm = Message(rng)
        sm.ints(1, stack)
        sm.ints(2, values)
        for key, value, unit in labels:
            lb = Message(rng)
            lb.int(1, s(key))
            if unit is None:
                lb.int(2, s(value))
            else:
                lb.int(3, value)
                lb.int(4, s(unit))
            lb.maybe_unknown(unknown)
            sm.message(3, lb)
        sm.maybe_unknown(unknown)
        p.message(2, sm)
    for mp in m.mappings:
        mm = Message(rng)
        mm.int(1, mp["id"])
        mm.int(2, mp["start"])
        mm.int(3, mp["limit"])
        mm.int(4, mp["offset"])
        mm.int(5, s(mp["file"]))
        mm.int(6, s(mp["build_id"]))
        for field, flag in ((7, "has_functions"), (8, "has_filenames"), (9, "has_lines"), (10, "has_inline")):
            mm.int(field, int(mp[flag]))
        mm.maybe_unknown(unknown)
        p.message(3, mm)
    for loc in m.locations:
        lm = Message(rng)
        lm.int(1, loc["id"])
        lm.int(2, loc["mapping"])
        lm.int(3, loc["address"])
        for fid, line in loc["lines"]:
            ln = Message(rng)
            ln.int(1, fid)
            ln.int(2, line)
            ln.maybe_unknown(unknown)
            lm.message(4, ln)
        lm.int(5, int(loc["folded"]))
        lm.maybe_unknown(unknown)
        p.message(4, lm)
    for f in m.functions:
        fm = Message(rng)
        fm.int(1, f["id"])
        fm.int(2, s(f["name"]))
        fm.int(3, s(f["system"]))
        fm.int(4, s(f["file"]))
        fm.int(5, f["start"])
        fm.maybe_unknown(unknown)
        p.message(5, fm)
    p.int(7, s(m.drop_frames))
    p.int(8, s(m.keep_frames))
    p.int(9, m.time_nanos)
    p.int(10, m.duration_nanos)
    if m.period_type:
        pt = Message(rng)
        pt.int(1, s(m.period_type[0]))
        pt.int(2, s(m.period_type[1]))
        p.message(11, pt)
    p.int(12, m.period)
    p.ints(13, [s(c) for c in m.comments])
    p.int(14, s(m.default_sample_type))
    p.maybe_unknown(unknown * 2)
    for text in s.table:
        p.bytes(6, encode_text(text))
    data = p.encode()
    return gzip.compress(data, mtime=0) if rng.random() < 0.8 else data


def write_sources(rng, src):
    """The files functions name, some missing: lines numbered so that a
    listing shows where it reads."""
    for name in FILE_NAMES:
        if name.startswith(("/", "C:", "..")) or name.endswith("/") or rng.random() < 0.15:
            continue
        path = os.path.join(src, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        count = {"empty.c": 0, "gen/long.c": 400}.get(name, rng.randrange(5, 90))
        ending = b"\r\n" if name == "crlf.c" else b"\n"
        with open(path, "wb") as out:
            for n in range(1, count + 1):
                out.write(b"line %d of %s\t{ code(%d); }" % (n, name.encode(), n) + ending)
    os.makedirs(os.path.join(src, "dir"), exist_ok=True)


class Case:
    def __init__(self, label, pprof_args, heapprof_args, env, cwd):
        self.label, self.pprof_args, self.heapprof_args, self.env, self.cwd = \
            label, pprof_args, heapprof_args, env, cwd


def go_int_text(rng, value):
    """An integer as Go's flag package accepts it (strconv.ParseInt, base 0)."""
    form = rng.random()
    if value < 0 or form < 0.6:
        return str(value)
    if form < 0.7:
        return hex(value)
    if form < 0.8:
        return bin(value)
    if form < 0.85:
        return "0o%o" % value
    if form < 0.9:
        return "+%d" % value
    if form < 0.95 and value >= 10:
        text = str(value)
        return text[0] + "_" + text[1:]
    return "0%o" % value if value else "0"


def flag(rng, name, value):
    """-name=value, -name value, --name=value or --name value."""
    dashes = "--" if rng.random() < 0.2 else "-"
    if rng.random() < 0.7 or value == "" or value.startswith("-"):
        return [f"{dashes}{name}={value}"]
    return [f"{dashes}{name}", value]


def bool_flag(rng, name, value=True):
    if value and rng.random() < 0.6:
        return ["-" + name]
    words = ["true", "1", "t", "T", "TRUE", "True"] if value else ["false", "0", "f", "F", "FALSE", "False"]
    return [f"-{name}={rng.choice(words)}"]


def sample_index_flag(rng, m):
    roll = rng.random()
    names = [t for t, _ in m.sample_types]
    if roll < 0.5:
        value = rng.choice(names)
    elif roll < 0.7:
        value = str(rng.randrange(len(names) + 1))
    elif roll < 0.8:
        value = "inuse_" + rng.choice(names)
    else:
        value = rng.choice(["", "+0", "-1", "01", "nosuch", "9999999999999999999999", " 0"])
    return flag(rng, "sample_index", value)


def top_flags(rng, m):
    flags = []
    if rng.random() < 0.5:
        flags += sample_index_flag(rng, m)
    if rng.random() < 0.4:
        flags += flag(rng, "nodecount", go_int_text(rng, rng.choice([0, 1, 2, 3, 5, 10, 80, -1, -5, 1 << 33])))
    if rng.random() < 0.3:
        flags += flag(rng, "nodefraction", rng.choice(["0", "0.001", "0.05", "0.1", "0.5", "1e-2", ".05",
                                                       "1", "0x1p-4", "1_0e-3", "-0.1", "NaN", "inf"]))
    roll = rng.random()
    if roll < 0.25:
        flags += bool_flag(rng, "cum")
    elif roll < 0.35:
        flags += bool_flag(rng, "flat")
    elif roll < 0.4:
        flags += bool_flag(rng, "cum", False)
    elif roll < 0.42:
        flags += bool_flag(rng, "cum") + bool_flag(rng, "flat")
    if rng.random() < 0.35:
        flags += flag(rng, "unit", rng.choice(UNITS))
    return flags


def list_flags(rng, m, src):
    flags = []
    if rng.random() < 0.4:
        flags += sample_index_flag(rng, m)
    if rng.random() < 0.3:
        flags += flag(rng, "unit", rng.choice(UNITS))
    if rng.random() < 0.3:
        flags += flag(rng, "source_path", rng.choice([src, "/nonexistent:" + src, os.path.join(src, "lib"),
                                                      "", src + "/", "/nonexistent"]))
    if rng.random() < 0.3:
        flags += flag(rng, "trim_path", rng.choice(["/nonexistent", src, "/proc/self/cwd", "src", "C:"]))
    return flags


def list_regex(rng, m):
    named = [f["name"] for f in m.functions if f["name"]]
    roll = rng.random()
    if roll < 0.4 and named:
        return rng.choice(named)
    if roll < 0.5 and named:
        name = rng.choice(named)
        return name[: max(1, len(name) // 2)]
    regex = rng.choice(REGEXES)
    return regex or "."  # pprof takes an empty -list as no list at all


def environment(rng, home):
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(HOME=home, PPROF_BINARY_PATH=os.path.join(home, "binaries"), PPROF_TMPDIR=home)
    tz = rng.choice(TZS)
    if tz is not None:
        env["TZ"] = tz
    return env


def make_seed(seed, directory):
    rng = random.Random(seed)
    src = os.path.join(directory, "src")
    os.makedirs(src, exist_ok=True)
    write_sources(rng, src)
    model = random_model(rng, src)
    profile = os.path.join(directory, "profile.pb.gz")
    with open(profile, "wb") as out:
        out.write(encode_model(rng, model))
    env = environment(rng, directory)
    cases = []
    for _ in range(rng.choice([1, 2, 2, 3])):
        flags = top_flags(rng, model)
        cases.append(Case("top " + " ".join(flags), ["-top"] + flags + [profile], ["top"] + flags + [profile],
                          env, src))
    for _ in range(rng.choice([0, 1, 1, 2])):
        regex, flags = list_regex(rng, model), list_flags(rng, model, src)
        pprof_list = [f"-list={regex}"] if rng.random() < 0.5 else ["-list", regex]
        cases.append(Case(f"list {regex!r} " + " ".join(flags), pprof_list + flags + [profile],
                          ["list"] + flags + [regex, profile], env, src))
    if rng.random() < 0.5:
        base = os.path.join(directory, "base.pb.gz")
        with open(base, "wb") as out:
            out.write(encode_model(rng, derive_base(rng, model)))
        flags = top_flags(rng, model)
        roll = rng.random()
        if roll < 0.6:
            base_flag = flag(rng, "base" if roll < 0.4 else "diff_base", base)
            cases.append(Case(" ".join(["top"] + base_flag + flags), ["-top"] + base_flag + flags + [profile],
                              ["top"] + base_flag + flags + [profile], env, src))
        else:
            cases.append(Case("diff " + " ".join(flags), ["-top"] + flag(rng, "base", base) + flags + [profile],
                              ["diff"] + flags + [base, profile], env, src))
    return cases
