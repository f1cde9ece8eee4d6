#!/usr/bin/env bash
# Compare `leakgate scan` (working tree / plain directory) with peer secret scanners on one tree.
#
# usage: benches/compare-scan.sh [TREE]        (default: ~/.cargo/registry/src)
#
# Every tool scans the same TREE, RUNS times each (round-robin, so drift hits all tools alike),
# after one untimed read of the tree to warm the page cache. Reported per tool: version, median
# wall seconds, peak RSS (max over runs), number of findings, and median wall / leakgate's.
# The markdown table goes to stdout (paste into BENCHMARKS.md); progress goes to stderr.
#
# Environment:
#   RUNS=3            timed runs per tool
#   TOOLS="leakgate gitleaks betterleaks kingfisher ripsecrets grep"
#                     tools and order; detect-secrets is supported but opt-in (it runs at ~0.5 MB/s)
#   LEAKGATE=path     leakgate binary (default target/release/leakgate, built when missing)
#   TIMEOUT=secs      kill a run after this long (default: no limit)
#   KEEP=1            keep the reports of the last run and print where they are
# Peers come from ~/.cache/leakgate-peers/bin (/work/shared/tools/install-peers.sh) or PATH;
# a missing peer is reported as "not installed" and skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

case ${1:-} in
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || lg_die "usage: $0 [TREE]"

tree=${1:-$HOME/.cargo/registry/src}
[ -d "$tree" ] || lg_die "not a directory: $tree"
tree=$(cd "$tree" && pwd -P)
runs=${RUNS:-3}
case $runs in '' | *[!0-9]* | 0) lg_die "RUNS must be a positive integer, not '$runs'" ;; esac
read -r -a tools <<<"${TOOLS:-leakgate gitleaks betterleaks kingfisher ripsecrets grep}"

for t in "${tools[@]}"; do
    case $t in
        leakgate | gitleaks | betterleaks | kingfisher | ripsecrets | grep | detect-secrets) ;;
        *) lg_die "unknown tool '$t' in TOOLS (known: leakgate gitleaks betterleaks kingfisher ripsecrets grep detect-secrets)" ;;
    esac
done

lg_require_time
command -v python3 >/dev/null || lg_die "python3 is required to parse JSON reports"

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-scan.XXXXXX")
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then lg_log "reports kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tool table -------------------------------------------------------------------------------
# tool_cmd TOOL BIN REPORT: sets CMD (argv) and FMT (lg_count format). Tools that write to
# stdout have REPORT="" and their stdout is parsed instead.
tool_cmd() {
    local t=$1 bin=$2 rep=$3
    REPORT=$rep
    case $t in
        leakgate)
            CMD=("$bin" scan "$tree" --format json); FMT=leakgate; REPORT= ;;
        gitleaks)
            CMD=("$bin" dir "$tree" -f json -r "$rep" --no-banner --exit-code 0 -l error); FMT=gitleaks ;;
        betterleaks)
            # 2.x has no `dir` command (`betterleaks dir X` means "scan targets dir and X"): use `fs`.
            # -s: without it the findings are also pretty-printed to stdout.
            CMD=("$bin" fs "$tree" -o "$rep" -s --exit-code 0 -l error); FMT=betterleaks ;;
        kingfisher)
            CMD=("$bin" scan "$tree" --git-history none --no-validate --no-update-check -f json -o "$rep")
            FMT=kingfisher ;;
        ripsecrets)
            CMD=("$bin" "$tree"); FMT=lines; REPORT= ;;
        grep)
            CMD=(env LC_ALL=C "$bin" -rI AKIA "$tree"); FMT=lines; REPORT= ;;
        detect-secrets)
            CMD=("$bin" scan --all-files "$tree"); FMT=detect-secrets; REPORT= ;;
    esac
}

# Exit statuses that mean "scan completed" (findings or not).
ok_status() {
    local t=$1 rc=$2
    case $t:$rc in
        leakgate:0 | leakgate:1 | leakgate:2) return 0 ;; # 2 = error/incomplete: kept, flagged below
        gitleaks:0 | betterleaks:0 | detect-secrets:0) return 0 ;;
        kingfisher:0 | kingfisher:200 | kingfisher:205) return 0 ;; # 200 findings, 205 validated ones
        ripsecrets:0 | ripsecrets:1 | grep:0 | grep:1) return 0 ;;
    esac
    return 1
}

# ---- discover tools ---------------------------------------------------------------------------
declare -A BIN VER STATUS WALLS RSS FOUND
active=()
for t in "${tools[@]}"; do
    case $t in
        leakgate)
            b=$(lg_leakgate_bin) || b=
            if [ -n "$b" ]; then
                lg_log "leakgate: using $b ($(date -r "$b" '+built %Y-%m-%d %H:%M'))"
                b=$(lg_pin_bin "$b" "$work") || b=
            fi
            ;;
        *) b=$(lg_peer "$t") || b= ;;
    esac
    if [ -z "$b" ]; then
        if [ "$t" = leakgate ]; then STATUS[$t]="unavailable (no binary)"; else STATUS[$t]="not installed"; fi
        lg_log "$t: ${STATUS[$t]}, skipped"
        continue
    fi
    BIN[$t]=$b
    VER[$t]=$(lg_tool_version "$t" "$b")
    if [ "$t" = leakgate ] && ! "$b" scan --help >/dev/null 2>&1; then
        STATUS[$t]="unavailable (no scan command)"
        lg_log "leakgate: '$b scan --help' fails, skipped"
        continue
    fi
    STATUS[$t]=ok; WALLS[$t]=""; RSS[$t]=""
    active+=("$t")
    lg_log "$t: $b (${VER[$t]})"
done

