"""A library loaded, used and unloaded at run time: same behaviour, and its
allocations are named in the profile even though it is gone at exit."""
from harness import *

plugin = os.environ["HEAPPROF_PLUGIN"]
with scratch_dir() as directory:
    same_behaviour([program("plugin_host"), plugin], cwd=directory,
                   env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "plugin.pb.gz"})
    profile = os.path.join(directory, "plugin.pb.gz")
    check_exact(profile, {"plugin_block": dict(alloc_objects=1200, alloc_space=1200 * 4096,
                                               inuse_objects=600, inuse_space=600 * 4096)})
    check_readable(profile, "plugin_block")
print("dlopen: ok")
