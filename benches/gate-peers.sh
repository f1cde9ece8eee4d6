#!/usr/bin/env bash
# The gates hold, measured against the peers: for each way past a pre-commit, pre-push or CI
# secret gate (issue "The gates hold"), build the situation with the git CLI in a temporary
# directory, with a fake Hugging Face token generated at run time (hf_ + 34 random ASCII letters:
# leakgate, gitleaks, betterleaks and kingfisher all have a rule for it), and run leakgate and
# every peer in its own gate mode. Prints a markdown matrix (rows x tools: caught / warned /
# missed / n/a), then one row per scenario and tool with the exact command and exit status.
#
# usage: benches/gate-peers.sh
#
# Modes:
#   pre-commit  leakgate staged | gitleaks git --pre-commit --staged | betterleaks git --staged |
#               kingfisher scan . --staged
#   range       leakgate ci --base B --head H | gitleaks/betterleaks git --log-opts=B..H |
#               kingfisher scan . --since-commit B --branch H
#   pre-push    leakgate hook run pre-push REMOTE URL, fed the lines git itself gave a pre-push
#               hook (captured from a real `git push` by a hook that then refuses the push). The
#               peers have no pre-push mode: run by the pre-commit framework's pre-push stage they
#               scan a range from the destination remote's refs to the pushed ref, which is what
#               is run here (B = origin/main).
#   CI push     leakgate ci with a GitHub push event (GITHUB_EVENT_PATH); peers: their range mode,
#               or for a new branch a scan of the whole branch (git log of the branch).
#   git commit  a real `git commit` with the tool's pre-commit hook installed (leakgate hook
#               install; peers: a hook running their pre-commit mode): caught = refused.
# Verdicts: caught = the tool reports this scenario's token (exit status = its findings status
# and the token in its report); warned = not blocking, but the output names the suppressed
# finding; missed; n/a = the tool has no such mode; error (exit N) = the run failed.
# Positive controls (C rows) show that each tool finds the plain token in each mode, so a
# "missed" is a miss of the gate, not of the rule; row C4 runs the exact text shapes of
# scenarios 5 and 6 (tag message, branch name, author, commit message) through each file scanner.
#
# Scenarios: 1 a pull request adds a key with its own allowlist (.leakgate.toml, .gitleaks.toml);
# 2 an inline allow marker (each tool's own: leakgate:allow, gitleaks:allow, kingfisher:ignore);
# 3 pre-push of a new branch while another remote's stale ref (alice/fix) points at it; 4 the
# first push of a repository (CI clone: origin/HEAD -> the pushed branch, before = 0000...); 5 a
# key in an annotated tag message (git push --follow-tags), in a branch name, in the author name;
# 6 a key in `git commit -m` (commit-msg stage), then that commit's push range; 7 core.hooksPath
# set after the hooks were installed (husky); 8 a merge that takes back a removed secret; 9 a
# superproject push whose submodule commit holds a key.
#
# Everything runs offline in a fresh temporary directory (removed at exit unless KEEP=1), with
# git's global and system configuration ignored. The peers come from
# /work/shared/tools/install-peers.sh (PATH: ~/.cache/leakgate-peers/bin, see lib.sh).
#
# Environment:
#   LEAKGATE=path   leakgate binary (default target/release/leakgate, built when missing unless
#                   LEAKGATE_BUILD=0); a copy is pinned in the work directory for the whole run
#   TOOLS="leakgate gitleaks betterleaks kingfisher"   tools and column order
#   KEEP=1          keep the work directory (repositories, reports, outputs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

case ${1:-} in
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -eq 0 ] || lg_die "usage: $0 (no arguments; see --help)"

command -v git >/dev/null || lg_die "git is required"
command -v python3 >/dev/null || lg_die "python3 is required"
read -r -a tools <<<"${TOOLS:-leakgate gitleaks betterleaks kingfisher}"
for t in "${tools[@]}"; do
    case $t in
        leakgate | gitleaks | betterleaks | kingfisher) ;;
        *) lg_die "unknown tool '$t' in TOOLS (known: leakgate gitleaks betterleaks kingfisher)" ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/leakgate-gate-peers.XXXXXX")
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then lg_log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- tools ------------------------------------------------------------------------------------
declare -A BIN VER
LG_SRC=
for t in "${tools[@]}"; do
    if [ "$t" = leakgate ]; then
        b=$(lg_leakgate_bin) || b=
        LG_SRC=$b
        [ -z "$b" ] || b=$(lg_pin_bin "$b" "$work")
    else
        b=$(lg_peer "$t") || b=
    fi
    if [ -n "$b" ]; then
        BIN[$t]=$b
        VER[$t]=$(lg_tool_version "$t" "$b")
    else
        lg_warn "$t not found (install the peers: bash /work/shared/tools/install-peers.sh); its column is 'not installed'"
    fi
done

# No ambient configuration: git's global/system config, the peers' config variables and any CI
# environment are out of the picture (CI runs set their own).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --file "$GIT_CONFIG_GLOBAL" user.name "Gate Bench"
git config --file "$GIT_CONFIG_GLOBAL" user.email gate-bench@example.invalid
git config --file "$GIT_CONFIG_GLOBAL" init.defaultBranch main
git config --file "$GIT_CONFIG_GLOBAL" protocol.file.allow always
git config --file "$GIT_CONFIG_GLOBAL" advice.detachedHead false
git config --file "$GIT_CONFIG_GLOBAL" gc.auto 0
unset GITLEAKS_CONFIG GITLEAKS_CONFIG_TOML BETTERLEAKS_CONFIG BETTERLEAKS_CONFIG_TOML \
    GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_SHA GITHUB_REF GITHUB_REF_NAME \
    GITHUB_HEAD_REF GITHUB_BASE_REF GITHUB_STEP_SUMMARY GITLAB_CI CI_COMMIT_SHA \
    CI_COMMIT_BEFORE_SHA CI_COMMIT_BRANCH CI_MERGE_REQUEST_DIFF_BASE_SHA \
    PRE_COMMIT_FROM_REF PRE_COMMIT_TO_REF GIT_INDEX_FILE GIT_DIR GIT_WORK_TREE
