//! Test harness: a temporary project, an in-process emulator, and a runner for the
//! real binary that points an environment (`emu`) at that emulator.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use genseed::emulator::{EmulatorConfig, EmulatorHandle, LoggedRequest};
use serde_json::Value;

/// The secret the test environment uses; no output may ever contain it.
pub const SECRET: &str = "s3cr3t-do-not-print-7f1c";
/// The client id the test environment uses.
pub const CLIENT_ID: &str = "genseed-test-client";

/// A temporary project wired to an in-process emulator.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub emulator: EmulatorHandle,
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// From a finished process.
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panic with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        assert!(
            !self.stdout.contains(SECRET) && !self.stderr.contains(SECRET),
            "secret leaked"
        );
        self
    }
}

/// The repository's example seeds folder.
pub fn example_seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

impl Project {
    /// A project with the example seeds, and an emulator with default settings
    /// except the test client credentials.
    pub fn with_example() -> Project {
        Project::new(EmulatorConfig::default(), Some(&example_seeds()))
    }

    /// A project with `seeds` copied in (or an empty seeds folder). The client-side
    /// limiter is set high so tests run at full speed unless they say otherwise.
    pub fn new(cfg: EmulatorConfig, seeds: Option<&Path>) -> Project {
        Project::with_env(cfg, seeds, "    rateLimit: 60000/min\n")
    }

    /// Like [`Project::new`], with `env_extra` (indented YAML lines) added to the `emu`
    /// environment of genseed.yaml.
    pub fn with_env(mut cfg: EmulatorConfig, seeds: Option<&Path>, env_extra: &str) -> Project {
        cfg.client_id = CLIENT_ID.into();
        cfg.client_secret = SECRET.into();
        let emulator = EmulatorHandle::start_in_thread(cfg).expect("emulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("seeds")).unwrap();
        if let Some(seeds) = seeds {
            for e in std::fs::read_dir(seeds).unwrap().flatten() {
                std::fs::copy(e.path(), dir.path().join("seeds").join(e.file_name())).unwrap();
            }
        }
        // Queue creates unpaced (a real org's default is 1 s apart) unless a test sets it.
        let pacing = if env_extra.contains("queueCreateIntervalMs") {
            ""
        } else {
            "    queueCreateIntervalMs: 0\n"
        };
        let yaml = format!(
            "environments:\n  emu:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n{pacing}{env_extra}",
            url = emulator.base_url()
        );
        std::fs::write(dir.path().join("genseed.yaml"), yaml).unwrap();
        Project { dir, emulator }
    }

    /// Write a seed file.
    pub fn seed(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join("seeds").join(name), text).unwrap();
    }

