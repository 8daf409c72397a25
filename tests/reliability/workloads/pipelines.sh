# Pipelines, subshells, command and process substitution, background jobs, functions
# and associative arrays. No stage stops reading early, so no process dies of SIGPIPE.
set -o pipefail

seq 1 50000 | sort -r | awk '{ s += $1 } END { print "sum", s }'
seq 1 20000 | sed 's/$/ apples/' | grep -c '7'
seq 1 3000 | tr '0-9' 'a-j' | sort | md5sum

count=$( (seq 1 1000; seq 500 1500) | sort -n | uniq -d | wc -l )
echo "duplicates $count"

( cd /; echo "subshell in $PWD, level $BASH_SUBSHELL"; (echo "nested level $BASH_SUBSHELL") )
echo "still in $(basename "$PWD")"

{ echo alpha; echo beta; echo gamma; } | sort -r | tr '\n' ' '
echo

diff <(seq 1 100) <(seq 1 100 | grep -v 50) | wc -l

square() { echo $(( $1 * $1 )); }
declare -A squares
for i in $(seq 1 40); do squares[k$i]=$(square "$i"); done
total=0
for key in "${!squares[@]}"; do total=$(( total + squares[$key] )); done
echo "squares ${#squares[@]} total $total"

words=""
for i in $(seq 1 2000); do words+="w$((i % 37)) "; done
echo "$words" | tr ' ' '\n' | sort | uniq -c | sort -k1,1nr -k2 | sed -n '1,3p'

(seq 1 10000 | md5sum > bg1.txt) &
(seq 1 20000 | md5sum > bg2.txt) &
wait
cat bg1.txt bg2.txt

while read -r number; do
    [ $(( number % 250 )) -eq 0 ] && echo "read $number"
done < <(seq 1 1000)

cat <<HERE | wc -c
here document with $(echo expansion) and ${#squares[@]} keys
HERE

( exit 3 ); echo "subshell exit status $?"
false | true; echo "pipefail status $?"
exit 7