read -r nfiles nbytes <<<"$(lg_tree_stats "$tree")"
mb=$(awk -v b="$nbytes" 'BEGIN { printf "%.1f", b / 1048576 }')
lg_log "tree: $tree: $mb MB in $nfiles files; $runs run(s) per tool"
[ "$nfiles" -gt 0 ] || lg_warn "the tree has no regular files"

# ---- warm up ----------------------------------------------------------------------------------
load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
lg_log "warming the page cache (one untimed read of every file) ..."
lg_warm_cache "$tree"
if [ -n "${BIN[kingfisher]:-}" ]; then
    # Kingfisher compiles its Vectorscan rule database on first use and caches it under
    # ~/.cache/kingfisher/rule-cache; prime it so that runs measure scanning, not compilation.
    mkdir -p "$work/empty"
    (cd "$work" && "${BIN[kingfisher]}" scan "$work/empty" --git-history none --no-validate \
        --no-update-check -f json -o "$work/kf-prime.json" >/dev/null 2>&1) || true
fi

# ---- timed runs -------------------------------------------------------------------------------
cd "$work" # no tool may pick up a config or ignore file from the caller's directory
for ((i = 1; i <= runs; i++)); do
    for t in "${active[@]}"; do
        [ "${STATUS[$t]}" = ok ] || continue
        tool_cmd "$t" "${BIN[$t]}" "$work/$t.json"
        rm -f "$work/$t.json"
        read -r wall rss rc <<<"$(lg_time "$work/$t.out" "$work/$t.err" "${CMD[@]}")"
        if ! ok_status "$t" "$rc"; then
            STATUS[$t]="failed (exit $rc)"
            if [ "${TIMEOUT:-0}" != 0 ] && { [ "$rc" = 124 ] || [ "$rc" = 137 ]; }; then
                STATUS[$t]="timed out (> ${TIMEOUT}s)"
            fi
            lg_warn "$t run $i exited $rc; stderr tail:"
            tail -n 5 "$work/$t.err" | sed 's/^/    /' >&2
            continue
        fi
        if [ "$t" = leakgate ] && [ "$rc" = 2 ]; then
            lg_warn "leakgate exited 2 (error or incomplete scan); stderr tail:"
            tail -n 3 "$work/$t.err" | sed 's/^/    /' >&2
        fi
        if ! n=$(lg_count "$FMT" "${REPORT:-$work/$t.out}"); then
            STATUS[$t]="failed (unreadable report)"
            continue
        fi
        if [ -n "${FOUND[$t]:-}" ] && [ "${FOUND[$t]}" != "$n" ]; then
            lg_warn "$t: findings differ between runs (${FOUND[$t]} vs $n)"
        fi
        FOUND[$t]=$n
        WALLS[$t]+=" $wall"; RSS[$t]+=" $rss"
        lg_log "run $i/$runs  $(printf '%-14s' "$t") ${wall}s  $(lg_kb_to_mb "$rss") MB  $n findings"
    done
done

# ---- report -----------------------------------------------------------------------------------
declare -A MED
for t in "${active[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    # shellcheck disable=SC2086 # word splitting of the space-separated samples is intended
    MED[$t]=$(lg_median ${WALLS[$t]})
done
lg_med=${MED[leakgate]:-}

echo
echo "Tree: \`$tree\`: $mb MB in $nfiles files. Median of $runs run(s), warm page cache."
echo "Machine: $(lg_machine). Load average before the runs: $load0."
echo
echo "| tool | version | median wall s | peak RSS MB | findings | x leakgate |"
echo "|---|---|---:|---:|---:|---:|"
for t in "${tools[@]}"; do
    name=$t; [ "$t" = grep ] && name="grep -rI AKIA (floor)"
    if [ "${STATUS[$t]}" = ok ]; then
        # shellcheck disable=SC2086
        peak=$(lg_max ${RSS[$t]})
        printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "${VER[$t]}" "${MED[$t]}" \
            "$(lg_kb_to_mb "$peak")" "${FOUND[$t]}" "$(lg_ratio "${MED[$t]}" "$lg_med")"
    else
        printf '| %s | %s | %s | - | - | - |\n' "$name" "${VER[$t]:--}" "${STATUS[$t]}"
    fi
done
echo
echo "Commands (TREE = the tree above; each run from an empty temp dir):"
echo
for t in "${tools[@]}"; do
    [ -n "${BIN[$t]:-}" ] || continue
    tool_cmd "$t" "$(basename "${BIN[$t]}")" OUT.json
    line="${CMD[*]}"
    printf -- "- \`%s\`\n" "${line//"$tree"/TREE}"
done
if [ "${STATUS[leakgate]:-}" = ok ]; then
    python3 - "$work/leakgate.out" <<'PY' || true
import json, sys
s = json.load(open(sys.argv[1])).get("summary", {})
skip = ", ".join(f"{k} {v}" for k, v in s.get("skipped_by_reason", {}).items() if v) or "none"
print(f"\nleakgate's own summary: {s.get('files_scanned', '?')} files, "
      f"{s.get('bytes_scanned', 0) / 1048576:.1f} MB scanned; skipped {s.get('skipped', '?')} ({skip}); "
      f"errors {s.get('errors', '?')}; {s.get('rules', '?')} rule(s).")
PY
fi
echo
echo "Findings are raw counts: rule sets, deduplication and file selection differ between tools."
if [ -n "${BIN[kingfisher]:-}" ]; then
    echo
    echo "Kingfisher's compiled rule cache was primed before timing (a cold first run adds a few seconds)."
fi
[ -n "$lg_med" ] || echo "leakgate has no timing (${STATUS[leakgate]:-not in TOOLS}): the x leakgate column is n/a."
