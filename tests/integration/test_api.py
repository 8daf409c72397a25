"""The public API: linked directly, used through weak symbols under the preload, and
built against an installed copy through pkg-config."""
import shutil
from harness import *

with scratch_dir() as directory:
    profile = os.path.join(directory, "api.pb.gz")
    result = run([program("api_user"), profile], preload=False, cwd=directory,
                 env={"HEAPPROF_OUT": "final.pb.gz"})
    check(result.returncode == 0 and "failures: 0" in result.stdout, result.stdout + result.stderr)
    expected = {"api_site": dict(alloc_objects=1000, alloc_space=3000000, inuse_objects=600, inuse_space=1800000)}
    check_exact(profile, expected)
    check_exact(os.path.join(directory, "final.pb.gz"), expected)
    check_readable(profile, "api_site")

    plain = run([program("api_weak"), "weak.pb.gz"], preload=False, cwd=directory)
    check(plain.stdout == "not profiled\n", plain.stdout)
    preloaded = run([program("api_weak"), "weak.pb.gz"], cwd=directory, env={"HEAPPROF_OUT": "w.pb.gz"})
    check(preloaded.stdout == "profile written: yes\n", preloaded.stdout + preloaded.stderr)
    rows = top(os.path.join(directory, "weak.pb.gz"), "inuse_space")
    check(rows.get("main", (0, 0))[0] == 12345, f"weak.pb.gz rows: {rows}")

    destination = os.path.join(directory, "install")
    build_root = os.environ["HEAPPROF_BUILD_ROOT"]
    installed = subprocess.run(["meson", "install", "-C", build_root, "--no-rebuild", "--quiet",
                                "--destdir", destination], capture_output=True, text=True)
    check(installed.returncode == 0, f"meson install failed: {installed.stderr}")
    pkgconfig_dirs = [root for root, _, files in os.walk(destination) if "heapprof.pc" in files]
    check(pkgconfig_dirs, "heapprof.pc was not installed")
    env = dict(os.environ, PKG_CONFIG_PATH=pkgconfig_dirs[0], PKG_CONFIG_SYSROOT_DIR=destination)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "heapprof"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    source = os.path.join(os.path.dirname(__file__), "programs", "api_user.c")
    binary = os.path.join(directory, "api_installed")
    subprocess.run(["cc", "-O0", "-g", source, "-o", binary, f'-DHEAPPROF_EXPECTED_VERSION="{os.environ["HEAPPROF_VERSION"]}"',
                    *flags], check=True)
    library_dir = next(flag[2:] for flag in flags if flag.startswith("-L"))
    result = run([binary, os.path.join(directory, "installed.pb.gz")], preload=False, cwd=directory,
                 env={"LD_LIBRARY_PATH": library_dir, "HEAPPROF_OUT": "installed-final.pb.gz"})
    check("failures: 0" in result.stdout, result.stdout + result.stderr)
    installed_names = {name for _, _, files in os.walk(destination) for name in files}
    check({"heapprof.h", "heapprof", "usage.md", "design.md"} <= installed_names,
          f"meson install must install the header, the CLI and the docs: {sorted(installed_names)}")
print("api: ok")
