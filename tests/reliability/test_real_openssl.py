"""Programs that use OpenSSL's libcrypto, which registers OPENSSL_cleanup with atexit:
python3 with the ssl module and OpenSSL hashes (workloads/tls.py), and the openssl
command encrypting and hashing a file. At the default rate and at HEAPPROF_RATE=4096.

Found with this test (see docs/reliability.md): at exit, heapprof's symbolizer asks
libdw for debug information; libdw's standard find_debuginfo callback starts the
debuginfod client, whose curl_global_init -> libssh2_init calls into libcrypto after
the program's own atexit handler OPENSSL_cleanup has torn it down, and the process
dies of SIGSEGV (no profile, exit status 139 instead of 0)."""
import os
from realprog import *

require("python3", "openssl")
PACKAGES.update(openssl="openssl")
TLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "tls.py")
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
IV = "0102030405060708090a0b0c0d0e0f10"


def prepare(work):
    with open(os.path.join(work, "plain.txt"), "w") as file:
        for line in range(20000):
            file.write(f"line {line} of the plain text\n")


for label, env in (("default rate", {}), ("HEAPPROF_RATE=4096", {"HEAPPROF_RATE": "4096"})):
    log(f"openssl programs, {label}")
    with scratch() as root:
        run = Run(root)
        steps = [Step(["/usr/bin/python3", TLS]),
                 Step(["openssl", "enc", "-aes-256-cbc", "-K", KEY, "-iv", IV, "-in", "plain.txt",
                       "-out", "cipher.bin"]),
                 Step(["openssl", "dgst", "-sha256", "plain.txt", "cipher.bin"]),
                 Step(["openssl", "enc", "-d", "-aes-256-cbc", "-K", KEY, "-iv", IV, "-in", "cipher.bin",
                       "-out", "again.txt"]),
                 Step(["openssl", "dgst", "-sha256", "again.txt"])]
        results = compare(run, steps, env=dict(env, PYTHONHASHSEED="0"), prepare=prepare)
        check(results[2].stdout.count("SHA2-256") == 2, f"unexpected output: {results[2].stdout}")
        written = check_processes(run, {"python3", "openssl"})
        check_readable(run)
print("real_openssl: ok")
