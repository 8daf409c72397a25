"""A bash script with pipelines, subshells, command and process substitution,
background jobs and a here-document, ending with exit status 7. Every command it
starts (coreutils, grep, sed, mawk, diff) and every subshell bash forks leaves a
profile."""
import os
from realprog import *

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "pipelines.sh")
COMMANDS = ("bash", "seq", "sort", "awk", "sed", "grep", "tr", "md5sum", "uniq", "wc", "cat",
            "basename", "diff")
PACKAGES.update(uniq="coreutils", basename="coreutils", diff="diffutils")
require(*COMMANDS)

with scratch() as root:
    run = Run(root)
    results = compare(run, [Step(["bash", SCRIPT], status=7)])
    check("pipefail status 1" in results[0].stdout, f"unexpected output: {results[0].stdout}")
    written = check_processes(run, set(COMMANDS))
    table = processes(run)
    forked = sum(1 for events in table.values() if events[0][0] == "fork")
    check(forked >= 40, f"expected bash to fork at least 40 times, saw {forked}")
    check_readable(run)
print("real_bash: ok")
