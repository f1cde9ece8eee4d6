#!/usr/bin/env bash
# Compare `leakgate history` (every object of a repository) with peer scanners' git-history modes.
#
# usage: benches/compare-history.sh [REPO] [MANIFEST]
#
#   REPO      git repository to scan (default: ${BENCH_DIR:-~/.cache/leakgate-bench}/history-repo,
#             generated with benches/gen-history-repo.py when missing)
#   MANIFEST  planted-secrets manifest of gen-history-repo.py (default: REPO/../<name>.planted.jsonl;
#             without one, the "planted found" column is n/a)
#
# Every tool scans the whole history of REPO (all refs), RUNS times (round-robin, so drift hits all
# tools alike), after one untimed read of the repository to warm the page cache. The floor is
# `git cat-file --batch-all-objects --batch`: git inflating every object once, on one thread.
# Reported per tool: version, median wall seconds, peak RSS (max over runs), planted secrets found
# (the secret, or for private keys a distinctive line fragment, appears in a reported secret
# field), total findings, and median wall / leakgate's. A markdown table goes to stdout (paste into
# BENCHMARKS.md) with the repository stats, the exact commands and the planted secrets each tool
# missed; progress goes to stderr.
#
# Environment:
#   RUNS=3            timed runs per tool
#   TOOLS="leakgate gitleaks betterleaks kingfisher git"
#                     tools and order (git = the cat-file floor)
#   LEAKGATE=path     leakgate binary (default target/release/leakgate, built when missing)
#   BENCH_DIR=dir     where the default repository lives (default ~/.cache/leakgate-bench)
#   GEN_ARGS="..."    extra arguments for gen-history-repo.py when it generates the default
#                     repository (default: none, i.e. --commits 5000 --mb 300 --seed 1)
#   TIMEOUT=secs      kill a run after this long (default: no limit)
#   KEEP=1            keep the reports of the last run and print where they are
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

case ${1:-} in
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 2 ] || lg_die "usage: $0 [REPO] [MANIFEST]"

runs=${RUNS:-3}
case $runs in '' | *[!0-9]* | 0) lg_die "RUNS must be a positive integer, not '$runs'" ;; esac
read -r -a tools <<<"${TOOLS:-leakgate gitleaks betterleaks kingfisher git}"
for t in "${tools[@]}"; do
    case $t in
        leakgate | gitleaks | betterleaks | kingfisher | git) ;;
        *) lg_die "unknown tool '$t' in TOOLS (known: leakgate gitleaks betterleaks kingfisher git)" ;;
    esac
done
lg_require_time
command -v python3 >/dev/null || lg_die "python3 is required (generator, JSON reports)"
command -v git >/dev/null || lg_die "git is required"

# ---- repository and manifest ----------------------------------------------------------------
if [ $# -ge 1 ]; then
    repo=$1
    [ -d "$repo" ] || lg_die "not a directory: $repo"
else
    repo=${BENCH_DIR:-$HOME/.cache/leakgate-bench}/history-repo
    if [ ! -d "$repo" ]; then
        lg_log "generating $repo (benches/gen-history-repo.py ${GEN_ARGS:-}) ..."
        # shellcheck disable=SC2086 # GEN_ARGS is a list of arguments
        python3 "$here/gen-history-repo.py" "$repo" ${GEN_ARGS:-} >&2 || lg_die "generation failed"
    fi
fi
repo=$(cd "$repo" && pwd -P)
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || lg_die "not a git repository: $repo"
manifest=${2:-$(dirname "$repo")/$(basename "$repo").planted.jsonl}
if [ -f "$manifest" ]; then
    manifest=$(cd "$(dirname "$manifest")" && pwd -P)/$(basename "$manifest")
else
    [ $# -lt 2 ] || lg_die "no manifest at $manifest"
    lg_warn "no manifest at $manifest: planted secrets are not checked"
    manifest=
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-history.XXXXXX")
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then lg_log "reports kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tool table -------------------------------------------------------------------------------
# tool_cmd TOOL BIN REPORT: sets CMD (argv), FMT (lg_count format, "" = no report) and REPORT
# (file the tool writes; "" = its stdout, which lg_time saves to $work/TOOL.out).
tool_cmd() {
    local t=$1 bin=$2 rep=$3
    REPORT=$rep
    case $t in
        leakgate)
            CMD=("$bin" history "$repo" --format json --show-secrets); FMT=leakgate; REPORT= ;;
        gitleaks)
            CMD=("$bin" git "$repo" --log-opts=--all -f json -r "$rep" --no-banner --exit-code 0 -l error)
            FMT=gitleaks ;;
        betterleaks)
            # -s: without it the findings are also pretty-printed to stdout.
            CMD=("$bin" git "$repo" --log-opts=--all -o "$rep" -s --exit-code 0 -l error); FMT=betterleaks ;;
        kingfisher)
            # Scans the full history of all refs by default (--git-history full).
            CMD=("$bin" scan "$repo" --no-validate --no-update-check -f json -o "$rep"); FMT=kingfisher ;;
        git)
            CMD=("$bin" -C "$repo" cat-file --batch-all-objects --batch); FMT=; REPORT= ;;
    esac
}

