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
    fn from(out: Output) -> Run {
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

    /// A project with `seeds` copied in (or an empty seeds folder).
    pub fn new(mut cfg: EmulatorConfig, seeds: Option<&Path>) -> Project {
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
        let yaml = format!(
            "environments:\n  emu:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n",
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
        let out = Command::new(env!("CARGO_BIN_EXE_genseed"))
            .arg("-C")
            .arg(self.dir.path())
            .args(["--env", env])
            .args(args)
            .env("GENSEED_TEST_CLIENT_ID", CLIENT_ID)
            .env("GENSEED_TEST_CLIENT_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .env_remove("GENSEED_ENV")
            .stdin(Stdio::null())
            .output()
            .expect("genseed runs");
        Run::from(out)
    }

    /// `apply --auto-approve`, expected to succeed.
    pub fn apply(&self) -> Run {
        self.run(&["apply", "--auto-approve"]).expect(0)
    }

    /// The state file of `emu`, parsed.
    pub fn state(&self) -> Option<Value> {
        let p = self.dir.path().join(".genseed/state/emu.json");
        std::fs::read_to_string(p)
            .ok()
            .map(|t| serde_json::from_str(&t).expect("state is JSON"))
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
            let token: Value = http
                .post(format!("{base}/oauth/token"))
                .basic_auth(CLIENT_ID, Some(SECRET))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let bearer = token["access_token"].as_str().unwrap().to_string();
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
