//! `leakgate scan`: exposures, file handling, allow markers, exit codes and output formats.

use crate::support::{Gen, Run, TestRepo, field, leakgate};

fn scan_json(repo: &TestRepo) -> Run {
    repo.leakgate(&["scan", ".", "--format", "json"])
}

/// The motivating case: a live Anthropic key in a gitignored `.envrc`, never committed.
#[test]
fn gitignored_envrc_is_reported_as_ignored() {
    let repo = TestRepo::new();
    let key = Gen::new(1).anthropic();
    repo.write(".gitignore", ".envrc\n")
        .write(
            "train.py",
            "import anthropic\nclient = anthropic.Anthropic()\n",
        )
        .commit_all("initial");
    repo.write(".envrc", format!("export ANTHROPIC_API_KEY={key}\n"));
    let run = scan_json(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "anthropic-api-key");
    assert_eq!(f[0]["path"], ".envrc");
    assert_eq!(f[0]["exposure"], "ignored");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["column"], 26);
    assert_eq!(f[0]["source"], "file");
    assert!(
        f[0]["rotation"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(!run.stdout.contains(&key), "secret must be redacted");
    assert_eq!(run.json()["summary"]["by_exposure"]["ignored"], 1);
}

#[test]
fn ignored_directory_contents_are_ignored() {
    let repo = TestRepo::new();
    repo.write(".gitignore", "secrets/\n").commit_all("initial");
    repo.write(
        "secrets/prod.env",
        format!("KEY={}\n", Gen::new(2).huggingface()),
    );
    assert_eq!(field(&scan_json(&repo).findings(), "exposure"), ["ignored"]);
}

#[test]
fn untracked_file_is_untracked() {
    let repo = TestRepo::new();
    repo.write("README", "hello\n").commit_all("initial");
    repo.write(
        "config.py",
        format!("HF_TOKEN = \"{}\"\n", Gen::new(3).huggingface()),
    );
    assert_eq!(
        field(&scan_json(&repo).findings(), "exposure"),
        ["untracked"]
    );
}

#[test]
fn staged_secret_is_staged() {
    let repo = TestRepo::new();
    repo.write("app.py", "x = 1\n").commit_all("initial");
    repo.write(
        "app.py",
        format!("x = 1\nkey = \"{}\"\n", Gen::new(4).aws_key_id()),
    );
    repo.git(&["add", "app.py"]);
    assert_eq!(field(&scan_json(&repo).findings(), "exposure"), ["staged"]);
}

#[test]
fn committed_secret_is_committed() {
    let repo = TestRepo::new();
    repo.write(
        "app.py",
        format!("key = \"{}\"\n", Gen::new(5).aws_key_id()),
    )
    .commit_all("add key");
    assert_eq!(
        field(&scan_json(&repo).findings(), "exposure"),
        ["committed"]
    );
}

#[test]
fn unstaged_edit_is_modified() {
    let repo = TestRepo::new();
    repo.write("app.py", "x = 1\n").commit_all("initial");
    repo.write(
        "app.py",
        format!("x = 1\nkey = \"{}\"\n", Gen::new(6).aws_key_id()),
    );
    assert_eq!(
        field(&scan_json(&repo).findings(), "exposure"),
        ["modified"]
    );
}

#[test]
fn outside_a_repository_is_file() {
    let dir = TestRepo::plain();
    dir.write("notes.txt", format!("hf: {}\n", Gen::new(7).huggingface()));
    let run = scan_json(&dir);
    assert_eq!(field(&run.findings(), "exposure"), ["file"]);
}

/// A directory of clones, and a clone nested inside a repository without being a submodule:
/// each file's exposure comes from the repository that holds it.
#[test]
fn each_file_gets_the_exposure_of_its_own_repository() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(120);
    let (committed, ignored) = (g.anthropic(), g.huggingface());
    let make = |rel: &str| {
        let d = dir.join(rel);
        std::fs::create_dir_all(&d).unwrap();
        dir.git_in(&d, &["init", "-q", "-b", "main"]);
        dir.git_in(&d, &["config", "user.name", "T"]);
        dir.git_in(&d, &["config", "user.email", "t@example.org"]);
        dir.write(&format!("{rel}/.gitignore"), ".envrc\n");
        dir.write(&format!("{rel}/deploy.env"), format!("KEY={committed}\n"));
        dir.git_in(&d, &["add", "-A"]);
        dir.git_in(&d, &["commit", "-q", "-m", "i"]);
        dir.write(&format!("{rel}/.envrc"), format!("HF={ignored}\n"));
    };
    make("one");
    make("two");
    make("one/vendor/three");
    let run = dir.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut got: Vec<(String, String)> = run
        .findings()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("path"), s("exposure"))
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = [
        ("one/.envrc", "ignored"),
        ("one/deploy.env", "committed"),
        ("one/vendor/three/.envrc", "ignored"),
        ("one/vendor/three/deploy.env", "committed"),
        ("two/.envrc", "ignored"),
        ("two/deploy.env", "committed"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want, "{}", run.stdout);
}

