"""What a Python program that talks HTTPS does before it connects: load the ssl module
(OpenSSL's libssl and libcrypto), build a client context with the system CA store and
hash with OpenSSL. Prints only deterministic facts."""
import hashlib
import hmac
import ssl

context = ssl.create_default_context()
context.load_default_certs()
print("verify", context.verify_mode == ssl.CERT_REQUIRED, "hostname", context.check_hostname)
print("sha256", hashlib.sha256(b"heapprof" * 100000).hexdigest())
print("sha3", hashlib.new("sha3_256", b"heapprof").hexdigest())
print("hmac", hmac.new(b"key", b"message", "sha512").hexdigest()[:32])
print("pbkdf2", hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 20000).hex())
