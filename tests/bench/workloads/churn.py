"""Allocation churn in Python: dicts, lists and strings. Under PYTHONMALLOC=malloc every
object comes from malloc, so the interpreter is a real program that allocates hard.
Prints one checksum. usage: python3 churn.py [OPERATIONS]"""
import sys


def churn(operations):
    state = 12345
    table = {}
    total = 0
    words = [f"w{i}_{'ab' * (i % 17)}" for i in range(5000)]
    for i in range(operations):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        r = state >> 33
        key = words[r % 5000] + str((r >> 13) % 3000)
        kind = r % 4
        if kind == 0:
            values = table.setdefault(key, [])
            values.append(f"{key.upper()}:{i}")
            del values[:-40]
        elif kind == 1:
            table.pop(key, None)
        elif kind == 2:
            total += len("-".join(words[(r + j) % 5000] for j in range(r % 24)).split("_"))
        else:
            total += len({x: str(x) * (x % 5) for x in range(r % 64)})
    print(total, len(table), sum(len(v) for v in table.values()))


churn(int(sys.argv[1]) if len(sys.argv) > 1 else 400000)
