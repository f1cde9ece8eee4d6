#!/usr/bin/env bash
# Compare `leakgate staged` (the pre-commit check) with `git diff --cached` and peer scanners'
# staged modes on a large repository with one small staged change.
#
# usage: benches/compare-staged.sh [REPO_DIR]
#
#   REPO_DIR  repository to run in (default: ${BENCH_DIR:-~/.cache/leakgate-bench}/staged-repo).
#             When it does not exist it is generated deterministically: 50,000 small source
#             files (10 top dirs x 5 x 10 = 500 leaf dirs x 100 files, ~69 MB of generated
#             Python/Rust/TypeScript/Go/Markdown) imported as one commit with git fast-import and
#             checked out (git reset --hard: full cache-tree), then ONE staged change: a few
#             clean lines appended to one existing file and `git add`ed (which invalidates the
#             cache-tree only along that file's directory path), then one `git status` a second
#             later so that no index entry is racily clean.
#
# Every command runs inside REPO_DIR, once untimed (warm-up), then RUNS times round-robin (drift
# hits all tools alike). Wall times are measured by lg_ptime (monotonic clock around spawn+wait,
# microsecond resolution); peak RSS comes from one extra run under GNU time. Reported per tool:
# median and p90 wall milliseconds, peak RSS, median / git's median and median / leakgate's,
# median CPU (user+sys, less sensitive to a busy machine than wall time), and the goal: leakgate
# within 1.2x of git's own index check and >= 10x faster than every peer.
# Tools must leave the index alone; a tool that rewrites it (kingfisher's --staged writes the
# cache-tree through a temporary commit) gets the saved index back after each run, untimed.
#
# Then, apart from the timed runs, correctness: the clean staged change must give no finding
# (exit 0), and fake AWS credentials generated at run time must be caught (leakgate exit 1):
# (a) a lone key ID (AKIA + 16 random [A-Z2-7]) on a line appended to the staged file, (b) a new
# staged file with a key ID and a secret access key (40 random [A-Za-z0-9+/]); peers' verdicts
# are shown too (betterleaks and kingfisher report an AWS key ID only together with its secret
# key). leakgate's and git's medians of 7 runs in each state are shown (a new path makes leakgate
# look for rename sources in HEAD's tree). The index, the file and the object store (new loose
# objects) are restored afterwards, also on interrupt.
#
# When leakgate's median is over 1.2x git's (or BREAKDOWN=1), a breakdown follows: leakgate's
# fixed cost in a one-file repository, `perf stat` (task-clock, page faults) and `strace -c -f`.
#
# The markdown report goes to stdout; progress to stderr.
#
# Environment:
#   RUNS=25           timed runs per tool (at least 20 recommended)
#   TOOLS="git leakgate gitleaks betterleaks kingfisher"   tools and order (git = the floor)
#   LEAKGATE=path     leakgate binary (default target/release/leakgate, built when missing)
#   BENCH_DIR=dir     where the default repository lives (default ~/.cache/leakgate-bench)
#   TIMEOUT=secs      kill a run after this long (default: no limit)
#   BREAKDOWN=0|1     force the leakgate breakdown off or on (default: on when over 1.2x git)
#   KEEP=1            keep the work directory (outputs of the last runs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

case ${1:-} in
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -le 1 ] || lg_die "usage: $0 [REPO_DIR]"

runs=${RUNS:-25}
case $runs in '' | *[!0-9]* | 0) lg_die "RUNS must be a positive integer, not '$runs'" ;; esac
[ "$runs" -ge 20 ] || lg_warn "RUNS=$runs: medians and p90 of fewer than 20 runs are noisy"
read -r -a tools <<<"${TOOLS:-git leakgate gitleaks betterleaks kingfisher}"
for t in "${tools[@]}"; do
    case $t in
        git | leakgate | gitleaks | betterleaks | kingfisher) ;;
        *) lg_die "unknown tool '$t' in TOOLS (known: git leakgate gitleaks betterleaks kingfisher)" ;;
    esac
done
lg_require_time
command -v python3 >/dev/null || lg_die "python3 is required"
command -v git >/dev/null || lg_die "git is required"

# Marker in the generated repository's git dir: the path of the staged file.
MARKER=leakgate-bench-staged

