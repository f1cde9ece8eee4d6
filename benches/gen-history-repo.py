#!/usr/bin/env python3
"""Generate a deterministic git history with planted secrets, for `leakgate history` benchmarks.

usage: benches/gen-history-repo.py OUT_DIR [--commits 5000] [--mb 300] [--seed 1]
                                   [--manifest FILE] [--repack full|gc|none] [--force]

Builds a bare repository in OUT_DIR with a `git fast-import` stream written by this script:
  * at least --commits commits (main line, feature branches, merges, tag-only hotfixes);
  * at least --mb MB of unique blob content, made of real text found on this machine (Python
    standard library, /usr/lib/python3/dist-packages, /usr/share/doc, ~/.cargo/registry/src),
    imported package by package and then edited over time (replaced, inserted, deleted and
    appended lines), with files deleted and renamed along the way;
  * a main branch, merged and unmerged feature branches, annotated and lightweight tags;
  * 36 planted secrets, generated from the seed (see PLACEMENTS), listed in a JSON-lines
    manifest outside the repository (default: OUT_DIR/../<basename>.planted.jsonl).

Deterministic: the same seed, sizes and source files give the same repository and the same
commit ids (fixed authors, committers and dates, no wall clock, no hash randomisation). The
source corpus is fingerprinted in the manifest's header line; if the machine's files differ
(e.g. new crates in ~/.cargo/registry), the repository differs too.

Manifest lines: a header {"manifest": ..., "seed": ..., "corpus_sha1": ..., ...}, then one object
per planted secret: id, kind, rule_hint, secret, match (substring to look for in a report; the
secret itself except for private keys), path, where (main | deleted | branch | tag | merge |
message), ref, commit (the commit that first exposes it), removed_in (for deleted / merge), note.
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zlib

# Iterating a set of strings depends on PYTHONHASHSEED; pin it so nothing can leak into the output.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

HOME = os.path.expanduser("~")

# (glob, repo prefix, share of the corpus, how unit names are mapped)
SOURCES = [
    (HOME + "/.pyenv/versions/*/lib/python3.*", "python/stdlib", 0.35, "plain"),
    ("/usr/lib/python3/dist-packages", "python/vendor", 0.10, "plain"),
    ("/usr/share/doc", "docs/packages", 0.15, "plain"),
    (HOME + "/.cargo/registry/src/*", "third_party/rust", 0.40, "crate"),
]
SKIP_DIRS = {"__pycache__", ".git", "site-packages", "node_modules", "target", ".hg", ".svn"}
SAFE_PATH = re.compile(r"^[A-Za-z0-9._+/-]+$")
MIN_FILE, MAX_FILE = 400, 256 * 1024  # corpus files outside this size range are skipped
MAX_EDITED = 512 * 1024  # edited files are shrunk when they grow beyond this

# Paths that gitleaks' default config allowlists globally: never plant a secret there.
PEER_ALLOWLISTED = re.compile(
    r"(?:^|/)(?:node_modules|vendor|site-packages|dist-packages|v?env|virtualenv)(?:/|$)"
    r"|(?:^|/)(?:go\.(?:mod|sum|work)|gradlew|gradle\.properties|[^/]*\.lock|package-lock\.json"
    r"|yarn\.lock|pnpm-lock\.yaml)$|\.(?:js|css)\.map$|\.(?:svg|pdf|png|jpe?g|gif)$|gitleaks"
)
INJECT_EXT = (".py", ".rs", ".md", ".txt", ".rst", ".toml", ".cfg", ".ini", ".yaml", ".yml",
              ".sh", ".c", ".h", ".html")

AUTHORS = [
    ("Ada Marsh", "ada.marsh@example.com", "+0100"),
    ("Bruno Keller", "bruno@keller.dev", "+0200"),
    ("Chen Wei", "chen.wei@example.org", "+0800"),
    ("Dana Okafor", "dana.okafor@example.com", "+0000"),
    ("Emil Lindqvist", "emil@lindqvist.se", "+0100"),
    ("Farah Haddad", "farah.h@example.net", "+0300"),
    ("Gustavo Pereira", "gpereira@example.com", "-0300"),
    ("Hana Sato", "hana.sato@example.jp", "+0900"),
    ("Ian McAllister", "ian@mcallister.io", "+0000"),
    ("Julia Novak", "julia.novak@example.cz", "+0100"),
    ("Kofi Mensah", "kofi@example.gh", "+0000"),
    ("Laura Jimenez", "laura.jimenez@example.es", "+0100"),
    ("ci-bot", "ci-bot@example.com", "+0000"),
]
EPOCH = 1546333200  # 2019-01-01 09:00:00 UTC

VERBS = ["Fix", "Update", "Refactor", "Clean up", "Tweak", "Improve", "Simplify", "Document",
         "Rework", "Adjust", "Tidy", "Harden", "Speed up", "Correct"]
TOPICS = ["error handling", "docs", "edge cases", "naming", "tests", "logging", "parsing",
          "formatting", "imports", "comments", "examples", "config loading", "typos",
          "deprecation warnings", "buffer sizes", "retry logic"]
FEATURES = ["oauth-login", "billing-v2", "search-index", "rate-limiter", "s3-backups",
            "dark-mode", "metrics-export", "plugin-api", "async-io", "i18n", "audit-log",
            "webhooks", "sso-saml", "cache-layer", "bulk-import", "graphql", "notifications",
            "cli-rewrite", "ldap-sync", "exporter"]

KINDS = ["aws", "github", "slack", "stripe", "private-key", "anthropic", "huggingface", "openai"]
RULE_HINT = {
    "aws": "aws-access-key-id", "github": "github-personal-access-token",
    "slack": "slack-bot-token", "stripe": "stripe-live-secret-key",
    "private-key": "private-key-pem", "anthropic": "anthropic-api-key",
    "huggingface": "huggingface-access-token", "openai": "openai-project-api-key",
}
VAR = {
    "github": "GITHUB_TOKEN", "slack": "SLACK_BOT_TOKEN", "stripe": "STRIPE_SECRET_KEY",
    "anthropic": "ANTHROPIC_API_KEY", "huggingface": "HF_TOKEN", "openai": "OPENAI_API_KEY",
}
# Where the 36 secrets go: (where, count). main = live at main's tip (some added on a feature
# branch that was merged, some in deep paths); deleted = in history only (file deleted, or the
# lines edited out later); branch = only on an unmerged branch; tag = only on a commit that just
# a tag reaches; merge = only in a merge commit's own content (in neither parent, removed by the
# next commit); message = in a commit message.
PLACEMENTS = [("main", 8), ("main-deep", 4), ("main-via-branch", 4), ("deleted-file", 4),
              ("deleted-lines", 4), ("branch", 6), ("tag", 4), ("merge", 1), ("message", 1)]

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64URL = ALNUM + "_-"
LETTERS = ALNUM[:52]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- secrets -----------------------------------------------------------------------------------

def rstr(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def is_probable_prime(n, rng):
    if n < 4:
        return n in (2, 3)
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(24):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


SMALL_PRIMES = [p for p in range(3, 2000) if all(p % q for q in range(2, int(p ** 0.5) + 1))]


def gen_prime(rng, bits):
    while True:
        c = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if is_probable_prime(c, rng):
            return c


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")  # room for the sign bit
    return b"\x02" + der_len(len(b)) + b


def gen_rsa_pem(rng, bits=2048):
    """A structurally valid PKCS#1 RSA private key, generated from rng (deterministic)."""
    e = 65537
    while True:
        p, q = gen_prime(rng, bits // 2), gen_prime(rng, bits // 2)
        if p == q:
            continue
        phi = (p - 1) * (q - 1)
        if phi % e:
            break
    if p < q:
        p, q = q, p
    n, d = p * q, pow(e, -1, (p - 1) * (q - 1))
    body = b"".join(der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)))
    der = b"\x30" + der_len(len(body)) + body
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n", lines


