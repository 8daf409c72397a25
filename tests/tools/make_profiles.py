#!/usr/bin/env python3
"""Writes the crafted profiles of the comparison suite, and the source files
their functions point to, into a directory: make_profiles.py OUTDIR."""

import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from pprof_writer import Profile, bytes_field, int_field, key, packed_field, varint  # noqa: E402

HEAP_TYPES = [("alloc_objects", "count"), ("alloc_space", "bytes"),
              ("inuse_objects", "count"), ("inuse_space", "bytes")]
TIME_2026 = 1_790_000_000_123_456_789


def write_sources(src):
    """Source files for list; line numbers matter, so they are generated."""
    os.makedirs(os.path.join(src, "lib"), exist_ok=True)
    for name, count in [("app.c", 120), ("lib/util.c", 60), ("lib/inl.h", 40), ("cxx.cc", 50)]:
        with open(os.path.join(src, name), "w") as out:
            for n in range(1, count + 1):
                out.write(f"/* {name} line {n} */\tcode({n});\n" if n % 7 else "\n")
    with open(os.path.join(src, "crlf.c"), "wb") as out:
        out.write(b"".join(b"line %d\r\n" % n for n in range(1, 30)))


def heap_profile(src, older=False, **header):
    """A C-like heap profile: three binaries, inlined frames, unsymbolized
    addresses, functions with and without files and start lines. The older
    variant, a base for -base, numbers its locations and functions
    differently and holds other values: some stacks grew since, some shrank,
    some are new."""
    renumber = 1000 if older else 0
    p = Profile()
    for type_, unit in HEAP_TYPES:
        p.sample_type(type_, unit)
    p.period_type("space", "bytes", 524288)
    p.mapping(1, 0x400000, 0x500000, 0, "/nonexistent/bin/app", "b1d0c0ffee")
    p.mapping(2, 0x7f0000000000, 0x7f0000100000, 0, "/nonexistent/lib/libc.so.6")
    p.mapping(3, 0x7f0000200000, 0x7f0000300000, 0x1000, "/nonexistent/lib/libfoo.so")
    app, util, inl, cxx = (os.path.join(src, n) for n in ("app.c", "lib/util.c", "lib/inl.h", "cxx.cc"))
    functions = [
        (1, "main", app, 10), (2, "make_table", app, 30), (3, "grow", util, 5),
        (4, "fill_inline", inl, 3), (5, "malloc", "", 0), (6, "operator new(unsigned long)", "", 0),
        (7, "std::vector<int, std::allocator<int> >::_M_realloc_insert(int const&)", cxx, 20),
        (8, "worker", app, 60), (9, "", "", 7), (10, "parse", "", 0), (11, "tiny", util, 40),
        (12, "recurse", app, 90),
    ]
    for id_, name, filename, start in functions:
        p.function(id_ + renumber, name, filename=filename, start_line=start)
    p.function(13 + renumber, "", system_name="from_system_name", filename=util, start_line=50)
    lines = {
        1: [(1, 14)], 2: [(2, 33)], 3: [(4, 5), (3, 9)], 4: [(5, 0)], 5: [(6, 0)],
        6: [(7, 25), (2, 35)], 7: [(8, 66)], 8: [(9, 0)], 9: [(10, 0)], 10: [(11, 44)],
        11: [(12, 95)], 12: [(13, 52)], 13: [(3, 12)],
    }
    addresses = {1: 0x401000, 2: 0x402000, 3: 0x403000, 4: 0x7f0000001000, 5: 0x7f0000002000,
                 6: 0x404000, 7: 0x405000, 8: 0x406000, 9: 0x407000, 10: 0x408000, 11: 0x409000,
                 12: 0x40a000, 13: 0x40b000}
    for id_, ls in lines.items():
        mapping = 2 if addresses[id_] >= 0x7f0000000000 else 1
        p.location(id_ + renumber, mapping, addresses[id_], [(f + renumber, n) for f, n in ls])
    p.location(20 + renumber, 2, 0x7f0000003000)           # libc, no symbols
    p.location(21 + renumber, 3, 0x7f0000201000)           # libfoo, no symbols
    p.location(22 + renumber, 0, 0xdeadbeef)               # no mapping at all
    p.location(23 + renumber, 3, 0x7f0000202000)
    stacks = [
        ([4, 3, 2, 1], [10, 10240, 2, 2048]),
        ([4, 13, 2, 1], [5, 5120, 5, 5120]),
        ([5, 6, 1], [3, 3000, 1, 1000]),
        ([20, 7, 1], [7, 700, 0, 0]),
        ([21, 23, 8, 7, 1], [1, 100000, 1, 100000]),
        ([22, 1], [2, 64, 2, 64]),
        ([8, 1], [4, 400, 4, 400]),
        ([9, 2, 1], [1, 4096, 1, 4096]),
        ([10, 7, 1], [100, 1600, 50, 800]),
        ([11, 11, 11, 1], [6, 600, 6, 600]),
        ([12, 1], [2, 2048, 2, 2048]),
        ([3, 2, 1], [1, 17, 1, 17]),
        ([], [1, 1, 1, 1]),
    ]
    for n, (stack, values) in enumerate(stacks):
        if older:
            values = [v * (n % 4) // 2 for v in values]
        p.sample([id_ + renumber for id_ in stack], values, labels=[("bytes", 1024, "bytes")])
    if older:
        p.sample([1 + renumber], [9, 900, 9, 900], labels=[("bytes", 512, "bytes")])
    p.header(**header)
    return p


def cpu_profile(scale=1):
    """A time profile with a duration and no time: Duration's share line."""
    p = Profile()
    p.sample_type("samples", "count")
    p.sample_type("cpu", "nanoseconds")
    p.period_type("cpu", "nanoseconds", 10000000)
    for i in range(1, 6):
        p.function(i, f"pkg.f{i}")
        p.location(i, 0, 0, [(i, i * 3)])
    for i in range(1, 6):
        p.sample(list(range(i, 6)), [i * scale, i * scale * 10000000 // (i % 2 + 1)])
    p.header(duration_nanos=2_500_000_000)
    return p


def units_profile(units):
    p = Profile()
    for i, unit in enumerate(units):
        p.sample_type(f"v{i}", unit)
    for i in range(1, 8):
        p.function(i, f"fn{i}")
        p.location(i, 0, 0, [(i, 0)])
    rng = random.Random(len(units))
    for i in range(1, 8):
        p.sample([i, 1] if i > 1 else [1], [rng.choice([1, 3, 999, 1500, 123456, 7 * 1024 ** 3]) for _ in units])
    p.header(time_nanos=TIME_2026)
    return p


def many_profile(seed, functions=300, samples=2000, negative=False):
    """Many functions and deep random stacks with recursion and ties."""
    rng = random.Random(seed)
    p = Profile()
    p.sample_type("alloc_space", "bytes")
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x1000, 0x100000, 0, "/nonexistent/many")
    for i in range(1, functions + 1):
        p.function(i, f"f{rng.randrange(functions // 2):04d}" if i % 5 else f"g{i:04d}")
        p.location(i, 1, 0x1000 + i * 16, [(i, i)])
    for _ in range(samples):
        depth = rng.randrange(1, 30)
        stack = [rng.randrange(1, functions + 1) for _ in range(depth)]
        value = rng.choice([1, 16, 64, 1024, 4096, 65536, 1 << 20])
        if negative and rng.random() < 0.3:
            value = -value
        p.sample(stack, [value, value if rng.random() < 0.5 else 0])
    p.header(time_nanos=TIME_2026, comments=["generated", "#not shown"])
    return p


def mangled_profile():
    """Names pprof demangles itself: C++ and legacy Rust symbols whose name is the
    system name (Rust's v0 symbols are left out: heapprof does not demangle those)."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    names = ["_ZN3foo3barEv", "_ZNSt6vectorIiSaIiEE17_M_realloc_insertIJRKiEEEvN9__gnu_cxx17__normal_iteratorIPiS1_EEDpOT_",
             "_Z3maxIiET_S0_S0_", "_ZN12_GLOBAL__N_14funcEv", "_ZNK3Foo3getEv", "_ZN3FooclEv", "_ZdlPv", "_Znwm",
             "_ZN9__gnu_cxx13new_allocatorIcE8allocateEmPKv", "_ZN3FoocviEv", "_ZN3FoolsERKS_",
             # Return types around the name, operators beside template arguments, conversions,
             # local names, lambdas, clones and thunks.
             "_ZN2ns3BoxIiEgtIlEEbT_", "_ZN2ns3BoxIiEltIlEEbT_",
             "_ZStrsIcSt11char_traitsIcEERSt13basic_istreamIT_T0_ES6_RS3_", "_ZNK4llvm8TypeSizecvmEv",
             "_ZNK2ns3BoxIiEcvSt6vectorIiSaIiEEEv", "_ZNKSt15__exception_ptr13exception_ptrcvMS0_FvvEEv",
             "_ZN2nsli3_kmB5cxx11Ey", "_ZZN4llvm10FoldingSetIN5clang10AtomicTypeEE17getFoldingSetInfoEvE4Info",
             "_ZZNKR2ns1S1mEiENKUlvE_clEv.isra.0", "_ZZN2ns3lamESt6vectorIiSaIiEEENKUlS2_E_clES2_.constprop.0.isra.0",
             "_ZZZN2ns8nested_tIiEEiT_ENKUliE_clEiEN5Local1gEv", "_ZN2ns6fp_retIiEEPFiT_ES1_",
             "_ZN2ns3addIidEEDTplfp_fp0_ET_T0_", "_ZN2ns3bigILi5EEENSt9enable_ifIXgtT_Li3EEiE4typeEv",
             "_ZThn8_N2ns7Derived2vgEv", "_ZThn16_NSt14basic_iostreamIwSt11char_traitsIwEED0Ev",
             "_ZTHN2ns8tls_nameB5cxx11E",
             # Constructors and destructors named after their class: an inheriting
             # constructor, an unnamed type's and a lambda's.
             "_ZNSt15__uniq_ptr_dataINSt6thread6_StateESt14default_deleteIS1_ELb1ELb1EECI2St15__uniq_ptr_implIS1_S3_EEPS1_",
             "_ZN6icu_728numparse4impl16NumberParserImplUt_C2Ev", "_ZN6icu_726number4impl10MicroPropsUt_D1Ev",
             "_ZZN2ns2eqIiEEDaRKNS_3BoxIT_EES5_ENUlvE_D2Ev",
             # Return types that stood for the name: decltype(auto), a member pointer.
             "_ZN2ns3refIRiEEDcOT_", "_ZSt7forwardIMSt6threadFvvEEOT_RNSt16remove_referenceIS3_E4typeE",
             # Issue 18's examples: templated operators, a lambda, a conversion to a function
             # pointer, a thunk and a transaction clone beside the plain function.
             "_ZStneIcSt11char_traitsIcESaIcEEbRKNSt7__cxx1112basic_stringIT_T0_T1_EEPKS5_",
             "_ZStplIcSt11char_traitsIcESaIcEENSt7__cxx1112basic_stringIT_T0_T1_EEPKS5_RKS8_",
             "_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc", "_ZZ4mainENKUlvE_clEv", "_ZN1AcvPFvvEEv",
             "_ZThn8_N1B1fEv", "_ZN1B1fEv", "_ZGTtNKSt11logic_error4whatEv", "_ZNKSt11logic_error4whatEv",
             # Legacy Rust: the hash left out, unless it has fewer than five distinct digits.
             "_ZN4core3fmt5write17h0123456789abcdefE",
             "_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$11allocate_in17h0123456789abcdefE",
             "_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE.llvm.123",
             "_ZN4core3fmt5write17h0000000000000000E",
             "std::map<int, std::string>::operator[](int const&)", "pkg.(*T[...]).M", "java.lang.Object.<init>"]
    for i, name in enumerate(names, 1):
        p.function(i, name if i % 4 else "", system_name=name)
        p.location(i, 0, 0, [(i, 0)])
        p.sample([i], [100 * i])
    return p


def diff_base_profile():
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    for i in range(1, 4):
        p.function(i, f"d{i}")
        p.location(i, 0, 0, [(i, 0)])
    p.sample([1], [1000], labels=[("pprof::base", "true")])
    p.sample([2], [-400], labels=[("pprof::base", "true")])
    p.sample([3], [5000])
    return p


def nofile_profile(src, symbolized=False, cancelled=False):
    """A first mapping, which pprof takes for the main binary, without a file
    name: pprof says so on stderr unless the mapping has symbols already or
    no sample it keeps reaches the mapping (cancelled: the main binary's two
    samples sum to zero)."""
    p = Profile()
    p.sample_type("alloc_space", "bytes")
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x400000, 0x500000, 0, "", has_functions=symbolized)
    p.mapping(2, 0x7f0000000000, 0x7f0000100000, 0, "/nonexistent/lib/libc.so.6")
    p.function(1, "main", filename=os.path.join(src, "app.c"), start_line=10)
    p.function(2, "malloc")
    p.location(1, 1, 0x401000, [(1, 14)])
    p.location(2, 2, 0x7f0000001000, [(2, 0)])
    p.sample([2, 1], [4096, 1024])
    if cancelled:
        p.sample([2, 1], [-4096, -1024])
    p.sample([2], [512, 512])
    return p


def empty_profile():
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.function(1, "nothing")
    p.location(1, 0, 0, [(1, 0)])
    p.sample([1], [0])
    return p


def paths_profile(src):
    """File names list must trim or look up: relative, /proc/self/cwd/,
    a foreign build directory, missing files, CRLF endings."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    base = os.path.basename(src)
    names = [
        ("rel", "app.c", 10), ("cwd", "/proc/self/cwd/lib/util.c", 0),
        ("foreign", f"/build/elsewhere/{base}/lib/inl.h", 2), ("missing_abs", "/nonexistent/src/gone.c", 3),
        ("missing_rel", "gone/never.c", 0), ("crlf", os.path.join(src, "crlf.c"), 0),
        ("dots", os.path.join(src, "lib/../app.c"), 100), ("nofile", "", 0),
        ("far", os.path.join(src, "app.c"), 0),
    ]
    for i, (name, filename, start) in enumerate(names, 1):
        p.function(i, name, filename=filename, start_line=start)
        p.location(i, 0, 0, [(i, 12 + i)])
    p.function(20, "far", filename=os.path.join(src, "lib/util.c"), start_line=0)
    p.location(20, 0, 0, [(20, 55)])
    p.location(21, 0, 0, [(9, 118)])
    for i in list(range(1, len(names) + 1)) + [20, 21]:
        p.sample([i], [i * 100])
    return p


# Names Go's regexp and POSIX's tell apart, and Go's decoding of UTF-8.
REGEXP_NAMES = ["main", "main2", "MAIN", "f12", "a+b", "a.b", "aab", "a\nb", "caf\u00e9", "\u65e5\u672c",
                "x{,2}", "x", "xx", "<tag>", "tag", "bad\udcffbyte", "\udcff", "\udced\udca0\udc80", "K", "k",
                "\u212a", "\u017f", "s", "2", "\u00ff", "m\u00e1in"]
# Go's syntax where POSIX's differs or fails, and what Go refuses that RE2 or glibc take.
REGEXP_FORMS = ["(?:main|f12)", "f\\d+", "(?i)main", "\\x32", "\\x{e9}", "\\Qa+b\\E", "\\pL+$", "^\\pL+$",
                "\\PL", "\\Amain", "main\\z", "(?s)a.b", "a.b", "(?U)a.+", "\\155ain", "^caf.$", "^..$", "^.$",
                "\\x{fffd}", "[^a-z]", "x{,2}", "a{,2}", "\\<tag\\>", "\\C", "^\\C", "\\Z", "a*+", "(?P<n>main)",
                "(?<n>main)", "\\1", "\\8", "[[:alpha:]]+", "(?i)k", "(?i)s", "\\bmain\\b", "main|", "(?m)^b",
                "\\0", "\\e", "(?i)\\QMAIN\\E", "\\p{Greek}", "[\\d]", "x{2}{3}", "a{1001}", "(a{1000}){2}"]


def regexp_profile(drop_frames=""):
    """A function of each name, called from root."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.function(1, "root")
    p.location(1, 0, 0, [(1, 0)])
    for i, name in enumerate(REGEXP_NAMES, 2):
        p.function(i, name)
        p.location(i, 0, 0, [(i, 0)])
        p.sample([i, 1], [100 * i])
    p.header(drop_frames=drop_frames)
    return p


def merge_profile(types=(("alloc_space", "bytes"), ("inuse_space", "bytes")), values=None, comments=(),
                  scale=1):
    """profile.Merge at work: samples summed, units of one kind rescaled
    (kB against bytes), values past 2^53 (negated through float64 in a
    base) and past int64 (the total wraps), repeated comments."""
    p = Profile()
    for type_, unit in types:
        p.sample_type(type_, unit)
    for i in range(1, 6):
        p.function(i, f"merge.f{i}")
        p.location(i, 0, 0, [(i, 0)])
    values = values or [[4096 * i * scale, 1000 * i + 1] for i in range(1, 6)]
    for i, pair in enumerate(values):
        stack = [i % 5 + 1, 1] if i % 5 else [1]
        p.sample(stack, pair)
    p.header(time_nanos=TIME_2026, comments=list(comments))
    return p


def keys_profile(base=False):
    """What profile.Merge keys samples and mappings by: a label key holding
    both a string and a number, a unit given as "" against none, and two
    mappings with one build ID and two file names (the first met names
    both)."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, 0x400000, 0x500000, 0, "/nonexistent/first", "b1d")
    p.mapping(2, 0x600000, 0x700000, 0, "/nonexistent/second", "b1d")
    p.function(1, "root")
    p.location(1, 0, 0, [(1, 0)])
    p.location(2, 2, 0x600100)
    p.location(3, 1, 0x400200)
    p.strings.append("")  # an empty unit under an index of its own
    empty_unit = len(p.strings) - 1
    order = [("k", "v"), ("k", 8, "count")] if base else [("k", 8, "count"), ("k", "v")]
    p.sample([2, 1], [1000 if base else 4000], labels=order)
    p.raw(bytes_field(2, packed_field(1, [3, 1]) + packed_field(2, [700 if base else 300])
                      + bytes_field(3, int_field(1, p.s("n")) + int_field(3, 5)
                                    + (int_field(4, empty_unit) if base else b""))))
    p.header(time_nanos=TIME_2026)
    return p


def urls_profile():
    """Mapping files url.Parse takes for absolute URLs, which pprof blanks
    when they have no build ID."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    files = [("C:\\Users\\me\\app.exe", ""), ("memfd:jit (deleted)", ""), ("http://example.com/app", "b1d"),
             ("/nonexistent/lib/libz.so", ""), ("anon:thing", ""), ("x:%zz", ""), ("1a:b", "")]
    for i, (name, build_id) in enumerate(files, 1):
        p.mapping(i, i << 24, (i << 24) + 0x100000, 0, name, build_id)
        p.location(i, i, (i << 24) + 0x1000)
        p.sample([i], [1000 * i])
    return p


def odd_units_profile():
    """Units pprof does not know, some not ASCII: -unit names them, and Go
    pads the columns by character."""
    p = Profile()
    p.sample_type("latency", "\u03bcs")
    p.sample_type("lengths", "furlongs")
    for i in range(1, 4):
        p.function(i, f"unit.f{i}", filename="app.c", start_line=i)
        p.location(i, 0, 0, [(i, 10 * i)])
        p.sample([i], [7 ** i, 11 * i])
    return p


def field_zero_profile():
    """Fields numbered 0, which pprof's decoder skips, at the top and inside
    a sample and a location."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.function(1, "zero.f")
    p.raw(bytes_field(4, int_field(1, 1) + key(0, 0) + varint(7) + bytes_field(4, int_field(1, 1))))
    p.raw(bytes_field(2, packed_field(1, [1]) + packed_field(2, [4096]) + key(0, 2) + varint(2) + b"zz"))
    p.raw(key(0, 0) + varint(5) + key(1 << 33, 0) + varint(1))
    return p


def label_units_profile():
    """A numeric label key given two units: pprof keeps the first it meets
    and warns of the other on stderr."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    for i in range(1, 4):
        p.function(i, f"tag.f{i}")
        p.location(i, 0, 0, [(i, 0)])
    p.sample([1], [0], labels=[("bytes", 5, "MB")])  # zero: profile.Merge drops it
    p.sample([1], [100], labels=[("bytes", 64, "B")])
    p.sample([2], [200], labels=[("bytes", 2, "kB"), ("count", 3)])
    p.sample([3], [300], labels=[("bytes", 1, "kB"), ("bytes", 9, "B")])
    return p


def list_edges_profile(src):
    """list's edge cases: a missing file named again by a function whose
    range is empty (pprof still says it could not find it), a function
    without a file, and an empty range in a file that exists."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    functions = [(1, "edge.alpha", "gone/never.c", 0, 10), (2, "edge.beta", "gone/never.c", 100, 10),
                 (3, "edge.gamma", "", 0, 5), (4, "edge.delta", os.path.join(src, "app.c"), 100, 3),
                 (5, "edge.epsilon", "/nonexistent/abs.c", 50, 1)]
    for id_, name, filename, start, line in functions:
        p.function(id_, name, filename=filename, start_line=start)
        p.location(id_, 0, 0, [(id_, line)])
        p.sample([id_], [100 * id_])
    return p


BIG = [[(1 << 53) + 1, 3], [(1 << 62) + 1023, 5], [(1 << 62) + 4097, -7], [9007199254740993, 1 << 60],
       [-((1 << 62) + 1025), 11]]
HUGE = [[(1 << 62) + (1 << 61), 1], [(1 << 62) + (1 << 61), 2], [4096, 3], [(1 << 62), 4], [1, 5],
        [(1 << 62) + (1 << 61), 6]]


def write_all(out):
    src = os.path.join(out, "src")
    write_sources(src)
    profiles = {
        "heap": heap_profile(src, time_nanos=TIME_2026, comments=["first comment", "#hidden", "second comment"]),
        "heap_default_type": heap_profile(src, default_sample_type="alloc_space"),
        "heap_drop": heap_profile(src, time_nanos=TIME_2026, drop_frames="malloc|operator new.*"),
        "heap_drop_keep": heap_profile(src, drop_frames="make_table|grow|fill_.*", keep_frames="grow"),
        "heap_duration": heap_profile(src, duration_nanos=61_000_000_000),
        "cpu": cpu_profile(),
        "units": units_profile(["objects", "kilobytes", "Bytes", "milliseconds", "s", "hours", "gcu", ""]),
        "many": many_profile(1),
        "many_negative": many_profile(2, negative=True),
        "diff_base": diff_base_profile(),
        "older_heap": heap_profile(src, older=True, comments=["older comment", "first comment"]),
        "older_heap_time": heap_profile(src, older=True, time_nanos=TIME_2026 - 3_600_000_000_000),
        "older_many": many_profile(3),
        "older_cpu": cpu_profile(scale=3),
        "mangled": mangled_profile(),
        "empty": empty_profile(),
        "paths": paths_profile(src),
        "nofile": nofile_profile(src),
        "nofile_symbolized": nofile_profile(src, symbolized=True),
        "nofile_cancelled": nofile_profile(src, cancelled=True),
    }
    profiles.update({
        "merge_comments": merge_profile(comments=["one", "two", "one", "#hidden", "#hidden", "", "", "two"]),
        "merge_bytes": merge_profile(comments=["one"]),
        "merge_kb": merge_profile(types=(("alloc_space", "kB"), ("inuse_space", "Bytes")), comments=["one", "kB"]),
        "merge_mb": merge_profile(types=(("alloc_space", "MB"), ("inuse_space", "bytes")), scale=0),
        "merge_big": merge_profile(values=BIG),
        "merge_big_base": merge_profile(values=[[v + 1, w] for v, w in BIG]),
        "merge_huge": merge_profile(values=HUGE),
        "merge_keys": keys_profile(),
        "merge_keys_base": keys_profile(base=True),
        "small_urls": urls_profile(),
        "small_units": odd_units_profile(),
        "small_field_zero": field_zero_profile(),
        "small_label_units": label_units_profile(),
        "small_list_edges": list_edges_profile(src),
    })
    profiles["regexp"] = regexp_profile()
    for i, form in enumerate(REGEXP_FORMS):
        profiles[f"regexp_drop_{i}"] = regexp_profile(drop_frames=form)
    for name, profile in profiles.items():
        profile.write(os.path.join(out, name + ".pb.gz"))
    profiles["heap"].write(os.path.join(out, "heap_raw.pb"), compress=False)


if __name__ == "__main__":
    write_all(sys.argv[1])