# ---- repository generation ----------------------------------------------------------------------
# gen_tree: a `git fast-import` stream of one commit with 50,000 deterministic files (seed 1).
gen_tree() {
    python3 - <<'PY'
import random, sys
rng = random.Random(1)
WORDS = """account action adapter address agent alert align amount anchor archive array asset attach
audit backend badge balance batch before binding block body bound bridge buffer build bundle
cache calendar callback canvas capacity cart catalog channel chart check child chunk claim
client clock cluster column command comment commit compute config connect consumer context
convert count counter cursor customer cycle daemon dashboard data date debug decode default
delay delta deploy detail device digest dispatch document domain draft driver edge editor
element email encode engine entry event export extract feature fetch field filter flag flush
folder format frame gateway graph group handler hash header health height history hook host
image import index inner input insert instance interval invoice item job journal label layer
layout ledger limit line link list loader local locale lock logger lookup manager mapping
marker match member memory merge message meta metric mirror mode model module monitor node
notice number object offset option order origin output owner packet page panel parser patch
path payload peer pending period pipeline plan plugin point policy pool port post prefix
preview price printer priority probe process product profile progress project prompt proxy
query queue quota range rate reader record region registry release render replica report
request resource result retry review route row rule runner sample scale schedule schema scope
search section segment select sender series server service session shard shape signal size
slot snapshot socket source span state status step storage store stream style subject summary
supplier switch sync table tag target task template tenant text theme thread ticket timer title
topic total trace track transfer tree trigger unit update upload usage user value vendor
version view volume watch width window worker writer zone""".split()
TOPS = ["services", "libs", "web", "tools", "platform", "mobile", "analytics", "infra", "docs", "sdk"]
LANG = {"services": "py", "libs": "rs", "web": "ts", "tools": "go", "platform": "rs",
        "mobile": "ts", "analytics": "py", "infra": "go", "docs": "md", "sdk": "py"}
def w(): return rng.choice(WORDS)
def snake(n=None): return "_".join(w() for _ in range(n or rng.randint(1, 3)))
def camel(n=None):
    p = [w() for _ in range(n or rng.randint(1, 3))]
    return p[0] + "".join(x.title() for x in p[1:])
def pascal(n=None): return "".join(w().title() for _ in range(n or rng.randint(1, 3)))
def num(): return str(rng.choice([0, 1, 2, 3, 8, 10, 16, 32, 60, 100, 256, 1000, 1024, 3600]))
def sentence(): return " ".join(w() for _ in range(rng.randint(4, 12))).capitalize() + "."

def py_body(out, ind):
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.3:
            out.append(f"{ind}{snake()} = {snake(1)}.{snake()}({snake(1)}, {num()})")
        elif r < 0.5:
            out += [f"{ind}if {snake(1)} > {num()}:", f"{ind}    {snake(1)} += {num()}"]
        elif r < 0.65:
            out.append(f"{ind}# {sentence()}")
        elif r < 0.8:
            out += [f"{ind}for {snake(1)} in {snake(1)}.{snake()}():", f"{ind}    {snake(1)}.append({snake(1)})"]
        else:
            out.append(f'{ind}log.debug("{sentence()} %s", {snake(1)})')
    out.append(f"{ind}return {snake(1)}")

def py_block(out):
    if rng.random() < 0.35:
        out += [f"class {pascal()}:", f'    """{sentence()}"""', "",
                f"    def __init__(self, {snake(1)}, {snake(1)}={num()}):"]
        for _ in range(rng.randint(1, 4)):
            out.append(f"        self.{snake()} = {snake(1)}")
        for _ in range(rng.randint(1, 3)):
            out += ["", f"    def {snake()}(self, {snake(1)}):"]
            py_body(out, "        ")
    else:
        out.append(f"def {snake()}({', '.join(snake(1) for _ in range(rng.randint(0, 3)))}):")
        if rng.random() < 0.5:
            out.append(f'    """{sentence()}"""')
        py_body(out, "    ")
    out += ["", ""]

def py_file():
    out = [f'"""{sentence()}"""', ""]
    for _ in range(rng.randint(1, 5)):
        out.append(f"from {snake(1)}.{snake(1)} import {pascal()}")
    return out + ["import logging", "", "log = logging.getLogger(__name__)", "", ""], py_block

def rs_block(out):
    out.append(f"/// {sentence()}")
    if rng.random() < 0.3:
        out += ["#[derive(Debug, Clone)]", f"pub struct {pascal()} {{"]
        for _ in range(rng.randint(1, 5)):
            ty = rng.choice(["u64", "String", "Vec<u8>", "bool", "Option<usize>", "f64"])
            out.append(f"    pub {snake()}: {ty},")
        out.append("}")
    else:
        out.append(f"pub fn {snake()}({snake(1)}: &{pascal()}, {snake(1)}: usize) -> Result<{pascal()}, Error> {{")
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.35:
                out.append(f"    let {snake()} = {snake(1)}.{snake()}({num()})?;")
            elif r < 0.55:
                out += [f"    if {snake(1)} > {num()} {{", f"        return Err(Error::{pascal()});", "    }"]
            elif r < 0.7:
                out.append(f"    // {sentence()}")
            else:
                out += [f"    for {snake(1)} in {snake(1)}.iter() {{",
                        f"        {snake(1)}.push({snake(1)}.clone());", "    }"]
        out += [f"    Ok({pascal()}::new({snake(1)}))", "}"]
    out.append("")

def rs_file():
    out = [f"//! {sentence()}", ""]
    for _ in range(rng.randint(1, 4)):
        out.append(f"use crate::{snake(1)}::{{{pascal()}, {pascal()}}};")
    return out + ["use std::collections::HashMap;", ""], rs_block

def ts_block(out):
    if rng.random() < 0.3:
        out.append(f"export interface {pascal()} {{")
        for _ in range(rng.randint(1, 5)):
            out.append(f"  {camel()}: {rng.choice(['string', 'number', 'boolean', 'string[]', pascal()])};")
        out.append("}")
    else:
        out.append(f"export async function {camel()}({camel(1)}: {pascal()}): Promise<{pascal()}> {{")
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.4:
                out.append(f"  const {camel()} = await {camel(1)}.{camel()}({num()});")
            elif r < 0.6:
                out += [f"  if ({camel(1)}.length > {num()}) {{",
                        f"    {camel(1)} = {camel(1)}.slice(0, {num()});", "  }"]
            elif r < 0.75:
                out.append(f"  // {sentence()}")
            else:
                out.append(f"  console.debug(`{sentence()} ${{{camel(1)}}}`);")
        out += [f"  return {{ {camel(1)}, {camel(1)} }};", "}"]
    out.append("")

def ts_file():
    out = [f"import {{ {pascal()} }} from './{camel()}';" for _ in range(rng.randint(1, 5))]
    return out + [""], ts_block

def go_block(out):
    if rng.random() < 0.3:
        out += [f"// {pascal()} {sentence()}", f"type {pascal()} struct {{"]
        for _ in range(rng.randint(1, 5)):
            ty = rng.choice(["int", "string", "[]byte", "bool", "time.Duration", "*" + pascal()])
            out.append(f"\t{pascal()} {ty}")
        out.append("}")
    else:
        out.append(f"func {pascal()}({camel(1)} *{pascal()}, {camel(1)} int) error {{")
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.4:
                out += [f"\t{camel()}, err := {camel(1)}.{pascal()}({num()})", "\tif err != nil {",
                        f'\t\treturn fmt.Errorf("{snake(1)}: %w", err)', "\t}"]
            elif r < 0.6:
                out.append(f"\t// {sentence()}")
            else:
                out += [f"\tfor _, {camel(1)} := range {camel(1)}.{pascal()} {{",
                        f"\t\t{camel(1)} += {num()}", "\t}"]
        out += ["\treturn nil", "}"]
    out.append("")

def go_file(pkg):
    return [f"package {pkg}", "", "import (", '\t"fmt"', '\t"time"', ")", ""], go_block

def md_block(out):
    out += [f"## {sentence()[:-1]}", ""]
    for _ in range(rng.randint(1, 4)):
        out += [" ".join(sentence() for _ in range(rng.randint(1, 4))), ""]
    if rng.random() < 0.3:
        out += [f"- `{snake()}`: {sentence()}", f"- `{snake()}`: {sentence()}", ""]

def md_file():
    return [f"# {pascal()}", ""], md_block

EXT = {"py": ".py", "rs": ".rs", "ts": ".ts", "go": ".go", "md": ".md"}

def distinct(k, make):
    seen = []
    while len(seen) < k:
        s = make()
        if s not in seen:
            seen.append(s)
    return seen

def files():
    for top in TOPS:
        lang = LANG[top]
        for sub in distinct(5, lambda: snake(1)):
            for leaf in distinct(10, lambda: snake(1)):
                for name in distinct(100, lambda: snake(rng.randint(1, 2))):
                    if lang == "py": out, blk = py_file()
                    elif lang == "rs": out, blk = rs_file()
                    elif lang == "ts": out, blk = ts_file()
                    elif lang == "go": out, blk = go_file(leaf)
                    else: out, blk = md_file()
                    for _ in range(max(1, min(40, int(rng.lognormvariate(1.0, 0.8))))):
                        blk(out)
                    yield f"{top}/{sub}/{leaf}/{name}{EXT[lang]}", ("\n".join(out) + "\n").encode()

o = sys.stdout.buffer
paths = []
for i, (p, d) in enumerate(files(), 1):
    o.write(b"blob\nmark :%d\ndata %d\n%s\n" % (i, len(d), d))
    paths.append(p)
msg = b"Import the staged-benchmark tree (50,000 generated files)\n"
o.write(b"commit refs/heads/main\ncommitter Bench <bench@example.invalid> 1700000000 +0000\n")
o.write(b"data %d\n%s\n" % (len(msg), msg))
for i, p in enumerate(paths, 1):
    o.write(b"M 100644 :%d %s\n" % (i, p.encode()))
o.write(b"\ndone\n")
PY
}

