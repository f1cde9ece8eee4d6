//! Accuracy mechanisms end to end: checksums and confidence, decoding (base64, hex, percent),
//! and token rules written in the compact `context` + `token` form.

use crate::support::{ALNUM, Gen, TestRepo};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn github_token(g: &mut Gen, valid: bool) -> String {
    crate::support::github_token(&g.chars(ALNUM, 30), valid)
}

#[test]
fn checksums_set_confidence_and_invalid_tokens_need_min_confidence_low() {
    let mut g = Gen::new(70);
    let (good, bad) = (github_token(&mut g, true), github_token(&mut g, false));
    let repo = TestRepo::plain();
    repo.write("good.env", format!("GITHUB_TOKEN={good}\n"))
        .write("bad.env", format!("GITHUB_TOKEN={bad}\n"));
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(
        f.len(),
        1,
        "the invalid checksum is dropped by default: {f:?}"
    );
    assert_eq!(f[0]["path"], "good.env");
    assert_eq!(f[0]["confidence"], "high");

    let low = repo.leakgate(&["scan", ".", "--format", "json", "--min-confidence", "low"]);
    let mut f = low.findings();
    f.sort_by_key(|x| x["path"].as_str().unwrap().to_string());
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(
        (f[0]["path"].as_str(), f[0]["confidence"].as_str()),
        (Some("bad.env"), Some("low"))
    );

    // Only an invalid token: nothing to report at the default floor.
    std::fs::remove_file(repo.join("good.env")).unwrap();
    assert_eq!(repo.leakgate(&["scan", "."]).code, 0);
}

/// A file past the DFA threshold is searched as four interleaved streams (src/engine/keywords.rs):
/// keywords that straddle the boundaries between the streams' parts must still be found.
#[test]
fn keywords_across_the_interleaved_streams_boundaries_are_found() {
    let mut g = Gen::new(72);
    let len = 6 << 20;
    let mut text = b"let x = compute(1, 2);\n".repeat(len / 23 + 1);
    text.truncate(len);
    let part = len / 4;
    let mut tokens = Vec::new();
    // "ghp_" starts 2 bytes before each boundary, and once at the start and the very end.
    for at in [0, part - 2, 2 * part - 1, 3 * part - 3, len - 60] {
        let token = github_token(&mut g, true);
        let line = format!("\nT={token}\n");
        let start = at.saturating_sub(3).min(len - line.len());
        text[start..start + line.len()].copy_from_slice(line.as_bytes());
        tokens.push(token);
    }
    let repo = TestRepo::plain();
    repo.write("big.rs", String::from_utf8(text).unwrap());
    let f = repo.leakgate(&["scan", ".", "--format", "json"]).findings();
    assert_eq!(f.len(), tokens.len(), "{f:?}");
}

#[test]
fn age_secret_keys_need_a_valid_bech32_checksum() {
    let mut g = Gen::new(71);
    let charset = b"qpzry9x8gf2tvdw0s3jn54khce6mual7";
    let data: Vec<u8> = g
        .chars(charset, 52)
        .bytes()
        .map(|c| charset.iter().position(|&x| x == c).unwrap() as u8)
        .collect();
    let good = leakgate::rules::bech32("age-secret-key-", &data).to_ascii_uppercase();
    // Change one data character: the checksum no longer verifies.
    let mut bad = good.clone().into_bytes();
    bad[20] = if bad[20] == b'Q' { b'P' } else { b'Q' };
    let bad = String::from_utf8(bad).unwrap();
    let repo = TestRepo::plain();
    repo.write("keys.txt", format!("# created: 2026-11-26\n{good}\n"))
        .write("old.txt", format!("SOPS_AGE_KEY={bad}\n"));
    let f = repo.leakgate(&["scan", ".", "--format", "json"]).findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (
            f[0]["path"].as_str(),
            f[0]["rule_id"].as_str(),
            f[0]["confidence"].as_str()
        ),
        (Some("keys.txt"), Some("age-secret-key"), Some("high"))
    );
    let low = repo.leakgate(&["scan", ".", "--format", "json", "--min-confidence", "low"]);
    assert_eq!(low.findings().len(), 2);
}

