"""From a seed, a host program no one wrote by hand: its C sources (and, where chosen,
C++), a plugin it dlopens, a library it links whose constructor runs before heapprof's,
and the settings it runs under. The program itself is a plan (scenario.c) interpreted
by runtime.c; what is generated is the shape: processes, threads, steps, and the
allocation sites the steps call. The rules are in README.md.

The random stream is splitmix64, not Python's random module, so that a seed makes the
same program on every Python."""
import os

SIGNALS = {"SIGUSR2": 12, "USR2": 12, "SIGPROF": 27, "38": 38, "SIGWINCH": 28}
ALLOCATORS = {
    "glibc": None,
    "jemalloc": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "tcmalloc": "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
    "bump": "bump",  # tests/stress/programs/bump_allocator.c, built by meson
}
TITLES = ["torture: worker", "torture: idle /srv/data", "postgres: writer process", "x",
          "nginx: worker process /etc/nginx/nginx.conf", ""]
ENDINGS = ["exit", "return", "_exit", "abort", "pthread_exit"]
STARTS = ["fork", "fork_exec", "vfork_exec", "posix_spawn", "system_exec", "system_shell"]
OPS = ["CHURN", "COUNTED", "SPAWN", "JOIN", "START", "RAISE_FLAG", "RAISE_ALLOC", "TIMER", "DUMP_SIGNAL",
       "SET_RATE", "READ_STATS", "WRITE_PROFILE", "CHDIR", "ARGV0", "CLOSE_FDS", "FILES", "DLOPEN", "CXX",
       "SLEEP", "DEEP", "END"]
MAX_PROCESSES = 10
MAX_THREADS = 160


class Rng:
    def __init__(self, seed):
        self.state = seed & (2**64 - 1)

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def between(self, low, high):
        return low + self.below(high - low + 1)

    def chance(self, p):
        return self.next() < p * 2**64

    def choice(self, items):
        return items[self.below(len(items))]

    def weighted(self, pairs):
        """pairs: [(item, weight)]."""
        total = sum(weight for _, weight in pairs)
        point = self.below(total)
        for item, weight in pairs:
            if point < weight:
                return item
            point -= weight
        raise AssertionError


class Step:
    def __init__(self, op, variant=0, target=0, amount=0, extra=0, count=0):
        self.op, self.variant, self.target = op, variant, target
        self.amount, self.extra, self.count = amount, extra, count

    def c(self):
        return (f"{{TORTURE_{self.op}, {self.variant}, {self.target}, {self.amount}u, {self.extra}u, "
                f"{self.count}u}}")


class Thread:
    def __init__(self, index, process, number, stack_kib, seed):
        self.index, self.process = index, process
        self.name = f"{process.name}/t{number}"
        self.stack_kib, self.seed = stack_kib, seed
        self.detached = self.pthread_exit = self.background = False
        self.creator = None
        self.steps = []

    @property
    def small(self):
        return self.stack_kib in (16, 32)

    @property
    def roomy(self):
        """Room for the loader, the C++ unwinder and open files: 64 KiB or the default."""
        return self.stack_kib in (0, 64)


class Process:
    def __init__(self, index, name, start, depth, exec_image):
        self.index, self.name, self.start, self.depth = index, name, start, depth
        self.exec_image = exec_image  # a fresh image (top or exec'd): may return from main
        self.threads = []
        self.ending = None  # (thread, how, status)
        self.waited = True
        self.parent = None


class Site:
    def __init__(self, index, name, kind, language, size):
        self.index, self.name, self.kind, self.language, self.size = index, name, kind, language, size