#[test]
fn exposures_in_one_file_are_per_secret() {
    let repo = TestRepo::new();
    let mut g = Gen::new(8);
    let (old, new) = (g.aws_key_id(), g.aws_key_id());
    repo.write("k.py", format!("a = \"{old}\"\n"))
        .commit_all("one");
    repo.write("k.py", format!("a = \"{old}\"\nb = \"{new}\"\n"));
    assert_eq!(
        field(&scan_json(&repo).findings(), "exposure"),
        ["committed", "modified"]
    );
}

#[test]
fn invalid_utf8_does_not_hide_a_secret() {
    let dir = TestRepo::plain();
    let mut content = vec![0xff, 0xfe, 0xc3, 0x28, b'\n'];
    content.extend_from_slice(format!("token={}\n", Gen::new(9).huggingface()).as_bytes());
    content.extend_from_slice(&[0x80, 0x81, b'\n']);
    dir.write("latin1.cfg", content);
    let run = scan_json(&dir);
    assert_eq!(run.code, 1);
    assert_eq!(run.findings()[0]["line"], 2);
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let dir = TestRepo::plain();
    let mut content = b"\x00\x01binary".to_vec();
    content.extend_from_slice(Gen::new(10).huggingface().as_bytes());
    dir.write("blob.bin", content);
    let run = scan_json(&dir);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["summary"]["skipped"], 1);
    assert_eq!(run.json()["summary"]["skipped_by_reason"]["binary"], 1);
}

#[test]
fn ten_megabyte_single_line_file() {
    let dir = TestRepo::plain();
    let key = Gen::new(11).huggingface();
    let mut line = "a=1;".repeat(10 << 18);
    line.push_str(&format!(" tok={key} "));
    line.push_str(&"b=2;".repeat(1000));
    dir.write("minified.js", &line);
    let run = scan_json(&dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["column"], (10 << 20) + 6);
}