# stage_change REPO: the benchmark's one staged change (deterministic): append a clean function to
# the 2,500th Python file under services/ and `git add` it; record its path in the marker.
stage_change() {
    local r=$1 f
    f=$(git -C "$r" ls-files -- 'services/*.py' | sed -n 2500p)
    [ -n "$f" ] || lg_die "$r: no services/*.py files to change"
    cat >>"$r/$f" <<'EOF'


def staged_line_total(items, rate=1):
    """Sum of the amounts of a list of line items, scaled by a rate."""
    total = sum(item.amount for item in items)
    log.debug("staged line total %s over %d items", total, len(items))
    return total * rate
EOF
    git -C "$r" add -- "$f"
    printf '%s\n' "$f" >"$(git -C "$r" rev-parse --absolute-git-dir)/$MARKER"
    # A second later, `git status` refreshes the index (no racily clean entries left; it keeps
    # the cache-tree as `git add` left it).
    sleep 1.1
    git -C "$r" status --porcelain >/dev/null
}

generate_repo() {
    local r=$1 t0
    t0=$(lg_now)
    lg_log "generating $r (50,000 files, one commit, git fast-import) ..."
    mkdir -p "$(dirname "$r")"
    rm -rf "$r.tmp"
    git init -q -b main "$r.tmp"
    git -C "$r.tmp" config gc.auto 0 # no auto-gc between runs
    git -C "$r.tmp" config user.name Bench
    git -C "$r.tmp" config user.email bench@example.invalid
    gen_tree | git -C "$r.tmp" fast-import --quiet --done || lg_die "git fast-import failed"
    # Check out the tree: the index gets every entry's stat data and a full cache-tree.
    git -C "$r.tmp" reset -q --hard
    stage_change "$r.tmp"
    mv "$r.tmp" "$r"
    lg_log "generated in $(awk -v a="$t0" -v b="$(lg_now)" 'BEGIN { printf "%.0f", b - a }') s"
}