# Exit statuses that mean "scan completed" (findings or not).
ok_status() {
    case $1:$2 in
        leakgate:0 | leakgate:1 | leakgate:2) return 0 ;; # 2 = error/incomplete: kept, flagged below
        gitleaks:0 | betterleaks:0 | git:0) return 0 ;;
        kingfisher:0 | kingfisher:200 | kingfisher:205) return 0 ;; # 200 findings, 205 validated ones
    esac
    return 1
}

# planted_eval TOOL REPORT: "FOUND TOTAL" on the first line, then one "id kind where path" line per
# missed planted secret. A planted secret is found when its match string (the secret; for private
# keys a 48-character fragment of the key body) occurs in a secret field of one of the tool's
# findings. When a report is redacted (no clear-text secrets), path + commit is used instead.
planted_eval() {
    python3 - "$1" "$2" "$manifest" <<'PY'
import json, sys
tool, report, manifest = sys.argv[1:4]
planted = [json.loads(l) for l in open(manifest, encoding="utf-8") if l.strip()][1:]
d = json.load(open(report, encoding="utf-8"))
vals, locs = [], set()  # clear-text secret fields; (path, commit) of each finding
if tool == "leakgate":
    for f in d["findings"]:
        vals.append(f.get("secret") or "")
        locs.add((f.get("path") or "", (f.get("commit") or {}).get("id") or ""))
elif tool == "gitleaks":
    for f in d if isinstance(d, list) else d["findings"]:
        vals += [f.get("Secret") or "", f.get("Match") or ""]
        locs.add((f.get("File") or "", f.get("Commit") or ""))
elif tool == "betterleaks":
    for f in d["findings"]:
        m = f.get("match") or {}
        vals += [m.get("full") or "", m.get("value") or ""]
        locs.add(((f.get("location") or {}).get("path") or "", (f.get("attributes") or {}).get("git.sha") or ""))
elif tool == "kingfisher":
    for f in d["findings"]:
        g = f.get("finding") or {}
        vals.append(g.get("snippet") or "")
        locs.add((g.get("path") or "", ((g.get("git_metadata") or {}).get("commit") or {}).get("id") or ""))
text = "\0".join(vals)
redacted = bool(vals) and not any(p["match"] in text for p in planted) and any(
    m in text for m in ("REDACTED", "\u2026", "*****"))  # leakgate redacts as "ghp_\u2026WC"
found, missed = 0, []
for p in planted:
    hit = p["match"] in text or (redacted and (p["path"] or "", p["commit"] or "") in locs)
    found += hit
    if not hit:
        missed.append(p)
print(found, len(planted), "redacted" if redacted else "")
for p in missed:
    print(p["id"], p["kind"], p["where"], p.get("placement", ""), p["path"] or "(commit message)", p.get("ref", ""))
PY
}