#[test]
fn hex_and_percent_encoded_secrets_are_found_with_their_encoding() {
    let mut g = Gen::new(71);
    let token = github_token(&mut g, true);
    let hook = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        g.chars(&BASE62[..36], 8),
        g.chars(&BASE62[..36], 10),
        g.chars(ALNUM, 24)
    );
    let encoded_hook: String = hook
        .bytes()
        .map(|b| match b {
            b':' => "%3A".to_string(),
            b'/' => "%2F".to_string(),
            _ => (b as char).to_string(),
        })
        .collect();
    let repo = TestRepo::plain();
    repo.write(
        "blob.js",
        format!(
            "const blob = \"{}\";\n",
            hex_encode(format!("token={token}").as_bytes())
        ),
    )
    .write(
        "cb.py",
        format!("NEXT = 'https://example.org/cb?next={encoded_hook}'\n"),
    );
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut f = run.findings();
    f.sort_by_key(|x| x["path"].as_str().unwrap().to_string());
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0]["path"], "blob.js");
    assert_eq!(f[0]["rule_id"], "github-personal-access-token");
    assert_eq!(f[0]["encoding"], "hex");
    assert_eq!(f[1]["path"], "cb.py");
    assert_eq!(f[1]["rule_id"], "slack-webhook-url");
    assert_eq!(f[1]["encoding"], "percent");
    // The column points at the encoded secret in the file.
    let col = f[1]["column"].as_u64().unwrap() as usize;
    assert!(
        "NEXT = 'https://example.org/cb?next=".len() + 1 == col,
        "column {col}"
    );
    assert!(!run.stdout.contains(&token) && !run.stdout.contains(&hook));
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn token_rules_need_context_and_a_bounded_mixed_token() {
    let mut g = Gen::new(72);
    let repo = TestRepo::plain();
    repo.write(
        "rules.toml",
        r#"[[rule]]
id = "acme-api-key"
provider = "Acme"
description = "Acme API key"
severity = "high"
context = ["acme"]
token = '[a-z0-9]{32}'
examples = ['ACME_API_KEY=0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d']
negative_examples = ['ACME_API_KEY=0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5dzz']
rotate.url = "https://acme.test/settings/keys"
"#,
    );
    let key = g.chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 30) + "7q";
    let words = "abcdefghijklmnopqrstuvwxyzabcdef";
    repo.write("a.env", format!("ACME_API_KEY={key}\n"))
        .write("b.env", format!("OTHER_KEY={key}\n"))
        .write("c.env", format!("acme_key = \"{words}\"\n"))
        .write("d.env", format!("acme_key = \"{key}xyz\"\n"));
    let check = repo.leakgate(&["rules", "check", "--config", "rules.toml"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let run = repo.leakgate(&["scan", ".", "--config", "rules.toml", "--format", "json"]);
    let f: Vec<_> = run
        .findings()
        .into_iter()
        .filter(|f| f["rule_id"] == "acme-api-key" && f["path"] != "rules.toml")
        .collect();
    assert_eq!(f.len(), 1, "only the key after its context word: {f:?}");
    assert_eq!(f[0]["path"], "a.env");
    assert_eq!(f[0]["confidence"], "medium");
    let explain = repo.leakgate(&["rules", "explain", "acme-api-key", "--config", "rules.toml"]);
    assert!(
        explain
            .stdout
            .contains("Revoke or delete the exposed credential in Acme"),
        "{}",
        explain.stdout
    );
}

/// Generic credentials in the files and formats that carry them, with values generated here.
#[test]
fn credential_formats_are_found_in_their_files() {
    let mut g = Gen::new(73);
    let mut pw = || {
        let mut p = g.chars(ALNUM, 14);
        p.replace_range(0..2, "q7");
        p
    };
    let repo = TestRepo::plain();
    let (a, b, c, d, e, f, h) = (pw(), pw(), pw(), pw(), pw(), pw(), pw());
    // With a symbol: a quoted all-alphanumeric value has a 1.5% chance of reading as an
    // identifier with acronyms and digits (README, `unquoted_regexes`), as this seed's did.
    let k = {
        let mut k = pw();
        k.replace_range(7..8, "-");
        k
    };
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("ci-bot:{b}"))
    };
    repo.write(".netrc", format!("machine api.example.net login ops password {a}\n"))
        .write(
            ".docker/config.json",
            format!("{{\n  \"auths\": {{\n    \"registry.example.net\": {{\n      \"auth\": \"{auth}\"\n    }}\n  }}\n}}\n"),
        )
        .write(".pgpass", format!("db.internal:5432:orders:app_rw:{c}\n"))
        .write(".git-credentials", format!("https://jdoe:{d}@git.example.net\n"))
        .write(
            "appsettings.config",
            format!("Server=sql01,1433;Database=Billing;User ID=svc;Password={e};\n"),
        )
        .write(".env", format!("DB_PASSWORD={f}\n"))
        .write("config.yaml", format!("smtp:\n  service_password: \"{k}\"\n"))
        .write("settings.py", format!("DATABASE_URL = 'postgres://app:{h}@db:5432/app'\n"));
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    let got = path_and_rule(&findings);
    let want = [
        (".docker/config.json", "docker-config-auth"),
        (".env", "dotenv-password-assignment"),
        (".git-credentials", "git-credentials-password"),
        (".netrc", "netrc-password"),
        (".pgpass", "pgpass-password"),
        ("appsettings.config", "connection-string-password"),
        ("config.yaml", "generic-credential-assignment"),
        ("settings.py", "database-url-password"),
    ];
    assert_eq!(got, want);
    for v in [&a, &b, &c, &d, &e, &f, &h, &k] {
        assert!(!run.stdout.contains(v.as_str()), "redacted");
    }
}

