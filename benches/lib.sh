# shellcheck shell=bash
# Shared helpers for the peer comparison scripts (compare-scan.sh, compare-history.sh,
# compare-staged.sh). Source it; it defines functions and a few LG_* variables, runs nothing,
# and does not change shell options of the caller.
#
#   . "$(dirname "$0")/lib.sh"
#
# Functions (all messages go to stderr, results to stdout):
#   lg_log / lg_warn / lg_die MSG...      progress and errors
#   lg_require_time                       make sure GNU /usr/bin/time exists (apt-get install time)
#   lg_time OUT ERR CMD [ARG...]          run CMD once, stdout>OUT, stderr>ERR; prints "WALL_S RSS_KB RC"
#   lg_ptime OUT ERR CMD [ARG...]         for millisecond-scale commands: prints "WALL_S CPU_S RC", wall
#                                         time from a monotonic clock around spawn + wait (microseconds,
#                                         no time(1) in between), CPU = user+sys; no RSS (use lg_time)
#   lg_median N...                        median of numbers (mean of the middle two for even counts)
#   lg_percentile P N...                  P-th percentile (nearest rank) of numbers, e.g. 90
#   lg_max N...                           maximum of numbers
#   lg_ratio A B                          A/B as "4.20x", or "n/a"
#   lg_kb_to_mb KB                        "123.4"
#   lg_peer NAME                          path of a peer tool ($NAME_UPPER env, peers bin dir, PATH)
#   lg_leakgate_bin                       path of the leakgate binary ($LEAKGATE, else target/release,
#                                         built with cargo build --release when missing)
#   lg_pin_bin BIN DIR                    copy BIN into DIR (a rebuild cannot swap it mid-benchmark)
#   lg_tool_version NAME BIN              version string of a tool, "?" when unknown
#   lg_count FORMAT FILE                  number of findings in a report (see lg_count for formats)
#   lg_tree_stats DIR                     "FILES BYTES" (regular files, apparent size, no symlinks)
#   lg_warm_cache DIR                     read every file once (page cache), untimed
#   lg_machine                            one line: CPU model, cores, RAM, kernel
#
# Environment:
#   LEAKGATE            leakgate binary to use (default: $LG_ROOT/target/release/leakgate)
#   LEAKGATE_BUILD=0    never run cargo build
#   PEERS_DIR           peer install dir of /work/shared/tools/install-peers.sh
#                       (default ~/.cache/leakgate-peers); its bin/ is put first on PATH
#   GITLEAKS, BETTERLEAKS, KINGFISHER, RIPSECRETS, DETECT_SECRETS, GREP: override one peer's path
#   TIMEOUT             per-run timeout in seconds for lg_time (default 0 = none)

if [ -n "${LG_LIB_LOADED:-}" ]; then return 0; fi
LG_LIB_LOADED=1

LG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LG_PEERS_BIN=${PEERS_DIR:-$HOME/.cache/leakgate-peers}/bin
case ":$PATH:" in
    *":$LG_PEERS_BIN:"*) ;;
    *) PATH="$LG_PEERS_BIN:$PATH"; export PATH ;;
esac
LG_TIME_BIN=/usr/bin/time

lg_log() { printf '%s\n' "$*" >&2; }
lg_warn() { printf 'warning: %s\n' "$*" >&2; }
lg_die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# GNU time is needed for peak RSS (%M). Install it on Debian/Ubuntu when absent.
lg_require_time() {
    if [ -x "$LG_TIME_BIN" ] && "$LG_TIME_BIN" -f '%e %M' -o /dev/null true 2>/dev/null; then
        return 0
    fi
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        lg_log "installing GNU time (apt-get install -y time) ..."
        apt-get install -y time >/dev/null 2>&1 ||
            { apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null 2>&1; } ||
            true
    fi
    [ -x "$LG_TIME_BIN" ] || lg_die "GNU time ($LG_TIME_BIN) is required: apt-get install -y time"
}

# Wall clock in seconds with microseconds (bash 5 EPOCHREALTIME, else date +%s.%N).
lg_now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        printf '%s\n' "${EPOCHREALTIME/,/.}"
    else
        date +%s.%N
    fi
}