# ---- discover tools ---------------------------------------------------------------------------
declare -A BIN VER STATUS WALLS RSS FOUND PLANTED MISSED
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
        git) b=$(command -v git) ;;
        *) b=$(lg_peer "$t") || b= ;;
    esac
    if [ -z "$b" ]; then
        if [ "$t" = leakgate ]; then STATUS[$t]="unavailable (no binary)"; else STATUS[$t]="not installed"; fi
        lg_log "$t: ${STATUS[$t]}, skipped"
        continue
    fi
    BIN[$t]=$b
    VER[$t]=$(lg_tool_version "$t" "$b")
    if [ "$t" = leakgate ] && ! "$b" history --help >/dev/null 2>&1; then
        STATUS[$t]="unavailable (no history command)"
        lg_log "leakgate: '$b history --help' fails, skipped"
        continue
    fi
    STATUS[$t]=ok; WALLS[$t]=""; RSS[$t]=""
    active+=("$t")
    lg_log "$t: $b (${VER[$t]})"
done

# ---- repository stats -------------------------------------------------------------------------
lg_log "repository stats ..."
ncommits=$(git -C "$repo" rev-list --all --count)
blob_mb=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
    awk '$1 == "blob" { n++; s += $2 } END { printf "%.1f MB in %d blobs", s / 1048576, n }')
pack_mb=$(find "$repo" -path '*/objects/pack/*.pack' -printf '%s\n' |
    awk '{ s += $1 } END { printf "%.1f", s / 1048576 }')
nloose=$(git -C "$repo" count-objects | awk '{ print $1 }')
nbranches=$(git -C "$repo" for-each-ref refs/heads --format=x | wc -l)
ntags=$(git -C "$repo" for-each-ref refs/tags --format=x | wc -l)
nplanted=0
[ -z "$manifest" ] || nplanted=$(($(wc -l <"$manifest") - 1))
lg_log "repo: $repo: $ncommits commits, $blob_mb, pack $pack_mb MB; $runs run(s) per tool"

# ---- warm up ----------------------------------------------------------------------------------
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
lg_log "warming the page cache (one untimed read of the repository) ..."
lg_warm_cache "$repo"
if [ -n "${BIN[kingfisher]:-}" ]; then
    # Kingfisher compiles its Vectorscan rule database on first use and caches it under
    # ~/.cache/kingfisher/rule-cache; prime it so that runs measure scanning, not compilation.
    mkdir -p "$work/empty"
    (cd "$work" && "${BIN[kingfisher]}" scan "$work/empty" --git-history none --no-validate \
        --no-update-check -f json -o "$work/kf-prime.json" >/dev/null 2>&1) || true
fi

# ---- timed runs -------------------------------------------------------------------------------
cd "$work" # no tool may pick up a config or ignore file from the caller's directory
t_start=$(lg_now)
for ((i = 1; i <= runs; i++)); do
    for t in "${active[@]}"; do
        [ "${STATUS[$t]}" = ok ] || continue
        tool_cmd "$t" "${BIN[$t]}" "$work/$t.json"
        rm -f "$work/$t.json"
        out=$work/$t.out
        [ "$t" = git ] && out=/dev/null
        read -r wall rss rc <<<"$(lg_time "$out" "$work/$t.err" "${CMD[@]}")"
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
        n=-
        if [ -n "$FMT" ]; then
            if ! n=$(lg_count "$FMT" "${REPORT:-$work/$t.out}"); then
                STATUS[$t]="failed (unreadable report)"
                continue
            fi
            if [ -n "${FOUND[$t]:-}" ] && [ "${FOUND[$t]}" != "$n" ]; then
                lg_warn "$t: findings differ between runs (${FOUND[$t]} vs $n)"
            fi
            if [ -n "$manifest" ]; then
                planted_eval "$t" "${REPORT:-$work/$t.out}" >"$work/$t.planted"
                read -r pf pt _ <"$work/$t.planted"
                PLANTED[$t]="$pf/$pt"
                MISSED[$t]=$(tail -n +2 "$work/$t.planted")
            fi
        fi
        FOUND[$t]=$n
        WALLS[$t]+=" $wall"; RSS[$t]+=" $rss"
        lg_log "run $i/$runs  $(printf '%-12s' "$t") ${wall}s  $(lg_kb_to_mb "$rss") MB  $n findings  planted ${PLANTED[$t]:--}"
    done
