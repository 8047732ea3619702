//! The emulator's golden transcript: a scripted session over HTTP
//! (`tests/fixtures/emulator-golden.script`: every collection's list, get, create, update
//! and delete, members, paging, filters, soft delete, 400/404/409/403/415 answers, an
//! accepted task and a lost response) whose whole transcript (method, path, status,
//! `Location`/`Retry-After` headers, response body) must equal
//! `tests/fixtures/emulator-golden.txt`, and the org dump at the end with it. It holds
//! the emulator to answering every request exactly as before while its code changes.
//!
//! Ids, tokens and correlation ids come from the seeded generator, so they repeat; only
//! wall-clock timestamps are replaced by `<time>`. Object keys are sorted: the order of
//! keys in a JSON object is not part of the answer. After a deliberate change of
//! behaviour, regenerate with `GENSEED_UPDATE_GOLDEN=1 cargo test --test integration
//! emulator_golden` and explain the difference in the commit message.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use genseed::emulator::{EmulatorConfig, parse_faults};

use super::emulator_http::{T, boot};
use reqwest::Method;
use serde_json::{Map, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One line of the script: method, path, body, and what to remember of the answer.
struct Step {
    method: String,
    path: String,
    body: Option<String>,
    /// `(name, JSON pointer)`: the answer's value there is `{name}` from then on.
    bind: Option<(String, String)>,
}

fn parse_step(line: &str) -> Step {
    let (line, bind) = match line.rsplit_once(" => ") {
        Some((l, b)) => {
            let (name, pointer) = b.split_once('=').unwrap_or((b, "/id"));
            (l, Some((name.to_string(), pointer.to_string())))
        }
        None => (line, None),
    };
    let mut parts = line.splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let body = parts.next().map(str::to_string);
    Step {
        method,
        path,
        body,
        bind,
    }
}

/// `{name}` → its bound value; unknown names stay as written.
fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// `2024-05-01T12:34:56.789Z` (the emulator's clock).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z'
}

/// Keys sorted, timestamps and activation deadlines replaced.
fn normalise(v: &Value) -> Value {
    match v {
        Value::String(s) if is_timestamp(s) => Value::String("<time>".into()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut m = Map::new();
            for k in keys {
                let x = if k == "activeAfterMs" {
                    Value::String("<time>".into())
                } else {
                    normalise(&o[k])
                };
                m.insert(k.clone(), x);
            }
            Value::Object(m)
        }
        other => other.clone(),
    }
}

struct Session {
    base: String,
    c: reqwest::Client,
    token: String,
    out: Vec<String>,
}

impl Session {
    async fn send(&mut self, method: &str, path: &str, body: Option<&str>, bearer: bool) -> Value {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.c.request(m, format!("{}{path}", self.base));
        if bearer {
            rb = rb.bearer_auth(&self.token);
        }
        match body {
            Some(t) if t.starts_with("text:") => {
                rb = rb
                    .header("content-type", "text/plain")
                    .body(t["text:".len()..].to_string());
            }
            Some(j) => {
                let v: Value = serde_json::from_str(j).unwrap_or_else(|e| panic!("{j}: {e}"));
                rb = rb.json(&v);
            }
            None => {}
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let mut head = format!("{method} {path} -> {status}");
        for h in ["location", "retry-after"] {
            if let Some(v) = r.headers().get(h) {
                head.push_str(&format!(" {h}: {}", v.to_str().unwrap()));
            }
        }
        let text = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.out.push(head);
        self.out.push(normalise(&v).to_string());
        v
    }
}

/// Token requests and unauthenticated calls, before the script.
async fn auth_steps(s: &mut Session) {
    let url = format!("{}/oauth/token", s.base);
    let form = [("grant_type", "client_credentials")];
    for (id, secret) in [
        ("genseed-local", "wrong"),
        ("nobody", "genseed-local-secret"),
    ] {
        let r = s.c.post(&url).basic_auth(id, Some(secret)).form(&form);
        let r = r.send().await.unwrap();
        s.out
            .push(format!("POST /oauth/token ({id}) -> {}", r.status()));
        s.out.push(r.text().await.unwrap());
    }
    for form in [
        vec![("grant_type", "password")],
        vec![],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "genseed-local"),
            ("client_secret", "genseed-local-secret"),
        ],
    ] {
        let r = s.c.post(&url).form(&form).send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        s.out
            .push(format!("POST /oauth/token {form:?} -> {status}"));
        s.out
            .push(v.get("error").cloned().unwrap_or(Value::Null).to_string());
    }
    let r = s.c.get(&url).send().await.unwrap();
    s.out.push(format!("GET /oauth/token -> {}", r.status()));
    s.out.push(r.text().await.unwrap());
    s.send("GET", "/api/v2/organizations/me", None, false).await;
    let real = std::mem::replace(&mut s.token, "not-a-token".into());
    s.send("GET", "/api/v2/organizations/me", None, true).await;
    s.token = real;
}

async fn transcript() -> Vec<String> {
    let faults = "- match: {method: POST, path: /api/v2/routing/languages}\n  accepted: true\n  times: 1\n\
                  - match: {method: DELETE, path: /api/v2/routing/languages/*}\n  status: 503\n  afterCommit: true\n  times: 1\n";
    let cfg = EmulatorConfig {
        rate_limit: None,
        integration_activation: Duration::ZERO,
        faults: parse_faults(faults).unwrap(),
        ..Default::default()
    };
    let T { h, c, token } = boot(cfg).await;
    let mut s = Session {
        base: h.base_url(),
        c,
        token,
        out: Vec::new(),
    };
    auth_steps(&mut s).await;
    let script = std::fs::read_to_string(fixture("emulator-golden.script")).unwrap();
    let mut vars: HashMap<String, String> = HashMap::new();
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let step = parse_step(line);
        let path = substitute(&step.path, &vars);
        let body = step.body.map(|b| substitute(&b, &vars));
        let answer = s.send(&step.method, &path, body.as_deref(), true).await;
        if let Some((name, pointer)) = step.bind {
            let got = answer.pointer(&pointer).and_then(Value::as_str);
            let got = got.unwrap_or_else(|| panic!("{line}: no {pointer} in {answer}"));
            vars.insert(name, got.to_string());
        }
    }
    s.send("GET", "/__emulator/data", None, false).await;
    h.shutdown().await;
    s.out
}

#[tokio::test]
async fn emulator_golden_transcript() {
    let got = transcript().await;
    let path = fixture("emulator-golden.txt");
    if std::env::var_os("GENSEED_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got.join("\n") + "\n").unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    let want: Vec<&str> = want.lines().collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        // Lines come in pairs: the request, then its answer.
        let request = if i % 2 == 1 { &got[i - 1] } else { g };
        assert_eq!(g, w, "line {} of {} ({request})", i + 1, path.display());
    }
    assert_eq!(
        got.len(),
        want.len(),
        "number of lines of {}",
        path.display()
    );
}
