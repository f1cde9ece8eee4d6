#!/usr/bin/env python3
"""Recall on realistic credential contexts, leakgate and the peers side by side.

The peers' published rule examples (score-examples.py) are mostly provider tokens, many with
fabricated values. This script measures the other half of the job: a generated password, key or
token in the places real leaks sit - code in many languages, configuration formats, SQL, shell and
admin command lines, CI and provisioning files, device configuration - and, for precision, the
same places holding a placeholder or a variable reference instead.

Every value is generated at run time (random, seeded), so nothing secret-looking is stored here.
Each case is written to its own file; a tool finds a case when it reports anything in that file.

usage: benches/context-recall.py [--seed N] [--tools leakgate,gitleaks,...] [--misses] [--cases FILE]

--cases FILE: a Python file defining POSITIVE and NEGATIVE lists of (file name, template), where a
positive template holds one `{pw}` (password) or `{tok}` (32-character key) filled in here, e.g.
benches/context-cases-heldout.py, written independently of leakgate's rules (the built-in cases
below were written together with the rules they exercise).
       (LEAKGATE=path overrides target/release/leakgate; peers, optional, come from PATH or ~/.cache/leakgate-peers/bin)
"""
import argparse, base64, json, os, random, shutil, string, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--tools", default="leakgate,gitleaks,betterleaks,kingfisher,ripsecrets,detect-secrets")
ap.add_argument("--misses", action="store_true", help="list leakgate's missed positives and flagged negatives")
ap.add_argument("--cases", help="Python file with POSITIVE and NEGATIVE template lists")
a = ap.parse_args()
r = random.Random(a.seed)
ALNUM = string.ascii_letters + string.digits


