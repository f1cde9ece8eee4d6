"""Held-out credential-leak contexts for evaluating a generic secret scanner.

Written independently of the scanner's rules and pattern files, from general
knowledge of where hard-coded credentials show up in real repositories.
POSITIVE templates contain exactly one `{pw}` or `{tok}` placeholder;
NEGATIVE templates contain no secret. Literal braces are doubled for str.format.
"""
import textwrap


def _d(s):
    return textwrap.dedent(s).strip("\n")


POSITIVE = [
    ("src/main/resources/application.yml", _d("""
        spring:
          datasource:
            url: jdbc:postgresql://db.internal:5432/orders
            username: orders_app
            password: {pw}
        """)),
    ("Vagrantfile", _d("""
        Vagrant.configure("2") do |config|
          config.vm.box = "ubuntu/jammy64"
          config.vm.provision "shell", inline: "mysql -uroot -p'{pw}' < /vagrant/schema.sql"
        end
        """)),
    ("terraform.tfvars", _d("""
        region      = "eu-west-1"
        db_username = "admin"
        db_password = "{pw}"
        """)),
    (".travis.yml", _d("""
        language: node_js
        env:
          global:
            - SAUCE_USERNAME=acme-ci
            - SAUCE_ACCESS_KEY={tok}
        """)),
    (".m2/settings.xml", _d("""
        <servers>
          <server>
            <id>nexus-releases</id>
            <username>deploy</username>
            <password>{pw}</password>
          </server>
        """)),
    ("config/dev.exs", _d("""
        config :my_app, MyApp.Repo,
          username: "postgres",
          password: "{pw}",
          hostname: "localhost",
          database: "my_app_dev"
        """)),
    ("pom.xml", _d("""
        <plugin>
          <groupId>org.flywaydb</groupId>
          <artifactId>flyway-maven-plugin</artifactId>
          <configuration><url>jdbc:mysql://10.0.1.12:3306/billing</url><user>billing</user>
            <password>{pw}</password></configuration>
        </plugin>
        """)),
    ("php.ini", _d("""
        [MySQLi]
        mysqli.default_host = db01.lan
        mysqli.default_user = webapp
        mysqli.default_pw = {pw}
        """)),
    ("my.cnf", _d("""
        [client]
        user=backup
        password="{pw}"
        host=127.0.0.1
        """)),
    ("odbc.ini", _d("""
        [WarehouseDSN]
        Driver=PostgreSQL Unicode
        Servername=warehouse.corp.local
        Database=dw
        UserName=etl_user
        Password={pw}
        """)),
    ("sftp-config.json", _d("""
        {{
            "type": "sftp",
            "host": "203.0.113.44",
            "user": "deploy", "password": "{pw}",
            "remote_path": "/var/www/html/"
        }}
        """)),
    (".s3cfg", _d("""
        [default]
        host_base = minio.storage.lan:9000
        access_key = backup-svc
        secret_key = {tok}
        use_https = False
        """)),
    (".config/rclone/rclone.conf", _d("""
        [wasabi]
        type = s3
        provider = Wasabi
        access_key_id = backup-bucket-rw
        secret_access_key = {tok}
        endpoint = s3.eu-central-1.wasabisys.com
        """)),
    ("ansible/group_vars/all.yml", _d("""
        ---
        mysql_root_password: "{pw}"
        mysql_databases:
          - name: wordpress
        """)),
    ("charts/keycloak/values.yaml", _d("""
        postgresql:
          enabled: true
          auth:
            username: keycloak
            password: {pw}
            database: keycloak
        """)),
    ("serverless.yml", _d("""
        provider:
          name: aws
          runtime: nodejs18.x
          environment:
            PAYMENT_WEBHOOK_SECRET: {tok}
        """)),
    ("docker-compose.override.yml", _d("""
        services:
          db:
            environment:
              - POSTGRES_USER=app
              - POSTGRES_PASSWORD={pw}
        """)),
    ("appsettings.Development.json", _d("""
        {{
          "ConnectionStrings": {{
            "DefaultConnection": "Server=localhost,1433;Database=Inventory;User Id=sa;Password={pw};TrustServerCertificate=True"
          }}
        }}
        """)),
    ("web.config", _d("""
        <appSettings>
          <add key="SmtpHost" value="smtp.contoso-shop.com" />
          <add key="SmtpUser" value="noreply@contoso-shop.com" />
          <add key="SmtpPassword" value="{pw}" />
        </appSettings>
        """)),
    ("local.settings.json", _d("""
        {{
          "IsEncrypted": false,
          "Values": {{
            "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=funcstore01;AccountKey={tok};EndpointSuffix=core.windows.net"
          }}
        }}
        """)),
    (".vscode/settings.json", _d("""
        {{
          "sqltools.connections": [
            {{ "name": "prod-ro", "driver": "MySQL", "server": "10.2.0.7", "port": 3306,
               "database": "shop", "username": "readonly", "password": "{pw}" }}
          ]
        }}
        """)),
    (".vscode/launch.json", _d("""
        {{
          "configurations": [
            {{ "name": "Run worker", "type": "python", "request": "launch", "program": "worker.py",
               "env": {{ "QUEUE_API_TOKEN": "{tok}" }} }}
          ]
        }}
        """)),
    ("Jenkinsfile", _d("""
        pipeline {{
          agent any
          environment {{
            NEXUS_USER = 'jenkins'
            NEXUS_PASSWORD = '{pw}'
          }}
        """)),
    (".gitlab-ci.yml", _d("""
        deploy:
          stage: deploy
          script:
            - curl -u "deployer:{pw}" -T build/app.war "https://artifacts.corp.example/repo/app.war"
        """)),
    ("bitbucket-pipelines.yml", _d("""
        pipelines:
          default:
            - step:
                script:
                  - docker login -u ci-bot -p {pw} registry.example.io
        """)),
    ("Procfile", _d("""
        web: REDIS_URL=redis://:{pw}@10.0.0.15:6379/0 gunicorn app:app --workers 4
        """)),
    ("db/dump-2023-04-11.sql", _d("""
        -- MySQL dump 10.13  Distrib 8.0.32
        CREATE USER 'reporting'@'%' IDENTIFIED BY '{pw}';
        GRANT SELECT ON analytics.* TO 'reporting'@'%';
        FLUSH PRIVILEGES;
        """)),
    ("scripts/backup.sh", _d("""
        #!/bin/bash
        set -e
        export PGPASSWORD='{pw}'
        pg_dump -h db.prod.internal -U postgres appdb > /backups/appdb-$(date +%F).sql
        """)),
    ("deploy/Deploy-App.ps1", _d(r"""
        $secpasswd = ConvertTo-SecureString "{pw}" -AsPlainText -Force
        $cred = New-Object System.Management.Automation.PSCredential ("CORP\svc_deploy", $secpasswd)
        Invoke-Command -ComputerName web01 -Credential $cred -ScriptBlock {{ iisreset }}
        """)),
    ("tools/map_drives.bat", _d(r"""
        @echo off
        net use Z: \\fileserver01\shared /user:CORP\scanner {pw} /persistent:yes
        """)),
    ("etl/load_metrics.py", _d("""
        import psycopg2

        conn = psycopg2.connect(host="10.0.3.21", dbname="metrics", user="grafana", password="{pw}")
        """)),
    ("lib/mailer.js", _d("""
        const transporter = nodemailer.createTransport({{
          host: 'smtp.mailgun.org',
          port: 587,
          auth: {{ user: 'postmaster@mg.shopfront.io', pass: '{pw}' }}
        }});
        """)),
    ("src/config.ts", _d("""
        export const config = {{
          apiBaseUrl: 'https://api.partner-hub.com/v2',
          apiKey: '{tok}',
          timeoutMs: 5000,
        }};
        """)),
    ("internal/store/db.go", _d("""
        func Open() (*sql.DB, error) {{
        	return sql.Open("mysql", "app:{pw}@tcp(127.0.0.1:3306)/shop?parseTime=true")
        }}
        """)),
    ("src/main/java/com/acme/hr/DbUtil.java", _d("""
        public class DbUtil {{
            private static final String DB_URL = "jdbc:oracle:thin:@oradb01:1521:ORCL";
            private static final String DB_USER = "hr";
            private static final String DB_PASS = "{pw}";
        """)),
    ("app/src/main/java/com/acme/net/ApiClient.kt", _d("""
        val client = OkHttpClient.Builder()
            .addInterceptor {{ chain ->
                chain.proceed(chain.request().newBuilder().header("Authorization", "Bearer {tok}").build())
            }}
            .build()
        """)),
    ("Sources/App/Secrets.swift", _d("""
        enum Secrets {{
            static let analyticsKey = "{tok}"
        }}
        """)),
    ("Services/ReportMailer.cs", _d("""
        var client = new SmtpClient("smtp.office365.com", 587)
        {{
            Credentials = new NetworkCredential("reports@fabrikam.com", "{pw}"),
            EnableSsl = true
        }};
        """)),
    ("config/initializers/sidekiq.rb", _d("""
        Sidekiq.configure_server do |config|
          config.redis = {{ url: "redis://:{pw}@redis.internal:6379/1" }}
        end
        """)),
    ("wp-config.php", _d("""
        define( 'DB_NAME', 'wordpress' );
        define( 'DB_USER', 'wp_user' );
        define( 'DB_PASSWORD', '{pw}' );
        define( 'DB_HOST', 'localhost' );
        """)),
    ("src/db.rs", _d("""
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect("postgres://api:{pw}@localhost/api_db")
            .await?;
        """)),
    ("conf/application.conf", _d("""
        slick.dbs.default.db {{
          url = "jdbc:postgresql://localhost/play"
          user = "play"
          password = "{pw}"
        }}
        """)),
    ("config/prod.secret.exs", _d("""
        import Config

        config :my_app, MyAppWeb.Endpoint,
          secret_key_base: "{tok}"
        """)),
    ("cgi-bin/inventory.pl", _d("""
        use DBI;
        my $dbh = DBI->connect("DBI:mysql:database=inventory;host=localhost",
                               "inv_admin", "{pw}", {{ RaiseError => 1 }});
        """)),
    ("lua/session_cache.lua", _d("""
        local red = redis:new()
        red:set_timeout(1000)
        local ok, err = red:connect("127.0.0.1", 6379)
        local res, err = red:auth("{pw}")
        """)),
    ("lib/services/weather_service.dart", _d("""
        const String _apiKey = '{tok}';

        Future<http.Response> fetchWeather(String city) =>
            http.get(Uri.parse('https://api.weather-data.io/current?access_key=$_apiKey&query=$city'));
        """)),
    ("notebooks/sales_analysis.ipynb", _d(r"""
          {{
           "cell_type": "code",
           "source": [
            "engine = create_engine('postgresql://analyst:{pw}@warehouse.corp:5432/sales')\n"
           ]
          }},
        """)),
    ("README.md", _d("""
        ## Triggering a build manually

        ```bash
        curl -X POST -H "Authorization: Token {tok}" https://ci.internal.example/api/v1/builds
        ```
        """)),
    ("custom/conf/app.ini", _d("""
        [database]
        DB_TYPE  = mysql
        HOST     = 127.0.0.1:3306
        NAME     = gitea
        USER     = gitea
        PASSWD   = {pw}
        """)),
    ("alembic.ini", _d("""
        [alembic]
        script_location = migrations
        sqlalchemy.url = postgresql://alembic:{pw}@db.staging.lan/app
        """)),
    ("src/main/resources/application.properties", _d("""
        spring.mail.host=smtp.gmail.com
        spring.mail.port=587
        spring.mail.username=noreply.acme@gmail.com
        spring.mail.password={pw}
        """)),
    ("etc/cron.d/mysql-backup", _d(r"""
        # nightly dump
        0 2 * * * root mysqldump -u backup -p{pw} --all-databases | gzip > /var/backups/all-$(date +\%F).sql.gz
        """)),
    ("deploy/svc-api.service", _d("""
        [Service]
        User=svc
        Environment="DATABASE_URL=postgres://svc:{pw}@127.0.0.1/svc"
        ExecStart=/usr/local/bin/svc-api
        """)),
    ("nginx/conf.d/legacy.conf", _d("""
        location /legacy/ {{
            proxy_pass http://10.0.0.40:8080/;
            proxy_set_header Authorization "Basic {tok}";
        }}
        """)),
    ("postfix/sasl_passwd", _d("""
        [smtp.relayprovider.net]:587 relay-user@corp.example.com:{pw}
        """)),
    (".msmtprc", _d("""
        account default
        host smtp.fastmail.com
        port 465
        user ops@fastmail.fm
        password {pw}
        """)),
    ("FileZilla/sitemanager.xml", _d("""
        <Server>
            <Host>ftp.client-site.com</Host>
            <Port>21</Port>
            <User>webmaster</User>
            <Pass>{pw}</Pass>
        </Server>
        """)),
    (".netrc", _d("""
        machine api.heroku.com
          login dev@company.io
          password {tok}
        """)),
    (".pgpass", _d("""
        db.prod.internal:5432:*:replicator:{pw}
        """)),
    ("liquibase.properties", _d("""
        changeLogFile: db/changelog/master.xml
        url: jdbc:postgresql://localhost:5432/ledger
        username: ledger
        password: {pw}
        """)),
    ("infra/cloudformation/rds.yaml", _d("""
        Resources:
          AppDB:
            Type: AWS::RDS::DBInstance
            Properties:
              MasterUsername: dbadmin
              MasterUserPassword: '{pw}'
        """)),
    ("k8s/api-credentials.yaml", _d("""
        apiVersion: v1
        kind: Secret
        metadata:
          name: api-credentials
        stringData:
          client-secret: {tok}
        """)),
    ("android/gradle.properties", _d("""
        RELEASE_STORE_FILE=release.keystore
        RELEASE_STORE_PASSWORD={pw}
        RELEASE_KEY_ALIAS=upload
        """)),
    ("ios/App/Info.plist", _d("""
        <key>CFBundleName</key>
        <string>Fieldwork</string>
        <key>BackendAPIKey</key>
        <string>{tok}</string>
        """)),
    ("firmware/include/secrets.h", _d("""
        #pragma once
        #define WIFI_SSID     "Workshop-2G"
        #define WIFI_PASSWORD "{pw}"
        #define MQTT_BROKER   "192.168.1.20"
        """)),
    ("sensor_node/sensor_node.ino", _d("""
        const char* mqtt_server = "192.168.1.20";
        const char* mqtt_user = "sensor";
        const char* mqtt_password = "{pw}";
        """)),
    ("Makefile", _d("""
        run-db:
        \tdocker run -d --name pg -e POSTGRES_PASSWORD={pw} -p 5432:5432 postgres:15
        """)),
    (".npmrc", _d("""
        registry=https://npm.corp.example/
        //npm.corp.example/:_authToken={tok}
        always-auth=true
        """)),
    ("Dockerfile", _d("""
        FROM rabbitmq:3-management
        ENV RABBITMQ_DEFAULT_USER=admin
        ENV RABBITMQ_DEFAULT_PASS={pw}
        """)),
    ("auth.json", _d("""
        {{
          "http-basic": {{
            "repo.packagist.com": {{ "username": "token", "password": "{tok}" }}
          }}
        }}
        """)),
    (".git/config", _d("""
        [remote "origin"]
        	url = https://builder:{tok}@git.corp.example/platform/api.git
        	fetch = +refs/heads/*:refs/remotes/origin/*
        """)),
    ("src/auth/token.js", _d("""
        const jwt = require('jsonwebtoken');

        function issue(user) {{
          return jwt.sign({{ sub: user.id }}, '{tok}', {{ expiresIn: '1h' }});
        }}
        """)),
    ("deploy/fabfile.py", _d("""
        key = paramiko.RSAKey.from_private_key_file("/home/deploy/.ssh/id_rsa", password="{pw}")
        client.connect("bastion.corp.example", username="deploy", pkey=key)
        """)),
    ("conf/tomcat-users.xml", _d("""
        <tomcat-users>
          <role rolename="manager-gui"/>
          <user username="admin" password="{pw}" roles="manager-gui,admin-gui"/>
        </tomcat-users>
        """)),
    ("prometheus/prometheus.yml", _d("""
        scrape_configs:
          - job_name: 'node'
            basic_auth:
              username: prom
              password: {pw}
        """)),
    ("config/database.yml", _d("""
        production:
          adapter: postgresql
          database: app_production
          username: app
          password: <%= ENV.fetch("DB_PASSWORD", "{pw}") %>
        """)),
    ("src/main/java/com/acme/pay/PaymentClient.java", _d("""
        @Value("${{payments.api.key:{tok}}}")
        private String apiKey;
        """)),
    ("config/database.php", _d("""
        'mysql' => [
            'driver' => 'mysql',
            'host' => env('DB_HOST', '127.0.0.1'),
            'password' => env('DB_PASSWORD', '{pw}'),
        ],
        """)),
    ("analysis/connect.R", _d("""
        library(DBI)
        con <- dbConnect(RPostgres::Postgres(), dbname = "analytics", host = "10.1.1.5",
                         user = "r_user", password = "{pw}")
        """)),
    ("etc/fstab", _d("""
        UUID=3f2a-11c9 /           ext4  defaults 0 1
        //nas.lan/media  /mnt/media cifs  username=media,password={pw},uid=1000 0 0
        """)),
]


