#!/usr/bin/env python3
"""Why leakgate misses the peer examples it misses: a heuristic classification of every missed
positive of the peers' published examples (a peer-examples.jsonl corpus outside this repository, the one the external score-examples.py uses; pass its path).

usage: benches/miss-report.py [--bin target/release/leakgate] [--source kingfisher|noseyparker]
                              [--list CATEGORY|all]

Each example is written to its own file and scanned twice (default confidence floor, then
`--min-confidence low`), as score-examples.py does. A missed example is put in the first category
whose test it passes, looking at the example's candidate values (runs of 8+ token characters):

  low-confidence   reported only at --min-confidence low: a failed checksum (GitHub, npm, age...)
  sequence         the longest candidate value holds a run such as abcd, 1234, dcba, 4321, qwer,
                   asdf, a1b2, a character repeated 4 times, or one 3-gram repeated 4 times
  placeholder      a placeholder word: example, sample, your..., xxxx, <...>, ${...}, changeme,
                   dummy, secret, password, mypassword, test
  no-credential    no candidate value is secret-shaped: host names, URLs without user:password@,
                   ARNs, e-mail addresses, UUID-shaped ids only, plain words, numbers
  weak-word        the value is a short word or word+digits (admin, postgres, team10, pyne)
  other            everything else: candidates for a rule fix; printed with --list other

Flagged negatives are split the same way (--list flagged): same-text-positive when the exact text
is a positive example of another corpus rule, same-value-positive when one of its values is, other.

The tests are heuristics (a real value can contain `1234`); `--list CATEGORY` prints the examples
of a category so the classification can be checked by eye. Recorded in BENCHMARKS.md."""
import argparse, collections, json, os, re, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "leakgate"))
ap.add_argument("--source")
ap.add_argument("--list", default="")
ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus", "peer-examples.jsonl"))
a = ap.parse_args()

examples = [json.loads(line) for line in open(a.corpus)]
if a.source:
    examples = [e for e in examples if e["source"] == a.source]
d = tempfile.mkdtemp(prefix="miss-report-")
for i, e in enumerate(examples):
    e["file"] = f"{i:05d}.txt"
    with open(os.path.join(d, e["file"]), "w") as f:
        f.write(e["text"].rstrip("\n") + "\n")


def hits(extra):
    p = subprocess.run([a.bin, "scan", d, "--format", "json", "--no-repo-config"] + extra,
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"leakgate exited {p.returncode}: {p.stderr[:500]}")
    return {os.path.basename(f["path"]) for f in json.loads(p.stdout)["findings"]}


found, found_low = hits([]), hits(["--min-confidence", "low"])

ALPHA = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ROWS = (ALPHA, DIGITS, "qwertyuiop", "asdfghjkl", "zxcvbnm")
RUNS = [s[i:i + 4] for r in ROWS for s in (r, r[::-1]) for i in range(len(s) - 3)]
PLACEHOLDER = re.compile(r"(?i)example|sample|your|xxxx|<[^>]*>|\$\{|\{\{|changeme|dummy|fake|"
                         r"placeholder|^(?:my)?(?:secret|password|passwd|pass|token|test)\w{0,3}$")
CANDIDATE = re.compile(r"[A-Za-z0-9+/=_.\-@:%~]{8,}")
HOSTLIKE = re.compile(r"(?i)^(?:[a-z][a-z0-9+.\-]*://)?(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d+)?(?:/[^@]*)?$"
                      r"|^arn:|^[^@:/]+@[a-z0-9.\-]+\.[a-z]{2,}$"
                      r"|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[0-9.:,\-]+$"
                      r"|^[A-Za-z]{1,12}$|^[a-z_]+$|^[A-Z_]+$")
SECRET_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]*(?:[0-9][A-Za-z_\-]|[A-Za-z_\-][0-9])[A-Za-z0-9_\-]{14,}")
WEAK = re.compile(r"^[a-z]{3,12}[0-9]{0,4}$|^[A-Z][a-z]{2,11}[0-9]{0,4}$")


