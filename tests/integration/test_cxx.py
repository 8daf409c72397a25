"""A C++ program: operator new reaches heapprof through malloc, names are demangled,
and the caller of new appears in the stack."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("widgets")], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "widgets.pb.gz"})
    profile = os.path.join(directory, "widgets.pb.gz")
    widget_size = int(result.stdout.split("widget_size ")[1])
    rows = top(profile, "alloc_space")
    check(rows.get("shapes::make_widget", (0, 0))[1] == 5000 * widget_size,
          f"shapes::make_widget cum is {rows.get('shapes::make_widget')}, expected {5000 * widget_size}")
    check("operator new" in rows, f"operator new missing from {sorted(rows)}")
    traces = check_readable(profile, "shapes::make_widget")
    check(re.search(r"operator new\n\s+shapes::make_widget\n\s+main", traces),
          f"no operator new <- shapes::make_widget <- main trace:\n{traces[:3000]}")
    check(any(name.startswith("shapes::make_labels") for name in rows), "make_labels missing")
print("cxx: ok")