# index_stats INDEX: "ENTRIES VERSION BYTES TREE_NODES TREE_INVALID EXTENSIONS" of an index file
# (cache-tree = the TREE extension; TREE_NODES 0 = no cache-tree).
index_stats() {
    python3 - "$1" <<'PY'
import os, struct, sys
d = open(sys.argv[1], "rb").read()
sig, ver, n = struct.unpack(">4sII", d[:12])
if sig != b"DIRC":
    sys.exit("not an index file")
pos = 12
for _ in range(n):
    flags = struct.unpack(">H", d[pos + 60:pos + 62])[0]
    off = pos + 62 + (2 if ver >= 3 and flags & 0x4000 else 0)
    if ver == 4:
        b = d[off]; off += 1
        while b & 0x80:
            b = d[off]; off += 1
        pos = d.index(b"\0", off) + 1
    else:
        end = d.index(b"\0", off)
        pos += (end + 1 - pos + 7) // 8 * 8
ext, nodes, invalid = [], 0, 0
while pos < len(d) - 20:
    name, size = d[pos:pos + 4], struct.unpack(">I", d[pos + 4:pos + 8])[0]
    ext.append(name.decode("latin-1"))
    if name == b"TREE":
        t, p = d[pos + 8:pos + 8 + size], 0
        while p < len(t):
            z = t.index(b"\0", p); nl = t.index(b"\n", z)
            cnt = int(t[z + 1:nl].split(b" ")[0])
            nodes += 1; p = nl + 1
            if cnt >= 0: p += 20
            else: invalid += 1
    pos += 8 + size
print(n, ver, len(d), nodes, invalid, ",".join(ext) or "none")
PY
}

# ---- repository -------------------------------------------------------------------------------
repo=${1:-${BENCH_DIR:-$HOME/.cache/leakgate-bench}/staged-repo}
[ -e "$repo" ] || generate_repo "$repo"
[ -d "$repo" ] || lg_die "not a directory: $repo"
repo=$(cd "$repo" && pwd -P)
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || lg_die "not a git repository with a HEAD commit: $repo"
gitdir=$(git -C "$repo" rev-parse --absolute-git-dir)
index=$(cd "$repo" && git rev-parse --path-format=absolute --git-path index)
[ -f "$index" ] || lg_die "$repo has no index"

# Our generated repository must be in its benchmark state: exactly the marker's file staged. A
# state left behind by an interrupted run is repaired (reset --hard, the change staged again).
if [ -f "$gitdir/$MARKER" ]; then
    want=$(cat "$gitdir/$MARKER")
    have=$(git -C "$repo" diff --cached --name-only)
    dirty=$(git -C "$repo" status --porcelain --untracked-files=all | grep -vxF "M  $want" || true)
    if [ "$have" != "$want" ] || [ -n "$dirty" ]; then
        lg_warn "$repo is not in its benchmark state (staged: ${have:-nothing}); restoring it"
        git -C "$repo" reset -q --hard
        git -C "$repo" clean -qfd
        stage_change "$repo"
    fi
fi
staged_files=$(git -C "$repo" diff --cached --name-only)
nstaged=$(printf '%s' "$staged_files" | grep -c . || true)
[ "$nstaged" -gt 0 ] || lg_warn "nothing is staged in $repo: every tool has nothing to do"

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-staged.XXXXXX")
cp -p "$index" "$work/index.orig"
# Loose objects present before the runs: any others (kingfisher's temporary commits, the fake
# secrets' blobs) are removed at the end.
find "$gitdir/objects" -path "$gitdir/objects/??/*" -type f | sort >"$work/loose.before"