    /// Run `genseed --env emu ARGS` in the project, with no terminal on stdin.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env("emu", args)
    }

    /// Run `genseed --env ENV ARGS`.
    pub fn run_env(&self, env: &str, args: &[&str]) -> Run {
        let out = self
            .command(env, args)
            .stdin(Stdio::null())
            .output()
            .expect("genseed runs");
        Run::from(out)
    }

    /// The command for `genseed --env ENV ARGS` in this project, not yet started.
    pub fn command(&self, env: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_genseed"));
        cmd.arg("-C")
            .arg(self.dir.path())
            .args(["--env", env])
            .args(args)
            .env("GENSEED_TEST_CLIENT_ID", CLIENT_ID)
            .env("GENSEED_TEST_CLIENT_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .env_remove("GENSEED_ENV");
        cmd
    }

    /// Start `apply --auto-approve --parallelism 2`, wait until the emulator has seen
    /// `users` user creates, send SIGINT (as Ctrl-C does) and collect the run.
    pub fn interrupted_apply(&self, users: usize) -> Run {
        let child = self
            .command("emu", &["apply", "--auto-approve", "--parallelism", "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while self
            .emulator
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/users"))
            .count()
            < users
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "apply never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        Run::from(child.wait_with_output().unwrap())
    }

    /// `apply --auto-approve`, expected to succeed.
    pub fn apply(&self) -> Run {
        self.run(&["apply", "--auto-approve"]).expect(0)
    }

    /// The state of `emu`, parsed: the state file with the entries its journal
    /// (`emu.json.journal`, JSON lines of the same lineage) sets or removes.
    pub fn state(&self) -> Option<Value> {
        let dir = self.dir.path().join(".genseed/state");
        let text = std::fs::read_to_string(dir.join("emu.json")).ok()?;
        let mut state: Value = serde_json::from_str(&text).expect("state is JSON");
        let journal = std::fs::read_to_string(dir.join("emu.json.journal")).unwrap_or_default();
        // A last line cut off by a kill does not parse and is left out.
        for record in journal
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            if record["lineage"] != state["lineage"]
                || record["serial"].as_u64() <= state["serial"].as_u64()
            {
                continue;
            }
            state["serial"] = record["serial"].clone();
            let addr = record["addr"].as_str().expect("an address");
            let resources = state["resources"].as_object_mut().expect("resources");
            match record.get("resource") {
                Some(r) => resources.insert(addr.to_string(), r.clone()),
                None => resources.remove(addr),
            };
        }
        Some(state)
    }

    /// Requests the emulator received that change something (not reads, searches or tokens).
    pub fn writes(&self) -> Vec<LoggedRequest> {
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| {
                r.method != "GET"
                    && !r.path.ends_with("/users/search")
                    && !r.path.starts_with("/oauth")
            })
            .collect()
    }

    /// Call the emulator's API directly (as another tool would), with a fresh token.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let base = self.emulator.base_url();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let http = reqwest::Client::new();
            let bearer = token(&http, &base, CLIENT_ID, SECRET).await;
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut req = http
                .request(method, format!("{base}{path}"))
                .bearer_auth(bearer);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    /// All entities of a page-number listing (first 100).
    pub fn list(&self, path: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, body) = self.call("GET", &format!("{path}{sep}pageSize=100"), None);
        assert_eq!(status, 200, "{path}: {body}");
        body["entities"].as_array().cloned().unwrap_or_default()
    }

    /// How many listed objects at `path` have `field` equal to `value` (case-insensitive).
    pub fn count(&self, path: &str, field: &str, value: &str) -> usize {
        self.list(path)
            .iter()
            .filter(|o| {
                o[field]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .count()
    }
}

/// Object counts per natural key in the emulator's data, for duplicate checks: every
/// key of every kind that appears more than once.
pub fn duplicates(dump: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (collection, key) in [
        ("divisions", "name"),
        ("skills", "name"),
        ("languages", "name"),
        ("wrapupCodes", "name"),
        ("queues", "name"),
        ("users", "email"),
    ] {
        let mut seen = std::collections::HashMap::new();
        for obj in dump[collection]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if obj["state"] == "deleted" {
                continue;
            }
            let k = obj[key].as_str().unwrap_or_default().to_lowercase();
            *seen.entry(k).or_insert(0) += 1;
        }
        for (k, n) in seen {
            if n > 1 {
                out.push(format!("{collection}/{k} x{n}"));
            }
        }
    }
    out.sort();
    out
}

/// Write a workload of `users` users in `queues` queues (members spread evenly), each
/// user with one skill, into the project's seeds folder.
pub fn workload(p: &Project, users: usize, queues: usize) {
    let mut y = String::from(
        "divisions:\n  - name: Load Division\n    description: load test\nskills:\n  - name: Load Skill A\n  - name: Load Skill B\nusers:\n",
    );
    for i in 0..users {
        y.push_str(&format!(
            "  - email: load.user.{i:04}@example.com\n    name: Load User {i}\n    division: Load Division\n    skills: {{Load Skill {}: {}}}\n",
            if i % 2 == 0 { "A" } else { "B" },
            i % 6
        ));
    }
    y.push_str("queues:\n");
    for q in 0..queues {
        y.push_str(&format!(
            "  - name: Load Queue {q}\n    division: Load Division\n    members:\n"
        ));
        for i in (0..users).filter(|i| i % queues == q) {
            y.push_str(&format!("      - load.user.{i:04}@example.com\n"));
        }
    }
    p.seed("load.yaml", &y);
}

/// A token from the emulator at `base` for the OAuth client `id` with `secret`.
pub async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_string()
}