done
t_end=$(lg_now)
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# ---- report -----------------------------------------------------------------------------------
declare -A MED
for t in "${active[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    # shellcheck disable=SC2086 # word splitting of the space-separated samples is intended
    MED[$t]=$(lg_median ${WALLS[$t]})
done
lg_med=${MED[leakgate]:-}

echo
echo "Repository: \`$repo\`: $ncommits commits (all refs: $nbranches branches, $ntags tags), blob content $blob_mb, pack $pack_mb MB ($nloose loose objects); $nplanted planted secrets."
echo "Median of $runs run(s), warm page cache. Machine: $(lg_machine)."
echo "Load average (1/5/15 min) before the runs: $load0; after: $load1 (the timed part took $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.0f", b - a }') s)."
echo
echo "| tool | version | median wall s | peak RSS MB | planted found | findings | x leakgate |"
echo "|---|---|---:|---:|---:|---:|---:|"
for t in "${tools[@]}"; do
    name=$t; [ "$t" = git ] && name="git cat-file --batch-all-objects (floor)"
    if [ "${STATUS[$t]}" = ok ]; then
        # shellcheck disable=SC2086
        peak=$(lg_max ${RSS[$t]})
        planted=${PLANTED[$t]:-n/a}
        [ "$t" = git ] && planted=-
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${VER[$t]}" "${MED[$t]}" \
            "$(lg_kb_to_mb "$peak")" "$planted" "${FOUND[$t]}" "$(lg_ratio "${MED[$t]}" "$lg_med")"
    else
        printf '| %s | %s | %s | - | - | - | - |\n' "$name" "${VER[$t]:--}" "${STATUS[$t]}"
    fi
done
echo
echo "Commands (REPO = the repository above; each run from an empty temp dir):"
echo
for t in "${tools[@]}"; do
    [ -n "${BIN[$t]:-}" ] || continue
    tool_cmd "$t" "$(basename "${BIN[$t]}")" OUT.json
    line="${CMD[*]}"
    [ "$t" = git ] && line+=" > /dev/null"
    printf -- "- \`%s\`\n" "${line//"$repo"/REPO}"
done
if [ -n "$manifest" ]; then
    echo
    echo "Planted secrets missed (id kind where placement path ref):"
    echo
    for t in "${tools[@]}"; do
        if [ "${STATUS[$t]}" != ok ] || [ "$t" = git ]; then continue; fi
        if [ -z "${MISSED[$t]:-}" ]; then
            echo "- $t: none"
        else
            echo "- $t: $(printf '%s\n' "${MISSED[$t]}" | wc -l) missed"
            printf '%s\n' "${MISSED[$t]}" | sed 's/^/    - /'
        fi
    done
fi
if [ "${STATUS[leakgate]:-}" = ok ]; then
    python3 - "$work/leakgate.out" <<'PY' || true
import json, sys
s = json.load(open(sys.argv[1])).get("summary", {})
mb = s.get("bytes_scanned", 0) / 1048576
print(f"\nleakgate's own summary: {s.get('commits', '?')} commits, {s.get('objects_scanned', '?')} objects, "
      f"{s.get('files_scanned', '?')} blobs / {mb:.1f} MB scanned; skipped {s.get('skipped', '?')}; "
      f"errors {s.get('errors', '?')}; incomplete {s.get('incomplete', '?')}; {s.get('rules', '?')} rule(s); "
      f"findings by exposure {s.get('by_exposure', {})}.")
PY
fi
echo
echo "Findings are raw counts: rule sets and deduplication differ (gitleaks and betterleaks report a"
echo "finding per commit whose diff adds a secret; kingfisher deduplicates equal secrets by default)."
echo "gitleaks and betterleaks read \`git log -p\`: added lines of non-merge commits (a merge's own"
echo "content needs --diff-merges=first-parent in --log-opts) and no commit messages (betterleaks has"
echo "--include=commit-messages, gitleaks nothing); kingfisher reads blobs but not commit messages."
if [ -n "${BIN[kingfisher]:-}" ]; then
    echo "Kingfisher's compiled rule cache was primed before timing (a cold first run adds a few seconds)."
fi
[ -n "$lg_med" ] || echo "leakgate has no timing (${STATUS[leakgate]:-not in TOOLS}): the x leakgate column is n/a."