secret_active=0
secret_file=
restore_state() {
    if [ "$secret_active" = 1 ]; then
        [ -z "$secret_file" ] || rm -f "$repo/$secret_file"
        if [ -f "$work/staged-file.orig" ]; then cp -p "$work/staged-file.orig" "$repo/$(head -n 1 <<<"$staged_files")"; fi
        secret_active=0
    fi
    if ! cmp -s "$index" "$work/index.orig"; then cp -p "$work/index.orig" "$index"; fi
    find "$gitdir/objects" -path "$gitdir/objects/??/*" -type f | sort |
        comm -13 "$work/loose.before" - | xargs -r rm -f
}
cleanup() {
    restore_state || true
    if [ "${KEEP:-0}" = 1 ]; then lg_log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ------------------------------------------------------------------------------------
# tool_cmd TOOL BIN: sets CMD (argv, run inside REPO_DIR). All clean-state runs must exit 0.
tool_cmd() {
    local t=$1 bin=$2
    case $t in
        git) CMD=("$bin" diff --cached --name-only) ;;
        leakgate) CMD=("$bin" staged) ;;
        gitleaks) CMD=("$bin" git --pre-commit --staged --no-banner --exit-code 0 -l error .) ;;
        betterleaks) CMD=("$bin" git --staged --no-banner --exit-code 0 -l error .) ;;
        kingfisher) CMD=("$bin" scan --staged --no-validate --no-update-check .) ;;
    esac
}
# detect_cmd TOOL BIN: sets CMD for the secret check (default exit codes: findings -> non-zero).
detect_cmd() {
    local t=$1 bin=$2
    case $t in
        leakgate) CMD=("$bin" staged) ;;
        gitleaks) CMD=("$bin" git --pre-commit --staged --no-banner -l error .) ;;
        betterleaks) CMD=("$bin" git --staged --no-banner -l error .) ;;
        kingfisher) CMD=("$bin" scan --staged --no-validate --no-update-check .) ;;
        *) CMD=() ;;
    esac
}
# found_status TOOL RC: 0 when RC means "found secrets".
found_status() {
    case $1:$2 in
        leakgate:1 | gitleaks:1 | betterleaks:1 | kingfisher:200 | kingfisher:205) return 0 ;;
    esac
    return 1
}

declare -A BIN VER STATUS WALLS CPUS RSS MUTATED LGRC
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
    case $t in
        git) VER[$t]=$(git --version | awk '{ print $3 }') ;;
        *) VER[$t]=$(lg_tool_version "$t" "$b") ;;
    esac
    if [ "$t" = leakgate ] && ! "$b" staged --help >/dev/null 2>&1; then
        STATUS[$t]="unavailable (no staged command)"
        lg_log "leakgate: '$b staged --help' fails, skipped"
        continue
    fi
    STATUS[$t]=ok; WALLS[$t]=""; CPUS[$t]=""; RSS[$t]=""; MUTATED[$t]=0
    active+=("$t")
    lg_log "$t: $b (${VER[$t]})"
done