/// Credentials written the ways code, scripts and docs write them, each caught by the rule made
/// for that idiom; values generated here.
#[test]
fn credentials_in_code_commands_and_prose_are_found() {
    let mut g = Gen::new(74);
    let mut pw = |alphabet: &[u8], n: usize| password(&mut g, alphabet, n);
    let symbols: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789;(),!#";
    let (quoted, php, ruby, mysql, ssh) = (
        pw(symbols, 14),
        pw(ALNUM, 12),
        pw(ALNUM, 12),
        pw(ALNUM, 12),
        pw(ALNUM, 12),
    );
    let (webhook, query) = (pw(ALNUM, 32), pw(ALNUM, 32));
    let (check, prose, fallback, rails) = (
        pw(ALNUM, 10),
        pw(ALNUM, 10),
        pw(ALNUM, 32),
        g.chars(b"0123456789abcdef", 128),
    );
    let laravel = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(g.chars(ALNUM, 32))
    };
    let repo = TestRepo::plain();
    repo.write("settings.yaml", format!("db:\n  password: \"{quoted}\"\n"))
        .write("conf.php", format!("<?php\n$db_pass = '{php}';\n"))
        .write("database.rb", format!("  :password => '{ruby}',\n"))
        .write(
            "backup.sh",
            format!("mysqldump -u backup -p{mysql} shop > shop.sql\n"),
        )
        .write(
            "deploy.sh",
            format!("sshpass -p '{ssh}' ssh deploy@10.1.2.3\n"),
        )
        .write(
            "login.py",
            format!("if username == \"admin\" and password == \"{check}\":\n    grant()\n"),
        )
        .write(
            "README.md",
            format!("The default password for the `ops` account is \"{prose}\".\n"),
        )
        .write(
            ".env.production",
            format!("NETLIFY_KEY={fallback}\nAPP_KEY=base64:{laravel}\n"),
        )
        .write(
            "config/secrets.yml",
            format!("production:\n  secret_key_base: {rails}\n"),
        )
        .write(
            ".env.stripe",
            format!("STRIPE_WEBHOOK_SECRET=whsec_{webhook}\n"),
        )
        .write(
            "client.js",
            format!("fetch(`https://api.example.net/v1/items?page=2&api_key={query}`)\n"),
        );
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    let got = path_and_rule(&findings);
    let want = [
        (".env.production", "laravel-app-key"),
        (".env.production", "provider-named-credential"),
        (".env.stripe", "webhook-signing-secret-whsec"),
        ("README.md", "password-in-prose"),
        ("backup.sh", "cli-password-argument"),
        ("client.js", "url-query-credential"),
        ("conf.php", "generic-credential-assignment"),
        ("config/secrets.yml", "rails-secret-key-base"),
        ("database.rb", "generic-credential-assignment"),
        ("deploy.sh", "cli-password-argument"),
        ("login.py", "hardcoded-password-comparison"),
        ("settings.yaml", "generic-credential-assignment"),
    ];
    assert_eq!(got, want);
    let secrets: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    for v in [
        &quoted, &php, &ruby, &mysql, &ssh, &check, &prose, &fallback, &rails, &webhook, &query,
    ] {
        assert!(!run.stdout.contains(v.as_str()), "redacted");
    }
    let shown = repo.leakgate(&["scan", ".", "--format", "json", "--show-secrets"]);
    let quoted_found = shown
        .findings()
        .iter()
        .any(|f| f["secret"].as_str() == Some(quoted.as_str()));
    assert!(
        quoted_found,
        "the quoted password is taken whole: {secrets:?}"
    );
}

