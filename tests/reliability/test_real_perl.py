"""perl building, sorting and deleting from a 200,000-entry hash of hashes."""
import os
from realprog import *

require("perl")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "hashes.pl")

with scratch() as root:
    run = Run(root)
    results = compare(run, [Step(["perl", SCRIPT, "200000"])], env={"PERL_HASH_SEED": "0"})
    check("entries 200000" in results[0].stdout, f"unexpected output: {results[0].stdout}")
    written = check_processes(run, {"perl"})
    check_readable(run)
    total = check_sampled(run, only(written, "perl"), 16 << 20, r"^Perl_")
    log(f"perl profile: {total} bytes allocated (estimated)")
print("real_perl: ok")