def tok(n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


def pw():
    """A generated password: 14 characters, letters, digits and one symbol."""
    p = list(tok(13))
    p[r.randrange(2, 12)] = r.choice("0123456789")
    p.insert(r.randrange(3, 11), r.choice("!#%+-_."))
    return "".join(p)


def b64(s):
    return base64.b64encode(s.encode()).decode()


# (file name, content) of positives: each holds one generated credential.
POSITIVE = lambda: [
    # assignments in code and configuration
    (".env", f"DB_PASSWORD={pw()}"),
    ("settings.yaml", f"db:\n  password: \"{pw()}\""),
    ("config.json", f'{{"db": {{"user": "app", "password": "{pw()}"}}}}'),
    ("app.ini", f"[database]\nuser = app\npassword = {pw()}"),
    ("app.toml", f'[database]\npassword = "{pw()}"'),
    ("application.properties", f"spring.datasource.password={pw()}"),
    ("conf.xml", f"<config><username>app</username><password>{pw()}</password></config>"),
    ("settings.py", f"SECRET_KEY = '{tok(50)}'"),
    ("main.go", f'const apiKey = "{tok(32)}"'),
    ("App.java", f'private static final String DB_PASSWORD = "{pw()}";'),
    ("Keys.cs", f'private const string ApiKey = "{tok(32)}";'),
    ("client.ts", f'const clientSecret: string = "{tok(40)}";'),
    ("keys.rs", f'pub const API_KEY: &str = "{tok(32)}";'),
    ("Config.kt", f'val dbPassword: String = "{pw()}"'),
    ("config.php", f"<?php\n$db_pass = '{pw()}';"),
    ("database.rb", f"  :password => '{pw()}',"),
    ("main.tf", f'resource "aws_db_instance" "db" {{\n  username = "app"\n  password = "{pw()}"\n}}'),
    ("Dockerfile", f"ENV API_KEY={tok(32)}"),
    ("secrets.h", f'#define WIFI_PASSWORD "{pw()}"'),
    ("auth.c", f'const char *password = "{pw()}";'),
    ("Keys.m", f'NSString *const kAPIKey = @"{tok(32)}";'),
    ("Module.vb", f'Dim password As String = "{pw()}"'),
    ("script.R", f'password <- "{pw()}"'),
    ("session.py", f'SECRET_KEY = b"{tok(32)}"'),
    ("jwt.go", f'var jwtKey = []byte("{tok(24)}")'),
    ("wp-config.php", f"define( 'DB_PASSWORD', '{pw()}' );"),
    ("build.gradle", f'signingConfigs {{\n  release {{\n    storePassword "{pw()}"\n  }}\n}}'),
    ("Makefile", f"DEPLOY_TOKEN ?= {tok(32)}"),
    ("docker-compose.yml", f"services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD={pw()}"),
    ("deployment.yaml", f"env:\n  - name: DATABASE_PASSWORD\n    value: \"{pw()}\""),
    ("task-definition.json", f'{{"environment": [{{"name": "STRIPE_API_KEY", "value": "{tok(32)}"}}]}}'),
    ("api.postman_environment.json", f'{{"values": [{{"key": "api_key", "value": "{tok(32)}", "enabled": true}}]}}'),
    ("vm.parameters.json", f'{{"parameters": {{"adminPassword": {{"value": "{pw()}"}}}}}}'),
    ("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: " + b64(pw())),
    # connection strings and URLs
    ("db.py", f"DATABASE_URL = 'postgres://app:{pw()}@db.internal:5432/app'"),
    ("appsettings.json", f'{{"ConnectionStrings": {{"Default": "Server=sql01;Database=orders;User Id=app;Password={pw()};"}}}}'),
    ("jdbc.properties", f"url=jdbc:mysql://db.internal:3306/orders?user=app&password={pw()}"),
    # calls
    ("report.py", f'requests.get(url, auth=("svc", "{pw()}"))'),
    ("Db.java", f'Connection c = DriverManager.getConnection(url, "app", "{pw()}");'),
    ("db.php", f'<?php\n$db = new PDO("mysql:host=db;dbname=shop", "shop", "{pw()}");'),
    ("alerts.py", f'server.login("alerts@corp.internal", "{pw()}")'),
    ("session.js", f"const t = jwt.sign({{id: user.id}}, '{tok(24)}', {{expiresIn: '1h'}});"),
    ("sign.js", f"const sig = crypto.createHmac('sha256', '{tok(24)}').update(body).digest('hex');"),
    ("Mail.cs", f'smtp.Credentials = new NetworkCredential("alerts", "{pw()}");'),
    ("Creds.ps1", f'$sec = ConvertTo-SecureString "{pw()}" -AsPlainText -Force'),
    # SQL
    ("init.sql", f"CREATE USER app WITH PASSWORD '{pw()}';"),
    ("grants.sql", f"CREATE USER 'app'@'%' IDENTIFIED BY '{pw()}';"),
    # command lines
    ("backup.sh", f"mysqldump -u backup -p{pw()} shop > shop.sql"),
    ("deploy.sh", f"sshpass -p '{pw()}' ssh deploy@10.1.2.3"),
    ("curl.sh", f"curl -u deploy:{pw()} https://nexus.corp.internal/repository/raw/"),
    ("bearer.sh", f"curl -H 'Authorization: Bearer {tok(40)}' https://api.corp.internal/v1/jobs"),
    ("publish.sh", f"docker login -u ci -p {pw()} registry.corp.internal"),
    ("secrets.sh", f"kubectl create secret generic db --from-literal=password={pw()}"),
    ("map.bat", f"net use Z: \\\\fs01\\share /user:CORP\\svc {pw()} /persistent:no"),
    ("plink.bat", f"plink -ssh -pw {pw()} deploy@10.0.0.7 uptime"),
    ("release.sh", f"./release --channel stable --api-key {tok(32)}"),
    ("sign.sh", f"keytool -importkeystore -srckeystore a.p12 -srcstorepass {pw()} -destkeystore a.jks"),
    # files of tools and systems
    (".netrc", f"machine api.corp.internal login ops password {pw()}"),
    (".pgpass", f"db.internal:5432:orders:app:{pw()}"),
    (".git-credentials", f"https://jdoe:{pw()}@git.corp.internal"),
    ("config.docker.json", '{"auths": {"registry.corp.internal": {"auth": "' + b64("ci:" + pw()) + '"}}}'),
    (".npmrc", f"//npm.corp.internal/:_authToken={tok(36)}"),
    ("redis.conf", f"bind 127.0.0.1\nrequirepass {pw()}"),
    ("sitemanager.xml", f'<Server><Host>ftp.corp.internal</Host><User>deploy</User><Pass encoding="base64">{b64(pw())}</Pass></Server>'),
    ("autounattend.xml", f"<AdministratorPassword>\n  <Value>{pw()}</Value>\n  <PlainText>true</PlainText>\n</AdministratorPassword>"),
    ("wpa_supplicant.conf", f'network={{\n  ssid="office"\n  psk="{pw()}"\n}}'),
    ("core1.cfg", f"hostname core1\nenable secret 0 {pw()}"),
    ("ks.cfg", f"lang en_US\nrootpw --plaintext {pw()}"),
    ("htpasswd.sh", f"htpasswd -b -c /etc/nginx/.htpasswd admin {pw()}"),
    ("notebook.ipynb", '{"cells": [{"cell_type": "code", "source": ["password = \\"' + pw() + '\\"\\n"]}]}'),
]

# Negatives: the same places holding placeholders, references and non-secrets.
NEGATIVE = [
    (".env", "DB_PASSWORD=${DB_PASSWORD}"),
    ("settings.yaml", "db:\n  password: \"{{ db_password }}\""),
    ("config.json", '{"db": {"user": "app", "password": "<your-password>"}}'),
    ("app.ini", "[database]\nuser = app\npassword = changeme"),
    ("settings.py", 'SECRET_KEY = os.environ["SECRET_KEY"]'),
    ("main.go", 'apiKey := os.Getenv("API_KEY")'),
    ("App.java", 'private static final String PASSWORD_FIELD = "password";'),
    ("client.ts", "const clientSecret: string = process.env.CLIENT_SECRET ?? \"\";"),
    ("wp-config.php", "define( 'DB_PASSWORD', 'password_here' );"),
    ("deployment.yaml", "env:\n  - name: DATABASE_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: db, key: password}"),
    ("db.py", "DATABASE_URL = f'postgres://{user}:{password}@{host}/app'"),
    ("report.py", "requests.get(url, auth=(user, password))"),
    ("init.sql", "CREATE USER app WITH PASSWORD :'app_password';"),
    ("backup.sh", "mysqldump -u backup -p\"$MYSQL_PASSWORD\" shop > shop.sql"),
    ("publish.sh", 'echo "$CR_PAT" | docker login ghcr.io -u USERNAME --password-stdin'),
    ("secrets.sh", "kubectl create secret generic db --from-literal=password=$DB_PASSWORD"),
    ("release.sh", "./release --api-key \"$API_KEY\""),
    ("redis.conf", "# requirepass foobared"),
    ("ks.cfg", "rootpw --lock"),
    ("login.py", 'password = getpass.getpass("Password: ")'),
    ("forms.py", "password = forms.CharField(widget=forms.PasswordInput)"),
    ("schema.graphql", "type User { id: ID! password: String! token: String }"),
    ("test_auth.py", 'assert hash_password("secret") != "secret"'),
    ("README.md", "Set `API_KEY` to the key from your dashboard, e.g. `export API_KEY=<key>`."),
    ("types.rs", "pub struct Credentials { pub password: SecretString, pub token: Option<String> }"),
]


def tool_hits(tool, d):
    out = os.path.join(tempfile.mkdtemp(), "r.json")
    # Reported paths are absolute, or relative to the scanned directory.
    rel = lambda p: os.path.relpath(p if os.path.isabs(p) else os.path.join(d, p), d)
    peers = os.environ.get("PEERS_DIR", os.path.expanduser("~/.cache/leakgate-peers")) + "/bin/"
    exe = lambda n: shutil.which(n, path=peers + os.pathsep + os.environ.get("PATH", "")) or n
    if tool == "leakgate":
        lg = os.environ.get("LEAKGATE", os.path.join(here, "..", "target", "release", "leakgate"))
        p = subprocess.run([lg, "scan", d, "--no-repo-config", "--format", "json"], capture_output=True, text=True)
        return {rel(f["path"]) for f in json.loads(p.stdout)["findings"]}
    if tool == "gitleaks":
        subprocess.run([exe("gitleaks"), "dir", d, "-f", "json", "-r", out, "--no-banner", "-l", "error", "--exit-code", "0"])
        return {rel(f["File"]) for f in json.load(open(out))}
    if tool == "betterleaks":
        subprocess.run([exe("betterleaks"), d, "-o", out, "--no-banner", "-l", "error", "--exit-code=0"], stdout=subprocess.DEVNULL)
        return {rel(f["location"]["path"]) for f in json.load(open(out))["findings"]}
    if tool == "kingfisher":
        subprocess.run([exe("kingfisher"), "scan", d, "--no-validate", "--no-update-check", "--git-history", "none",
                        "--no-dedup", "--confidence", "low", "-f", "json", "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return {rel(f["finding"]["path"]) for f in json.load(open(out))["findings"]}
    if tool == "ripsecrets":
        p = subprocess.run([exe("ripsecrets"), "."], cwd=d, capture_output=True, text=True)
        return {os.path.normpath(line.split(":", 1)[0]) for line in p.stdout.splitlines() if ":" in line}
    if tool == "detect-secrets":
        p = subprocess.run([exe("detect-secrets"), "scan", "--all-files", "."], cwd=d, capture_output=True, text=True)
        return set(json.loads(p.stdout)["results"])
    sys.exit(f"unknown tool {tool}")


def write(cases, d):
    names = []
    for i, (name, text) in enumerate(cases):
        rel = os.path.join(f"{i:03d}", name)
        os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
        open(os.path.join(d, rel), "w").write(text + "\n")
        names.append(rel)
    return names


if a.cases:
    spec = {}
    exec(compile(open(a.cases).read(), a.cases, "exec"), spec)
    pos_cases = [(n, t.format(pw=pw(), tok=tok(32))) for n, t in spec["POSITIVE"]]
    neg_cases = [(n, t.format()) for n, t in spec["NEGATIVE"]]
else:
    pos_cases, neg_cases = POSITIVE(), NEGATIVE
pos_dir, neg_dir = tempfile.mkdtemp(prefix="ctx-pos-"), tempfile.mkdtemp(prefix="ctx-neg-")
pos, neg = write(pos_cases, pos_dir), write(neg_cases, neg_dir)
print(f"{len(pos)} credential contexts, {len(neg)} placeholder contexts, seed {a.seed}")
print(f"{'tool':<16} {'found':>12} {'flagged':>12}")
for tool in a.tools.split(","):
    try:
        hp, hn = tool_hits(tool, pos_dir), tool_hits(tool, neg_dir)
    except (OSError, ValueError, KeyError) as e:
        print(f"{tool:<16} not run: {e}")
        continue
    fp, fn = sum(n in hp for n in pos), sum(n in hn for n in neg)
    print(f"{tool:<16} {fp:>4}/{len(pos)} = {fp/len(pos):.2f} {fn:>4}/{len(neg)}")
    if a.misses and tool == "leakgate":
        for n in pos:
            if n not in hp:
                print(f"    missed  {n}")
        for n in neg:
            if n in hn:
                print(f"    flagged {n}")