def github_token(rng):
    body = rstr(rng, ALNUM, 30)
    crc = zlib.crc32(body.encode())
    chk = ""
    while crc:
        crc, r = divmod(crc, 62)
        chk = B62[r] + chk
    return "ghp_" + body + chk.rjust(6, "0")


def gen_secret(rng, kind):
    """(secret, match substring, extra fields)."""
    if kind == "aws":
        kid = "AKIA" + rstr(rng, B32, 16)
        sak = rstr(rng, ALNUM + "/+", 40)
        return kid, kid, {"aws_secret_access_key": sak}
    if kind == "github":
        t = github_token(rng)
        return t, t, {}
    if kind == "slack":
        t = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1),
                               rstr(rng, ALNUM, 24))
        return t, t, {}
    if kind == "stripe":
        t = "sk_live_" + rstr(rng, ALNUM, 32)
        return t, t, {}
    if kind == "private-key":
        pem, lines = gen_rsa_pem(rng)
        return pem, lines[2][8:56], {}
    if kind == "anthropic":
        t = "sk-ant-api03-" + rstr(rng, ALNUM, 1) + rstr(rng, B64URL, 92) + "AA"
        return t, t, {}
    if kind == "huggingface":
        t = "hf_" + rstr(rng, LETTERS, 34)
        return t, t, {}
    if kind == "openai":
        t = ("sk-proj-" + rstr(rng, ALNUM, 1) + rstr(rng, B64URL, 73) + "T3BlbkFJ"
             + rstr(rng, B64URL, 73) + rstr(rng, ALNUM, 1))
        return t, t, {}
    raise ValueError(kind)


def assign_lines(kind, secret, extra, style):
    """Lines that assign the secret, in the syntax of a file of the given style."""
    if kind == "aws":
        sak = extra["aws_secret_access_key"]
        if style == "py":
            return ['AWS_ACCESS_KEY_ID = "%s"' % secret, 'AWS_SECRET_ACCESS_KEY = "%s"' % sak]
        if style == "rs":
            # Not `const X: &str = "..."`: betterleaks' (and so kingfisher's) aws-access-token rule
            # only fires next to a secret access key its own regex recognises, and the type
            # annotation hides that one.
            return ['let aws_access_key_id = "%s";' % secret, 'let aws_secret_access_key = "%s";' % sak]
        if style == "ini":
            return ["aws_access_key_id = %s" % secret, "aws_secret_access_key = %s" % sak]
        if style == "yaml":
            return ["aws_access_key_id: %s" % secret, "aws_secret_access_key: %s" % sak]
        return ["export AWS_ACCESS_KEY_ID=%s" % secret, "export AWS_SECRET_ACCESS_KEY=%s" % sak]
    var = VAR[kind]
    if style == "py":
        return ['%s = "%s"  # TODO move to the vault' % (var, secret)]
    if style == "rs":
        return ['const %s: &str = "%s";' % (var, secret)]
    if style == "c":
        return ['static const char *%s = "%s";' % (var.lower(), secret)]
    if style == "ini":
        return ["%s = %s" % (var.lower(), secret)]
    if style == "yaml":
        return ["%s: \"%s\"" % (var.lower(), secret)]
    if style == "env":
        return ["%s=%s" % (var, secret)]
    return ['export %s="%s"' % (var, secret)]


def style_of(path):
    ext = os.path.splitext(path)[1]
    return {".py": "py", ".rs": "rs", ".c": "c", ".h": "c", ".toml": "ini", ".cfg": "ini",
            ".ini": "ini", ".yaml": "yaml", ".yml": "yaml", ".env": "env"}.get(ext, "sh")


# ---- corpus ------------------------------------------------------------------------------------

def is_text(data):
    if b"\0" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def walk_sorted(top):
    """Regular files under top (a file or a directory), sorted, no symlinks, skipping SKIP_DIRS."""
    if os.path.islink(top):
        return
    if os.path.isfile(top):
        yield top
        return
    try:
        entries = sorted(os.listdir(top))
    except OSError:
        return
    for name in entries:
        p = os.path.join(top, name)
        if os.path.islink(p):
            continue
        if os.path.isdir(p):
            if name not in SKIP_DIRS:
                yield from walk_sorted(p)
        elif os.path.isfile(p):
            yield p


def unit_name(name, mode):
    if mode == "crate":
        return re.sub(r"-\d+\.\d+\.\d+.*$", "", name)
    return name


