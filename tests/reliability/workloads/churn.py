"""Threads churning dicts, strings and JSON. The output is deterministic: each thread's
result depends only on its index, and results are printed in index order after join."""
import hashlib
import json
import sys
import threading

THREADS = 4
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 60

lock = threading.Lock()
shared = {}
results = [None] * THREADS


def churn(index):
    digest = hashlib.sha256()
    table = {}
    for round_number in range(ROUNDS):
        records = []
        for item in range(400):
            key = f"t{index}-r{round_number}-i{item}"
            record = {
                "key": key,
                "words": [key[::-1], key.upper(), "x" * (item % 97)],
                "numbers": list(range(item % 23)),
                "nested": {"a": item, "b": str(item * round_number), "c": [index] * (item % 7)},
            }
            records.append(record)
            table[key] = record
        text = json.dumps(records, sort_keys=True)
        decoded = json.loads(text)
        joined = "|".join(entry["words"][1] for entry in decoded)
        pieces = joined.split("|")
        digest.update(text.encode())
        digest.update(str(len(pieces)).encode())
        # Drop most of the table so memory is both allocated and freed.
        for key in list(table)[: len(table) * 3 // 4]:
            del table[key]
        with lock:
            shared[f"{index}-{round_number}"] = len(text)
    results[index] = (digest.hexdigest(), len(table))


threads = [threading.Thread(target=churn, args=(index,)) for index in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
for index, (digest, remaining) in enumerate(results):
    print(f"thread {index}: {digest} {remaining}")
print(f"shared entries {len(shared)}, total json bytes {sum(shared.values())}")