export NO_COLOR=1
ZERO=0000000000000000000000000000000000000000

# gen_key: a fake Hugging Face token, hf_ + 34 random ASCII letters, at least 3.5 bits of entropy
# per character and no word a placeholder filter could take it for.
gen_key() {
    python3 -c '
import math, secrets, string
def h(k): return -sum(k.count(c) / len(k) * math.log2(k.count(c) / len(k)) for c in set(k))
bad = ("test", "fake", "dummy", "example", "sample", "xxx", "abcd", "demo", "mock", "placeholder",
       "secret", "token", "redact", "changeme", "your", "insert")
while True:
    k = "hf_" + "".join(secrets.choice(string.ascii_letters) for _ in range(34))
    if h(k[3:]) >= 3.5 and not any(b in k.lower() for b in bad):
        print(k)
        break
'
}

# ---- git helpers ------------------------------------------------------------------------------
# new_repo DIR: a repository on main with one clean commit.
new_repo() {
    git init -q -b main "$1"
    printf '# demo\n\nA small service.\n' >"$1/README.md"
    printf 'import os\n\nDEBUG = False\n' >"$1/app.py"
    git -C "$1" add -A
    git -C "$1" commit -q -m "initial"
}
# with_origin DIR: new_repo plus a bare origin (DIR.origin.git) that has main.
with_origin() {
    new_repo "$1"
    git init -q --bare "$1.origin.git"
    git -C "$1" remote add origin "$1.origin.git"
    git -C "$1" push -q -u origin main
}
commit_all() { git -C "$1" add -A && git -C "$1" commit -q -m "$2"; }
key_file() { printf 'import os\n\nDEBUG = False\nHF_TOKEN = "%s"%s\n' "$2" "${3:-}" >"$1"; }

