"""gcc compiling and linking a generated 400-function C file at -O2: the driver runs
cc1, as and collect2, which runs ld, and each leaves its own profile. The program it
built, and md5sum of it, run under the preload too: the binary must be byte-identical
to the one built without heapprof."""
from realprog import *

require("gcc", "md5sum")
FUNCTIONS = 400


def generate(work):
    lines = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", ""]
    for index in range(FUNCTIONS):
        lines += [
            f"struct s{index} {{ int a[{index % 13 + 1}]; double d; char name[{index % 29 + 3}]; }};",
            f"static unsigned long f{index}(unsigned long x)",
            "{",
            f"\tstruct s{index} *s = calloc(1, sizeof *s);",
            f"\tunsigned long total = x ^ {index * 2654435761 % 4294967296}u;",
            f"\tfor (int i = 0; i < {index % 17 + 3}; i++) {{",
            f"\t\ts->a[i % {index % 13 + 1}] += (int)(total >> (i % 11));",
            f"\t\tswitch ((total + i) % 5) {{",
            f"\t\tcase 0: total = total * 31 + {index}; break;",
            f"\t\tcase 1: total ^= total << 7; break;",
            f"\t\tcase 2: total += (unsigned long)s->a[i % {index % 13 + 1}]; break;",
            f"\t\tcase 3: s->d += (double)total / {index + 1}.0; break;",
            f"\t\tdefault: total = total / 3 + {index % 7}; break;",
            "\t\t}",
            "\t}",
            f"\tsnprintf(s->name, sizeof s->name, \"f{index}:%lu\", total % 1000);",
            "\ttotal += strlen(s->name) + (unsigned long)s->d;",
            "\tfree(s);",
            f"\treturn total{f' + f{index - 1}(x >> 1)' if index % 10 else ''};",
            "}",
            "",
        ]
    lines += ["int main(void)", "{", "\tunsigned long sum = 0;"]
    lines += [f"\tsum += f{index}({index}ul);" for index in range(FUNCTIONS)]
    lines += ['\tprintf("%d functions, checksum %lu\\n", ' + str(FUNCTIONS) + ', sum);', "\treturn 0;", "}"]
    with open(os.path.join(work, "gen.c"), "w") as source:
        source.write("\n".join(lines) + "\n")


with scratch() as root:
    run = Run(root)
    steps = [Step(["gcc", "-O2", "-Wall", "-o", "gen", "gen.c"]),
             Step(["./gen"]),
             Step(["md5sum", "gen"])]
    results = compare(run, steps, prepare=generate)
    check(f"{FUNCTIONS} functions, checksum" in results[1].stdout, f"unexpected output: {results[1].stdout}")
    written = check_processes(run, {"gcc", "cc1", "as", "collect2", "ld", "gen", "md5sum"})
    for name in ("gcc", "cc1", "as", "collect2", "ld"):
        only(written, name)
    check_readable(run)
    total = check_sampled(run, only(written, "cc1"), 8 << 20, r"^(xmalloc|ggc_internal_alloc|xcalloc)")
    log(f"cc1 profile: {total} bytes allocated (estimated)")
print("real_gcc: ok")