/// Credentials that are handed over rather than assigned: typed declarations, (name, value)
/// calls, environment entries of Kubernetes and ECS, basic-auth calls, server configuration and
/// registry or keystore commands.
#[test]
fn credentials_in_declarations_calls_env_entries_and_tool_commands_are_found() {
    let mut g = Gen::new(75);
    let mut pw = |alphabet: &[u8], n: usize| password(&mut g, alphabet, n);
    // A WordPress salt: symbols, `<` and a space are part of the secret.
    let salt = format!(
        "{}<N; {}",
        pw(
            b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#%^&*(",
            30
        ),
        pw(ALNUM, 28)
    );
    let [
        ts,
        rust,
        k8s,
        ecs,
        auth,
        redis,
        docker,
        keystore,
        openssl,
        aes,
    ] = [(); 10].map(|()| pw(ALNUM, 16));
    let repo = TestRepo::plain();
    repo.write("src/client.ts", format!("const clientSecret: string = \"{ts}\";\n"))
        .write("src/keys.rs", format!("pub const API_KEY: &str = \"{rust}\";\n"))
        .write("wp-config.php", format!("<?php\ndefine( 'NONCE_SALT', '{salt}' );\n"))
        .write(
            "deploy/app.yaml",
            format!("env:\n  - name: DATABASE_PASSWORD\n    value: \"{k8s}\"\n"),
        )
        .write(
            "deploy/task.json",
            format!("{{\"environment\": [{{\"name\": \"STRIPE_API_KEY\", \"value\": \"{ecs}\"}}]}}\n"),
        )
        .write("report.py", format!("requests.get(url, auth=(\"svc\", \"{auth}\"))\n"))
        .write("redis.conf", format!("bind 127.0.0.1\nrequirepass {redis}\n"))
        .write(
            "ci/publish.sh",
            format!(
                "docker login -u ci -p {docker} registry.qzv.dev\n\
                 keytool -importkeystore -srckeystore a.p12 -srcstorepass {keystore} -destkeystore a.jks\n\
                 openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:{openssl}\n"
            ),
        )
        .write(".env", format!("ENCRYPTION_KEY={aes}\n"));
    let want = [
        (".env", "generic-credential-assignment"),
        ("ci/publish.sh", "cli-password-argument"),
        ("ci/publish.sh", "cli-password-argument"),
        ("ci/publish.sh", "cli-password-argument"),
        ("deploy/app.yaml", "env-entry-credential"),
        ("deploy/task.json", "env-entry-credential"),
        ("redis.conf", "redis-requirepass"),
        ("report.py", "basic-auth-call-password"),
        ("src/client.ts", "generic-credential-assignment"),
        ("src/keys.rs", "generic-credential-assignment"),
        ("wp-config.php", "credential-name-value-call"),
    ];
    assert_found_whole(
        &repo,
        &want,
        &[
            &aes, &docker, &keystore, &openssl, &k8s, &ecs, &redis, &auth, &ts, &rust, &salt,
        ],
    );
}

