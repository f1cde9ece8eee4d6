#!/usr/bin/env bash
# Engine throughput now against the engine of the core issue, on the same machine in one run.
#
# Builds the `engine` criterion bench twice: at CORE_COMMIT (the first release: 83 rules and the
# engine of that time, in a temporary git worktree) and at the current checkout (all rules,
# today's engine). Both use the same 64 MiB corpus function. They then run alternately ROUNDS
# times; the script prints each run's median throughput and the ratio of the medians.
#
#   benches/compare-engine-core.sh            # ROUNDS=2 CORE_COMMIT=f4aa1e6
#
# Needs the git history (a shallow clone lacks CORE_COMMIT) and about 4 minutes of building.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-2}
CORE_COMMIT=${CORE_COMMIT:-f4aa1e6}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/core" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" cat-file -e "$CORE_COMMIT^{commit}" 2>/dev/null ||
    lg_die "commit $CORE_COMMIT is not in this checkout (shallow clone?)"
git -C "$repo" worktree add --detach "$work/core" "$CORE_COMMIT" >/dev/null 2>&1

# Build a checkout's engine bench and print the path of its executable.
bench_exe() {
    local dir=$1 target=$2
    (cd "$dir" && CARGO_TARGET_DIR=$target cargo bench --bench engine --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "engine" and m.get("executable"):
        print(m["executable"])' | tail -1
}

lg_log "building the bench at $CORE_COMMIT and at the current checkout"
core_exe=$(bench_exe "$work/core" "$work/target-core")
head_exe=$(bench_exe "$repo" "${CARGO_TARGET_DIR:-$repo/target}")
[ -x "$core_exe" ] && [ -x "$head_exe" ] || lg_die "could not build both benches"

# Run one bench executable from its checkout; print its median throughput in MiB/s.
median_mibs() {
    local dir=$1 exe=$2
    (cd "$dir" && "$exe" --bench 'engine/scan_64mib_one_thread$' --noplot 2>/dev/null) |
        awk '/thrpt:/ { for (i = 1; i <= NF; i++) if ($i == "MiB/s" || $i == "GiB/s") { n++; if (n == 2) { v = $(i-1); if ($i == "GiB/s") v *= 1024; print v; exit } } }'
}

core=() head=()
for r in $(seq "$ROUNDS"); do
    c=$(median_mibs "$work/core" "$core_exe"); core+=("$c")
    h=$(median_mibs "$repo" "$head_exe"); head+=("$h")
    lg_log "round $r: core $c MiB/s, current $h MiB/s"
done
cm=$(lg_median "${core[@]}")
hm=$(lg_median "${head[@]}")
echo "machine: $(lg_machine)"
echo "engine at $CORE_COMMIT (first release's rules): ${cm} MiB/s (runs: ${core[*]})"
echo "engine now ($(git -C "$repo" rev-parse --short HEAD), all built-in rules): ${hm} MiB/s (runs: ${head[*]})"
python3 -c "c, h = $cm, $hm; print(f'now / core: {h / c:.3f} ({(h / c - 1) * 100:+.1f}%)')"
