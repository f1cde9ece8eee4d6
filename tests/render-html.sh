#!/usr/bin/env bash
# Render the audit HTML report in headless Chromium (Debian's `chromium` package), take a
# screenshot, and check that no secret appears in clear text in the rendered page (the DOM after
# layout, not just the file). Not part of `cargo test` (it needs Chromium); run it by hand or in CI:
#   tests/render-html.sh [OUT_DIR]          # default OUT_DIR: target/html-render
# Exit status: 0 rendered and clean; 1 a secret leaked or rendering failed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/html-render}
mkdir -p "$out"
out=$(cd "$out" && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "installing Debian's chromium package" >&2
  apt-get install -y -qq chromium >/dev/null
  chromium=$(command -v chromium)
fi
cargo build --release -q
bin=$PWD/target/release/leakgate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
git init -q -b main "$repo"
g() { git -C "$repo" -c user.name="Ana Auditor" -c user.email=ana@example.org -c commit.gpgsign=false "$@"; }
# Secrets are generated here, never stored in the repository.
rand() { python3 -c "import secrets,sys; a=sys.argv[1]; print(''.join(secrets.choice(a) for _ in range(int(sys.argv[2]))))" "$1" "$2"; }
AL='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
ANT="sk-ant-api03-$(rand "${AL}0123456789_-" 93)AA"
HF="hf_$(rand "$AL" 34)"
AWS="AKIA$(rand ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)"
LOST="hf_$(rand "$AL" 34)"
git init -q --bare "$work/origin.git"
g remote add origin "$work/origin.git"
printf '.envrc\n.env\n' > "$repo/.gitignore"; echo 'import anthropic' > "$repo/train.py"
g add -A; GIT_COMMITTER_DATE=2024-02-01T09:00:00Z g commit -q -m initial --date 2024-02-01T09:00:00Z
mkdir -p "$repo/config"; printf 'KEY = "%s"\n' "$AWS" > "$repo/config/settings.py"
g add -A; GIT_COMMITTER_DATE=2024-05-10T10:00:00Z g commit -q -m "add settings" --date 2024-05-10T10:00:00Z
g push -q origin main
echo "token = $HF" > "$repo/hf.cfg"; g add -A; GIT_COMMITTER_DATE=2025-03-03T12:00:00Z g commit -q -m "try hf" --date 2025-03-03T12:00:00Z
g rm -q hf.cfg; GIT_COMMITTER_DATE=2025-03-04T12:00:00Z g commit -q -m "remove hf" --date 2025-03-04T12:00:00Z
echo "T=$LOST" > "$repo/oops.env"; g add -A; GIT_COMMITTER_DATE=2025-09-09T09:00:00Z g commit -q -m oops --date 2025-09-09T09:00:00Z
g reset -q --hard HEAD~1
echo "export ANTHROPIC_API_KEY=$ANT" > "$repo/.envrc"
echo "HF_TOKEN=$HF" > "$repo/.env"

set +e
"$bin" audit "$repo" --format html --output "$out/audit.html"
code=$?
set -e
[ "$code" = 1 ] || { echo "expected exit 1 (findings), got $code" >&2; exit 1; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --window-size=1200,1800)
"$chromium" "${flags[@]}" --screenshot="$out/audit.png" "file://$out/audit.html" >/dev/null 2>&1
"$chromium" "${flags[@]}" --dump-dom "file://$out/audit.html" > "$out/audit.dom.html" 2>/dev/null
[ -s "$out/audit.png" ] || { echo "no screenshot" >&2; exit 1; }
grep -q "Rotation plan" "$out/audit.dom.html" || { echo "page did not render" >&2; exit 1; }
for s in "$ANT" "$HF" "$AWS" "$LOST"; do
  if grep -qF "$s" "$out/audit.dom.html" "$out/audit.html"; then
    echo "LEAK: a secret appears in clear text in the rendered page" >&2; exit 1
  fi
done
echo "rendered: $out/audit.png ($(stat -c %s "$out/audit.png") bytes); no secret in the page or its DOM"