# lg_time OUT ERR CMD [ARG...]
# Runs CMD once with stdout to OUT and stderr to ERR under GNU time. Prints "WALL_S RSS_KB RC":
# wall seconds (3 decimals, measured around the time process because %e only has 10 ms
# resolution), peak resident set in KiB (%M, the largest of CMD and its waited-for children)
# and CMD's exit status. A non-zero status is not an error of lg_time.
lg_time() {
    local out=$1 err=$2 tf t0 t1 rc=0 rss
    shift 2
    tf=$(mktemp "${TMPDIR:-/tmp}/lg-time.XXXXXX")
    t0=$(lg_now)
    if [ "${TIMEOUT:-0}" != 0 ]; then
        "$LG_TIME_BIN" -o "$tf" -f '%e %M' timeout --kill-after=10 "$TIMEOUT" "$@" >"$out" 2>"$err" || rc=$?
    else
        "$LG_TIME_BIN" -o "$tf" -f '%e %M' "$@" >"$out" 2>"$err" || rc=$?
    fi
    t1=$(lg_now)
    # GNU time prepends "Command exited with non-zero status N" / "Command terminated by signal N".
    rss=$(tail -n 1 "$tf" | awk 'NF == 2 && $2 ~ /^[0-9]+$/ { print $2 }')
    rm -f "$tf"
    awk -v a="$t0" -v b="$t1" -v r="${rss:-0}" -v c="$rc" 'BEGIN { printf "%.3f %s %s\n", b - a, r, c }'
}

# lg_ptime OUT ERR CMD [ARG...]
# Wall time of commands that take milliseconds. Prints "WALL_S CPU_S RC": a python3 helper (its
# start-up is outside the measured interval) reads a monotonic clock immediately before
# posix_spawn and after wait4 returns, so the wall time (six decimals) carries no time(1) or shell
# overhead; CPU_S is the user+sys time of CMD and its waited-for children (wait4's rusage), which
# a busy machine inflates less than the wall time.
# No RSS: a spawned child's ru_maxrss includes the pre-exec memory of the process that spawned it
# (here the python helper, ~10+ MB), so measure memory in a separate run with lg_time (GNU time
# forks from a ~2 MB process). OUT/ERR and TIMEOUT as for lg_time; CMD's stdin is /dev/null and
# CMD is looked up in PATH. A timeout kills CMD (SIGKILL) and reports status 124 (as timeout(1));
# a CMD that cannot be started reports 127.
lg_ptime() {
    local out=$1 err=$2
    shift 2
    python3 -c '
import os, signal, sys, time
out, err, limit, argv = sys.argv[1], sys.argv[2], float(sys.argv[3] or 0), sys.argv[4:]
W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
acts = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out, W, 0o644), (os.POSIX_SPAWN_OPEN, 2, err, W, 0o644)]
killed = []
def on_alarm(*_):
    killed.append(1)
    os.kill(pid, signal.SIGKILL)
try:
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=acts)
except OSError as e:
    print(f"{argv[0]}: {e}", file=open(err, "a"))
    print("0.000000 0.000000 127")
    sys.exit(0)
if limit > 0:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
_, status, ru = os.wait4(pid, 0)
t1 = time.perf_counter()
signal.setitimer(signal.ITIMER_REAL, 0)
rc = os.waitstatus_to_exitcode(status)
rc = 124 if killed else (128 - rc if rc < 0 else rc)
print(f"{t1 - t0:.6f} {ru.ru_utime + ru.ru_stime:.6f} {rc}")
' "$out" "$err" "${TIMEOUT:-0}" "$@"
}