class Scenario:
    def __init__(self, seed):
        self.seed = seed
        rng = self.rng = Rng(seed * 0x2545F4914F6CDD1D + 1)
        self.allocator = rng.weighted([("glibc", 4), ("jemalloc", 2), ("tcmalloc", 2), ("bump", 2)])
        self.rate = rng.weighted([("1", 4), ("4096", 3), (None, 3)])
        self.unwind = "fp" if rng.chance(0.2) else None
        self.frame_pointers = self.unwind == "fp" or rng.chance(0.3)
        self.dump_signal = rng.choice(list(SIGNALS)) if rng.chance(0.4) else None
        self.dump_interval = rng.choice(["4M", "16M", "64M"]) if rng.chance(0.1) else None
        # What a dump allocates goes through the program's allocator, and the bump
        # allocator keeps all of it: a dump every few megabytes of a program that churns
        # gigabytes ran it out of memory (seed 1081). Drawn all the same, so that the
        # draws after it, and every other seed, stay as they were.
        if self.allocator == "bump":
            self.dump_interval = None
        self.cxx = rng.chance(0.5)
        self.plugin = rng.chance(0.5)
        self.needed = rng.chance(0.35)
        self.needed_thread = self.needed and rng.chance(0.7)
        self.relative_out = rng.chance(0.15)
        self.peak = not rng.chance(0.2)
        self.symbolize = not rng.chance(0.1)
        self.depth = rng.between(4, 256) if rng.chance(0.1) else None
        self.compressed = not rng.chance(0.15)
        # At rate 1 the program's own counts must equal the profile's; a rate change
        # makes them estimates.
        self.rate_changes = [1] if self.rate == "1" and rng.chance(0.7) else [1, 4096, 65536, 524288, 0]
        self.exact = self.rate == "1" and self.rate_changes == [1]
        self.processes, self.threads = [], []
        self.churns = self.make_churns()
        self.sites = self.make_sites()
        self.cxx_works = [self.make_cxx_work(i) for i in range(rng.between(2, 5))] if self.cxx else []
        self.plugin_works = [f"tlib_work_{i}" for i in range(rng.between(2, 4))] if self.plugin else []
        self.process_budget = rng.weighted([(1, 3), (rng.between(2, 3), 4), (rng.between(4, 6), 3),
                                            (rng.between(7, MAX_PROCESSES), 1)])
        self.make_process("p0", "top", 0, exec_image=True, initial_stack=0)

    # ---- allocation sites -------------------------------------------------------------

    def make_churns(self):
        rng = self.rng
        count = rng.between(4, 10)
        churns = []
        for index in reversed(range(count)):
            churns.insert(0, self.make_churn(index, count, {c["index"]: c for c in churns},
                                             light_only=index == count - 1))
        return churns

    def size_expression(self):
        rng = self.rng
        kind = rng.weighted([("small", 6), ("medium", 3), ("large", 1)])
        # The bump allocator never reuses what is freed, and a program churning blocks of
        # up to 2 MiB went through its reservation (16 GiB then).
        largest = 256 << 10 if self.allocator == "bump" else 2 << 20
        base, spread = {"small": (1, 256), "medium": (257, 8192), "large": (65536, largest)}[kind]
        low = rng.between(base, spread)
        return f"(size_t)({low}u + sum % {rng.between(1, spread)}u)", kind == "large"

    def make_churn(self, index, count, later, light_only):
        """A function of 1-6 allocation operations in a loop; it may call later churns
        (deeper stacks) or recurse (deep ones). A light one does neither and allocates
        no large blocks: small stacks run only those."""
        rng = self.rng
        lines, helpers, light = [], [], True
        for number in range(rng.between(1, 6)):
            op = rng.weighted([("malloc", 6), ("calloc", 3), ("realloc", 4), ("posix_memalign", 2),
                               ("aligned_alloc", 2), ("memalign", 1), ("valloc", 1), ("pvalloc", 1),
                               ("strdup", 2), ("reallocarray", 1), ("free", 3), ("drop", 2), ("overflow", 1),
                               ("realloc0", 1), ("call", 3 if index + 1 < count else 0),
                               ("recurse", 0 if light_only else 2)])
            if op == "pvalloc" and self.allocator == "jemalloc":
                op = "valloc"  # jemalloc has no pvalloc; glibc's would get jemalloc's block
            size, large = self.size_expression()
            if large and light_only:
                size, large = "(size_t)(16u + sum % 200u)", False
            light = light and not large
            # The size is fixed before the call: `sum` changes after it.
            sized = f"size_t size = {size}; "
            if op == "malloc":
                lines.append(sized + "void *block = malloc(size); sum = torture_keep(sink, block, size, sum);")
            elif op == "calloc":
                n = rng.between(1, 16)
                lines.append(sized + f"void *block = calloc({n}, size); "
                             f"sum = torture_keep(sink, block, {n} * size, sum);")
            elif op == "realloc":
                lines.append(sized + "struct torture_block old = torture_take(sink, sum); "
                             "void *block = realloc(old.pointer, size); "
                             "sum = torture_keep_resized(sink, block, old.size, size, sum);")
            elif op == "realloc0":
                lines.append("struct torture_block old = torture_take(sink, sum); "
                             "void *block = old.pointer ? realloc(old.pointer, 0) : NULL; "
                             "sum = torture_mix(sum, old.pointer != NULL); "
                             "sum = torture_keep(sink, block, 0, sum);")
            elif op == "posix_memalign":
                alignment = rng.choice([8, 16, 64, 256, 4096])
                lines.append(sized + f"void *block = NULL; int error = posix_memalign(&block, {alignment}, size); "
                             f"sum = torture_mix(sum, (uint64_t)error + ((uintptr_t)block % {alignment})); "
                             f"sum = torture_keep(sink, error ? NULL : block, size, sum);")
            elif op == "aligned_alloc":
                alignment = rng.choice([16, 64, 1024])
                lines.append(f"size_t size = ({size} + {alignment - 1}) & ~(size_t){alignment - 1}; "
                             f"void *block = aligned_alloc({alignment}, size); "
                             f"sum = torture_mix(sum, (uintptr_t)block % {alignment}); "
                             f"sum = torture_keep(sink, block, size, sum);")
            elif op in ("memalign", "valloc", "pvalloc"):
                call = {"memalign": "memalign(128, size)", "valloc": "valloc(size)", "pvalloc": "pvalloc(size)"}[op]
                lines.append(sized + f"void *block = {call}; sum = torture_mix(sum, (uintptr_t)block % 128); "
                             f"sum = torture_keep(sink, block, size, sum);")
            elif op == "strdup":
                text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.between(1, 60)))
                lines.append(f'char *block = strdup("{text}"); '
                             f"sum = torture_mix(sum, block ? strlen(block) : 0); "
                             f"sum = torture_keep(sink, block, block ? strlen(block) + 1 : 0, sum);")
            elif op == "reallocarray":
                n = rng.between(2, 40)
                lines.append(sized + f"struct torture_block old = torture_take(sink, sum); "
                             f"void *block = reallocarray(old.pointer, {n}, size); "
                             f"sum = torture_keep_resized(sink, block, old.size, {n} * size, sum);")
            elif op == "free":
                lines.append("free(torture_take(sink, sum).pointer); sum = torture_mix(sum, 7);")
            elif op == "drop":
                lines.append("sum = torture_drop(sink, sum);")
            elif op == "overflow":
                lines.append("errno = 0; void *block = calloc((size_t)1 << 62, 16); "
                             "sum = torture_mix(sum, (block == NULL) * 2 + (errno == ENOMEM));")
            elif op == "call":
                callee = later[rng.between(index + 1, count - 1)]
                light = light and callee["light"]
                lines.append(f"sum = churn_{callee['index']}(sink, sum, {rng.between(1, 3)});")
            elif op == "recurse":
                light = False
                helper = f"churn_{index}_deep_{number}"
                depth = rng.between(2, 200)
                helpers.append(
                    f"__attribute__((noinline)) static uint64_t {helper}(struct torture_sink *sink, uint64_t sum,\n"
                    f"\tunsigned depth)\n{{\n\tif (depth == 0) {{\n\t\tsize_t size = {size};\n"
                    f"\t\tvoid *block = malloc(size);\n\t\treturn torture_keep(sink, block, size, sum);\n\t}}\n"
                    f"\tsum = {helper}(sink, torture_mix(sum, depth), depth - 1);\n"
                    f"\treturn torture_mix(sum, depth);\n}}\n")
                lines.append(f"sum = {helper}(sink, sum, (unsigned)(sum % {depth}u));")
        body = "".join(f"\t\t{{\n\t\t\t{line}\n\t\t}}\n" for line in lines)
        code = "".join(helpers) + (
            f"__attribute__((noinline)) uint64_t churn_{index}(struct torture_sink *sink, uint64_t sum,\n"
            f"\tunsigned iterations)\n{{\n\tfor (unsigned i = 0; i < iterations; i++) {{\n{body}\t}}\n"
            f"\treturn sum;\n}}\n")
        return {"index": index, "code": code, "light": light}

    def distinct_size(self, used, multiple=8):
        while True:
            size = (1000 + self.rng.below(6000)) // multiple * multiple
            if size not in used:
                used.add(size)
                return size

    def make_sites(self):
        """Functions that make exactly one allocation each, so that the program knows
        what a profile at rate 1 must say of them."""
        rng, sites, used = self.rng, [], set()
        for i in range(rng.between(1, 6)):
            kind = rng.choice(["malloc", "calloc", "calloc_n", "aligned_alloc", "posix_memalign", "realloc_null",
                               "memalign", "valloc"])
            sites.append(Site(len(sites), f"counted_c_{i}", kind, "c",
                              self.distinct_size(used, 64 if kind == "aligned_alloc" else 8)))
        if self.cxx:
            for i in range(rng.between(0, 4)):
                kind = rng.choice(["new_array", "nothrow_array", "object", "aligned_object"])
                sites.append(Site(len(sites), f"cxx_counted_{i}", kind, "cxx",
                                  self.distinct_size(used, 64 if kind == "aligned_object" else 8)))
        if self.plugin:
            for i in range(rng.between(0, 3)):
                sites.append(Site(len(sites), f"tlib_counted_{i}", rng.choice(["malloc", "calloc"]), "plugin",
                                  self.distinct_size(used)))
        return sites

    def make_cxx_work(self, index):
        rng = self.rng
        blocks, helpers = [], []
        for number in range(rng.between(2, 4)):
            kind = rng.choice(["strings", "map", "throw", "list", "shared", "nothrow", "grow"])
            a, b = rng.between(1, 40), rng.between(1, 60)
            if kind == "strings":
                blocks.append(f"std::vector<std::string> words;\n"
                              f"for (unsigned j = 0; j < {a}u + sum % {b}u; j++)\n"
                              f"\twords.push_back(std::to_string(sum % 100000u + j) + \"{'w' * rng.between(1, 30)}\");\n"
                              f"for (const std::string &word : words)\n\tsum = torture_mix(sum, word.size());")
            elif kind == "map":
                blocks.append(f"std::map<unsigned, std::vector<uint32_t>> table;\n"
                              f"for (unsigned j = 0; j < {a * 4}u; j++)\n"
                              f"\ttable[(unsigned)(torture_mix(sum, j) % {b}u)].push_back(j);\n"
                              f"for (auto &entry : table)\n"
                              f"\tsum = torture_mix(sum, entry.first * 31u + entry.second.size());")
            elif kind == "throw":
                thrower = f"thrower_{index}_{number}"
                payload = rng.between(1, 5000)
                helpers.append(
                    f"struct error_{index}_{number} : std::runtime_error {{\n"
                    f"\tstd::vector<char> payload;\n"
                    f"\texplicit error_{index}_{number}(const std::string &what)\n"
                    f"\t\t: std::runtime_error(what), payload({payload}) {{}}\n}};\n"
                    f"[[gnu::noinline]] static uint64_t {thrower}(uint64_t sum, unsigned depth)\n{{\n"
                    f"\tstd::vector<int> local(depth + 3u);\n"
                    f"\tif (depth == 0 && sum % 3u != 0)\n"
                    f"\t\tthrow error_{index}_{number}(\"failure \" + std::to_string(sum % 997u));\n"
                    f"\tif (depth == 0)\n\t\treturn sum;\n"
                    f"\tlocal[0] = (int)depth;\n"
                    f"\treturn torture_mix({thrower}(sum, depth - 1), (uint64_t)local[0]);\n}}\n")
                blocks.append(f"try {{\n\tsum = {thrower}(sum, (unsigned)(sum % {rng.between(1, 8)}u));\n"
                              f"}} catch (const std::exception &error) {{\n"
                              f"\tsum = torture_mix(sum, std::strlen(error.what()));\n}}")
            elif kind == "list":
                blocks.append(f"struct node {{\n\tstd::unique_ptr<node> next;\n\tuint64_t value;\n"
                              f"\tchar padding[{b}];\n}};\n"
                              f"std::unique_ptr<node> head;\n"
                              f"for (unsigned j = 0; j < {a}u; j++) {{\n"
                              f"\tstd::unique_ptr<node> fresh(new node());\n\tfresh->value = sum + j;\n"
                              f"\tfresh->next = std::move(head);\n\thead = std::move(fresh);\n}}\n"
                              f"for (node *cursor = head.get(); cursor; cursor = cursor->next.get())\n"
                              f"\tsum = torture_mix(sum, cursor->value);")
            elif kind == "shared":
                blocks.append(f"std::vector<std::shared_ptr<std::vector<char>>> shared;\n"
                              f"for (unsigned j = 0; j < {a}u; j++)\n"
                              f"\tshared.push_back(std::make_shared<std::vector<char>>({b * 10}u + j, (char)j));\n"
                              f"for (auto &item : shared)\n\tsum = torture_mix(sum, item->size() + item.use_count());")
            elif kind == "nothrow":
                blocks.append(f"char *buffer = new (std::nothrow) char[{b * 100}u + sum % {a}u];\n"
                              f"if (buffer) {{\n\tstd::memset(buffer, (int)(sum & 0xff), {b * 100}u);\n"
                              f"\tsum = torture_mix(sum, (unsigned char)buffer[{b * 50}]);\n}}\n"
                              f"delete[] buffer;")
            else:
                blocks.append(f"std::string text;\nfor (unsigned j = 0; j < {a * 10}u; j++)\n"
                              f"\ttext += std::to_string(j % {b}u);\nsum = torture_mix(sum, text.size());")
        body = "".join("\t\t{\n" + "".join(f"\t\t\t{line}\n" for line in block.split("\n")) + "\t\t}\n"
                       for block in blocks)
        code = "".join(helpers) + (
            f"extern \"C\" uint64_t cxx_work_{index}(uint64_t sum, unsigned iterations)\n{{\n"
            f"\tfor (unsigned i = 0; i < iterations; i++) {{\n{body}\t}}\n\treturn sum;\n}}\n")
        return code

    # ---- processes and threads -------------------------------------------------------

    def new_thread(self, process, stack_kib):
        thread = Thread(len(self.threads), process, len(process.threads), stack_kib, self.rng.next())
        self.threads.append(thread)
        process.threads.append(thread)
        return thread

    def thread_count(self):
        rng = self.rng
        room = MAX_THREADS - len(self.threads)
        wanted = rng.weighted([(0, 3), (rng.between(1, 3), 4), (rng.between(4, 12), 3), (rng.between(13, 63), 1)])
        return max(0, min(wanted, room - 1))

    def make_process(self, name, start, depth, exec_image, initial_stack):
        rng = self.rng
        process = Process(len(self.processes), name, start, depth, exec_image)
        self.processes.append(process)
        initial = self.new_thread(process, initial_stack)
        for _ in range(self.thread_count()):
            creators = [t for t in process.threads if not t.background]
            thread = self.new_thread(process, rng.weighted([(0, 6), (16, 1), (32, 1), (64, 2)]))
            thread.creator = rng.choice(creators)
            thread.detached = rng.chance(0.25)
            thread.pthread_exit = rng.chance(0.3)
            thread.background = rng.chance(0.08) and sum(t.background for t in process.threads) < 3
        for thread in process.threads:
            thread.steps = self.make_steps(thread)
        results = [t for t in process.threads if not t.background]
        ender = initial if rng.chance(0.5) else rng.choice(results)
        for thread in process.threads[1:]:
            steps = thread.creator.steps
            position = rng.between(0, len(steps))
            steps.insert(position, Step("SPAWN", target=thread.index))
            if not thread.detached and not thread.background and thread is not ender and rng.chance(0.9):
                steps.insert(rng.between(position + 1, len(steps)), Step("JOIN", target=thread.index))
        self.make_children(process, results)
        how = self.choose_ending(process, ender is initial)
        status = rng.between(0, 3) if depth == 0 else rng.between(0, 9)
        process.ending = (ender, how, status)
        ender.steps.append(Step("END", variant=ENDINGS.index(how), amount=status))
        return process

    def choose_ending(self, process, initial):
        choices = [("exit", 9), ("_exit", 3), ("abort", 2)]
        if initial:
            choices.append(("pthread_exit", 2))
            if process.exec_image:
                choices.append(("return", 4))
        return self.rng.weighted(choices)

    def make_children(self, process, results):
        rng = self.rng
        while (len(self.processes) < self.process_budget and process.depth < 3 and rng.chance(0.6)):
            parent = rng.choice(results)
            start = rng.weighted([("fork", 7), ("fork_exec", 4), ("vfork_exec", 2), ("posix_spawn", 3),
                                  ("system_exec", 2), ("system_shell", 2)])
            waited = start.startswith("system") or not rng.chance(0.15)
            name = f"p{len(self.processes)}"
            child = self.make_process(name, start, process.depth + 1, exec_image=start != "fork",
                                      initial_stack=parent.stack_kib if start == "fork" else 0)
            child.waited = waited
            child.parent = process
            steps = parent.steps
            steps.insert(rng.between(0, len(steps)),
                         Step("START", variant=STARTS.index(start), target=child.index, extra=int(waited)))

    def make_steps(self, thread):
        rng = self.rng
        usable = [c for c in self.churns if c["light"] or not thread.small]
        if thread.background:
            steps = [Step("CHURN", target=rng.choice(usable)["index"], amount=rng.between(1, 20))]
            return steps + [Step("SLEEP", amount=rng.between(200, 3000))]
        choices = [("CHURN", 30), ("SLEEP", 4), ("RAISE_FLAG", 3), ("TIMER", 3), ("READ_STATS", 3),
                   ("SET_RATE", 2), ("DEEP", 2)]
        counted = [s for s in self.sites if s.language != "plugin" and (s.language == "c" or thread.roomy)]
        if counted:
            choices.append(("COUNTED", 10))
        if self.allocator == "bump":
            choices.append(("RAISE_ALLOC", 4))
        if self.dump_signal:
            choices.append(("DUMP_SIGNAL", 4))
        if thread.stack_kib == 0:
            choices.append(("WRITE_PROFILE", 2))
        if thread.roomy:
            choices += [("CHDIR", 2), ("ARGV0", 1), ("CLOSE_FDS", 2), ("FILES", 3)]
            if self.plugin:
                choices.append(("DLOPEN", 6))
            if self.cxx:
                choices.append(("CXX", 6))
        steps = []
        for _ in range(rng.between(1, 10)):
            op = rng.weighted(choices)
            if op in ("CHURN", "TIMER"):
                churn = rng.choice(usable)["index"]
                steps.append(Step(op, target=churn, amount=rng.between(1, 120), extra=rng.between(100, 3000)))
            elif op == "COUNTED":
                site = rng.choice(counted)
                allocations = rng.between(1, 20)
                steps.append(Step(op, target=site.index, amount=allocations, extra=rng.between(0, allocations)))
            elif op == "SLEEP":
                steps.append(Step(op, amount=rng.between(0, 3000)))
            elif op == "RAISE_FLAG":
                steps.append(Step(op, variant=rng.below(2)))
            elif op == "DUMP_SIGNAL":
                steps.append(Step(op, variant=rng.below(2)))
            elif op == "SET_RATE":
                steps.append(Step(op, amount=rng.choice(self.rate_changes)))
            elif op == "WRITE_PROFILE":
                steps.append(Step(op, variant=rng.below(2)))
            elif op == "CHDIR":
                targets = [2, 3, 4] if self.relative_out else [0, 1, 2, 3, 4]
                steps.append(Step(op, target=rng.choice(targets)))
            elif op == "ARGV0":
                steps.append(Step(op, target=rng.below(len(TITLES))))
            elif op == "CLOSE_FDS":
                steps.append(Step(op, variant=rng.below(3)))
            elif op == "FILES":
                steps.append(Step(op, amount=512 * rng.between(1, 8)))
            elif op == "DLOPEN":
                plugin_sites = [s for s in self.sites if s.language == "plugin"]
                site = rng.choice(plugin_sites) if plugin_sites and rng.chance(0.6) else None
                steps.append(Step(op, variant=rng.below(4), target=rng.below(len(self.plugin_works)),
                                  amount=rng.between(1, 50), extra=site.index + 1 if site else 0,
                                  count=rng.between(1, 12) if site else 0))
            elif op == "CXX":
                steps.append(Step(op, target=rng.below(len(self.cxx_works)), amount=rng.between(1, 20)))
            elif op == "DEEP":
                # What the thread itself uses of its stack, leaving the allocator and heapprof
                # the 6 KiB docs/reliability.md states. jemalloc's thread-local storage takes
                # 2.6 KiB more of every thread's stack: a 16 KiB thread has 8.1 KiB below its
                # start routine under heapprof and jemalloc, 10.8 KiB under heapprof alone.
                low, high = {16: (1, 3), 32: (4, 18), 64: (8, 44), 0: (8, 400)}[thread.stack_kib]
                taken = 3 if self.allocator == "jemalloc" else 0
                light = [c for c in self.churns if c["light"]]
                steps.append(Step(op, target=rng.choice(light)["index"],
                                  amount=rng.between(max(0, low - taken), high - taken)))
            else:
                steps.append(Step(op))
        return steps

    # ---- output ----------------------------------------------------------------------

    def describe(self):
        counts = {}
        for thread in self.threads:
            for step in thread.steps:
                counts[step.op] = counts.get(step.op, 0) + 1
        starts = sorted({p.start for p in self.processes[1:]})
        endings = sorted({p.ending[1] for p in self.processes})
        stacks = sorted({t.stack_kib for t in self.threads if t.stack_kib})
        return (f"seed {self.seed}: allocator {self.allocator}, rate {self.rate or 'default'}"
                f"{', unwind fp' if self.unwind else ''}{', dump signal ' + self.dump_signal if self.dump_signal else ''}"
                f"{', dump interval ' + self.dump_interval if self.dump_interval else ''}"
                f"{', relative HEAPPROF_OUT' if self.relative_out else ''}"
                f"{', C++' if self.cxx else ''}{', plugin' if self.plugin else ''}"
                f"{', needed library' + (' with a constructor thread' if self.needed_thread else '') if self.needed else ''}"
                f"; {len(self.processes)} processes ({', '.join(starts) or 'no children'}), "
                f"{len(self.threads)} threads (small stacks {stacks or 'none'}), endings {', '.join(endings)}; "
                f"steps {' '.join(f'{op}x{n}' for op, n in sorted(counts.items()))}"
                f"{'; exact counts' if self.exact else ''}")

    def features(self):
        """Words for summarising failures: what this scenario contains."""
        words = {"allocator=" + self.allocator, "rate=" + (self.rate or "default")}
        for flag, word in ((self.unwind, "unwind=fp"), (self.dump_signal, "dump-signal"),
                           (self.dump_interval, "dump-interval"), (self.cxx, "c++"),
                           (self.plugin, "plugin"), (self.needed_thread, "constructor-thread"),
                           (self.relative_out, "relative-out"), (not self.symbolize, "symbolize=0"),
                           (not self.peak, "peak=0"), (self.depth, "depth"), (not self.compressed, "uncompressed")):
            if flag:
                words.add(word)
        words |= {"start=" + p.start for p in self.processes[1:]}
        words |= {"end=" + p.ending[1] for p in self.processes}
        words |= {"op=" + step.op for t in self.threads for step in t.steps}
        words |= {f"stack={t.stack_kib}K" for t in self.threads if t.stack_kib}
        return sorted(words)

    def results_below(self, thread):
        """Result threads in the spawn subtree of `thread`, itself included."""
        children = [t for t in thread.process.threads if t.creator is thread]
        return (not thread.background) + sum(self.results_below(t) for t in children)

    def scenario_c(self):
        out = ["/* Generated by tests/torture/generate.py from seed %d: %s */\n" % (self.seed, "do not edit"),
               "#define _GNU_SOURCE\n#include <errno.h>\n#include <malloc.h>\n#include <stdint.h>\n",
               "#include <stdlib.h>\n#include <string.h>\n\n#include \"torture.h\"\n\n"]
        out += [c["code"] + "\n" for c in reversed(self.churns)]
        for site in self.sites:
            if site.language == "c":
                out.append(self.c_site(site))
            elif site.language == "cxx":
                out.append(f"void *{site.name}(void);\nvoid cxx_release_{site.name[12:]}(void *block);\n")
        for index in range(len(self.cxx_works)):
            out.append(f"uint64_t cxx_work_{index}(uint64_t sum, unsigned iterations);\n")
        out.append("\nconst torture_churn_function torture_churns[] = {%s};\n"
                   % ", ".join(f"churn_{c['index']}" for c in self.churns))
        out.append("const torture_work_function torture_cxx_works[] = {%s};\n"
                   % (", ".join(f"cxx_work_{i}" for i in range(len(self.cxx_works))) or "NULL"))
        out.append("const char *const torture_plugin_works[] = {%s};\n"
                   % (", ".join(f'"{name}"' for name in self.plugin_works) or "NULL"))
        out.append("const char *const torture_titles[] = {%s};\n" % ", ".join(f'"{t}"' for t in TITLES))
        sites = []
        for site in self.sites:
            if site.language == "c":
                sites.append(f'{{"{site.name}", {site.name}, free, {site.size}}}')
            elif site.language == "cxx":
                sites.append(f'{{"{site.name}", {site.name}, cxx_release_{site.name[12:]}, {site.size}}}')
            else:
                sites.append(f'{{"{site.name}", NULL, free, {site.size}}}')
        out.append("const struct torture_site torture_sites[] = {\n\t%s,\n};\n" % ",\n\t".join(sites))
        out.append(f"const unsigned torture_site_count = {len(self.sites)};\n\n")
        for thread in self.threads:
            out.append(f"static const struct torture_step steps_{thread.index}[] = {{\n\t"
                       + ",\n\t".join(step.c() for step in thread.steps or [Step("SLEEP")]) + ",\n};\n")
        rows = []
        for thread in self.threads:
            rows.append(f'{{"{thread.name}", steps_{thread.index}, {max(1, len(thread.steps))}, {thread.stack_kib}, '
                        f"{int(thread.detached)}, {int(thread.pthread_exit)}, {int(thread.background)}, "
                        f"{self.results_below(thread)}, {thread.seed}u}}")
        out.append("const struct torture_thread torture_threads[] = {\n\t%s,\n};\n" % ",\n\t".join(rows))
        out.append(f"const unsigned torture_thread_count = {len(self.threads)};\n")
        rows = [f'{{"{p.name}", {p.threads[0].index}, {len(p.threads)}, '
                f"{sum(not t.background for t in p.threads)}}}" for p in self.processes]
        out.append("const struct torture_process torture_processes[] = {\n\t%s,\n};\n" % ",\n\t".join(rows))
        out.append(f"const unsigned torture_process_count = {len(self.processes)};\n")
        out.append(f"const int torture_signal_safe_allocator = {int(self.allocator == 'bump')};\n")
        out.append(f"const int torture_dump_signal = {SIGNALS[self.dump_signal] if self.dump_signal else 0};\n")
        if self.needed:
            out.append("uint64_t needed_value(void);\n\nuint64_t torture_needed_value(void)\n{\n"
                       "\treturn needed_value();\n}\n")
        else:
            out.append("uint64_t torture_needed_value(void)\n{\n\treturn 0;\n}\n")
        return "".join(out)

    def c_site(self, site):
        size = site.size
        call = {"malloc": f"malloc({size})", "calloc": f"calloc(1, {size})", "calloc_n": f"calloc({size // 8}, 8)",
                "aligned_alloc": f"aligned_alloc(64, {size})", "realloc_null": f"realloc(NULL, {size})",
                "memalign": f"memalign(32, {size})", "valloc": f"valloc({size})"}.get(site.kind)
        if call:
            allocation = f"\tchar *block = {call};\n"
        else:
            allocation = (f"\tvoid *pointer = NULL;\n\tchar *block = posix_memalign(&pointer, 64, {size}) == 0 ? "
                          f"pointer : NULL;\n")
        return (f"/* One {site.kind} of {size} bytes: the program counts them. */\n"
                f"__attribute__((noipa)) void *{site.name}(void)\n{{\n{allocation}"
                f"\tif (block)\n\t\tmemset(block, {site.index + 1}, {size});\n\treturn block;\n}}\n\n")

    def cxx_cpp(self):
        out = [f"// Generated by tests/torture/generate.py from seed {self.seed}: do not edit\n",
               "#include <cstdint>\n#include <cstring>\n#include <map>\n#include <memory>\n#include <new>\n",
               "#include <stdexcept>\n#include <string>\n#include <vector>\n\n#include \"torture.h\"\n\n"]
        out += [code + "\n" for code in self.cxx_works]
        for site in self.sites:
            if site.language != "cxx":
                continue
            number, size = site.name[12:], site.size
            if site.kind in ("object", "aligned_object"):
                alignment = "alignas(64) " if site.kind == "aligned_object" else ""
                out.append(f"struct {alignment}object_{number} {{\n\tchar bytes[{size}];\n}};\n"
                           f"static_assert(sizeof(object_{number}) == {size}, \"counted size\");\n"
                           f"extern \"C\" [[gnu::noipa]] void *{site.name}(void)\n{{\n"
                           f"\tobject_{number} *block = new object_{number};\n"
                           f"\tstd::memset(block->bytes, {site.index + 1}, {size});\n\treturn block;\n}}\n"
                           f"extern \"C\" void cxx_release_{number}(void *block)\n{{\n"
                           f"\tdelete static_cast<object_{number} *>(block);\n}}\n\n")
            else:
                nothrow = "(std::nothrow) " if site.kind == "nothrow_array" else ""
                out.append(f"extern \"C\" [[gnu::noipa]] void *{site.name}(void)\n{{\n"
                           f"\tchar *block = new {nothrow}char[{size}];\n"
                           f"\tif (block)\n\t\tstd::memset(block, {site.index + 1}, {size});\n\treturn block;\n}}\n"
                           f"extern \"C\" void cxx_release_{number}(void *block)\n{{\n"
                           f"\tdelete[] static_cast<char *>(block);\n}}\n\n")
        return "".join(out)

    def plugin_c(self):
        rng = self.rng
        out = [f"/* Generated by tests/torture/generate.py from seed {self.seed}: do not edit */\n",
               "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
               "/* Dynamic TLS: each thread's first use allocates it through malloc. */\n",
               "static __thread uint64_t tls_sum;\nstatic __thread unsigned char tls_bytes[200];\n",
               "static void *volatile escape;\nstatic void *kept[8];\n\n",
               "static uint64_t mix(uint64_t sum, uint64_t value)\n{\n"
               "\tsum = (sum ^ value) * 0x100000001b3u;\n\treturn sum ^ (sum >> 29);\n}\n\n",
               "__attribute__((constructor)) static void plugin_load(void)\n{\n"
               "\tfor (unsigned i = 0; i < 8; i++) {\n\t\tkept[i] = malloc(100 + i * 50);\n"
               "\t\tif (kept[i])\n\t\t\tmemset(kept[i], (int)i, 100 + i * 50);\n\t}\n}\n\n",
               "__attribute__((destructor)) static void plugin_unload(void)\n{\n"
               "\tfor (unsigned i = 0; i < 8; i++)\n\t\tfree(kept[i]);\n}\n\n"]
        for name in self.plugin_works:
            blocks = rng.between(1, 6)
            base, spread = rng.between(8, 2000), rng.between(1, 5000)
            out.append(f"uint64_t {name}(uint64_t sum, unsigned iterations)\n{{\n"
                       f"\tfor (unsigned i = 0; i < iterations; i++) {{\n"
                       f"\t\tunsigned char *blocks[{blocks}];\n"
                       f"\t\tfor (unsigned j = 0; j < {blocks}; j++) {{\n"
                       f"\t\t\tsize_t size = {base}u + (sum + j) % {spread}u;\n"
                       f"\t\t\tblocks[j] = malloc(size);\n"
                       f"\t\t\tif (blocks[j])\n\t\t\t\tmemset(blocks[j], (int)(sum & 0xff), size);\n"
                       f"\t\t\tescape = blocks[j];\n\t\t}}\n"
                       f"\t\ttls_bytes[sum % sizeof tls_bytes] = (unsigned char)sum;\n"
                       f"\t\ttls_sum += tls_bytes[(sum + 1) % sizeof tls_bytes];\n"
                       f"\t\tfor (unsigned j = 0; j < {blocks}; j++) {{\n"
                       f"\t\t\tsum = mix(sum, blocks[j] ? blocks[j][0] : 0);\n\t\t\tfree(blocks[j]);\n\t\t}}\n"
                       f"\t}}\n\treturn mix(sum, kept[0] != NULL);\n}}\n\n")
        for site in self.sites:
            if site.language == "plugin":
                call = f"malloc({site.size})" if site.kind == "malloc" else f"calloc({site.size // 8}, 8)"
                out.append(f"__attribute__((noipa)) void *{site.name}(void)\n{{\n\tchar *block = {call};\n"
                           f"\tif (block)\n\t\tmemset(block, {site.index + 1}, {site.size});\n\treturn block;\n}}\n\n")
        return "".join(out)

    def needed_c(self):
        rng = self.rng
        size, rounds = rng.between(16, 100000), rng.between(1, 300)
        thread = ""
        if self.needed_thread:
            thread = ("\tpthread_t thread;\n\tif (pthread_create(&thread, NULL, churn, NULL) == 0)\n"
                      "\t\tpthread_join(thread, NULL);\n")
        return (f"/* Generated by tests/torture/generate.py from seed {self.seed}: do not edit.\n"
                f"   Linked by the program, so its constructor runs before heapprof's. */\n"
                f"#include <pthread.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
                f"static uint64_t value;\nstatic void *kept;\n\n"
                f"static void *churn(void *argument)\n{{\n\t(void)argument;\n"
                f"\tfor (unsigned i = 0; i < {rounds}; i++) {{\n"
                f"\t\tunsigned char *block = malloc(16 + i * 7);\n\t\tif (block) {{\n"
                f"\t\t\tmemset(block, (int)i, 16 + i * 7);\n\t\t\tvalue += block[i % 16];\n\t\t}}\n"
                f"\t\tfree(block);\n\t}}\n\treturn NULL;\n}}\n\n"
                f"__attribute__((constructor)) static void needed_start(void)\n{{\n"
                f"\tkept = malloc({size});\n\tif (kept)\n\t\tmemset(kept, 1, {size});\n{thread}"
                f"\tvalue = value * 31 + {size};\n}}\n\n"
                f"__attribute__((destructor)) static void needed_stop(void)\n{{\n\tfree(kept);\n}}\n\n"
                f"uint64_t needed_value(void)\n{{\n\treturn value;\n}}\n")

    def compile_flags(self):
        here = os.path.dirname(os.path.abspath(__file__))
        include = os.path.join(os.path.dirname(os.path.dirname(here)), "include")
        flags = ["-O2", "-g", "-pthread", "-Wall", "-Wno-unused-function", f"-I{here}", f"-I{include}"]
        return flags + (["-fno-omit-frame-pointer"] if self.frame_pointers else [])

    def write(self, directory, runtime_object):
        """Writes the sources; returns the build commands, each run in `directory`.
        runtime_object is runtime.c compiled with compile_flags()."""
        flags = self.compile_flags()
        sources = {"scenario.c": self.scenario_c()}
        commands = [["gcc", *flags, "-c", "scenario.c", "-o", "scenario.o"]]
        objects, libraries = ["scenario.o", runtime_object], []
        if self.cxx:
            sources["cxx.cpp"] = self.cxx_cpp()
            commands.append(["g++", *flags, "-c", "cxx.cpp", "-o", "cxx.o"])
            objects.append("cxx.o")
        if self.plugin:
            sources["plugin.c"] = self.plugin_c()
            commands.append(["gcc", *flags, "-shared", "-fPIC", "plugin.c", "-o", "libtorture_plugin.so"])
        if self.needed:
            sources["needed.c"] = self.needed_c()
            commands.append(["gcc", *flags, "-shared", "-fPIC", "needed.c", "-o", "libtorture_needed.so"])
            libraries = ["-L.", "-ltorture_needed", f"-Wl,-rpath,{os.path.abspath(directory)}"]
        commands.append(["g++" if self.cxx else "gcc", "-pthread", *objects, *libraries, "-ldl", "-o", "torture"])
        for name, text in sources.items():
            with open(os.path.join(directory, name), "w") as file:
                file.write(text)
        return commands

    def environment(self):
        """The HEAPPROF_* settings of this scenario (inert without the preload)."""
        env = {"HEAPPROF_SEED": str(self.seed)}
        if self.rate:
            env["HEAPPROF_RATE"] = self.rate
        if self.unwind:
            env["HEAPPROF_UNWIND"] = self.unwind
        if self.dump_signal:
            env["HEAPPROF_DUMP_SIGNAL"] = self.dump_signal
        if self.dump_interval:
            env["HEAPPROF_DUMP_INTERVAL"] = self.dump_interval
        if not self.peak:
            env["HEAPPROF_PEAK"] = "0"
        if not self.symbolize:
            env["HEAPPROF_SYMBOLIZE"] = "0"
        if self.depth:
            env["HEAPPROF_DEPTH"] = str(self.depth)
        return env


def generate(seed):
    return Scenario(seed)