def collect_corpus(budget, seed):
    """[(repo_path, bytes)] of unique text files, package by package, about `budget` bytes."""
    roots = []
    for pattern, prefix, share, mode in SOURCES:
        for r in sorted(glob.glob(pattern)):
            if os.path.isdir(r) and not os.path.islink(r):
                roots.append((r, prefix, share, mode))
                break  # one version of each source
    if not roots:
        sys.exit("gen-history-repo: no source text found (looked at %s)" % ", ".join(s[0] for s in SOURCES))
    total_share = sum(r[2] for r in roots)
    files, seen, seen_units, used = [], set(), set(), 0
    fp = hashlib.sha1()
    leftovers = []
    for root, prefix, share, mode in roots:
        quota = budget * share / total_share
        units = sorted(os.listdir(root), key=lambda u: hashlib.sha1(("%s:%s" % (seed, u)).encode()).hexdigest())
        got = 0
        pending = []
        for u in units:
            if u in SKIP_DIRS or u.startswith("."):
                continue
            name = unit_name(u, mode)
            if not SAFE_PATH.match(name) or (prefix, name) in seen_units:
                continue
            seen_units.add((prefix, name))
            if got >= quota:
                pending.append((root, prefix, u, name))
                continue
            got += add_unit(root, prefix, u, name, files, seen, fp, quota - got)
        used += got
        leftovers.extend(pending)
    for root, prefix, u, name in leftovers:  # sources that were short: top up from the others
        if used >= budget:
            break
        used += add_unit(root, prefix, u, name, files, seen, fp, budget - used)
    return files, used, fp.hexdigest()


def add_unit(root, prefix, u, name, files, seen, fp, limit):
    got = 0
    top = os.path.join(root, u)
    for p in walk_sorted(top):
        if got >= limit:
            break
        rel = os.path.relpath(p, top)
        repo_path = prefix + "/" + name + ("" if rel == "." else "/" + rel)
        if not SAFE_PATH.match(repo_path) or "//" in repo_path:
            continue
        try:
            size = os.path.getsize(p)
            if size < MIN_FILE or size > MAX_FILE:
                continue
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if not is_text(data):
            continue
        h = hashlib.sha1(data).digest()
        if h in seen:
            continue
        seen.add(h)
        fp.update(repo_path.encode() + b"\0" + h)
        files.append((repo_path, data))
        got += len(data)
    return got


# ---- history model -----------------------------------------------------------------------------

class Live:
    """Paths of a tree with O(1) random choice and removal."""

    def __init__(self):
        self.content = {}
        self.order = []
        self.idx = {}

    def put(self, path, data):
        if path not in self.content:
            self.idx[path] = len(self.order)
            self.order.append(path)
        self.content[path] = data

    def remove(self, path):
        del self.content[path]
        i = self.idx.pop(path)
        last = self.order.pop()
        if i < len(self.order):
            self.order[i] = last
            self.idx[last] = i

    def choice(self, rng, ok, tries=60):
        for _ in range(tries):
            if not self.order:
                return None
            p = self.order[rng.randrange(len(self.order))]
            if ok(p):
                return p
        return None