lg_median() {
    [ $# -gt 0 ] || { echo nan; return 0; }
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# lg_percentile P N...: the P-th percentile (0 < P <= 100) by nearest rank: the smallest sample
# with at least P% of the samples at or below it (lg_percentile 90 over 25 runs is the 23rd).
lg_percentile() {
    local p=$1
    shift
    [ $# -gt 0 ] || { echo nan; return 0; }
    printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 }
        END { r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; printf "%.3f\n", v[r] }'
}

lg_max() {
    [ $# -gt 0 ] || { echo nan; return 0; }
    printf '%s\n' "$@" | sort -g | tail -n 1
}

# lg_ratio A B -> "A/B" formatted "4.20x"; "n/a" when B is missing or zero.
lg_ratio() {
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
        if (a == "" || b == "" || a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a"
        else printf "%.2fx\n", a / b }'
}

lg_kb_to_mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f\n", k / 1024 }'; }

# lg_peer NAME: path of an executable peer tool, or return 1. Order: $NAME_UPPER (e.g. GITLEAKS,
# DETECT_SECRETS), then PATH (whose front is the pinned peers dir $LG_PEERS_BIN).
lg_peer() {
    local name=$1 var p
    var=$(printf '%s' "$name" | tr '[:lower:]-' '[:upper:]_')
    p=${!var:-}
    if [ -n "$p" ]; then
        [ -x "$p" ] && { echo "$p"; return 0; }
        lg_warn "$var=$p is not executable"
        return 1
    fi
    p=$(command -v "$name" 2>/dev/null) || return 1
    [ -x "$p" ] || return 1
    echo "$p"
}

# lg_leakgate_bin: $LEAKGATE, else $CARGO_TARGET_DIR|$LG_ROOT/target/release/leakgate; runs
# `cargo build --release` when that is missing (unless LEAKGATE_BUILD=0). Returns 1 when no
# binary can be had (a build failure, e.g. others' work in progress, is reported, not fatal).
lg_leakgate_bin() {
    local bin
    if [ -n "${LEAKGATE:-}" ]; then
        [ -x "$LEAKGATE" ] && { echo "$LEAKGATE"; return 0; }
        lg_warn "LEAKGATE=$LEAKGATE is not an executable"
        return 1
    fi
    bin=${CARGO_TARGET_DIR:-$LG_ROOT/target}/release/leakgate
    if [ ! -x "$bin" ] && [ "${LEAKGATE_BUILD:-1}" != 0 ]; then
        lg_log "building leakgate: cargo build --release (in $LG_ROOT) ..."
        if ! (cd "$LG_ROOT" && cargo build --release --quiet >&2); then
            lg_warn "cargo build --release failed (work in progress?); leakgate is skipped, retry later"
            return 1
        fi
    fi
    [ -x "$bin" ] || { lg_warn "no leakgate binary at $bin"; return 1; }
    echo "$bin"
}

# lg_pin_bin BIN DIR: copy BIN into DIR and print the copy's path, so that a concurrent
# `cargo build` replacing target/release/leakgate cannot change the binary between runs.
lg_pin_bin() {
    local dst
    dst=$2/$(basename "$1")
    cp "$1" "$dst" && chmod +x "$dst" && echo "$dst"
}

# lg_tool_version NAME BIN: the first version-looking word of the tool's version output.
lg_tool_version() {
    local name=$1 bin=$2 out v
    case $name in
        gitleaks) out=$("$bin" version 2>&1 || true) ;;
        *) out=$("$bin" --version 2>&1 || true) ;;
    esac
    v=$(printf '%s\n' "$out" | head -n 1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.]+)?' | head -n 1 || true)
    echo "${v:-?}"
}

# lg_count FORMAT FILE: number of findings. Formats:
#   leakgate     leakgate --format json          {"findings": [...]}
#   leakgate-jsonl  leakgate --format jsonl      one finding per line + final summary object
#   gitleaks     gitleaks -f json                [...]
#   betterleaks  betterleaks -o X.json           {"findings": [...], "scan": {...}}
#   kingfisher   kingfisher -f json              {"findings": [...], ...}
#   detect-secrets  detect-secrets scan          {"results": {"file": [...]}}
#   lines        one finding per output line (ripsecrets, grep)
# Prints the count; returns 1 (with a message) when FILE is not a report of that format.
lg_count() {
    local fmt=$1 file=$2
    [ -f "$file" ] || { lg_warn "$fmt: no report at $file"; return 1; }
    if [ "$fmt" = lines ]; then
        wc -l <"$file" | tr -d ' '
        return 0
    fi
    python3 - "$fmt" "$file" <<'PY'
import json, sys
fmt, path = sys.argv[1], sys.argv[2]
try:
    if fmt == "leakgate-jsonl":
        n = 0
        for line in open(path, encoding="utf-8"):
            if line.strip():
                o = json.loads(line)
                n += "rule_id" in o
        print(n); sys.exit(0)
    d = json.load(open(path, encoding="utf-8"))
    if fmt == "gitleaks":
        n = len(d) if isinstance(d, list) else len(d["findings"])
    elif fmt in ("leakgate", "betterleaks", "kingfisher"):
        n = len(d["findings"])
    elif fmt == "detect-secrets":
        n = sum(len(v) for v in d["results"].values())
    else:
        sys.exit(f"lg_count: unknown format {fmt}")
    print(n)
except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
    sys.exit(f"warning: {fmt}: {path} is not a {fmt} JSON report ({type(e).__name__}: {e})")
PY
}

# lg_tree_stats DIR -> "FILES BYTES" over regular files (symlinks not followed).
lg_tree_stats() {
    find "$1" -type f -printf '%s\n' 2>/dev/null | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}

# lg_warm_cache DIR: read every regular file once so that every timed run sees a warm page cache.
lg_warm_cache() {
    find "$1" -type f -exec cat -- {} + >/dev/null 2>&1 || true
}

lg_machine() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
    printf '%s, %s CPUs, %s RAM, %s %s\n' "${cpu:-unknown CPU}" "$(nproc 2>/dev/null || echo '?')" \
        "${mem:-? }" "$(uname -s)" "$(uname -r)"
}