# ---- repository stats -------------------------------------------------------------------------
read -r n_entries idx_ver idx_bytes ct_nodes ct_invalid idx_ext <<<"$(index_stats "$index")"
head_id=$(git -C "$repo" rev-parse HEAD)
read -r head_blobs head_bytes <<<"$(git -C "$repo" ls-tree -r -l HEAD | awk '$2 == "blob" { n++; s += $4 } END { printf "%d %d\n", n, s }')"
n_trees=$(git -C "$repo" ls-tree -r -d HEAD | wc -l)
pack_mb=$(find "$gitdir/objects/pack" -name '*.pack' -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f", s / 1048576 }')
numstat=$(git -C "$repo" diff --cached --numstat | awk '{ a += $1; d += $2 } END { printf "+%d/-%d lines", a, d }')
lg_log "repo: $repo: $n_entries index entries, index $idx_bytes bytes (v$idx_ver, cache-tree $ct_nodes nodes, $ct_invalid invalid); staged: $nstaged file(s), $numstat"

# ---- warm up ----------------------------------------------------------------------------------
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
lg_log "warming the page cache (the git dir) and each command once ..."
lg_warm_cache "$gitdir"
cat -- "$repo/$(head -n 1 <<<"$staged_files")" >/dev/null 2>&1 || true
cd "$repo"
for t in "${active[@]}"; do
    tool_cmd "$t" "${BIN[$t]}"
    read -r _ _ rc <<<"$(lg_ptime "$work/$t.out" "$work/$t.err" "${CMD[@]}")"
    if ! cmp -s "$index" "$work/index.orig"; then
        MUTATED[$t]=1
        cp -p "$work/index.orig" "$index"
    fi
    if [ "$rc" != 0 ]; then
        if [ "$t" = leakgate ] && [ "$rc" = 1 ]; then
            lg_warn "leakgate reports findings on the clean staged change (false positive?):"
            head -n 20 "$work/$t.out" | sed 's/^/    /' >&2
        else
            STATUS[$t]="failed (exit $rc)"
            lg_warn "$t warm-up exited $rc; stderr tail:"
            tail -n 5 "$work/$t.err" | sed 's/^/    /' >&2
        fi
    fi
done

# ---- timed runs -------------------------------------------------------------------------------
t_start=$(lg_now)
for ((i = 1; i <= runs; i++)); do
    line="run $i/$runs"
    for t in "${active[@]}"; do
        [ "${STATUS[$t]}" = ok ] || continue
        tool_cmd "$t" "${BIN[$t]}"
        read -r wall cpu rc <<<"$(lg_ptime "$work/$t.out" "$work/$t.err" "${CMD[@]}")"
        if ! cmp -s "$index" "$work/index.orig"; then
            MUTATED[$t]=1
            cp -p "$work/index.orig" "$index"
        fi
        if [ "$rc" != 0 ] && ! { [ "$t" = leakgate ] && [ "$rc" = 1 ]; }; then
            STATUS[$t]="failed (exit $rc)"
            [ "$rc" != 124 ] || STATUS[$t]="timed out (> ${TIMEOUT}s)"
            lg_warn "$t run $i exited $rc; stderr tail:"
            tail -n 5 "$work/$t.err" | sed 's/^/    /' >&2
            continue
        fi
        LGRC[$t]=$rc
        WALLS[$t]+=" $(awk -v s="$wall" 'BEGIN { printf "%.3f", s * 1000 }')"
        CPUS[$t]+=" $(awk -v s="$cpu" 'BEGIN { printf "%.3f", s * 1000 }')"
        line+="  $t $(awk -v s="$wall" 'BEGIN { printf "%.1f", s * 1000 }')"
    done
    lg_log "$line  (ms)"
done
t_end=$(lg_now)
# Peak RSS: one more run of each under GNU time (lg_ptime cannot measure it).
for t in "${active[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    tool_cmd "$t" "${BIN[$t]}"
    read -r _ rss _ <<<"$(lg_time "$work/$t.out" "$work/$t.err" "${CMD[@]}")"
    RSS[$t]=$rss
    if ! cmp -s "$index" "$work/index.orig"; then MUTATED[$t]=1; cp -p "$work/index.orig" "$index"; fi
done
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# ---- correctness (untimed) --------------------------------------------------------------------
# Clean state: leakgate must exit 0 (it did in every timed run unless flagged).
declare -A DET_MOD DET_NEW
clean_verdict="n/a"
if [ "${STATUS[leakgate]:-}" = ok ]; then
    if [ "${LGRC[leakgate]:-}" = 0 ]; then clean_verdict="ok (exit 0, no finding)"; else clean_verdict="FAIL (exit ${LGRC[leakgate]:-?}: findings on clean lines)"; fi
fi

# fake_aws: "KEY_ID SECRET_KEY", made at run time: AKIA + 16 random [A-Z2-7] and 40 random
# [A-Za-z0-9+/], each with a Shannon entropy of at least 3.5 bits per character.
fake_aws() {
    python3 -c '
import math, secrets, string
def h(k): return -sum(k.count(c) / len(k) * math.log2(k.count(c) / len(k)) for c in set(k))
def make(prefix, alpha, n):
    while True:
        k = prefix + "".join(secrets.choice(alpha) for _ in range(n))
        if h(k) >= 3.5 and "EXAMPLE" not in k:
            return k
print(make("AK" + "IA", string.ascii_uppercase + "234567", 16),
      make("", string.ascii_letters + string.digits + "+/", 40))
'
}

# med_ms N CMD...: median wall milliseconds of N runs of CMD (in the current directory).
med_ms() {
    local n=$1 i wall ws=
    shift
    for ((i = 1; i <= n; i++)); do
        read -r wall _ _ <<<"$(lg_ptime /dev/null /dev/null "$@")"
        ws+=" $(awk -v s="$wall" 'BEGIN { printf "%.3f", s * 1000 }')"
    done
    # shellcheck disable=SC2086
    printf '%.1f\n' "$(lg_median $ws)"
}

# secret_round LABEL: run every tool's detection command on the current (secret) staged state.
secret_round() {
    local label=$1 t rc v
    for t in "${active[@]}"; do
        detect_cmd "$t" "${BIN[$t]}"
        if [ "$t" = git ]; then
            v="$(med_ms 7 git diff --cached --name-only) ms"
        else
            read -r _ _ rc <<<"$(lg_ptime "$work/$t.det.out" "$work/$t.det.err" "${CMD[@]}")"
            if found_status "$t" "$rc"; then v="caught (exit $rc)"; else v="MISSED (exit $rc)"; fi
            [ "$t" != leakgate ] || v+=", $(med_ms 7 "${CMD[@]}") ms"
        fi
        if [ "$label" = mod ]; then DET_MOD[$t]=$v; else DET_NEW[$t]=$v; fi
        lg_log "secret check ($label) $t: $v"
        if [ "$t" = leakgate ] && ! found_status "$t" "$rc"; then
            lg_warn "leakgate did not catch the staged fake key; output:"
            head -n 20 "$work/$t.det.out" "$work/$t.det.err" | sed 's/^/    /' >&2
        fi
    done
}

if [ "$nstaged" -ge 1 ] && [ -n "${BIN[leakgate]:-}${BIN[gitleaks]:-}${BIN[betterleaks]:-}${BIN[kingfisher]:-}" ]; then
    staged1=$(head -n 1 <<<"$staged_files")
    cp -p "$repo/$staged1" "$work/staged-file.orig"
    secret_active=1
    # (a) a line with a fake key ID appended to the already staged (modified) file
    read -r kid _ <<<"$(fake_aws)"
    printf 'AWS_ACCESS_KEY_ID = "%s"  # added in the staged change\n' "$kid" >>"$repo/$staged1"
    git add -- "$staged1"
    secret_round mod
    cp -p "$work/staged-file.orig" "$repo/$staged1"
    cp -p "$work/index.orig" "$index"
    # (b) a new file with another fake key ID and its secret key, next to the staged file
    read -r kid skey <<<"$(fake_aws)"
    secret_file=$(dirname "$staged1")/aws_settings_local.py
    printf '"""Local AWS settings."""\n\nAWS_REGION = "eu-west-1"\nAWS_ACCESS_KEY_ID = "%s"\nAWS_SECRET_ACCESS_KEY = "%s"\n' \
        "$kid" "$skey" >"$repo/$secret_file"
    git add -- "$secret_file"
    secret_round new
    kid='' skey=''
    restore_state
    secret_file=
fi
# The benchmark state is back: same index bytes, same staged file content.
restored="ok"
cmp -s "$index" "$work/index.orig" || restored="FAIL (index differs)"
[ "$(git -C "$repo" diff --cached --name-only)" = "$staged_files" ] || restored="FAIL (staged files differ)"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=all | grep -v '^M  ' || true)" ]; then
    restored="FAIL (working tree differs)"
