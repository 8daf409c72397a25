"""make -j2 on a small generated project: twelve C files compiled in parallel (gcc, cc1,
as), a static library built by a recursive make (ar), a link (collect2, ld), a recipe
that runs through /bin/sh and the program it built. Then a no-op make and a clean.

/bin/sh is dash, which leaves through _exit(), so it writes no profile (docs/usage.md:
no profile on _exit); it is the one program allowed to."""
from realprog import *

require("make", "gcc", "ar", "sh", "sort", "md5sum")
PACKAGES.update(ar="binutils")
MODULES = 12


def generate(work):
    os.makedirs(os.path.join(work, "lib"))
    with open(os.path.join(work, "lib", "util.c"), "w") as source:
        source.write("#include <stdlib.h>\nunsigned long util_mix(unsigned long x)\n"
                     "{\n\tunsigned long *p = malloc(64 * sizeof *p);\n"
                     "\tfor (int i = 0; i < 64; i++) p[i] = x * 2654435761u + i;\n"
                     "\tunsigned long r = p[x % 64];\n\tfree(p);\n\treturn r;\n}\n")
    with open(os.path.join(work, "lib", "Makefile"), "w") as makefile:
        makefile.write("libutil.a: util.o\n\tar rcs $@ $^\n\n"
                       "util.o: util.c\n\tgcc -O1 -c -o $@ $<\n\n"
                       "clean:\n\trm -f libutil.a util.o\n")
    with open(os.path.join(work, "modules.h"), "w") as header:
        header.write("unsigned long util_mix(unsigned long x);\n")
        for index in range(MODULES):
            header.write(f"unsigned long module{index}(unsigned long x);\n")
    for index in range(MODULES):
        with open(os.path.join(work, f"module{index}.c"), "w") as source:
            source.write('#include <stdlib.h>\n#include <string.h>\n#include "modules.h"\n')
            for helper in range(20):
                source.write(f"static unsigned long helper{helper}(unsigned long x)\n{{\n"
                             f"\tchar *text = malloc({helper + 16});\n"
                             f"\tmemset(text, 'a' + {helper}, {helper + 15});\n\ttext[{helper + 15}] = 0;\n"
                             f"\tunsigned long r = x * {helper + 3} + strlen(text);\n\tfree(text);\n"
                             "\treturn r;\n}\n")
            calls = " + ".join(f"helper{helper}(x)" for helper in range(20))
            source.write(f"unsigned long module{index}(unsigned long x)\n{{\n"
                         f"\treturn util_mix(x) % 1000 + {calls};\n}}\n")
    with open(os.path.join(work, "main.c"), "w") as source:
        source.write('#include <stdio.h>\n#include "modules.h"\nint main(void)\n{\n'
                     "\tunsigned long sum = 0;\n")
        for index in range(MODULES):
            source.write(f"\tsum += module{index}({index});\n")
        source.write('\tprintf("modules %d sum %lu\\n", ' + str(MODULES) + ", sum);\n\treturn 0;\n}\n")
    objects = " ".join(f"module{index}.o" for index in range(MODULES))
    with open(os.path.join(work, "Makefile"), "w") as makefile:
        makefile.write(
            f"OBJECTS = main.o {objects}\n\n"
            "all: report.txt\n\n"
            "report.txt: app\n\t./app > $@ && sort $@ | md5sum >> $@\n\n"
            "app: $(OBJECTS) lib/libutil.a\n\tgcc -o $@ $(OBJECTS) lib/libutil.a\n\n"
            "lib/libutil.a:\n\t$(MAKE) -C lib\n\n"
            "%.o: %.c modules.h\n\tgcc -O1 -c -o $@ $<\n\n"
            "clean:\n\trm -f app report.txt $(OBJECTS)\n\t$(MAKE) -C lib clean\n\n"
            ".PHONY: all clean\n")


with scratch() as root:
    run = Run(root)
    steps = [Step(["make", "-j2", "-s"]),
             Step(["cat", "report.txt"]),
             Step(["make", "-j2"]),  # nothing to do: "make: Nothing to be done for 'all'."
             Step(["make", "-s", "clean"])]
    results = compare(run, steps, prepare=generate)
    check(f"modules {MODULES} sum" in results[1].stdout, f"unexpected report: {results[1].stdout}")
    check("Nothing to be done" in results[2].stdout, f"unexpected output: {results[2].stdout}")
    written = check_processes(run, {"make", "gcc", "cc1", "as", "collect2", "ld", "ar", "app", "sort",
                                    "md5sum", "cat", "rm"}, may_exit_early={"sh"})
    compiles = sum(1 for name, _ in written if name == "cc1")
    check(compiles == MODULES + 2, f"expected {MODULES + 2} cc1 profiles, have {compiles}")
    check(sum(1 for name, _ in written if name == "make") == 5, f"expected 5 make profiles: {sorted(written)}")
    check_readable(run)
print("real_make: ok")