#[test]
fn oversized_files_are_skipped() {
    let dir = TestRepo::plain();
    dir.write(
        "big.txt",
        format!("{}\n{}", "x".repeat(2000), Gen::new(12).huggingface()),
    );
    let run = dir.leakgate(&["scan", ".", "--format", "json", "--max-file-size", "1K"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["summary"]["skipped_by_reason"]["too_large"], 1);
}

#[test]
fn nonexistent_path_is_a_one_line_error() {
    let dir = TestRepo::plain();
    let run = dir.leakgate(&["scan", "does-not-exist"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("does-not-exist"));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = TestRepo::plain();
    dir.write("locked.env", "nothing\n");
    dir.write("open.env", format!("tok={}\n", Gen::new(13).huggingface()));
    dir.write("clean.txt", "fine\n");
    let perm = |p: &str, mode| {
        std::fs::set_permissions(dir.join(p), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    perm("locked.env", 0o000);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let run_as = |args: &[&str]| {
        let mut c = leakgate();
        c.args(args).current_dir(dir.path());
        // Root reads everything: run as nobody so the permission bits count.
        if unsafe { libc_geteuid() } == 0 {
            c.uid(65534).gid(65534);
        }
        Run::new(c.output().unwrap())
    };
    // Findings win over partial errors: exit 1, and the error is reported.
    let run = run_as(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["errors"], 1);
    assert_eq!(s["incomplete"], true);
    assert_eq!(s["error_details"][0]["path"], "./locked.env");
    // Without findings the incomplete scan exits 2.
    perm("open.env", 0o000);
    let run = run_as(&["scan", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("incomplete"));
}

#[cfg(unix)]
unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

#[test]
fn inline_allow_markers_suppress_the_line() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(14);
    dir.write(
        "a.py",
        format!("t = \"{}\"  # leakgate:allow\n", g.huggingface()),
    )
    .write(
        "b.py",
        format!("t = \"{}\"  # gitleaks:allow\n", g.huggingface()),
    )
    .write(
        "c.py",
        format!("t = \"{}\"  # pragma: allowlist secret\n", g.huggingface()),
    )
    .write(
        "d.py",
        format!("# leakgate:allow\nt = \"{}\"\n", g.huggingface()),
    );
    let run = scan_json(&dir);
    assert_eq!(
        field(&run.findings(), "path"),
        ["d.py"],
        "marker applies to its own line only"
    );
}

#[test]
fn placeholders_are_not_findings() {
    let dir = TestRepo::plain();
    dir.write(".env.example", "ANTHROPIC_API_KEY=sk-ant-api03-xxxxxxxxxxxxxxxxxxxx\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nHF_TOKEN=${HF_TOKEN}\n");
    assert_eq!(scan_json(&dir).code, 0);
}

#[test]
fn dependency_folders_are_skipped_unless_asked() {
    let repo = TestRepo::new();
    repo.write(".gitignore", "node_modules/\n")
        .commit_all("initial");
    repo.write(
        "node_modules/pkg/index.js",
        format!("k='{}'\n", Gen::new(15).huggingface()),
    );
    let run = scan_json(&repo);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["summary"]["skipped_dirs"][0], "./node_modules");
    let run = repo.leakgate(&["scan", ".", "--format", "json", "--include-deps"]);
    assert_eq!(field(&run.findings(), "exposure"), ["ignored"]);
}

#[test]
fn tracked_dependency_folders_are_scanned() {
    let repo = TestRepo::new();
    repo.write(
        "vendor/target/x.py",
        format!("k='{}'\n", Gen::new(16).huggingface()),
    )
    .commit_all("vendored");
    assert_eq!(
        field(&scan_json(&repo).findings(), "exposure"),
        ["committed"]
    );
}

#[cfg(unix)]
#[test]
fn symlinks_and_fifos_are_not_followed_or_opened() {
    let dir = TestRepo::plain();
    let outside = TestRepo::plain();
    outside.write("secret.env", format!("k={}\n", Gen::new(17).huggingface()));
    std::os::unix::fs::symlink(outside.path(), dir.join("link")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.join("loop")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let run = scan_json(&dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["skipped_by_reason"]["not_regular"], 3);
}

#[test]
fn git_internals_are_not_scanned() {
    let repo = TestRepo::new();
    repo.write("a.py", format!("k = '{}'\n", Gen::new(18).huggingface()))
        .commit_all("add");
    repo.write("a.py", "k = None\n").commit_all("remove");
    // The old blob lives in .git/objects; `scan` is about the working tree.
    assert_eq!(scan_json(&repo).code, 0);
}

#[test]
fn output_file_is_private_and_secrets_redacted_unless_asked() {
    let dir = TestRepo::plain();
    let key = Gen::new(19).anthropic();
    dir.write("k.env", format!("K={key}\n"));
    let run = dir.leakgate(&["scan", "k.env", "--format", "json", "--output", "out.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(dir.join("out.json")).unwrap();
    assert!(!text.contains(&key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("out.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let run = dir.leakgate(&["scan", "k.env", "--format", "jsonl", "--show-secrets"]);
    assert!(run.stdout.contains(&key));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one finding line and one summary line");
    let last: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(last["summary"]["findings"], 1);
}

#[test]
fn repo_config_allowlist_is_counted_and_can_be_ignored() {
    let repo = TestRepo::new();
    repo.write(
        ".leakgate.toml",
        "[[allowlist]]\ndescription = \"fixtures\"\npaths = [\"fixtures/**\"]\n",
    );
    repo.write(
        "fixtures/k.env",
        format!("K={}\n", Gen::new(20).huggingface()),
    );
    let run = scan_json(&repo);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.json()["summary"]["suppressed_by_allowlist"]["fixtures"],
        1
    );
    let run = repo.leakgate(&["scan", ".", "--format", "json", "--no-repo-config"]);
    assert_eq!(run.code, 1);
}

#[test]
fn human_output_groups_by_file_and_summarises() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(21);
    dir.write(
        "a.env",
        format!("A={}\nB={}\n", g.huggingface(), g.aws_key_id()),
    );
    let run = dir.leakgate(&["scan", ".", "--color", "never"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("human_output", run.stdout);
}

#[test]
fn json_output_matches_snapshot() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(22);
    dir.write(
        "svc/.env",
        format!(
            "HF_TOKEN={}\nANTHROPIC_API_KEY={}\n",
            g.huggingface(),
            g.anthropic()
        ),
    );
    let run = scan_json(&dir);
    let mut doc = run.json();
    doc["tool"]["version"] = "[version]".into();
    doc["summary"]["rules"] = "[rule count]".into();
    insta::assert_json_snapshot!("json_output", doc);
}

/// This repository scans clean: test secrets are generated at run time.
#[test]
fn this_repository_scans_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = crate::support::run_in(root, &["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn ambiguous_dependency_names_need_their_marker_file() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(23);
    // Python's own `venv` package is source code; a virtualenv has pyvenv.cfg.
    dir.write(
        "lib/venv/__init__.py",
        format!("k = '{}'\n", g.huggingface()),
    );
    dir.write("env/venv/pyvenv.cfg", "home = /usr/bin\n");
    dir.write(
        "env/venv/lib/site.py",
        format!("k = '{}'\n", g.huggingface()),
    );
    let run = scan_json(&dir);
    assert_eq!(field(&run.findings(), "path"), ["lib/venv/__init__.py"]);
    assert_eq!(run.json()["summary"]["skipped_dirs"][0], "./env/venv");
}

#[test]
fn base64_encoded_secrets_in_kubernetes_secrets_and_basic_auth() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let repo = TestRepo::new();
    let mut g = Gen::new(24);
    let (hf, aws, gh) = (g.huggingface(), g.aws_key_id(), g.github());
    repo.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  HF_TOKEN: {}\n  AWS_ACCESS_KEY_ID: {}\n  PLAIN: {}\n",
            b64(&hf),
            b64(&aws),
            b64("just-a-normal-config-value")
        ),
    );
    repo.write(
        "client.sh",
        format!(
            "curl -H 'Authorization: Basic {}' https://example.org\n",
            b64(&format!("bot:{gh}"))
        ),
    );
    repo.commit_all("deploy");
    let run = scan_json(&repo);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    let got: Vec<(String, i64, String, String)> = f
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_string(),
                x["line"].as_i64().unwrap(),
                x["encoding"].as_str().unwrap_or("").to_string(),
                x["exposure"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("client.sh".into(), 1, "base64".into(), "committed".into()),
            (
                "k8s/secret.yaml".into(),
                7,
                "base64".into(),
                "committed".into()
            ),
            (
                "k8s/secret.yaml".into(),
                8,
                "base64".into(),
                "committed".into()
            ),
        ]
    );
    // The fingerprint is the decoded secret's, so it matches the plain secret elsewhere.
    let plain = TestRepo::plain();
    plain.write("t.env", format!("HF_TOKEN={hf}\n"));
    let fp = plain
        .leakgate(&["scan", ".", "--format", "json"])
        .findings()[0]["fingerprint"]
        .clone();
    assert!(f.iter().any(|x| x["fingerprint"] == fp));
    for s in [&hf, &aws, &gh] {
        assert!(!run.stdout.contains(s.as_str()));
    }
    // History finds them too.
    let h = repo
        .leakgate(&["history", ".", "--format", "json"])
        .findings();
    assert_eq!(h.iter().filter(|x| x["encoding"] == "base64").count(), 3);
}
