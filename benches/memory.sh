#!/usr/bin/env bash
# Peak memory and wall time of leakgate on inputs built to exhaust memory, against another build
# of leakgate (for example the previous release) on the same inputs in the same run.
#
#   benches/memory.sh [NEW_BIN] [OLD_BIN]     # default NEW_BIN: target/release/leakgate
#   SLOW=1 benches/memory.sh ...              # also 2,000 user rules on a 3 MB file (minutes)
#
# Each case prints: case, binary, exit code, wall seconds, peak RSS (MiB, from /usr/bin/time -v).
# The inputs are generated in a temporary directory; nothing in them is a real credential.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

repo=$(cd "$(dirname "$0")/.." && pwd)
new=${1:-$repo/target/release/leakgate}
old=${2:-}
[ -x "$new" ] || lg_die "no leakgate binary at $new (cargo build --release)"
[ -x /usr/bin/time ] || lg_die "needs /usr/bin/time (GNU time)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import random, string, sys
work = sys.argv[1]
alnum = string.ascii_letters + string.digits
rnd = random.Random(7)
with open(f"{work}/keywords.txt", "w") as f:          # 300 MB, a keyword on every line
    line = 'password = "x"\n'
    block = line * 100_000
    for _ in range((300 << 20) // len(block)):
        f.write(block)
with open(f"{work}/findings.txt", "w") as f:          # 700,000 generated passwords
    for _ in range(700_000):
        f.write('password = "%s"\n' % "".join(rnd.choice(alnum) for _ in range(14)))
def rules(n, path):
    with open(path, "w") as f:
        for i in range(n):
            f.write(f'[[rule]]\nid = "u{i}"\nprovider = "P"\ndescription = "d"\nseverity = "low"\n'
                    f'keywords = ["password"]\nregex = \'\'\'password = "(?P<secret>[A-Za-z0-9]{{8,}})"\'\'\'\n')
rules(600, f"{work}/rules600.toml")
rules(2000, f"{work}/rules2000.toml")
data = open(f"{work}/findings.txt").read()
open(f"{work}/findings-300k.txt", "w").write(data[:300_000])
open(f"{work}/findings-3m.txt", "w").write(data[:3_000_000])
PY

run() {
    local case=$1 bin=$2 label=$3; shift 3
    local t="$work/time.txt" code=0
    /usr/bin/time -v -o "$t" "$bin" "$@" --format json >/dev/null 2>&1 || code=$?
    local wall rss
    wall=$(awk -F': ' '/Elapsed/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$t")
    rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$t")
    printf '%-40s | %-4s | exit %s | %7.2f s | %6s MiB\n' "$case" "$label" "$code" "$wall" "$rss"
}

cases() {
    local bin=$1 label=$2
    run "300 MB of keyword lines" "$bin" "$label" scan "$work/keywords.txt" --max-file-size 1G
    run "700k findings in one 20 MB file" "$bin" "$label" scan "$work/findings.txt" --max-file-size 1G
    run "600 user rules x 300 KB" "$bin" "$label" scan "$work/findings-300k.txt" --config "$work/rules600.toml"
    if [ -n "${SLOW:-}" ]; then
        run "2000 user rules x 3 MB" "$bin" "$label" scan "$work/findings-3m.txt" --config "$work/rules2000.toml"
    fi
}

echo "machine: $(lg_machine)"
cases "$new" new
[ -n "$old" ] && cases "$old" old