fi

# ---- report -----------------------------------------------------------------------------------
declare -A MED P90 CPU
for t in "${active[@]}"; do
    [ "${STATUS[$t]}" = ok ] || continue
    # shellcheck disable=SC2086 # word splitting of the space-separated samples is intended
    MED[$t]=$(lg_median ${WALLS[$t]})
    # shellcheck disable=SC2086
    P90[$t]=$(lg_percentile 90 ${WALLS[$t]})
    # shellcheck disable=SC2086
    CPU[$t]=$(lg_median ${CPUS[$t]})
done
git_med=${MED[git]:-}
lg_med=${MED[leakgate]:-}

echo
echo "Repository: \`$repo\`: $n_entries index entries ($head_blobs files in HEAD, $n_trees directories, $(awk -v b="$head_bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MB), HEAD $head_id, pack $pack_mb MB."
echo "Index: $idx_bytes bytes, version $idx_ver, extensions $idx_ext; cache-tree $ct_nodes nodes, $ct_invalid invalidated (along the staged file's path)."
echo "Staged: $nstaged file(s), $numstat: \`$(tr '\n' ' ' <<<"$staged_files" | sed 's/ $//')\`."
echo "Median and p90 (nearest rank) of $runs runs, round-robin, after one warm-up run each; warm page cache. Peak RSS from one extra run under GNU time."
echo "Machine: $(lg_machine). Load average (1/5/15 min) before: $load0; after: $load1 (the timed part took $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.0f", b - a }') s)."
echo
echo "| tool | median ms | p90 ms | peak RSS MB | x git floor | x leakgate | median CPU ms (x git) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in "${tools[@]}"; do
    name="$t ${VER[$t]:-}"
    [ "$t" = git ] && name="git diff --cached --name-only (floor), git ${VER[$t]:-}"
    if [ "${STATUS[$t]}" = ok ]; then
        printf '| %s | %.1f | %.1f | %s | %s | %s | %.1f (%s) |\n' "$name" "${MED[$t]}" "${P90[$t]}" \
            "$(lg_kb_to_mb "${RSS[$t]}")" "$(lg_ratio "${MED[$t]}" "$git_med")" "$(lg_ratio "${MED[$t]}" "$lg_med")" \
            "${CPU[$t]}" "$(lg_ratio "${CPU[$t]}" "${CPU[git]:-}")"
    else
        printf '| %s | %s | - | - | - | - | - |\n' "$name" "${STATUS[$t]}"
    fi
done
echo
echo "Goal: leakgate's median within 1.2x of git's own and at least 10x faster than every peer."
if [ -n "$lg_med" ] && [ -n "$git_med" ]; then
    v=$(awk -v a="$lg_med" -v b="$git_med" 'BEGIN { printf "%s (%.2fx)", (a <= 1.2 * b ? "met" : "NOT met"), a / b }')
    echo "- leakgate vs git floor: $v"
fi
if [ -n "$lg_med" ]; then
    for t in gitleaks betterleaks kingfisher; do
        [ -n "${MED[$t]:-}" ] || continue
        v=$(awk -v a="${MED[$t]}" -v b="$lg_med" 'BEGIN { printf "%s (%.1fx)", (a >= 10 * b ? "met" : "NOT met"), a / b }')
        echo "- $t / leakgate >= 10x: $v"
    done
fi
echo
echo "Commands (each run with REPO_DIR as the working directory, stdin /dev/null):"
echo
for t in "${tools[@]}"; do
    [ -n "${BIN[$t]:-}" ] || continue
    tool_cmd "$t" "$(basename "${BIN[$t]}")"
    printf -- "- \`%s\`\n" "${CMD[*]}"
done
echo
echo "Correctness (not part of the timed runs; fake AWS credentials generated at run time):"
echo
echo "- leakgate on the clean staged change: $clean_verdict"
# shellcheck disable=SC2016 # markdown backticks, nothing to expand
echo '- (a) lone key ID `AKIA` + 16 random [A-Z2-7] on a line appended to the staged file; (b) new staged file with a key ID and a 40-character secret access key. Verdict from the exit status (default exit codes); medians of 7 runs for leakgate and git in that state:'
echo
echo "| tool | (a) key ID added to the modified file | (b) new file with key ID + secret key |"
echo "|---|---|---|"
for t in "${active[@]}"; do
    name=$t; [ "$t" = git ] && name="git diff --cached --name-only (time only)"
    echo "| $name | ${DET_MOD[$t]:-n/a} | ${DET_NEW[$t]:-n/a} |"