/// Passwords in SQL, on administrators' command lines, typed into secret stores, and in the
/// files of FileZilla, Postman, Azure ARM and Windows setup.
#[test]
fn credentials_in_sql_admin_commands_and_tool_files_are_found() {
    use base64::Engine as _;
    let mut g = Gen::new(76);
    let mut pw = || password(&mut g, ALNUM, 14);
    let [
        sql,
        net,
        plink,
        kubectl,
        vault,
        postman,
        arm,
        filezilla,
        unattend,
    ] = [(); 9].map(|()| pw());
    let filezilla_b64 = base64::engine::general_purpose::STANDARD.encode(&filezilla);
    let repo = TestRepo::plain();
    repo.write(
        "db/init.sql",
        format!("CREATE USER 'app'@'%' IDENTIFIED BY '{sql}';\n"),
    )
    .write(
        "ops/map.bat",
        format!("net use Z: \\\\fs01\\share /user:CORP\\svc {net} /persistent:no\nplink -ssh -pw {plink} deploy@10.0.0.7 uptime\n"),
    )
    .write(
        "ops/secrets.sh",
        format!("kubectl create secret generic db --from-literal=password={kubectl}\nvault kv put secret/app db_password={vault}\n"),
    )
    .write(
        "api.postman_environment.json",
        format!("{{\"values\": [{{\"key\": \"api_key\", \"value\": \"{postman}\", \"enabled\": true}}]}}\n"),
    )
    .write(
        "infra/vm.parameters.json",
        format!("{{\"parameters\": {{\n  \"adminPassword\": {{\n    \"value\": \"{arm}\"\n  }}\n}}}}\n"),
    )
    .write(
        "sitemanager.xml",
        format!("<Server><Host>ftp.qzv.dev</Host><User>deploy</User><Pass encoding=\"base64\">{filezilla_b64}</Pass></Server>\n"),
    )
    .write(
        "autounattend.xml",
        format!("<AdministratorPassword>\n  <Value>{unattend}</Value>\n  <PlainText>true</PlainText>\n</AdministratorPassword>\n"),
    );
    let want = [
        ("api.postman_environment.json", "env-entry-credential"),
        ("autounattend.xml", "windows-unattend-password"),
        ("db/init.sql", "sql-password-literal"),
        ("infra/vm.parameters.json", "env-entry-credential"),
        ("ops/map.bat", "system-cli-password"),
        ("ops/map.bat", "system-cli-password"),
        ("ops/secrets.sh", "secret-store-cli-value"),
        ("ops/secrets.sh", "secret-store-cli-value"),
        ("sitemanager.xml", "filezilla-password"),
    ];
    assert_found_whole(
        &repo,
        &want,
        &[
            &postman,
            &unattend,
            &sql,
            &arm,
            &net,
            &plink,
            &kubectl,
            &vault,
            &filezilla_b64,
        ],
    );
}

/// Credentials in C headers, byte-string keys, signing calls, positional login calls and device
/// configuration.
#[test]
fn credentials_in_headers_signing_and_login_calls_and_device_configs_are_found() {
    let mut g = Gen::new(77);
    let mut pw = || password(&mut g, ALNUM, 16);
    let [define, cptr, bytes, gokey, jwt, pdo, smtp, psk, ios] = [(); 9].map(|()| pw());
    let repo = TestRepo::plain();
    repo.write(
        "firmware/secrets.h",
        format!("#define WIFI_PASSWORD \"{define}\"\nconst char *api_token = \"{cptr}\";\n"),
    )
    .write("app/settings.py", format!("SECRET_KEY = b\"{bytes}\"\n"))
    .write("auth/jwt.go", format!("var jwtKey = []byte(\"{gokey}\")\n"))
    .write(
        "auth/session.js",
        format!("const t = jwt.sign({{id: user.id}}, '{jwt}', {{expiresIn: '1h'}});\n"),
    )
    .write(
        "db.php",
        format!("<?php\n$db = new PDO(\"mysql:host=db;dbname=shop\", \"shop\", \"{pdo}\");\n"),
    )
    .write(
        "alerts.py",
        format!("server.login(\"alerts@qzv.dev\", \"{smtp}\")\n"),
    )
    .write(
        "net/wpa_supplicant.conf",
        format!("network={{\n  ssid=\"office\"\n  psk=\"{psk}\"\n}}\n"),
    )
    .write(
        "net/core1.cfg",
        format!("hostname core1\nenable secret 0 {ios}\n"),
    );
    let want = [
        ("alerts.py", "login-call-password"),
        ("app/settings.py", "generic-credential-assignment"),
        ("auth/jwt.go", "generic-credential-assignment"),
        ("auth/session.js", "hardcoded-signing-key"),
        ("db.php", "login-call-password"),
        ("firmware/secrets.h", "credential-name-space-literal"),
        ("firmware/secrets.h", "generic-credential-assignment"),
        ("net/core1.cfg", "network-config-secret"),
        ("net/wpa_supplicant.conf", "network-config-secret"),
    ];
    assert_found_whole(
        &repo,
        &want,
        &[
            &smtp, &bytes, &gokey, &jwt, &pdo, &define, &cptr, &ios, &psk,
        ],
    );
}