def values(text):
    """Candidate secret values: the part after the last `=`/`:` of each token-ish run."""
    out = []
    for c in CANDIDATE.findall(text):
        c = c.strip("._-:")
        if "://" not in c and re.search(r"[=:]", c):
            c = re.split(r"[=:]", c.rstrip("="), maxsplit=1)[-1]
        if len(c) >= 4:
            out.append(c)
    quoted = re.findall(r"[\"']([^\"'\s]{3,64})[\"']", text)
    url_passwords = re.findall(r"://[^/@:\s]+:([^/@\s]+)@", text)
    return out + quoted + url_passwords


def fabricated(v):
    low = v.lower()
    if any(r in low for r in RUNS) or re.search(r"(.)\1{3}", low):
        return True
    if re.search(r"[a-z][0-9][a-z][0-9][a-z][0-9]", low) and re.search(r"a1b2|1a2b|b2c3|2b3c", low):
        return True
    grams = collections.Counter(low[i:i + 3] for i in range(len(low) - 2))
    return bool(grams) and grams.most_common(1)[0][1] >= 4


def classify(e):
    if e["file"] in found_low:
        return "low-confidence"
    vals = values(e["text"])
    if vals and fabricated(max(vals, key=len)):
        return "sequence"
    secretish = [v for v in vals if not HOSTLIKE.match(v) or re.search(r"://[^/@\s]+:[^/@\s]+@", v)
                 or SECRET_SEGMENT.search(v)]
    if any(PLACEHOLDER.search(v) for v in vals) or PLACEHOLDER.search(e["text"]) and not secretish:
        return "placeholder"
    if any(PLACEHOLDER.search(p) for p in re.findall(r"://[^/@:\s]+:([^/@\s]+)@", e["text"])):
        return "placeholder"
    if not secretish:
        return "no-credential"
    if all(WEAK.match(v) for v in secretish):
        return "weak-word"
    return "other"


TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/=.$#@!~]{12,}")


class TOKEN:
    """Secret-like values of a text: runs of 12+ token characters with a digit that are not
    upper-case identifiers (AUTH0_CLIENT_ID=)."""

    @staticmethod
    def findall(text):
        return [t for t in TOKEN_RUN.findall(text)
                if re.search(r"[0-9]", t) and not re.fullmatch(r"[A-Z0-9_]+=?", t)]
positive_texts = collections.defaultdict(set)
positive_values = collections.defaultdict(set)
for e in examples:
    if e["kind"] == "positive":
        positive_texts[e["text"].strip()].add(e["rule"])
        for t in TOKEN.findall(e["text"]):
            positive_values[t].add(e["rule"])


def classify_flagged(e):
    """A flagged negative whose exact text, or one of whose values, is a positive of another
    corpus rule cannot be left unflagged without missing that positive."""
    others = positive_texts.get(e["text"].strip(), set()) - {e["rule"]}
    if others:
        return "same-text-positive", sorted(others)
    for t in TOKEN.findall(e["text"]):
        others = positive_values.get(t, set()) - {e["rule"]}
        if others:
            return "same-value-positive", sorted(others)
    return "other", []


for src in sorted({e["source"] for e in examples}):
    pos = [e for e in examples if e["source"] == src and e["kind"] == "positive"]
    missed = [e for e in pos if e["file"] not in found]
    by = collections.defaultdict(list)
    for e in missed:
        by[classify(e)].append(e)
    print(f"{src}: {len(pos) - len(missed)}/{len(pos)} found, {len(missed)} missed")
    for cat in ["low-confidence", "sequence", "placeholder", "no-credential", "weak-word", "other"]:
        print(f"  {cat:15} {len(by[cat]):4}")
        if a.list in (cat, "all"):
            for e in by[cat]:
                print(f"      {e['rule']}: {e['text'][:110]!r}")
    flagged = [e for e in examples if e["source"] == src and e["kind"] == "negative" and e["file"] in found]
    negatives = sum(1 for e in examples if e["source"] == src and e["kind"] == "negative")
    print(f"  negatives flagged {len(flagged)}/{negatives}")
    by = collections.defaultdict(list)
    for e in flagged:
        cat, others = classify_flagged(e)
        by[cat].append((e, others))
    for cat in ["same-text-positive", "same-value-positive", "other"]:
        print(f"  {cat:20} {len(by[cat]):4}")
        if a.list in ("flagged", "all"):
            for e, others in by[cat]:
                print(f"      {e['rule']} (positive of {', '.join(others) or '-'}): {e['text'][:90]!r}")