done
echo
echo "- benchmark state restored afterwards (index bytes, staged file, no stray files, new loose objects removed): $restored"
for t in "${active[@]}"; do
    if [ "${MUTATED[$t]}" = 1 ]; then
        echo "- note: $t rewrote .git/index during its runs (restored after each run, untimed)."
    fi
done
[ -n "$lg_med" ] || echo "- leakgate has no timing (${STATUS[leakgate]:-not in TOOLS}): the x leakgate column is n/a."

# ---- breakdown --------------------------------------------------------------------------------
want_breakdown=${BREAKDOWN:-}
if [ -z "$want_breakdown" ] && [ -n "$lg_med" ] && [ -n "$git_med" ]; then
    want_breakdown=$(awk -v a="$lg_med" -v b="$git_med" 'BEGIN { print (a > 1.2 * b) ? 1 : 0 }')
fi
if [ "${want_breakdown:-0}" = 1 ] && [ "${STATUS[leakgate]:-}" = ok ]; then
    lgb=${BIN[leakgate]}
    echo
    echo "### Where leakgate's time goes"
    echo
    # Fixed cost: the same command in a one-file repository with a one-line staged change.
    tiny=$work/tiny-repo
    git init -q "$tiny"
    printf 'x = 1\n' >"$tiny/a.py"
    git -C "$tiny" add a.py
    git -C "$tiny" -c user.name=b -c user.email=b@example.invalid commit -qm init
    printf 'y = 2\n' >>"$tiny/a.py"
    git -C "$tiny" add a.py
    tw=
    for ((i = 1; i <= 15; i++)); do
        read -r wall _ _ <<<"$(cd "$tiny" && lg_ptime /dev/null /dev/null "$lgb" staged)"
        tw+=" $(awk -v s="$wall" 'BEGIN { printf "%.3f", s * 1000 }')"
    done
    # shellcheck disable=SC2086
    tiny_med=$(lg_median $tw)
    echo "- fixed cost (start-up, rules load and compile, one-line scan) in a one-file repository: median $(printf '%.1f' "$tiny_med") ms of 15; the remaining ~$(awk -v a="$lg_med" -v b="$tiny_med" 'BEGIN { printf "%.1f", a - b }') ms scale with the repository (index read, cache-tree walk, tree reads)."
    if command -v perf >/dev/null 2>&1 &&
        perf stat -x, -r 10 -e task-clock,page-faults,context-switches -o "$work/perf.txt" "$lgb" staged >/dev/null 2>&1; then
        perf stat -x, -r 10 -e task-clock,page-faults -o "$work/perf-git.txt" git diff --cached --name-only >/dev/null 2>&1 || true
        echo "- \`perf stat -r 10\` (CPU time vs wall; user+sys CPU in task-clock):"
        echo
        echo '```'
        awk -F, '/^[0-9]/ { printf "leakgate staged              %12s %-6s %s\n", $1, $2, $3 }' "$work/perf.txt"
        awk -F, '/^[0-9]/ { printf "git diff --cached --name-only %12s %-6s %s\n", $1, $2, $3 }' "$work/perf-git.txt" 2>/dev/null || true
        echo '```'
        # Flat profile (self time by symbol) over 10 runs.
        # shellcheck disable=SC2016 # $0 is expanded by the inner bash
        if perf record -q -F 10000 -o "$work/perf.data" -- \
            bash -c 'for _ in 1 2 3 4 5 6 7 8 9 10; do "$0" staged >/dev/null; done' "$lgb" >/dev/null 2>&1; then
            echo "- \`perf record\` flat profile of 10 runs (self time, top 15 symbols of the leakgate process):"
            echo
            echo '```'
            perf report -i "$work/perf.data" --comm "$(basename "$lgb")" --no-children --sort dso,symbol \
                --stdio 2>/dev/null | awk 'n < 15 && /^ +[0-9.]+%/ { $0 = substr($0, 1, 120); sub(/ +$/, ""); print; n++ }' || true
            echo '```'
        fi
    else
        echo "- perf stat: unavailable (perf missing or not permitted)."
    fi
    if command -v strace >/dev/null 2>&1 && strace -c -f -o "$work/strace.txt" "$lgb" staged >/dev/null 2>&1; then
        echo "- \`strace -c -f leakgate staged\` (syscall time, top 10; syscalls are a small part when CPU dominates):"
        echo
        echo '```'
        sed -n '1,12p' "$work/strace.txt"
        echo '```'
        strace -f -e trace=openat -o "$work/strace-open.txt" "$lgb" staged >/dev/null 2>&1 || true
        echo "- files opened: $(grep -c 'openat(' "$work/strace-open.txt" 2>/dev/null || echo '?') (index: $(grep -c '/index"' "$work/strace-open.txt" 2>/dev/null || echo '?'), packs/idx: $(grep -cE '\.(pack|idx)"' "$work/strace-open.txt" 2>/dev/null || echo '?'), loose objects: $(grep -cE 'objects/[0-9a-f]{2}/' "$work/strace-open.txt" 2>/dev/null || echo '?'))."
    else
        echo "- strace: unavailable."
    fi
fi