/// Passwords in build DSLs, OS installation files and long command-line options.
#[test]
fn credentials_in_build_dsls_installers_and_option_flags_are_found() {
    let mut g = Gen::new(78);
    let mut pw = || {
        let mut p = password(&mut g, ALNUM, 16);
        p.replace_range(9..10, "-");
        p
    };
    let [gradle, kickstart, preseed, flag, objc] = [(); 5].map(|()| pw());
    let repo = TestRepo::plain();
    repo.write(
        "app/build.gradle",
        format!("signingConfigs {{\n  release {{\n    storePassword \"{gradle}\"\n  }}\n}}\n"),
    )
    .write(
        "ks.cfg",
        format!("lang en_US\nrootpw --plaintext {kickstart}\n"),
    )
    .write(
        "preseed.cfg",
        format!("d-i passwd/root-password password {preseed}\n"),
    )
    .write(
        "deploy.sh",
        format!("./release --channel stable --api-key {flag}\n"),
    )
    .write(
        "Keys.m",
        format!("NSString *const kAPIKey = @\"{objc}\";\n"),
    );
    let want = [
        ("Keys.m", "generic-credential-assignment"),
        ("app/build.gradle", "credential-name-space-literal"),
        ("deploy.sh", "cli-credential-flag"),
        ("ks.cfg", "os-provisioning-password"),
        ("preseed.cfg", "os-provisioning-password"),
    ];
    assert_found_whole(&repo, &want, &[&objc, &gradle, &flag, &kickstart, &preseed]);
}

/// A generated password of `n` characters from `alphabet`, starting `q7` with a `4` at index 5:
/// digits inside, so no value reads as a camelCase name by chance.
fn password(g: &mut Gen, alphabet: &[u8], n: usize) -> String {
    let mut p = g.chars(alphabet, n);
    p.replace_range(0..2, "q7");
    p.replace_range(5..6, "4");
    p
}

/// Scan `repo` with secrets shown and check each finding's (path, rule id), sorted, and that
/// the secrets reported are exactly `secrets` (each taken whole), in any order.
fn assert_found_whole(repo: &TestRepo, want: &[(&str, &str)], secrets: &[&String]) {
    let run = repo.leakgate(&["scan", ".", "--format", "json", "--show-secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(path_and_rule(&findings), want);
    let mut got: Vec<&str> = findings
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = secrets.iter().map(|s| s.as_str()).collect();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected, "each secret is taken whole");
}

/// Each finding's (path, rule id), sorted.
fn path_and_rule(findings: &[serde_json::Value]) -> Vec<(&str, &str)> {
    let mut got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect();
    got.sort_unstable();
    got
}

/// Code inside a Jupyter notebook is JSON-escaped (`\"`): it is unescaped and scanned like the
/// code itself, and findings point at the secret in the notebook file.
#[test]
fn secrets_in_notebook_cells_are_found_where_they_are() {
    let mut g = Gen::new(75);
    let wandb = g.chars(b"0123456789abcdef", 40);
    let mut password = g.chars(ALNUM, 12);
    password.replace_range(0..2, "q7");
    password.replace_range(5..6, "4");
    let repo = TestRepo::plain();
    let notebook = format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"source\": [\n    \"import os\\n\",\n    \"os.environ[\\\"WANDB_API_KEY\\\"] = \\\"{wandb}\\\"\\n\",\n    \"db_password = \\\"{password}\\\"\\n\"\n   ]\n  }}\n ]\n}}\n"
    );
    repo.write("notebooks/eval.ipynb", &notebook);
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    let got = path_and_rule(&findings);
    assert_eq!(
        got,
        [
            ("notebooks/eval.ipynb", "generic-credential-assignment"),
            ("notebooks/eval.ipynb", "wandb-api-key")
        ]
    );
    for f in &findings {
        let line = notebook
            .lines()
            .nth(f["line"].as_u64().unwrap() as usize - 1)
            .unwrap();
        let col = f["column"].as_u64().unwrap() as usize - 1;
        let secret = if f["rule_id"] == "wandb-api-key" {
            &wandb
        } else {
            &password
        };
        assert_eq!(&line[col..col + secret.len()], secret.as_str(), "{f}");
        assert!(f["encoding"].is_null(), "stored as it is: {f}");
    }
    assert!(!run.stdout.contains(&wandb) && !run.stdout.contains(&password));
}
