"""C++ operator new and delete, every variant (plain, array, nothrow, sized, aligned).
Over glibc the C++ runtime's operators allocate with malloc and release with free,
which heapprof records; jemalloc and tcmalloc define the operators themselves, mostly
without malloc, so heapprof records at the operators and forwards to the allocator's
own (and lets its malloc family count what an operator allocates through it). At rate 1 every site is exact over each allocator, in the profile and in heapprof_read_stats' totals, no frame of
heapprof's shows, and running out of memory (std::bad_alloc, the new_handler,
nothrow's nullptr) goes exactly as under the allocator alone. A C program that loads
C++ code, whose runtime heapprof finds only through that code, counts exactly too;
finding it does not wait for the dynamic loader, whose lock another thread may hold
while it waits for the allocating one (loader_lock_holder: a constructor that waits
20 s for the plugin's first allocation, which waited for it when the runtime was
looked up with dlsym)."""
from harness import *

ALLOCATORS = {
    "glibc": [],
    "jemalloc": ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"],
    "tcmalloc": ["/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"],
}


def stacks(profile):
    """Each sample's frames, innermost first, as (file of the mapping, function)."""
    raw = pprof(profile, "-raw")
    mappings = dict(re.findall(r"^(\d+): 0x\S+ (\S+)", raw.split("Mappings\n")[1], re.M))
    locations = {}
    # A frame no symbol names (libstdc++'s internals where no debug file is installed)
    # has an address and no function.
    for number, mapping, rest in re.findall(r"^\s+(\d+): 0x[0-9a-f]+ M=(\d+) ?(.*)$", raw, re.M):
        named = re.match(r"(.+?) \S*:\d+ s=", rest)
        locations[number] = (mappings[mapping], named.group(1) if named else "")
    samples = raw.split("Samples:\n")[1].split("Locations\n")[0]
    return [[locations[number] for number in ids.split()] for ids in re.findall(r":((?: \d+)+) *$", samples, re.M)]


def check_frames_above(profile, sites, owner, none_above=()):
    """The frames above each site are `owner`'s (the C++ runtime's or the allocator's
    operators), never heapprof's; the sites in `none_above` are the first frame."""
    for stack in stacks(profile):
        functions = [function for _, function in stack]
        for site in sites:
            if site in functions:
                above = stack[:functions.index(site)]
                check(all(owner in path for path, _ in above),
                      f"{os.path.basename(profile)}: above {site}: {above}")
                check(site not in none_above or not above,
                      f"{os.path.basename(profile)}: {site} is not the first frame: {above}")


def check_cumulative(profile, expected):
    """Each site's cum values are its totals: over glibc the C++ runtime's operator new
    is the frame below it."""
    for sample_type in SAMPLE_TYPES:
        rows = top(profile, sample_type)
        for site, totals in expected.items():
            cum = rows.get(site, (0, 0))[1]
            check(cum == totals[sample_type],
                  f"{os.path.basename(profile)}: {site} {sample_type} is {cum}, expected {totals[sample_type]}")


# heapprof's operators are C: the library needs nothing but libc (the sampler's log and
# exp are its own), so no C++ runtime joins the scope of a C program.
dynamic = subprocess.run(["readelf", "-d", LIB], capture_output=True, text=True).stdout
needed = sorted(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
check(needed == ["libc.so.6"], f"libheapprof.so needs {needed}")

# libiberty's demangler is linked in, and none of its symbols is exported: a program's
# own libiberty (gdb's, binutils') keeps them.
def defined_symbols(*nm_args):
    listing = subprocess.run(["nm", "--defined-only"] + list(nm_args), capture_output=True, text=True).stdout
    return {line.split()[-1] for line in listing.splitlines() if len(line.split()) == 3}


libiberty = subprocess.run(["gcc", "-print-file-name=libiberty.a"], capture_output=True, text=True).stdout.strip()
iberty_symbols = defined_symbols("--extern-only", libiberty)
check("cplus_demangle_v3_callback" in iberty_symbols, f"no demangler in {libiberty}")
exported = defined_symbols("-D", LIB) & iberty_symbols
check(not exported, f"libheapprof.so exports libiberty's {sorted(exported)}")

with scratch_dir() as directory:
    for name, allocator in ALLOCATORS.items():
        for library in allocator:
            check(os.path.exists(library), f"{library} is not installed (scripts/test.sh installs it)")
        out = f"operators.{name}.pb.gz"
        result = same_behaviour([program("operators")], cwd=directory, preload=[LIB] + allocator,
                                baseline_preload=allocator, env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
        expected = expected_rows(result.stdout)
        check(len(expected) == 8, f"{name}: {result.stdout}")
        profile = os.path.join(directory, out)
        check_cumulative(profile, expected)
        if allocator:
            # Recorded at the allocator's own operator new: the caller of new is the first
            # frame, unless the operator allocates through heapprof's malloc family (jemalloc's
            # aligned ones call aligned_alloc), whose sample starts at the operator.
            check_frames_above(profile, expected, os.path.basename(allocator[0]), ("site_new", "site_new_array"))
        else:
            check_frames_above(profile, expected, "libstdc++")
        check_readable(profile, "site_new_array")
        same_behaviour([program("operators"), "failures"], cwd=directory, preload=[LIB] + allocator,
                       baseline_preload=allocator,
                       env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": f"failures.{name}.pb.gz"})

    # plugin_host is C: no C++ runtime until it loads the plugin, three times.
    out = "cxx_plugin.pb.gz"
    same_behaviour([program("plugin_host"), os.environ["HEAPPROF_CXX_PLUGIN"]], cwd=directory,
                   env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
    check_cumulative(os.path.join(directory, out),
                     {"cxx_plugin_page": dict(alloc_objects=1200, alloc_space=1200 * 2048, inuse_objects=600,
                                              inuse_space=600 * 2048)})

    out = "loader_lock.pb.gz"
    result = same_behaviour([program("loader_lock_holder"), os.environ["HEAPPROF_CXX_PLUGIN"],
                             os.environ["HEAPPROF_LOADER_WAITER"]], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": out})
    check(result.stdout == "plugin total 0; the first allocation did not wait for the loader\n", result.stdout)
    check_cumulative(os.path.join(directory, out),
                     {"cxx_plugin_page": dict(alloc_objects=400, alloc_space=400 * 2048, inuse_objects=200,
                                              inuse_space=200 * 2048)})
print("operators: ok")