class Gen:
    def __init__(self, args, corpus, out):
        self.args = args
        self.rng = random.Random("history:%d" % args.seed)
        self.srng = random.Random("secrets:%d" % args.seed)
        self.corpus = corpus
        self.next_file = 0
        self.out = out
        self.mark = 0
        self.clock = EPOCH
        self.seen = set()
        self.blob_bytes = 0
        self.blob_count = 0
        self.commits = 0
        self.main = Live()
        self.hot = []
        self.locked = set()  # owned by an open feature branch: main leaves them alone
        self.protected = set()  # hold a planted secret: no random edits, deletes or renames
        self.main_tip = None
        self.planted = []
        self.pending_removals = []  # (main event index, action)
        self.message_secret = None

    # -- stream helpers --
    def w(self, s):
        self.out.write(s if isinstance(s, bytes) else s.encode())

    def data(self, b):
        if isinstance(b, str):
            b = b.encode()
        self.w(b"data %d\n" % len(b))
        self.w(b)
        self.w(b"\n")

    def unique(self, data, tag):
        """data, made unique among all blobs written so far (appends a line when needed)."""
        n = 0
        while True:
            h = hashlib.sha1(data).digest()
            if h not in self.seen:
                self.seen.add(h)
                self.blob_bytes += len(data)
                self.blob_count += 1
                return data
            n += 1
            data = data + (b"\n" if not data.endswith(b"\n") else b"") + b"# rev %s.%d\n" % (tag.encode(), n)

    def tick(self):
        self.clock += self.rng.randint(300, 6 * 3600) if self.rng.random() < 0.9 else self.rng.randint(6 * 3600, 4 * 86400)
        return self.clock

    def begin(self, ref, msg, parent=None, merge=None, author=None):
        self.mark += 1
        self.commits += 1
        name, email, tz = author or AUTHORS[self.rng.randrange(len(AUTHORS))]
        ts = self.tick()
        self.w("commit %s\nmark :%d\n" % (ref, self.mark))
        self.w("author %s <%s> %d %s\n" % (name, email, ts - self.rng.randint(0, 3600), tz))
        self.w("committer %s <%s> %d %s\n" % (name, email, ts, tz))
        self.data(msg)
        if parent:
            self.w("from :%d\n" % parent)
        if merge:
            self.w("merge :%d\n" % merge)
        return self.mark

    def m(self, path, data):
        self.w("M 100644 inline %s\n" % path)
        self.data(data)

    # -- content --
    def donor(self, k):
        path, data = self.corpus[self.rng.randrange(len(self.corpus))]
        lines = data.split(b"\n")
        s = self.rng.randrange(max(1, len(lines) - k))
        return lines[s:s + k]

    def edit(self, data, tag):
        lines = data.split(b"\n")
        for _ in range(self.rng.randint(1, 3)):
            r = self.rng.random()
            pos = self.rng.randrange(len(lines) + 1)
            if r < 0.35:
                k = self.rng.randint(1, 12)
                lines[pos:pos + k] = self.donor(self.rng.randint(1, 12))
            elif r < 0.6:
                lines[pos:pos] = self.donor(self.rng.randint(1, 30))
            elif r < 0.75 and len(lines) > 40:
                del lines[pos:pos + self.rng.randint(1, 25)]
            elif r < 0.85 and pos < len(lines):
                w = lines[pos].split(b" ")
                self.rng.shuffle(w)
                lines[pos] = b" ".join(w) + b" "
            else:
                lines.extend(self.donor(self.rng.randint(5, 80)))
        out = b"\n".join(lines)
        if len(out) > MAX_EDITED:
            cut = self.rng.randrange(len(lines) // 2)
            del lines[cut:cut + len(lines) // 3]
            out = b"\n".join(lines)
        return self.unique(out, tag)

    def editable_main(self, p):
        return p not in self.locked and p not in self.protected

    def pick_main(self):
        if self.hot and self.rng.random() < 0.35:
            p = self.hot[self.rng.randrange(len(self.hot))]
            if p in self.main.content and self.editable_main(p):
                return p
        return self.main.choice(self.rng, self.editable_main)

    def take_new_files(self, n):
        out = []
        while n > 0 and self.next_file < len(self.corpus):
            path, data = self.corpus[self.next_file]
            self.next_file += 1
            out.append((path, self.unique(data, "add")))
            n -= 1
        return out

    # -- schedule --
    def build(self):
        a, rng = self.args, self.rng
        N = a.commits
        nb = max(6, round(N / 400))
        branches = []
        for b in range(nb):
            feat = FEATURES[(b * 7 + a.seed) % len(FEATURES)]
            merged = b % 3 != 2
            name = ("feature/" if merged or b % 2 else "wip/") + feat
            # Large histories have more branches than feature names: a repeated name would make
            # fast-import continue the earlier branch and drop its tip (and any secret on it).
            taken = {x["name"] for x in branches}
            base, k = name, 2
            while name in taken:
                name, k = "%s-%d" % (base, k), k + 1
            branches.append({"id": b, "name": name, "merged": merged,
                             "length": rng.randint(6, max(8, N // 110))})
        tags = [{"id": t, "length": rng.randint(1, 2), "annotated": t % 2 == 0} for t in range(4)]
        side = sum(b["length"] + b["merged"] for b in branches) + sum(t["length"] for t in tags)
        M = N - side
        if M < N // 2 or M < 40:
            sys.exit("gen-history-repo: --commits %d is too small for this history shape" % N)
        self.M, self.N = M, N
        ev = [(float(i), 0, ("main", i)) for i in range(M)]
        for b in branches:
            start = rng.uniform(0.05, 0.85) * M
            gaps = [rng.uniform(0.5, 5.0) for _ in range(b["length"] + 1)]
            span = sum(gaps)
            if start + span > M - 3:
                gaps = [g * (M - 3 - start) / span for g in gaps]
            pos = start
            for j in range(b["length"]):
                pos += gaps[j]
                ev.append((pos, 1, ("branch", b["id"], j)))
            if b["merged"]:
                ev.append((pos + gaps[-1], 2, ("merge", b["id"])))
        for t in tags:
            pos = rng.uniform(0.2, 0.97) * M
            for j in range(t["length"]):
                ev.append((pos + 0.01 * (j + 1), 3, ("tag", t["id"], j)))
        ev.sort()
        self.events = [e[2] for e in ev]
        self.branches, self.tags = branches, tags
        self.branch_state = {}
        # release tags on main
        self.release_at = {}
        step = max(1, M // 8)
        for k, name in enumerate(["v0.1.0", "v0.2.0", "v0.3.0", "v1.0.0", "v1.1.0", "v1.2.0", "v2.0.0"]):
            self.release_at[(k + 1) * step] = ("annotated", name)
        self.last_release, self.patch = "v0.0.0", {}
        for k, i in enumerate(sorted(rng.sample(range(M // 10, M - 1), 3))):
            self.release_at.setdefault(i, ("lightweight", ["deploy-prod-%d" % (k + 1), "nightly-rc", "perf-baseline"][k]))
        self.plan_secrets()

    def plan_secrets(self):
        rng, srng, M = self.rng, self.srng, self.M
        self.plan = {}
        self.removals = {}
        slots = []
        k = srng.randrange(len(KINDS))
        for where, n in PLACEMENTS:
            for _ in range(n):
                if where == "message":
                    kind = "github"
                elif where == "merge":
                    kind = "stripe"
                else:
                    kind = KINDS[k % len(KINDS)]
                    k += 1
                if kind == "private-key" and where == "deleted-lines":
                    kind = "slack"
                slots.append({"placement": where, "kind": kind})
        for i, s in enumerate(slots):
            s["id"] = "S%02d" % (i + 1)
            s["secret"], s["match"], s["extra"] = gen_secret(srng, s["kind"])
        used = set()

        def main_event(lo, hi):
            while True:
                i = rng.randint(max(1, int(lo * M)), min(M - 2, int(hi * M)))
                if i not in used and i not in self.release_at:
                    used.add(i)
                    return i

        merged = [b for b in self.branches if b["merged"]]
        unmerged = [b for b in self.branches if not b["merged"]]
        nb_via = nb_un = 0
        for s in slots:
            p = s["placement"]
            if p in ("main", "main-deep", "message"):
                key = ("main", main_event(0.08, 0.97))
            elif p in ("deleted-file", "deleted-lines"):
                i = main_event(0.05, 0.8)
                key = ("main", i)
                j = i + rng.randint(3, 300)
                while j in used or j in self.release_at or j >= M - 1:
                    j = j - 1 if j >= M - 1 else j + 1
                used.add(j)
                s["removal"] = j
                self.removals.setdefault(("main", j), []).append(s)
            elif p == "main-via-branch":
                b = merged[nb_via % len(merged)]
                nb_via += 1
                key = ("branch", b["id"], rng.randrange(b["length"]))
            elif p == "branch":
                b = unmerged[nb_un % len(unmerged)]
                nb_un += 1
                key = ("branch", b["id"], rng.randrange(b["length"]))
            elif p == "tag":
                t = self.tags[len([x for x in slots[:slots.index(s)] if x["placement"] == "tag"])]
                key = ("tag", t["id"], t["length"] - 1)
            elif p == "merge":
                key = ("merge", merged[rng.randrange(len(merged))]["id"])
            self.plan.setdefault(key, []).append(s)
        self.slots = slots

    # -- planting --
    def secret_file(self, s, deep=False):
        """(path, content) of a new file that holds secret s."""
        rng = self.srng
        kind = s["kind"]
        if deep:
            parts = ["services", rng.choice(["payments", "identity", "ingest", "reporting", "edge"]),
                     "internal", rng.choice(["adapters", "clients", "providers"]),
                     rng.choice(["stripe", "aws", "slack", "github", "llm"]), "v%d" % rng.randint(1, 3),
                     "config", "environments", rng.choice(["production", "staging-eu", "prod-us"])]
            parts += rng.sample(["overrides", "secrets", "local"], rng.randint(0, 2))
            d = "/".join(parts)
        else:
            d = rng.choice(["deploy", "config", "ops/ansible/group_vars", "infra/terraform/envs/prod",
                            "scripts", "services/api/settings", ".github/workflows", "tools/release"])
        if kind == "private-key":
            name = rng.choice(["id_rsa", "deploy_key", "server.key", "signing-key.pem", "tls.key"])
            return d + "/" + name, s["secret"].encode()
        name = rng.choice(["secrets.env", ".env.production", "settings_local.py", "credentials.ini",
                           "release.sh", "values.yaml", "config.toml"])
        style = style_of(name if not name.startswith(".env") else "x.env")
        cmt = "#"
        head = ["%s Generated by bootstrap.sh for %s - do not edit by hand" % (cmt, d.split("/")[-1]),
                ""]
        if style == "yaml":
            body = ["service: %s" % d.split("/")[1 if "/" in d else 0], "replicas: %d" % rng.randint(1, 9),
                    "log_level: info"]
        elif style == "ini":
            body = ["[default]", "region = %s" % rng.choice(["us-east-1", "eu-west-1", "eu-central-1"]),
                    "timeout = %d" % rng.randint(5, 60)]
        elif style == "py":
            body = ["DEBUG = False", "ALLOWED_HOSTS = [\"api.internal\"]",
                    "DATABASE_URL = \"postgres://app@db.internal:5432/app\""]
        else:
            body = ["APP_ENV=production", "LOG_LEVEL=info", "PORT=%d" % rng.randint(3000, 9000)]
            if name.endswith(".sh"):
                head = ["#!/bin/sh", "set -eu"] + head
        lines = head + body + assign_lines(kind, s["secret"], s["extra"], style) + ["", "%s end" % cmt]
        return d + "/" + name, ("\n".join(lines) + "\n").encode()

    def inject_target(self, live_content, ok):
        bad = re.compile(r"test|example|sample|fixture|mock|dummy|fake|demo", re.I)

        def good(p):
            return (ok(p) and p.endswith(INJECT_EXT) and not PEER_ALLOWLISTED.search(p)
                    and not bad.search(p) and len(live_content(p)) <= 128 * 1024)
        return good

    def inject(self, s, path, data):
        lines = data.split(b"\n")
        pos = self.srng.randrange(len(lines))
        snippet = ("\n".join(assign_lines(s["kind"], s["secret"], s["extra"], style_of(path))) + "\n").encode()
        s["snippet"] = snippet
        head = b"\n".join(lines[:pos])
        return (head + (b"\n" if pos else b"") + snippet + b"\n".join(lines[pos:]))

    def plant(self, s, choose, live, put, ref, protect=True):
        """Plant secret s in the commit about to be written (mark self.mark + 1).

        choose(pred) -> an existing path satisfying pred, or None; live(p) -> content or None;
        put(p, data) records the file operation."""
        deep = s["placement"] == "main-deep"
        use_file = (deep or s["kind"] == "private-key" or s["placement"] == "deleted-file"
                    or (s["placement"] != "deleted-lines" and self.srng.random() < 0.4))
        path = None
        if not use_file:
            path = choose(self.inject_target(live, lambda p: True))
        if path is None:
            path, data = self.secret_file(s, deep)
            while live(path) is not None:
                path = os.path.dirname(path) + "/" + self.srng.choice(["prod", "eu", "v2", "new"]) + "/" + os.path.basename(path)
            s["how"] = "new file"
        else:
            data = self.inject(s, path, live(path))
            s["how"] = "lines inserted into an existing file"
        put(path, self.unique(data, s["id"]))
        s["path"], s["mark"], s["ref"] = path, self.mark + 1, ref
        if protect:
            self.protected.add(path)
        self.planted.append(s)
        return path

    # -- commit messages --
    def message(self, adds, edits, dels, renames):
        rng = self.rng
        if adds and (not edits or rng.random() < 0.6):
            parts = adds[0].split("/")
            unit = "/".join(parts[:3]) if len(parts) > 3 else os.path.dirname(adds[0])
            msg = "Import %s" % unit if len(adds) > 1 else "Add %s" % adds[0]
            if len(adds) > 1:
                msg += " (%d files)" % len(adds)
        elif dels and rng.random() < 0.5:
            msg = "Remove %s" % (dels[0] if len(dels) == 1 else os.path.dirname(dels[0]) + "/ (%d files)" % len(dels))
        elif renames:
            msg = "Move %s to %s" % renames[0]
        elif edits:
            stem = os.path.splitext(os.path.basename(edits[rng.randrange(len(edits))]))[0]
            msg = "%s %s in %s" % (rng.choice(VERBS), rng.choice(TOPICS), stem)
        else:
            msg = "Update build metadata"
        if rng.random() < 0.3:
            msg += " (#%d)" % rng.randint(100, 9999)
        if rng.random() < 0.35:
            body = ["", ""]
            for p in (edits + adds)[:rng.randint(1, 6)]:
                body.append("* %s: %s" % (p, rng.choice(TOPICS)))
            msg += "\n".join(body)
        return msg + "\n"

    # -- events --
    def run(self):
        for ev in self.events:
            if ev[0] == "main":
                self.do_main(ev[1])
            elif ev[0] == "branch":
                self.do_branch(ev[1], ev[2])
            elif ev[0] == "merge":
                self.do_merge(ev[1])
            else:
                self.do_tag(ev[1], ev[2])
        self.w("done\n")

    def budget(self):
        return max(0.0, (self.target - self.blob_bytes) / max(1, self.N - self.commits))

    def write_ops(self, ops):
        for p, d in ops:
            if d is None:
                self.w("D %s\n" % p)
            else:
                self.m(p, d)

    def do_main(self, i):
        rng = self.rng
        ops, touched, adds, edits, dels, renames = [], set(), [], [], [], []
        msg = None
        b0 = self.blob_bytes

        def put(p, d):
            self.main.put(p, d)
            ops.append((p, d))
            touched.add(p)

        def delete(p):
            self.main.remove(p)
            ops.append((p, None))
            touched.add(p)

        def choose(pred):
            return self.main.choice(self.srng, lambda p: self.editable_main(p) and p not in touched and pred(p), tries=400)

        if i == 0:
            for p, d in self.take_new_files(max(50, len(self.corpus) // 20)):
                put(p, d)
                if rng.random() < 0.03:
                    self.hot.append(p)
            msg = "Initial import\n"
        for s in self.removals.get(("main", i), []):
            if s["how"] == "new file":
                delete(s["path"])
                dels.append(s["path"])
            else:
                d = self.main.content[s["path"]].replace(s["snippet"], b"", 1)
                put(s["path"], self.edit(d, s["id"] + "r"))
                edits.append(s["path"])
            self.protected.discard(s["path"])
            s["removed_mark"] = self.mark + 1
        if self.merge_cleanup is not None:
            s = self.merge_cleanup
            self.merge_cleanup = None
            d = self.main.content[s["path"]]
            if s["how"] == "new file":
                delete(s["path"])
            else:
                put(s["path"], d.replace(s["snippet"], b"", 1))  # back to the branch's version
            self.protected.discard(s["path"])
            s["removed_mark"] = self.mark + 1
        for s in self.plan.get(("main", i), []):
            if s["placement"] == "message":
                s.update(path=None, mark=self.mark + 1, ref="refs/heads/main", how="commit message")
                self.planted.append(s)
                msg = ("Rotate the CI deploy token\n\nThe previous token (%s) was pasted in #ops by mistake;\n"
                       "it has been revoked and the new one lives in the vault.\n" % s["secret"])
            else:
                p = self.plant(s, choose, self.main.content.get, put, "refs/heads/main")
                adds.append(p)
        if i > 0 and self.next_file < len(self.corpus):
            horizon = max(1.0, 0.92 * self.M - i)
            rate = (len(self.corpus) - self.next_file) / horizon
            n = int(rate) + (rng.random() < rate - int(rate))
            if n and rng.random() < 0.5:
                n = min(len(self.corpus) - self.next_file, n * 2)
            elif n:
                n = 0 if rng.random() < 0.5 and rate < 1 else n
            for p, d in self.take_new_files(n):
                put(p, d)
                adds.append(p)
                if rng.random() < 0.03:
                    self.hot.append(p)
        if i > 0 and rng.random() < 0.03:
            for _ in range(rng.randint(1, 3)):
                p = choose(lambda p: True)
                if p:
                    delete(p)
                    dels.append(p)
        if i > 0 and rng.random() < 0.004:
            p = choose(lambda p: True)
            if p:
                d = os.path.dirname(p) + "/"
                members = [q for q in self.main.order if q.startswith(d)]
                if 1 < len(members) <= 40 and all(self.editable_main(q) and q not in touched for q in members):
                    for q in sorted(members):
                        delete(q)
                        dels.append(q)
        if i > 0 and rng.random() < 0.01:
            p = choose(lambda p: True)
            if p:
                q = os.path.dirname(p) + "/legacy/" + os.path.basename(p)
                if q not in self.main.content:
                    d = self.main.content[p]
                    delete(p)
                    put(q, d)  # same blob: no new content
                    renames.append((p, q))
        if i > 0:
            want = self.budget() * rng.uniform(0.3, 1.7)
            for _ in range(60):
                if (edits or adds or dels) and self.blob_bytes - b0 >= want:
                    break
                p = self.pick_main()
                if p is None or p in touched:
                    continue
                put(p, self.edit(self.main.content[p], "m%d" % i))
                edits.append(p)
        if msg is None:
            msg = self.message(adds, edits, dels, renames)
        mark = self.begin("refs/heads/main", msg, parent=self.main_tip)
        self.write_ops(ops)
        self.w("\n")
        self.main_tip = mark
        rel = self.release_at.get(i)
        if rel:
            self.write_tag(rel[0], rel[1], mark, "Release %s" % rel[1])
            if rel[0] == "annotated":
                self.last_release = rel[1]

    def write_tag(self, how, name, mark, title):
        if how == "annotated":
            name_, email, tz = AUTHORS[0]
            self.w("tag %s\nfrom :%d\ntagger %s <%s> %d %s\n" % (name, mark, name_, email, self.clock + 60, tz))
            self.data("%s\n\nSigned-off-by: %s <%s>\n" % (title, name_, email))
        else:
            self.w("reset refs/tags/%s\nfrom :%d\n\n" % (name, mark))

    def do_branch(self, b, j):
        rng = self.rng
        br = self.branches[b]
        st = self.branch_state.get(b)
        if st is None:
            owned = []
            for _ in range(rng.randint(5, 25)):
                p = self.main.choice(rng, lambda p: self.editable_main(p) and p not in owned)
                if p:
                    owned.append(p)
            st = {"tip": self.main_tip, "owned": owned, "content": {}, "paths": list(owned)}
            self.locked.update(owned)
            self.branch_state[b] = st
        ops, touched, adds, edits = [], set(), [], []
        b0 = self.blob_bytes

        def live(p):
            return st["content"].get(p, self.main.content.get(p))

        def put(p, d):
            if p not in st["content"] and p not in self.main.content:
                st["paths"].append(p)
            st["content"][p] = d
            ops.append((p, d))
            touched.add(p)

        def choose(pred):
            cands = [p for p in st["paths"] if p not in touched and p not in self.protected and pred(p)]
            return cands[self.srng.randrange(len(cands))] if cands else None

        ref = "refs/heads/" + br["name"]
        for s in self.plan.get(("branch", b, j), []):
            adds.append(self.plant(s, choose, live, put, ref))
        if rng.random() < 0.35 and self.next_file < len(self.corpus):
            for p, d in self.take_new_files(rng.randint(1, 6)):
                put(p, d)
                adds.append(p)
        want = self.budget() * rng.uniform(0.3, 1.7)
        for _ in range(10):
            if (edits or adds) and self.blob_bytes - b0 >= want:
                break
            p = choose(lambda p: True)
            if p is None:
                break
            put(p, self.edit(live(p), "b%d.%d" % (b, j)))
            edits.append(p)
        msg = self.message(adds, edits, [], [])
        if rng.random() < 0.5:
            msg = "%s: %s" % (br["name"].split("/")[-1], msg)
        st["tip"] = self.begin(ref, msg, parent=st["tip"])
        self.write_ops(ops)
        self.w("\n")
        if j == br["length"] - 1 and not br["merged"]:
            self.locked.difference_update(st["owned"])

    def do_merge(self, b):
        br, st = self.branches[b], self.branch_state[b]
        ops = list(st["content"].items())
        for p, d in ops:
            self.main.put(p, d)
        self.locked.difference_update(st["owned"])
        for s in self.plan.get(("merge", b), []):
            cands = [p for p, _ in ops if p not in self.protected]
            good = self.inject_target(self.main.content.get, lambda p: True)
            cands = [p for p in cands if good(p)]
            if cands:
                p = cands[self.srng.randrange(len(cands))]
                d = self.unique(self.inject(s, p, self.main.content[p]), s["id"])
                s["how"] = "lines added while resolving the merge"
            else:
                p, d = self.secret_file(s)
                d = self.unique(d, s["id"])
                s["how"] = "new file added by the merge commit"
            self.main.put(p, d)
            ops = [(q, e) for q, e in ops if q != p] + [(p, d)]
            s["path"], s["mark"], s["ref"] = p, self.mark + 1, "refs/heads/main"
            self.protected.add(p)
            self.planted.append(s)
            self.merge_cleanup = s
        if self.rng.random() < 0.6:
            msg = "Merge pull request #%d from acme/%s\n\n%s\n" % (self.rng.randint(100, 9999), br["name"],
                                                                 br["name"].split("/")[-1].replace("-", " "))
        else:
            msg = "Merge branch '%s'\n" % br["name"]
        self.main_tip = self.begin("refs/heads/main", msg, parent=self.main_tip, merge=st["tip"])
        self.write_ops(ops)
        self.w("\n")

    def do_tag(self, t, j):
        rng = self.rng
        tg = self.tags[t]
        if j == 0:
            self.tag_tip, self.tag_view = self.main_tip, {}
        ops, touched, edits, adds = [], set(), [], []

        def live(p):
            return self.tag_view.get(p, self.main.content.get(p))

        def put(p, d):
            self.tag_view[p] = d
            ops.append((p, d))
            touched.add(p)

        def choose(pred):
            return self.main.choice(self.srng, lambda p: p not in touched and p not in self.protected and pred(p), tries=400)

        if j == 0:
            n = self.patch[self.last_release] = self.patch.get(self.last_release, 0) + 1
            base = self.last_release.rsplit(".", 1)[0]
            tg["name"] = "%s.%d" % (base, n) if tg["annotated"] else "hotfix-%s.%d" % (base, n)
        name = tg["name"]
        ref = "refs/tags/" + name
        for s in self.plan.get(("tag", t, j), []):
            adds.append(self.plant(s, choose, live, put, ref, protect=False))
        for _ in range(rng.randint(1, 3)):
            p = choose(lambda p: True)
            if p:
                put(p, self.edit(live(p), "t%d.%d" % (t, j)))
                edits.append(p)
        msg = "Hotfix: %s" % self.message(adds, edits, [], [])
        self.tag_tip = self.begin("refs/heads/_tagonly", msg, parent=self.tag_tip)
        self.write_ops(ops)
        self.w("\n")
        if j == tg["length"] - 1:
            self.write_tag("annotated" if tg["annotated"] else "lightweight", name, self.tag_tip,
                           "Hotfix release %s" % name)


# ---- verification ------------------------------------------------------------------------------

def verify(repo, recs):
    """Check every planted secret's placement with git itself. Returns a list of problems."""
    problems = []
    pats = repo + "/.planted-patterns"
    with open(pats, "w") as f:
        for r in recs:
            f.write(r["match"] + "\n")

    def grep_ref(ref):
        p = subprocess.run(["git", "-C", repo, "grep", "-F", "-o", "-h", "-I", "-f", pats, ref],
                           capture_output=True)
        return set(p.stdout.decode(errors="replace").split("\n")) if p.returncode in (0, 1) else set()

    def refs_containing(c):
        return git(repo, "for-each-ref", "--contains", c, "--format=%(refname)",
                   capture_output=True, text=True).stdout.split()

    def blob_has(c, path, m):
        p = subprocess.run(["git", "-C", repo, "cat-file", "blob", "%s:%s" % (c, path)], capture_output=True)
        return p.returncode == 0 and m.encode() in p.stdout

    at_main = grep_ref("refs/heads/main")
    tips = {}
    for r in recs:
        w, m, c, ref = r["where"], r["match"], r["commit"], r["ref"]
        reach = refs_containing(c)
        if w == "message":
            ok = m in git(repo, "log", "-1", "--format=%B", c, capture_output=True, text=True).stdout
        else:
            ok = blob_has(c, r["path"], m)
        if not ok:
            problems.append("%s: not in %s:%s" % (r["id"], c, r["path"]))
        if w in ("main", "deleted", "merge", "message") and "refs/heads/main" not in reach:
            problems.append("%s: commit not on main" % r["id"])
        if w in ("branch", "tag") and reach != [ref]:
            problems.append("%s: commit reachable from %s, expected only %s" % (r["id"], reach, ref))
        if w in ("branch", "tag"):
            if ref not in tips:
                tips[ref] = grep_ref(ref)
            if m not in tips[ref]:
                problems.append("%s: not at the tip of %s" % (r["id"], ref))
        if (w == "main") != (m in at_main) and w != "message":
            problems.append("%s: %s at main's tip" % (r["id"], "not" if w == "main" else "still"))
        if w == "merge":
            parents = git(repo, "log", "-1", "--format=%P", c, capture_output=True, text=True).stdout.split()
            if len(parents) != 2 or any(blob_has(p, r["path"], m) for p in parents):
                problems.append("%s: merge secret also in a parent (or not a merge)" % r["id"])
        if w in ("deleted", "merge") and (not r["removed_in"] or blob_has(r["removed_in"], r["path"], m)):
            problems.append("%s: not removed" % r["id"])
    os.unlink(pats)
    return problems


# ---- driver ------------------------------------------------------------------------------------

def git(repo, *args, **kw):
    return subprocess.run(["git", "-C", repo] + list(args), check=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--commits", type=int, default=5000, help="number of commits (default 5000)")
    ap.add_argument("--mb", type=float, default=300, help="MB (MiB) of unique blob content (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--manifest", help="default: OUT_DIR/../<basename>.planted.jsonl")
    ap.add_argument("--repack", choices=["full", "gc", "none"], default="full",
                    help="full: git repack -adf --window=10 --depth=50 (default); gc: git gc; none")
    ap.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    a = ap.parse_args()
    t0 = time.monotonic()
    out = os.path.abspath(a.out_dir)
    manifest = os.path.abspath(a.manifest or os.path.join(os.path.dirname(out), os.path.basename(out) + ".planted.jsonl"))
    if os.path.exists(out):
        if not a.force:
            sys.exit("gen-history-repo: %s exists (use --force to replace it)" % out)
        shutil.rmtree(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    target = int(a.mb * 1024 * 1024)

    log("collecting real text (about %.0f MB) ..." % (0.4 * target / 1048576))
    corpus, corpus_bytes, corpus_sha = collect_corpus(int(0.4 * target), a.seed)
    t1 = time.monotonic()
    log("corpus: %d files, %.1f MB, sha1 %s (%.1fs)" % (len(corpus), corpus_bytes / 1048576, corpus_sha[:12], t1 - t0))

    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", out], check=True)
    git(out, "config", "gc.auto", "0")
    marks = out + "/fast-import.marks"
    fi = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet", "--done", "--date-format=raw",
                           "--export-marks=" + marks], stdin=subprocess.PIPE)
    g = Gen(a, corpus, fi.stdin)
    g.target = target
    g.merge_cleanup = None
    g.build()
    try:
        g.run()
        fi.stdin.close()
    except BrokenPipeError:
        pass
    if fi.wait() != 0:
        sys.exit("gen-history-repo: git fast-import failed")
    t2 = time.monotonic()
    log("fast-import: %d commits, %d unique blobs, %.1f MB of blob content (%.1fs)"
        % (g.commits, g.blob_count, g.blob_bytes / 1048576, t2 - t1))
    git(out, "update-ref", "-d", "refs/heads/_tagonly")
    git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    mark_sha = {}
    with open(marks) as f:
        for line in f:
            m, sha = line.split()
            mark_sha[int(m[1:])] = sha
    os.unlink(marks)

    if a.repack == "full":
        log("git repack -adf --window=10 --depth=50 ...")
        git(out, "repack", "-adfq", "--window=10", "--depth=50")
    elif a.repack == "gc":
        log("git gc ...")
        git(out, "gc", "--quiet")
    t3 = time.monotonic()

    with open(manifest, "w") as f:
        f.write(json.dumps({"manifest": "leakgate history benchmark", "repo": out, "seed": a.seed,
                            "commits_requested": a.commits, "mb_requested": a.mb,
                            "corpus_files": len(corpus), "corpus_sha1": corpus_sha,
                            "planted": len(g.planted)}) + "\n")
        for s in sorted(g.planted, key=lambda s: s["id"]):
            where = {"main-deep": "main", "main-via-branch": "main", "deleted-file": "deleted",
                     "deleted-lines": "deleted"}.get(s["placement"], s["placement"])
            rec = {"id": s["id"], "kind": s["kind"], "rule_hint": RULE_HINT[s["kind"]],
                   "secret": s["secret"], "match": s["match"], "path": s["path"], "where": where,
                   "placement": s["placement"], "how": s["how"], "ref": s["ref"],
                   "commit": mark_sha.get(s["mark"]),
                   "removed_in": mark_sha.get(s["removed_mark"]) if "removed_mark" in s else None}
            rec.update(s["extra"])
            f.write(json.dumps(rec) + "\n")
    if len(g.planted) != len(g.slots):
        log("warning: planted %d of %d secrets" % (len(g.planted), len(g.slots)))

    recs = [json.loads(line) for line in open(manifest)][1:]
    problems = verify(out, recs)
    for p in problems:
        log("placement check: " + p)
    count = int(git(out, "rev-list", "--all", "--count", capture_output=True, text=True).stdout)
    cf = subprocess.run(["git", "-C", out, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
                        check=True, capture_output=True, text=True).stdout
    nblobs = bbytes = 0
    for line in cf.splitlines():
        typ, size = line.split()
        if typ == "blob":
            nblobs += 1
            bbytes += int(size)
    pack = sum(os.path.getsize(p) for p in glob.glob(out + "/objects/pack/*.pack"))
    refs = git(out, "for-each-ref", "--format=%(refname)", capture_output=True, text=True).stdout.split()
    t4 = time.monotonic()
    print("repo: %s" % out)
    print("manifest: %s (%d planted secrets)" % (manifest, len(g.planted)))
    print("commits: %d   blobs: %d (%.1f MB)   pack: %.1f MB   refs: %d branches, %d tags   HEAD: %s"
          % (count, nblobs, bbytes / 1048576, pack / 1048576,
             sum(r.startswith("refs/heads/") for r in refs), sum(r.startswith("refs/tags/") for r in refs),
             mark_sha[g.main_tip]))
    print("placement check: %d/%d secrets where the manifest says%s"
          % (len(recs) - len({p.split(":")[0] for p in problems}), len(recs), "" if not problems else " (see stderr)"))
    print("time: %.1fs (corpus %.1fs, fast-import %.1fs, repack %.1fs, stats %.1fs)"
          % (t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3))


if __name__ == "__main__":
    main()