# capture_push DIR OUT GIT_PUSH_ARGS...: run a real `git push` in DIR with a pre-push hook that
# saves git's stdin lines to OUT and its two arguments to OUT.args, then refuses the push (the
# remote stays as it was). Any installed pre-push hook is set aside meanwhile.
capture_push() {
    local dir=$1 out=$2 hooks
    shift 2
    hooks=$(git -C "$dir" rev-parse --git-path hooks)
    case $hooks in /*) ;; *) hooks=$dir/$hooks ;; esac
    mkdir -p "$hooks"
    [ ! -e "$hooks/pre-push" ] || mv "$hooks/pre-push" "$hooks/pre-push.gate-bench"
    cat >"$hooks/pre-push" <<EOF
#!/bin/sh
cat >'$out'
printf '%s\n%s\n' "\$1" "\$2" >'$out.args'
exit 1
EOF
    chmod +x "$hooks/pre-push"
    git -C "$dir" push "$@" >/dev/null 2>&1 && lg_die "capture_push: the push in $dir was not refused"
    rm -f "$hooks/pre-push"
    [ ! -e "$hooks/pre-push.gate-bench" ] || mv "$hooks/pre-push.gate-bench" "$hooks/pre-push"
    [ -s "$out" ] || lg_die "capture_push: no pre-push lines captured in $dir (git push $*)"
}

# ---- running and judging ----------------------------------------------------------------------
declare -A CELL CMDS RC
ROWS=()
declare -A ROW_SCEN ROW_MODE
# row ID SCENARIO MODE: declare a table row (in order).
row() {
    ROWS+=("$1")
    ROW_SCEN[$1]=$2
    ROW_MODE[$1]=$3
}
set_cell() { CELL["$1|$2"]=$3; }

# Report file and findings format per tool.
report_of() { printf '%s/out/%s.%s.json' "$work" "$1" "$2"; }
fmt_of() { case $1 in leakgate) echo leakgate ;; *) echo "$1" ;; esac; }
# found_rc TOOL RC: is RC the tool's "findings" exit status?
found_rc() {
    case $1:$2 in
        leakgate:1 | gitleaks:1 | betterleaks:1 | kingfisher:200 | kingfisher:205) return 0 ;;
        *) return 1 ;;
    esac
}

# show_cmd ARGV...: the command as text, binaries by name, work paths relative, keys elided.
show_cmd() {
    local a s b k out=
    for a in "$@"; do
        s=$a
        for b in "${!BIN[@]}"; do [ "$s" != "${BIN[$b]}" ] || s=$b; done
        s=${s//"$work/"/}
        for k in "${KEYS[@]}"; do s=${s//"$k"/'hf_<key>'}; done
        case $s in *[[:space:]\"\'\<\>\|\&\;\(\)\$]*) s="'$s'" ;; esac
        out+=" $s"
    done
    printf '%s' "${out# }"
}
# new_key: a fresh key in $KEY (kept in KEYS, so that show_cmd can elide it).
KEYS=()
KEY=
new_key() { KEY=$(gen_key); KEYS+=("$KEY"); }

# run_tool ROW TOOL DIR STDIN KEY [CHECK] -- ARGV...
# Runs ARGV in DIR (stdin from STDIN, or /dev/null), keeps stdout/stderr, and judges: the tool's
# findings exit status and KEY in its report -> caught; exit 0 -> missed, or warned when CHECK
# (a function: CHECK TOOL OUT ERR REPORT) says the output names the suppressed finding.
# A tool's index is restored after the run (kingfisher --staged rewrites it).
run_tool() {
    local id=$1 t=$2 dir=$3 stdin=$4 key=$5 check=${6:-} rep out err rc=0 idx v n
    shift 6
    [ "${1:-}" = -- ] && shift
    rep=$(report_of "$id" "$t")
    out=$work/out/$id.$t.out
    err=$work/out/$id.$t.err
    rm -f "$rep"
    [ -n "$stdin" ] || stdin=/dev/null
    idx=
    if git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; then
        idx=$(git -C "$dir" rev-parse --path-format=absolute --git-path index 2>/dev/null || true)
        [ -f "$idx" ] && cp -p "$idx" "$work/out/index.saved" || idx=
    fi
    (cd "$dir" && "$@" <"$stdin" >"$out" 2>"$err") || rc=$?
    if [ -n "$idx" ] && ! cmp -s "$idx" "$work/out/index.saved"; then cp -p "$work/out/index.saved" "$idx"; fi
    # leakgate writes its JSON report to stdout.
    [ "$t" != leakgate ] || cp "$out" "$rep"
    CMDS["$id|$t"]=$(show_cmd "$@")
    [ -z "$STDIN_NOTE" ] || CMDS["$id|$t"]+=" < $STDIN_NOTE"
    RC["$id|$t"]=$rc
    n=$(lg_count "$(fmt_of "$t")" "$rep" 2>/dev/null || echo '?')
    if found_rc "$t" "$rc"; then
        if grep -qF -- "$key" "$rep" 2>/dev/null; then v=caught
        else v="caught? (findings, not this key)"; fi
    elif [ "$rc" = 0 ]; then
        if [ "$n" != 0 ] && [ "$n" != '?' ]; then v="exit 0 with $n findings?"
        elif [ -n "$check" ] && "$check" "$t" "$out" "$err" "$rep"; then v=warned
        else v=missed; fi
    else
        v="error (exit $rc)"
        lg_warn "$id $t exited $rc; stderr tail:"
        tail -n 4 "$err" | sed 's/^/    /' >&2
    fi
    set_cell "$id" "$t" "$v"
    lg_log "$id $t: $v (exit $rc)"
}
STDIN_NOTE=

# The gate-mode command of each tool (sets CMD). REP is the peer's report file.
cmd_staged() {
    local t=$1 rep=$2
    case $t in
        leakgate) CMD=("${BIN[$t]}" staged --format json --show-secrets --color never) ;;
        gitleaks) CMD=("${BIN[$t]}" git --pre-commit --staged --no-banner --no-color -f json -r "$rep" .) ;;
        betterleaks) CMD=("${BIN[$t]}" git --staged --no-banner --no-color -o "$rep" .) ;;
        kingfisher) CMD=("${BIN[$t]}" scan . --staged --no-validate --no-update-check -f json -o "$rep") ;;
    esac
}
cmd_range() {
    local t=$1 rep=$2 b=$3 h=$4
    case $t in
        leakgate) CMD=("${BIN[$t]}" ci --base "$b" --head "$h" --format json --show-secrets --color never) ;;
        gitleaks) CMD=("${BIN[$t]}" git "--log-opts=$b..$h" --no-banner --no-color -f json -r "$rep" .) ;;
        betterleaks) CMD=("${BIN[$t]}" git "--log-opts=$b..$h" --no-banner --no-color -o "$rep" .) ;;
        kingfisher) CMD=("${BIN[$t]}" scan . --since-commit "$b" --branch "$h" --no-validate --no-update-check -f json -o "$rep") ;;
    esac
}
# Whole branch (what the peers' docs suggest for a new branch: no base to diff against).
cmd_branch() {
    local t=$1 rep=$2 h=$3
    case $t in
        gitleaks) CMD=("${BIN[$t]}" git "--log-opts=$h" --no-banner --no-color -f json -r "$rep" .) ;;
        betterleaks) CMD=("${BIN[$t]}" git "--log-opts=$h" --no-banner --no-color -o "$rep" .) ;;
        kingfisher) CMD=("${BIN[$t]}" scan . --branch "$h" --no-validate --no-update-check -f json -o "$rep") ;;
    esac
}
# Plain file scan (detector controls).
cmd_file() {
    local t=$1 rep=$2 f=$3
    case $t in
        leakgate) CMD=("${BIN[$t]}" scan "$f" --format json --show-secrets --color never) ;;
        gitleaks) CMD=("${BIN[$t]}" dir "$f" --no-banner --no-color -f json -r "$rep") ;;
        betterleaks) CMD=("${BIN[$t]}" fs "$f" --no-banner --no-color -o "$rep") ;;
        kingfisher) CMD=("${BIN[$t]}" scan "$f" --no-validate --no-update-check -f json -o "$rep") ;;
    esac
}
pre_push_cmd() { CMD=("${BIN[leakgate]}" hook run pre-push "$1" "$2" --format json --show-secrets --color never); }

# each_tool FUNC ARGS...: call FUNC TOOL ARGS... for every available tool; absent tools get
# "not installed".
each_tool() {
    local f=$1 t
    shift
    for t in "${tools[@]}"; do
        if [ -z "${BIN[$t]:-}" ]; then set_cell "$CUR_ROW" "$t" "not installed"; continue; fi
        "$f" "$t" "$@"
    done
}
CUR_ROW=

# Standard row drivers. Each takes the tool first.
do_staged() { # TOOL DIR KEY [CHECK]
    cmd_staged "$1" "$(report_of "$CUR_ROW" "$1")"
    run_tool "$CUR_ROW" "$1" "$2" "" "$3" "${4:-}" -- "${CMD[@]}"
}
do_range() { # TOOL DIR B H KEY [CHECK]
    cmd_range "$1" "$(report_of "$CUR_ROW" "$1")" "$3" "$4"
    run_tool "$CUR_ROW" "$1" "$2" "" "$5" "${6:-}" -- "${CMD[@]}"
}
# Pre-push: leakgate's hook with git's captured lines; a peer: its range from B (the destination
# remote's ref) to H, as the pre-commit framework's pre-push stage runs it.
do_prepush() { # TOOL DIR CAPTURE B H KEY
    local t=$1 dir=$2 cap=$3 remote url
    if [ "$t" = leakgate ]; then
        { read -r remote; read -r url; } <"$cap.args"
        pre_push_cmd "$remote" "$url"
        STDIN_NOTE="(git's pre-push lines)"
        run_tool "$CUR_ROW" "$t" "$dir" "$cap" "$6" "" -- "${CMD[@]}"
        STDIN_NOTE=
    else
        do_range "$t" "$dir" "$4" "$5" "$6"
    fi
}

# Checks for "warned": the output names the finding a marker or config suppressed.
# leakgate: summary.suppressed_in_change lists it, or suppressed_inline / suppressed_by_allowlist
# counts it and a warning is shown. Peers: their output mentions the key or a suppression.
warned_check() {
    local t=$1 out=$2 err=$3 rep=$4
    if [ "$t" = leakgate ]; then
        python3 - "$rep" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["summary"]
except Exception:
    sys.exit(1)
listed = s.get("suppressed_in_change") or []
ok = bool(listed) or (s.get("suppressed_inline", 0) > 0 and bool(s.get("warnings")))
sys.exit(0 if ok else 1)
PY
        return
    fi
    grep -qiE 'suppress|allowlist|inline|ignored (a|1|finding)|gitleaks:allow|kingfisher:ignore|hf_' "$out" "$err" 2>/dev/null
}

# Betterleaks reads commit and tag messages only with --include: measured alongside (a note).
declare -A NOTE
bl_include_range() { # DIR B H KEY
    [ -n "${BIN[betterleaks]:-}" ] || return 0
    local id=${CUR_ROW}i rep
    rep=$(report_of "$id" betterleaks)
    local saved=$CUR_ROW
    run_tool "$id" betterleaks "$1" "" "$4" "" -- "${BIN[betterleaks]}" git "--log-opts=$2..$3" \
        --include=commit-messages,tag-messages --no-banner --no-color -o "$rep" .
    NOTE["$saved|betterleaks"]="with --include=commit-messages,tag-messages: ${CELL["$id|betterleaks"]}"
    CUR_ROW=$saved
}

mkdir -p "$work/out"
S=$work

# ==== C: positive controls =====================================================================
lg_log "== positive controls"
# C1 pre-commit: a new staged file with the key.
CUR_ROW=C1; row C1 "control: plain key in a new file" "pre-commit"
new_key; k=$KEY
new_repo "$S/c1"
key_file "$S/c1/config.py" "$k"
git -C "$S/c1" add config.py
each_tool do_staged "$S/c1" "$k"

# C2 range: a branch commit adding the key.
CUR_ROW=C2; row C2 "control: plain key in a new file" "range main..pr"
new_key; k=$KEY
new_repo "$S/c2"
git -C "$S/c2" checkout -q -b pr
key_file "$S/c2/config.py" "$k"
commit_all "$S/c2" "add config"
each_tool do_range "$S/c2" main pr "$k"

# C3 pre-push: an update of main that adds the key.
CUR_ROW=C3; row C3 "control: plain key in a new file" "pre-push (git push origin main)"
new_key; k=$KEY
with_origin "$S/c3"
key_file "$S/c3/config.py" "$k"
commit_all "$S/c3" "add config"
capture_push "$S/c3" "$S/c3.push" origin main
each_tool do_prepush "$S/c3" "$S/c3.push" origin/main main "$k"

# C4 detector control: the exact text shapes of scenarios 5 and 6, one per line, in a file.
CUR_ROW=C4; row C4 "control: tag message, branch name, author, commit message texts" "file scan (4 keys)"
c4keys=()
for _ in 1 2 3 4; do new_key; c4keys+=("$KEY"); done
mkdir -p "$S/c4"
printf 'Release 1.0, token %s\n%s\ndeploy %s <gate-bench@example.invalid>\nuse the new token %s for the mirror\n' \
    "${c4keys[@]}" >"$S/c4/texts.txt"
c4_tool() {
    local t=$1 rep n=0 k2
    rep=$(report_of C4 "$t")
    cmd_file "$t" "$rep" texts.txt
    run_tool C4 "$t" "$S/c4" "" "${c4keys[0]}" "" -- "${CMD[@]}"
    for k2 in "${c4keys[@]}"; do grep -qF -- "$k2" "$rep" 2>/dev/null && n=$((n + 1)); done
    set_cell C4 "$t" "$n/4 found"
}
each_tool c4_tool

# ==== 1: a pull request brings its own allowlist ===============================================
lg_log "== 1: PR adds a key with its own allowlist"
CUR_ROW=S1; row S1 "1. PR adds a key + its own allowlist (.leakgate.toml / .gitleaks.toml)" "range main..pr"
new_key; k=$KEY
new_repo "$S/s1"
git -C "$S/s1" checkout -q -b pr
mkdir -p "$S/s1/deploy"
key_file "$S/s1/deploy/settings.py" "$k"
cat >"$S/s1/.leakgate.toml" <<'EOF'
[[allowlist]]
description = "deploy settings"
paths = ["deploy/settings.py"]
EOF
cat >"$S/s1/.gitleaks.toml" <<'EOF'
title = "project config"

[extend]
useDefault = true

[allowlist]
description = "deploy settings"
paths = ['''^deploy/settings\.py$''']
EOF
commit_all "$S/s1" "deploy settings"
each_tool do_range "$S/s1" main pr "$k" warned_check
NOTE["S1|betterleaks"]="does not load the repository's .gitleaks.toml unless given -c or BETTERLEAKS_CONFIG"
NOTE["S1|kingfisher"]="reads no repository config; kingfisher.yaml only with --config"

# ==== 2: inline allow markers ==================================================================
lg_log "== 2: inline allow markers"
marker_of() {
    case $1 in leakgate) echo "leakgate:allow" ;; kingfisher) echo "kingfisher:ignore" ;; *) echo "gitleaks:allow" ;; esac
}
CUR_ROW=S2a; row S2a "2. key on a line with the tool's inline allow marker" "pre-commit"
s2a_tool() {
    local t=$1 d=$S/s2-$1 k m
    new_key; k=$KEY
    m=$(marker_of "$t")
    new_repo "$d"
    key_file "$d/config.py" "$k" "  # $m"
    git -C "$d" add config.py
    do_staged "$t" "$d" "$k" warned_check
}
each_tool s2a_tool
CUR_ROW=S2b; row S2b "2. key on a line with the tool's inline allow marker" "range main..pr"
s2b_tool() {
    local t=$1 d=$S/s2r-$1 k m
    new_key; k=$KEY
    m=$(marker_of "$t")
    new_repo "$d"
    git -C "$d" checkout -q -b pr
    key_file "$d/config.py" "$k" "  # $m"
    commit_all "$d" "config"
    do_range "$t" "$d" main pr "$k" warned_check
}
each_tool s2b_tool

# ==== 3: pre-push of a new branch another remote already has =================================
lg_log "== 3: pre-push of a new branch with a stale alice/fix"
# Control first: the same push before alice's ref exists (git's pre-push lines are the same).
CUR_ROW=C3n; row C3n "control: new branch fix, no other remote has it" "pre-push (git push origin fix)"
new_key; k=$KEY
with_origin "$S/s3"
git init -q --bare "$S/s3.alice.git"
git -C "$S/s3" remote add alice "$S/s3.alice.git"
git -C "$S/s3" checkout -q -b fix
key_file "$S/s3/config.py" "$k"
commit_all "$S/s3" "fix config"
capture_push "$S/s3" "$S/s3.push" origin fix
each_tool do_prepush "$S/s3" "$S/s3.push" origin/main fix "$k"
CUR_ROW=S3; row S3 "3. new branch fix, stale refs/remotes/alice/fix at the same commit" "pre-push (git push origin fix)"
git -C "$S/s3" update-ref refs/remotes/alice/fix HEAD
each_tool do_prepush "$S/s3" "$S/s3.push" origin/main fix "$k"

# ==== 4: first push of a repository, CI new-branch mode ========================================
lg_log "== 4: first push, CI clone with origin/HEAD -> main"
CUR_ROW=S4; row S4 "4. first push of a repository; CI clone (origin/HEAD -> main), before = 0000..." "CI push event (new branch)"
new_key; k=$KEY
new_repo "$S/s4"
key_file "$S/s4/config.py" "$k"
commit_all "$S/s4" "config"
git init -q --bare "$S/s4.origin.git"
git -C "$S/s4" remote add origin "$S/s4.origin.git"
git -C "$S/s4" push -q -u origin main
git clone -q "$S/s4.origin.git" "$S/s4ci"
s4_after=$(git -C "$S/s4ci" rev-parse HEAD)
printf '{"ref": "refs/heads/main", "before": "%s", "after": "%s", "created": true, "deleted": false, "forced": false}\n' \
    "$ZERO" "$s4_after" >"$S/s4.event.json"
s4_tool() {
    local t=$1
    if [ "$t" = leakgate ]; then
        run_tool S4 "$t" "$S/s4ci" "" "$k" "" -- env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
            "GITHUB_EVENT_PATH=$S/s4.event.json" "GITHUB_SHA=$s4_after" GITHUB_REF=refs/heads/main \
            GITHUB_REF_NAME=main "${BIN[leakgate]}" ci --format json --show-secrets --color never
    else
        cmd_branch "$t" "$(report_of S4 "$t")" main
        run_tool S4 "$t" "$S/s4ci" "" "$k" "" -- "${CMD[@]}"
    fi
}
each_tool s4_tool
for t in gitleaks betterleaks kingfisher; do NOTE["S4|$t"]="whole branch: no base for a new branch"; done

# ==== 5: keys outside file content =============================================================
lg_log "== 5: tag message, branch name, author name"
# 5a: an annotated tag's message, pushed with --follow-tags together with a new commit.
CUR_ROW=S5a; row S5a "5a. key in an annotated tag message" "pre-push (git push --follow-tags origin main)"
new_key; k=$KEY
with_origin "$S/s5a"
printf 'VERSION = "1.0"\n' >"$S/s5a/version.py"
commit_all "$S/s5a" "release 1.0"
git -C "$S/s5a" tag -a v1.0 -m "Release 1.0, token $k"
capture_push "$S/s5a" "$S/s5a.push" --follow-tags origin main
each_tool do_prepush "$S/s5a" "$S/s5a.push" origin/main v1.0 "$k"
bl_include_range "$S/s5a" origin/main v1.0 "$k"

# 5b: a branch name; pre-push of the new branch, then CI on the push event in a clone.
CUR_ROW=S5b; row S5b "5b. key as a branch name (new branch, clean commit)" "pre-push (git push origin <key>)"
new_key; k=$KEY
with_origin "$S/s5b"
git -C "$S/s5b" checkout -q -b "$k"
printf 'RETRIES = 3\n' >"$S/s5b/retry.py"
commit_all "$S/s5b" "retry setting"
capture_push "$S/s5b" "$S/s5b.push" origin "$k"
each_tool do_prepush "$S/s5b" "$S/s5b.push" origin/main "$k" "$k"
s5b_key=$k

CUR_ROW=S5b2; row S5b2 "5b. key as a branch name (new branch, clean commit)" "CI push event (new branch, in a clone)"
git -C "$S/s5b" push -q origin "$s5b_key"
git clone -q "$S/s5b.origin.git" "$S/s5bci"
git -C "$S/s5bci" checkout -q "$s5b_key"
s5b_after=$(git -C "$S/s5bci" rev-parse HEAD)
printf '{"ref": "refs/heads/%s", "before": "%s", "after": "%s", "created": true, "deleted": false, "forced": false}\n' \
    "$s5b_key" "$ZERO" "$s5b_after" >"$S/s5b.event.json"
s5b2_tool() {
    local t=$1
    if [ "$t" = leakgate ]; then
        run_tool S5b2 "$t" "$S/s5bci" "" "$s5b_key" "" -- env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
            "GITHUB_EVENT_PATH=$S/s5b.event.json" "GITHUB_SHA=$s5b_after" "GITHUB_REF=refs/heads/$s5b_key" \
            "GITHUB_REF_NAME=$s5b_key" "${BIN[leakgate]}" ci --format json --show-secrets --color never
    else
        do_range "$t" "$S/s5bci" origin/main "$s5b_key" "$s5b_key"
    fi
}
each_tool s5b2_tool

# 5c: the author name of a commit (git -c user.name=...).
CUR_ROW=S5c; row S5c "5c. key in the commit author name (git -c user.name=...)" "pre-push (git push origin main)"
new_key; k=$KEY
with_origin "$S/s5c"
printf 'TIMEOUT = 30\n' >"$S/s5c/timeout.py"
git -C "$S/s5c" add -A
git -C "$S/s5c" -c "user.name=deploy $k" commit -q -m "timeout setting"
capture_push "$S/s5c" "$S/s5c.push" origin main
each_tool do_prepush "$S/s5c" "$S/s5c.push" origin/main main "$k"
CUR_ROW=S5c2; row S5c2 "5c. key in the commit author name (git -c user.name=...)" "range origin/main..main"
each_tool do_range "$S/s5c" origin/main main "$k"

# ==== 6: a key in the commit message ===========================================================
lg_log "== 6: key in git commit -m"
CUR_ROW=S6; row S6 "6. key in git commit -m (commit-msg stage)" "git commit with the tool's hooks"
# install_hooks TOOL DIR: the tool's own hooks (leakgate hook install), or a pre-commit hook
# running the peer's pre-commit mode.
install_hooks() {
    local t=$1 d=$2
    if [ "$t" = leakgate ]; then
        (cd "$d" && LEAKGATE="${BIN[leakgate]}" "${BIN[leakgate]}" hook install >/dev/null)
        return
    fi
    cmd_staged "$t" "$work/out/hook.$t.json"
    mkdir -p "$d/.git/hooks"
    {
        echo '#!/bin/sh'
        printf '%q ' "${CMD[@]}"
        echo
    } >"$d/.git/hooks/pre-commit"
    chmod +x "$d/.git/hooks/pre-commit"
}
# hook_cmd TOOL: what the installed hooks run, as text.
hook_cmd() {
    if [ "$1" = leakgate ]; then
        echo "leakgate hook install (pre-commit: leakgate staged), then git commit -m 'use the new token hf_<key> for the mirror'"
    else
        cmd_staged "$1" OUT.json
        echo "pre-commit hook: $(show_cmd "${CMD[@]}"), then git commit -m 'use the new token hf_<key> for the mirror'"
    fi
}
declare -A S6KEY
s6_tool() {
    local t=$1 d=$S/s6-$1 k before after rc=0 v out
    new_key; k=$KEY
    S6KEY[$t]=$k
    new_repo "$d"
    install_hooks "$t" "$d"
    printf 'MIRROR = "https://mirror.example.invalid"\n' >"$d/mirror.py"
    git -C "$d" add -A
    before=$(git -C "$d" rev-parse HEAD)
    out=$work/out/S6.$t.out
    # leakgate: does this build have a commit-msg hook at all?
    if [ "$t" = leakgate ]; then
        printf 'use the new token %s for the mirror\n' "$k" >"$work/out/S6.msg"
        local prc=0
        "${BIN[leakgate]}" hook run commit-msg "$work/out/S6.msg" >"$work/out/S6.probe.out" 2>&1 || prc=$?
        if grep -q "unknown hook" "$work/out/S6.probe.out"; then NOTE["S6|leakgate"]="no commit-msg hook in this build: hook run commit-msg says unknown hook"
        else NOTE["S6|leakgate"]="hook run commit-msg FILE exits $prc"; fi
    fi
    (cd "$d" && LEAKGATE="${BIN[leakgate]:-leakgate}" git commit -q -m "use the new token $k for the mirror") >"$out" 2>&1 || rc=$?
    after=$(git -C "$d" rev-parse HEAD)
    if [ "$before" = "$after" ]; then v=caught
    elif grep -qiE 'commit message|hf_' "$out"; then v=warned
    else v=missed; fi
    [ "$v" = caught ] || [ "$t" = leakgate ] || NOTE["S6|$t"]="no commit-msg mode; its pre-commit mode does not read the message"
    CMDS["S6|$t"]=$(hook_cmd "$t")
    RC["S6|$t"]=$rc
    set_cell S6 "$t" "$v"
    lg_log "S6 $t: $v (git commit exit $rc)"
    # For 6b the commit must exist.
    [ "$before" != "$after" ] || git -C "$d" commit -q --no-verify -m "use the new token $k for the mirror"
}
each_tool s6_tool
CUR_ROW=S6b; row S6b "6. key in git commit -m: the pushed commit" "range main~1..main"
s6b_tool() { do_range "$1" "$S/s6-$1" main~1 main "${S6KEY[$1]}"; }
each_tool s6b_tool
if [ -n "${BIN[betterleaks]:-}" ]; then bl_include_range "$S/s6-betterleaks" main~1 main "${S6KEY[betterleaks]}"; fi

# ==== 7: core.hooksPath set after the hooks were installed =====================================
lg_log "== 7: core.hooksPath changed after install"
CUR_ROW=C5; row C5 "control: installed pre-commit hook, git commit of a key" "git commit"
CUR_ROW=S7; row S7 "7. core.hooksPath set after install (husky: .husky/_), git commit of a key" "git commit"
s7_tool() {
    local t=$1 d=$S/s7 k rc=0 before after v
    if [ "$t" != leakgate ]; then
        set_cell C5 "$t" "n/a"; set_cell S7 "$t" "n/a"
        NOTE["S7|$t"]="no hook installer"
        return
    fi
    new_key; k=$KEY
    new_repo "$d"
    (cd "$d" && LEAKGATE="${BIN[leakgate]}" "${BIN[leakgate]}" hook install >"$work/out/S7.install.out" 2>&1)
    # Control: the installed hook blocks the commit.
    key_file "$d/config.py" "$k"
    git -C "$d" add config.py
    before=$(git -C "$d" rev-parse HEAD)
    (cd "$d" && LEAKGATE="${BIN[leakgate]}" git commit -q -m "config") >"$work/out/C5.leakgate.out" 2>&1 || rc=$?
    after=$(git -C "$d" rev-parse HEAD)
    if [ "$before" = "$after" ]; then set_cell C5 leakgate caught; else set_cell C5 leakgate missed; fi
    CMDS["C5|leakgate"]="leakgate hook install; git add config.py; git commit -m config"
    RC["C5|leakgate"]=$rc
    lg_log "C5 leakgate: ${CELL["C5|leakgate"]} (git commit exit $rc)"
    # husky v9: core.hooksPath = .husky/_ with its own stub hooks.
    mkdir -p "$d/.husky/_"
    printf '#!/bin/sh\n# husky stub\nexit 0\n' >"$d/.husky/_/pre-commit"
    chmod +x "$d/.husky/_/pre-commit"
    git -C "$d" config core.hooksPath .husky/_
    rc=0
    (cd "$d" && LEAKGATE="${BIN[leakgate]}" git commit -q -m "config") >"$work/out/S7.leakgate.out" 2>&1 || rc=$?
    after=$(git -C "$d" rev-parse HEAD)
    # Where a warning could show: the commit itself, `leakgate staged` run by hand (or by the
    # husky hook, if someone adds it there), `leakgate hook status` (if this build has it).
    local srcs=() f
    printf 'x = 1\n' >"$d/extra.py"
    git -C "$d" add extra.py
    (cd "$d" && "${BIN[leakgate]}" staged --color never) >"$work/out/S7.staged.out" 2>&1 || true
    git -C "$d" reset -q extra.py
    (cd "$d" && "${BIN[leakgate]}" hook status) >"$work/out/S7.status.out" 2>&1 || true
    if grep -qi 'unrecognized subcommand' "$work/out/S7.status.out"; then : >"$work/out/S7.status.out"; fi
    for f in leakgate staged status; do
        if grep -qiE 'not run by git|is not run|inactive|no longer (run|look)' "$work/out/S7.$f.out"; then
            srcs+=("$f")
        fi
    done
    if [ "$before" != "$after" ] && [ "${#srcs[@]}" = 0 ]; then v=missed
    elif [ "$before" != "$after" ]; then
        v=warned
        NOTE["S7|leakgate"]="commit went through; warning from: ${srcs[*]/leakgate/git commit}"
    else v=caught; fi
    set_cell S7 leakgate "$v"
    CMDS["S7|leakgate"]="leakgate hook install; git config core.hooksPath .husky/_; git commit -m config; then leakgate staged and leakgate hook status: any warning?"
    RC["S7|leakgate"]=$rc
    lg_log "S7 leakgate: $v (git commit exit $rc)"
}
each_tool s7_tool

# ==== 8: a merge that takes back a removed secret ==============================================
lg_log "== 8: merge reintroducing a removed key"
# Per tool, since the pre-commit run needs the merge in progress.
s8_setup() { # DIR KEY
    local d=$1
    with_origin "$d"
    printf 'import os\n\nDEBUG = False\nHF_TOKEN = "%s"\n' "$2" >"$d/config.py"
    commit_all "$d" "config"
    git -C "$d" push -q origin main
    git -C "$d" checkout -q -b old
    printf 'notes\n' >"$d/notes.md"
    commit_all "$d" "notes"
    git -C "$d" checkout -q main
    printf 'import os\n\nDEBUG = False\nHF_TOKEN = os.environ["HF_TOKEN"]\n' >"$d/config.py"
    commit_all "$d" "read the token from the environment"
    git -C "$d" tag base
    git -C "$d" merge -q --no-commit --no-ff old >/dev/null 2>&1 || true
    git -C "$d" checkout old -- config.py
}
CUR_ROW=S8a; row S8a "8. merge takes back a removed key (git merge --no-commit old; git checkout old -- config.py)" "pre-commit (merge in progress)"
declare -A S8KEY
s8a_tool() {
    local t=$1 d=$S/s8-$1
    new_key; S8KEY[$t]=$KEY
    s8_setup "$d" "${S8KEY[$t]}"
    do_staged "$t" "$d" "${S8KEY[$t]}"
}
each_tool s8a_tool
CUR_ROW=S8b; row S8b "8. merge takes back a removed key: the merge commit" "range base..main"
s8b_tool() {
    local d=$S/s8-$1
    git -C "$d" commit -q --no-verify -m "merge old" 2>/dev/null || true
    do_range "$1" "$d" base main "${S8KEY[$1]}"
}
each_tool s8b_tool

# ==== 9: a submodule commit holding a key ======================================================
lg_log "== 9: superproject push, key in the submodule commit"
CUR_ROW=S9; row S9 "9. superproject push; a new submodule commit (not on the submodule's remote yet) holds a key" "pre-push (git push origin main, superproject)"
new_key; k=$KEY
new_repo "$S/s9sub"
printf 'x = 1\n' > "$S/s9sub/app.py"
commit_all "$S/s9sub" "app"
with_origin "$S/s9"
git -C "$S/s9" -c protocol.file.allow=always submodule add -q "$S/s9sub" lib >/dev/null 2>&1
git -C "$S/s9" commit -q -m "add lib"
git -C "$S/s9" push -q origin main >/dev/null 2>&1
# The key is committed in the superproject's checkout of the submodule, then recorded.
key_file "$S/s9/lib/config.py" "$k"
commit_all "$S/s9/lib" "config"
git -C "$S/s9" add lib
git -C "$S/s9" commit -q -m "bump lib"
capture_push "$S/s9" "$S/s9.push" origin main
each_tool do_prepush "$S/s9" "$S/s9.push" origin/main main "$k"

# ==== report ===================================================================================
echo
echo "Machine: $(lg_machine)."
for t in "${tools[@]}"; do
    if [ -n "${BIN[$t]:-}" ]; then
        extra=
        if [ "$t" = leakgate ]; then
            extra=", sha256 $(sha256sum "${BIN[$t]}" | cut -c1-12)"
            src=${LG_SRC:-}
            if [ -n "$src" ] && [ -f "$src" ]; then
                extra+=", $src modified $(date -u -r "$src" '+%Y-%m-%d %H:%M UTC')"
                head_t=$(git -C "$LG_ROOT" log -1 --format=%ct 2>/dev/null || echo 0)
                if [ "$(stat -c %Y "$src")" -lt "$head_t" ]; then
                    extra+=" (before the checkout's last commit $(git -C "$LG_ROOT" log -1 --format=%h): it may lack recent changes)"
                fi
            fi
        fi
        echo "- $t ${VER[$t]}$extra"
    else
        echo "- $t: not installed"
    fi
done
echo
echo "Keys: fake Hugging Face tokens (hf_ + 34 random letters), a new one per repository. Verdicts: **caught** = the tool's findings exit status and this key in its report (a refused \`git commit\` for the hook rows); **warned** = passes, but the output names the suppressed finding; **missed**; **n/a** = no such mode. Peers at pre-push: the range from the destination remote's ref (origin/main) to the pushed ref, as the pre-commit framework's pre-push stage would run their range mode."
echo
printf '| scenario | mode |'
for t in "${tools[@]}"; do printf ' %s |' "$t"; done
printf '\n|---|---|'
for _ in "${tools[@]}"; do printf -- '---|'; done
echo
for id in "${ROWS[@]}"; do
    printf '| %s | %s |' "${ROW_SCEN[$id]}" "${ROW_MODE[$id]}"
    for t in "${tools[@]}"; do
        c=${CELL["$id|$t"]:-n/a}
        [ -z "${NOTE["$id|$t"]:-}" ] || c+=" (${NOTE["$id|$t"]})"
        printf ' %s |' "$c"
    done
    echo
done
echo
echo "Commands (run in the scenario's repository; OUT paths are the report files; hf_<key> stands for the generated key):"
echo
echo "| scenario | tool | verdict | exit | command |"
echo "|---|---|---|---|---|"
for id in "${ROWS[@]}"; do
    for t in "${tools[@]}"; do
        [ -n "${CMDS["$id|$t"]:-}" ] || continue
        printf '| %s | %s | %s | %s | `%s` |\n' "$id" "$t" "${CELL["$id|$t"]:-}" "${RC["$id|$t"]:-}" \
            "$(printf '%s' "${CMDS["$id|$t"]}" | sed 's/|/\\|/g')"
        # The betterleaks --include variant of the same row.
        if [ "$t" = betterleaks ] && [ -n "${CMDS["${id}i|$t"]:-}" ]; then
            printf '| %s | %s | %s | %s | `%s` |\n' "$id" "betterleaks, --include" "${CELL["${id}i|$t"]:-}" \
                "${RC["${id}i|$t"]:-}" "${CMDS["${id}i|$t"]}"
        fi
    done
done