NEGATIVE = [
    ("src/main/resources/application.yml", _d("""
        spring:
          datasource:
            url: jdbc:postgresql://${{DB_HOST}}:5432/orders
            username: ${{DB_USER}}
            password: ${{DB_PASSWORD}}
        """)),
    ("docker-compose.yml", _d("""
        services:
          db:
            image: postgres:15
            environment:
              POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}}
        """)),
    ("ansible/group_vars/all.yml", _d("""
        ---
        mysql_root_password: "{{{{ vault_mysql_root_password }}}}"
        """)),
    ("charts/app/values.yaml", _d("""
        postgresql:
          auth:
            existingSecret: app-db-credentials
            password: ""
        """)),
    ("variables.tf", _d("""
        variable "db_password" {{
          type      = string
          sensitive = true
        }}
        """)),
    (".env.example", _d("""
        DB_HOST=localhost
        DB_PASSWORD=changeme
        API_KEY=your-api-key
        """)),
    ("app/config.py", _d("""
        import os

        DB_PASSWORD = os.environ["DB_PASSWORD"]
        API_KEY = os.getenv("API_KEY")
        """)),
    ("etl/settings.py", _d("""
        DSN_TEMPLATE = "postgresql://%(user)s:%(password)s@%(host)s:%(port)s/%(dbname)s"
        """)),
    ("accounts/forms.py", _d("""
        class LoginForm(forms.Form):
            username = forms.CharField(max_length=150)
            password = forms.CharField(widget=forms.PasswordInput)
        """)),
    ("models/user.py", _d("""
        class User(Base):
            __tablename__ = "users"
            id = Column(Integer, primary_key=True)
            password_hash = Column(String(128), nullable=False)
        """)),
    ("auth/verify.py", _d("""
        def verify(user, password):
            return bcrypt.checkpw(password.encode("utf-8"), user.password_hash)
        """)),
    ("docs/configuration.md", _d("""
        | Option       | Description                                     |
        |--------------|-------------------------------------------------|
        | `--password` | Password for the database user (default: none). |
        """)),
    ("schemas/user.schema.json", _d("""
        {{
          "properties": {{
            "password": {{ "type": "string", "minLength": 8, "writeOnly": true }}
          }}
        }}
        """)),
    ("templates/login.html", _d("""
        <form method="post" action="/login">
          <input type="text" name="username" placeholder="Username">
          <input type="password" name="password" placeholder="Password">
        </form>
        """)),
    ("Jenkinsfile", _d("""
        withCredentials([usernamePassword(credentialsId: 'nexus-deploy',
                         usernameVariable: 'NEXUS_USER', passwordVariable: 'NEXUS_PASSWORD')]) {{
          sh 'mvn deploy -s settings.xml'
        }}
        """)),
    (".github/workflows/publish.yml", _d("""
              - uses: docker/login-action@v3
                with:
                  username: ${{{{ secrets.DOCKERHUB_USERNAME }}}}
                  password: ${{{{ secrets.DOCKERHUB_TOKEN }}}}
        """)),
    (".gitlab-ci.yml", _d("""
        build:
          script:
            - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
        """)),
    ("k8s/deployment.yaml", _d("""
                env:
                  - name: DB_PASSWORD
                    valueFrom:
                      secretKeyRef:
                        name: app-db
                        key: password
        """)),
    ("appsettings.json", _d("""
        {{
          "Smtp": {{ "Host": "smtp.example.com", "User": "", "Password": "" }},
          "PartnerApi": {{ "ApiKey": "<your-api-key>" }}
        }}
        """)),
    ("web.config", _d("""
        <appSettings>
          <add key="ApiKey" value="__API_KEY__" />
          <add key="SmtpPassword" value="#{{SmtpPassword}}#" />
        </appSettings>
        """)),
    (".m2/settings.xml", _d("""
        <server>
          <id>nexus-releases</id>
          <username>${{env.NEXUS_USER}}</username>
          <password>${{env.NEXUS_PASSWORD}}</password>
        </server>
        """)),
    ("internal/cache/redis.go", _d("""
        rdb := redis.NewClient(&redis.Options{{
        	Addr:     os.Getenv("REDIS_ADDR"),
        	Password: os.Getenv("REDIS_PASSWORD"),
        }})
        """)),
    ("my.cnf", _d("""
        [client]
        user=root
        #password=
        socket=/var/run/mysqld/mysqld.sock
        """)),
    ("wp-config.php", _d("""
        define( 'DB_USER', getenv('WORDPRESS_DB_USER') );
        define( 'DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD') );
        """)),
    ("config/environments/production.rb", _d("""
        config.action_mailer.smtp_settings = {{
          user_name: Rails.application.credentials.dig(:smtp, :user_name),
          password: Rails.application.credentials.dig(:smtp, :password)
        }}
        """)),
    ("scripts/Connect-Share.ps1", _d("""
        $cred = Get-Credential -Message "Enter the service account password"
        New-PSDrive -Name Z -PSProvider FileSystem -Root "\\\\fileserver01\\shared" -Credential $cred
        """)),
    ("scripts/restore.sh", _d("""
        #!/bin/bash
        read -s -p "Database password: " DB_PASS
        export PGPASSWORD="$DB_PASS"
        """)),
    ("lambda/handler.py", _d("""
        client = boto3.client("secretsmanager")
        secret = json.loads(client.get_secret_value(SecretId="prod/app/db")["SecretString"])
        password = secret["password"]
        """)),
    ("locales/en.json", _d("""
        {{
          "password_label": "Password",
          "password_too_short": "Password must be at least 8 characters",
          "forgot_password": "Forgot your password?"
        }}
        """)),
    ("serverless.yml", _d("""
        provider:
          environment:
            API_KEY: ${{ssm:/app/prod/api-key}}
            DB_PASSWORD: ${{env:DB_PASSWORD}}
        """)),
]
