"""git in a fresh repository: init, add, two commits, an annotated tag, gc (which runs
pack-refs, reflog, repack with pack-objects, prune, ... as child processes), fsck and
log. Dates, names and configuration are fixed so hashes and output are identical."""
from realprog import *

require("git", "bash", "seq")
IDENTITY = "2001-02-03T04:05:06Z"
ENV = {
    "GIT_AUTHOR_NAME": "Heap Prof", "GIT_AUTHOR_EMAIL": "heapprof@example.com",
    "GIT_COMMITTER_NAME": "Heap Prof", "GIT_COMMITTER_EMAIL": "heapprof@example.com",
    "GIT_AUTHOR_DATE": IDENTITY, "GIT_COMMITTER_DATE": IDENTITY,
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat",
}
CONFIG = {"init.defaultBranch": "main", "gc.autoDetach": "false", "pack.threads": "1",
          "core.pager": "cat", "advice.detachedHead": "false", "maintenance.auto": "false"}
ENV["GIT_CONFIG_COUNT"] = str(len(CONFIG))
for index, (key, value) in enumerate(CONFIG.items()):
    ENV[f"GIT_CONFIG_KEY_{index}"], ENV[f"GIT_CONFIG_VALUE_{index}"] = key, value


def populate(work):
    for index in range(300):
        directory = os.path.join(work, f"dir{index % 7}")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"file{index}.txt"), "w") as file:
            for line in range(index % 50 + 5):
                file.write(f"file {index} line {line} {'lorem ipsum ' * (line % 9)}\n")


with scratch() as root:
    run = Run(root)
    steps = [
        Step(["git", "init"]),
        Step(["git", "add", "."]),
        Step(["git", "commit", "-q", "-m", "first commit"]),
        Step(["bash", "-c", "for i in $(seq 1 60); do echo change $i >> dir$((i % 7))/file$i.txt; done"]),
        Step(["git", "commit", "-a", "-m", "second commit"]),
        Step(["git", "tag", "-a", "v1", "-m", "version 1"]),
        Step(["git", "gc", "--quiet", "--prune=now"]),
        Step(["git", "count-objects", "-v"]),
        Step(["git", "fsck", "--strict", "--no-progress"]),
        Step(["git", "log", "--stat", "--decorate"]),
        Step(["git", "rev-list", "--objects", "--all"]),
        Step(["git", "diff", "--shortstat", "HEAD~1", "HEAD"]),
    ]
    results = compare(run, steps, env=ENV, prepare=populate)
    check("in-pack: " in results[7].stdout and "packs: 1" in results[7].stdout,
          f"git gc did not pack: {results[7].stdout}")
    written = check_processes(run, {"git", "bash", "seq"})
    check(len(written) > len(steps), f"git gc started no child processes: {sorted(written)}")
    check_readable(run)
print("real_git: ok")
