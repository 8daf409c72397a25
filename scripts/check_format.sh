#!/usr/bin/env bash
# Fails, naming the files, when a tracked C or C++ file is not in the project's style
# (.clang-format). `scripts/check_format.sh --fix` rewrites them instead.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = --fix ]; then
  exec clang-format -i --style=file "${files[@]}"
fi
bad=()
for file in "${files[@]}"; do
  clang-format --dry-run --Werror --style=file "$file" >/dev/null 2>&1 || bad+=("$file")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "not in the project's style (scripts/check_format.sh --fix): ${bad[*]}" >&2
  exit 1
fi
echo "${#files[@]} files in the project's style"
