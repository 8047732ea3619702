//! The integrations tier: integrations, data actions, triggers, interpolation, secrets,
//! replace, `--only`, the URL preflight and the activation wait.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use genseed::emulator::{EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};

use crate::support::{CLIENT_ID, Project, Run, SECRET};

const CRM_PASSWORD: &str = "crm-pa55-never-shown-91d2";
const CRM_USER: &str = "crm-user-never-shown-44ab";

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/integrations/seeds")
}

/// A server on 127.0.0.1 that answers every request with 200 (plain HTTP).
fn answering_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let h = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().fallback(|| async { "ok" });
            let _ = axum::serve(l, app).await;
        });
    });
    (format!("http://{addr}"), h)
}

/// An address where nothing listens.
fn down_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// An HTTPS server with a self-signed certificate (tests/fixtures) on 127.0.0.1.
fn self_signed_server() -> String {
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cert = CertificateDer::from_pem_file(fixtures.join("self-signed.cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixtures.join("self-signed.key.pem")).unwrap();
    let cfg = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = l.accept().await else {
                    break;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt;
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                            .await;
                    }
                });
            }
        });
    });
    format!("https://localhost:{}", addr.port())
}

/// A project with the integrations example; `emu` has `vars: {crm_url}`, and an
/// `other` environment (the embedded emulator) has no vars.
fn project(crm_url: &str) -> Project {
    let p = Project::new(EmulatorConfig::default(), Some(&example()));
    let yaml = format!(
        "environments:\n  emu:\n    apiUrl: {url}\n    loginUrl: {url}\n    clientIdEnv: GENSEED_TEST_CLIENT_ID\n    clientSecretEnv: GENSEED_TEST_CLIENT_SECRET\n    vars:\n      crm_url: {crm_url}\n  other:\n    emulator: true\n",
        url = p.emulator.base_url()
    );
    std::fs::write(p.dir.path().join("genseed.yaml"), yaml).unwrap();
    p
}

/// Run `genseed --env emu ARGS` with the CRM secrets in the environment.
fn run(p: &Project, args: &[&str]) -> Run {
    run_with(p, args, true)
}

fn run_with(p: &Project, args: &[&str], secrets: bool) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_genseed"));
    c.arg("-C")
        .arg(p.dir.path())
        .args(["--env", "emu"])
        .args(args)
        .env("GENSEED_TEST_CLIENT_ID", CLIENT_ID)
        .env("GENSEED_TEST_CLIENT_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .env_remove("GENSEED_ENV")
        .env_remove("CRM_USER")
        .env_remove("CRM_PASSWORD")
        .stdin(Stdio::null());
    if secrets {
        c.env("CRM_USER", CRM_USER)
            .env("CRM_PASSWORD", CRM_PASSWORD);
    }
    let out = c.output().expect("genseed runs");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for s in [CRM_PASSWORD, CRM_USER] {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "a CRM secret leaked into the output:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
    r
}

fn by_name<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {items:?}"))
}

fn triggers(p: &Project) -> Vec<Value> {
    let (s, body) = p.call("GET", "/api/v2/processautomation/triggers", None);
    assert_eq!(s, 200);
    body["entities"].as_array().cloned().unwrap_or_default()
}

/// The data action calls the web services integration `wid` at `url`.
fn assert_action_wired(action: &Value, wid: &str, url: &str) {
    assert_eq!(action["integrationId"], wid);
    assert_eq!(
        action["config"]["request"]["requestUrlTemplate"],
        format!("{url}/events")
    );
    assert_eq!(
        action["config"]["request"]["requestTemplate"],
        "${input.rawRequest}"
    );
    assert_eq!(
        action["config"]["response"]["successTemplate"],
        "${rawResult}"
    );
}

/// The secret reached the API, but neither the plan, the state nor the logs (checked in
/// `run`, with -vv).
fn assert_secret_kept_out(p: &Project) {
    let state = std::fs::read_to_string(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    assert!(!state.contains(CRM_PASSWORD) && !state.contains(CRM_USER));
    // One credential was sent; the emulator keeps it write-only, so neither its request
    // log nor its org data holds the secret.
    let sent: Vec<_> = p
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/integrations/credentials"))
        .collect();
    assert_eq!(sent.len(), 1, "one credential created");
    let fields = sent[0].body["credentialFields"].as_object().unwrap();
    assert!(
        !fields.is_empty() && fields.values().all(|v| v == "(sensitive)"),
        "{fields:?}"
    );
    let dump = p.emulator.dump().to_string();
    assert!(!dump.contains(CRM_PASSWORD) && !dump.contains(CRM_USER));
    assert!(
        state.contains("\"trigger/queue membership to crm\""),
        "{state}"
    );
}

/// Drift in every kind, made by someone else: both integrations' configurations (id and
/// current configuration each), the action and the trigger.
fn drift_by_hand(
    p: &Project,
    stream: (&str, &Value),
    web: (&str, &Value),
    action: &Value,
    trigger: &Value,
) {
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/integrations/{}/config/current", stream.0),
        Some(json!({"name": "CRM Event Stream", "version": stream.1["version"], "properties": {"awsAccountId": "123456789012", "awsAccountRegion": "eu-west-1", "eventSourceSuffix": "crm-dev", "eventFilter": []}, "advanced": {}, "notes": "", "credentials": {}})),
    );
    assert_eq!(s, 200);
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/integrations/{}/config/current", web.0),
        Some(json!({"name": "CRM Web Services", "version": web.1["version"], "properties": {}, "advanced": {}, "notes": "", "credentials": {}})),
    );
    assert_eq!(s, 200);
    let aid = action["id"].as_str().unwrap();
    let (s, _) = p.call(
        "PATCH",
        &format!("/api/v2/integrations/actions/{aid}"),
        Some(json!({"category": "Other", "version": action["version"]})),
    );
    assert_eq!(s, 200);
    let tid = trigger["id"].as_str().unwrap();
    let mut t = trigger.clone();
    t["enabled"] = json!(false);
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/processautomation/triggers/{tid}"),
        Some(t),
    );
    assert_eq!(s, 200);
}

/// `text` (a command's output) contains `part`.
fn assert_shows(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in:\n{text}");
}

#[test]
fn creates_then_no_op_then_drift_and_adopt_for_every_kind() {
    let (url, _server) = answering_server();
    let p = project(&url);

    let plan = run(&p, &["plan"]).expect(0);
    assert_shows(&plan.stdout, "+ integration \"CRM Web Services\"");
    assert_shows(&plan.stdout, "+ data action \"Notify CRM\"");
    assert_shows(&plan.stdout, "+ trigger \"Queue membership to CRM\"");

    let first = run(&p, &["-vv", "apply", "--auto-approve"]).expect(0);
    assert_shows(&first.stdout, "Apply complete: 5 created");

    // The org: integrations active and configured, the action and the trigger wired.
    let integrations = p.list("/api/v2/integrations");
    let stream = by_name(&integrations, "CRM Event Stream");
    assert_eq!(stream["reportedState"]["code"], "ACTIVE");
    assert_eq!(stream["intendedState"], "ENABLED");
    let queue = &p.list("/api/v2/routing/queues?name=Seed%20Support%20Queue")[0];
    let qid = queue["id"].as_str().unwrap();
    let sid = stream["id"].as_str().unwrap();
    let (_, cfg) = p.call(
        "GET",
        &format!("/api/v2/integrations/{sid}/config/current"),
        None,
    );
    assert_eq!(
        cfg["properties"]["eventFilter"],
        json!([format!("v2.routing.queues.{qid}.users")])
    );
    let web = by_name(&integrations, "CRM Web Services");
    let wid = web["id"].as_str().unwrap().to_string();
    let (_, wcfg) = p.call(
        "GET",
        &format!("/api/v2/integrations/{wid}/config/current"),
        None,
    );
    assert!(wcfg["credentials"]["basicAuth"]["id"].is_string(), "{wcfg}");
    let actions = p.list("/api/v2/integrations/actions?includeConfig=true");
    let action = by_name(&actions, "Notify CRM");
    assert_action_wired(action, &wid, &url);
    let ts = triggers(&p);
    let trigger = by_name(&ts, "Queue membership to CRM");
    assert_eq!(
        trigger["topicName"],
        format!("v2.routing.queues.{qid}.users")
    );
    let flows = p.list("/api/v2/flows?type=WORKFLOW");
    assert_eq!(
        trigger["target"]["id"],
        by_name(&flows, "Notify CRM Workflow")["id"]
    );

    assert_secret_kept_out(&p);

    // Second run: nothing to do, nothing written.
    p.emulator.clear_requests();
    let second = run(&p, &["apply", "--auto-approve"]).expect(0);
    assert_shows(&second.stdout, "No changes.");
    assert!(p.writes().is_empty(), "{:?}", p.writes());

    drift_by_hand(&p, (sid, &cfg), (&wid, &wcfg), action, trigger);

    let drift = run(&p, &["plan", "--detailed-exitcode"]).expect(2);
    assert_shows(
        &drift.stdout,
        "~ config.properties.awsAccountRegion: \"eu-west-1\" → \"us-east-1\"",
    );
    assert_shows(&drift.stdout, "~ config.properties.eventFilter");
    assert_shows(&drift.stdout, "+ credentials.basicAuth = \"(sensitive)\"");
    assert_shows(&drift.stdout, "~ category: \"Other\" → \"CRM\"");
    assert_shows(&drift.stdout, "~ enabled: false → true");
    assert_shows(&drift.stdout, "Plan: 0 to create, 4 to update");
    let fixed = run(&p, &["-vv", "apply", "--auto-approve"]).expect(0);
    assert_shows(&fixed.stdout, "4 updated");
    run(&p, &["plan", "--detailed-exitcode"]).expect(0);
    let state = std::fs::read_to_string(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    assert!(!state.contains(CRM_PASSWORD) && !state.contains(CRM_USER));

    // State lost: everything is adopted, nothing created.
    std::fs::remove_file(p.dir.path().join(".genseed/state/emu.json")).unwrap();
    p.emulator.clear_requests();
    let adopt = run(&p, &["apply", "--auto-approve"]).expect(0);
    assert_shows(&adopt.stdout, "0 created, 0 updated, 5 adopted");
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn objects_made_elsewhere_are_adopted() {
    let (url, _server) = answering_server();
    let p = project(&url);
    // Another tool made the queue and the web-services integration, fully configured.
    run(&p, &["apply", "--auto-approve", "--only", "queue"]).expect(0);
    let (_, i) = p.call(
        "POST",
        "/api/v2/integrations",
        Some(json!({"name": "CRM Web Services", "integrationType": {"id": "custom-rest-actions"}})),
    );
    let id = i["id"].as_str().unwrap();
    let (_, c) = p.call(
        "POST",
        "/api/v2/integrations/credentials",
        Some(json!({"name": "x", "type": {"name": "basicAuth"}, "credentialFields": {"userName": "u", "password": "p"}})),
    );
    let (s, _) = p.call(
        "PUT",
        &format!("/api/v2/integrations/{id}/config/current"),
        Some(json!({"name": "CRM Web Services", "version": 1, "properties": {}, "advanced": {}, "notes": "", "credentials": {"basicAuth": {"id": c["id"]}}})),
    );
    assert_eq!(s, 200);
    let (s, _) = p.call(
        "PATCH",
        &format!("/api/v2/integrations/{id}"),
        Some(json!({"intendedState": "ENABLED"})),
    );
    assert_eq!(s, 200);
    let plan = run_with(&p, &["plan"], false).expect(0);
    assert!(
        plan.stdout.contains("= integration \"CRM Web Services\""),
        "{}",
        plan.stdout
    );
    // Adopting needs no secret: the credential is there.
    let mut r = run_with(
        &p,
        &["apply", "--auto-approve", "--only", "integration"],
        false,
    );
    r = r.expect(0);
    assert!(
        r.stdout.contains("1 created, 0 updated, 1 adopted"),
        "{}",
        r.stdout
    );
    assert_eq!(
        p.count("/api/v2/integrations", "name", "CRM Web Services"),
        1
    );
}

#[test]
fn only_integrations_runs_just_that_tier_and_needs_the_rest_in_the_org() {
    let (url, _server) = answering_server();
    let p = project(&url);
    let r = run(&p, &["apply", "--auto-approve", "--only", "integrations"]).expect(1);
    assert!(
        r.stderr
            .contains("needs queue/Seed Support Queue, which is not in the org yet"),
        "{}",
        r.stderr
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    run(&p, &["apply", "--auto-approve", "--only", "core"]).expect(0);
    assert!(p.list("/api/v2/integrations").is_empty());
    let r = run(&p, &["apply", "--auto-approve", "--only", "integrations"]).expect(0);
    assert!(
        r.stdout.contains("Apply complete: 4 created"),
        "{}",
        r.stdout
    );
    run(&p, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn unchangeable_fields_plan_a_replace_that_needs_allow_replace() {
    let (url, _server) = answering_server();
    let p = project(&url);
    run(&p, &["apply", "--auto-approve"]).expect(0);
    let old_trigger = triggers(&p)[0]["id"].clone();
    let seeds = p.dir.path().join("seeds/integrations.yaml");
    let text = std::fs::read_to_string(&seeds).unwrap();
    let text = text
        .replace(
            "topicName: \"v2.routing.queues.${queue:Seed Support Queue}.users\"",
            "topicName: \"v2.routing.queues.${queue:Seed Support Queue}.conversations\"",
        )
        .replace(
            "queueId: {type: string}",
            "queueId: {type: string}\n            userId: {type: string}",
        );
    std::fs::write(&seeds, text).unwrap();

    let plan = run(&p, &["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("-/+ trigger \"Queue membership to CRM\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("-/+ data action \"Notify CRM\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("2 to replace"), "{}", plan.stdout);

    p.emulator.clear_requests();
    let refused = run(&p, &["apply", "--auto-approve"]).expect(1);
    assert!(
        refused.stderr.contains("--allow-replace"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("trigger/Queue membership to CRM (topicName cannot change in place)"),
        "{}",
        refused.stderr
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());

    let done = run(&p, &["apply", "--auto-approve", "--allow-replace"]).expect(0);
    assert!(done.stdout.contains("2 replaced"), "{}", done.stdout);
    let ts = triggers(&p);
    assert_eq!(ts.len(), 1);
    assert_ne!(ts[0]["id"], old_trigger);
    assert!(
        ts[0]["topicName"]
            .as_str()
            .unwrap()
            .ends_with(".conversations")
    );
    assert_eq!(p.list("/api/v2/integrations/actions").len(), 1);
    run(&p, &["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn an_undefined_variable_in_one_environment_is_a_located_error() {
    let p = project("http://127.0.0.1:9");
    run(&p, &["validate"]).expect(0);
    let out = Command::new(env!("CARGO_BIN_EXE_genseed"))
        .arg("-C")
        .arg(p.dir.path())
        .args(["--env", "other", "validate"])
        .env_remove("GENSEED_ENV")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("integrations.yaml:29:29:"), "{stderr}");
    assert!(
        stderr.contains("variable `crm_url` is not defined"),
        "{stderr}"
    );
    // An undeclared reference is located too.
    p.seed("more.yaml", "triggers:\n  - name: T2\n    topicName: \"v2.routing.queues.${queue:Nope}.users\"\n    workflow: Notify CRM Workflow\n");
    let r = run(&p, &["validate"]).expect(1);
    assert!(r.stderr.contains("more.yaml:3:16"), "{}", r.stderr);
    assert!(
        r.stderr.contains("queue `Nope` is not declared"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_secrets_stop_a_remote_apply_before_any_write() {
    let (url, _server) = answering_server();
    let p = project(&url);
    let r = run_with(&p, &["apply", "--auto-approve"], false).expect(1);
    assert!(
        r.stderr.contains("CRM_USER, CRM_PASSWORD not set"),
        "{}",
        r.stderr
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
}

#[test]
fn preflight_lists_every_unreachable_url_and_stops_before_writing() {
    let (up, _server) = answering_server();
    let down = down_server();
    let tls = self_signed_server();
    let p = project(&up);
    let extra = format!(
        "dataActions:\n  - name: Down\n    integration: CRM Web Services\n    category: CRM\n    config: {{request: {{requestUrlTemplate: \"{down}/x/${{input.id}}\", requestType: GET}}}}\n    contract: {{}}\n  - name: Self Signed\n    integration: CRM Web Services\n    category: CRM\n    config: {{request: {{requestUrlTemplate: \"{tls}/hook\", requestType: POST}}}}\n    contract: {{}}\n"
    );
    p.seed("more.yaml", &extra);

    let plan = run(&p, &["plan"]).expect(1);
    assert!(
        plan.stderr.contains("2 target URLs cannot be reached"),
        "{}",
        plan.stderr
    );
    run(&p, &["plan", "--offline"]).expect(0);

    let r = run(&p, &["apply", "--auto-approve"]).expect(1);
    assert!(
        r.stderr.contains("2 target URLs cannot be reached"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("data-action/Down: {down}/x/: cannot connect")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("data-action/Self Signed: {tls}/hook")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
    assert!(!r.stderr.contains("data-action/Notify CRM"), "{}", r.stderr);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert!(p.state().is_none());

    let r = run(&p, &["apply", "--auto-approve", "--skip-url-check"]).expect(0);
    assert!(r.stdout.contains("7 created"), "{}", r.stdout);
}

#[test]
fn integrations_wait_for_active_and_time_out_or_fail_clearly() {
    use genseed::client::{ApiClient, ClientConfig, Idempotency, Method};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cfg = EmulatorConfig {
            integration_activation: Duration::from_millis(700),
            ..EmulatorConfig::default()
        };
        let emu = EmulatorHandle::start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = emu.base_url();
        let client = ApiClient::new(ClientConfig::new(
            base.clone(),
            base,
            genseed::emulator::DEFAULT_CLIENT_ID,
            genseed::emulator::DEFAULT_CLIENT_SECRET,
        ))
        .unwrap();
        let make = |props: Value| {
            let client = client.clone();
            async move {
                let i = client
                    .send(Method::POST, "/api/v2/integrations", &[], Some(&json!({"name": "S", "integrationType": {"id": "amazon-eventbridge-source"}})), Idempotency::Create)
                    .await
                    .unwrap()
                    .body;
                let id = i["id"].as_str().unwrap().to_string();
                client
                    .send(Method::PUT, &format!("/api/v2/integrations/{id}/config/current"), &[], Some(&json!({"name": "S", "version": 1, "properties": props, "advanced": {}, "notes": "", "credentials": {}})), Idempotency::Safe)
                    .await
                    .unwrap();
                let patched = client
                    .send(Method::PATCH, &format!("/api/v2/integrations/{id}"), &[], Some(&json!({"intendedState": "ENABLED"})), Idempotency::Safe)
                    .await
                    .unwrap()
                    .body;
                assert_eq!(patched["reportedState"]["code"], "ACTIVATING");
                id
            }
        };
        let good = json!({"awsAccountId": "123456789012", "awsAccountRegion": "us-east-1", "eventSourceSuffix": "s"});

        // Too short a wait: a timeout naming the integration.
        let id = make(good.clone()).await;
        let err = genseed::kinds::wait_active(&client, &id, "S", Duration::from_millis(100), Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("timed out") && err.contains("integration `S` to become ACTIVE"), "{err}");

        // Long enough: ACTIVATING, then ACTIVE.
        let started = std::time::Instant::now();
        genseed::kinds::wait_active(&client, &id, "S", Duration::from_millis(100), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));

        // A configuration the type refuses: ERROR with its detail.
        let mut bad = good;
        bad["awsAccountId"] = json!("12");
        let id = make(bad).await;
        let err = genseed::kinds::wait_active(&client, &id, "S", Duration::from_millis(100), Duration::from_secs(10))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ERROR") && err.contains("12-digit"), "{err}");
    });
}

#[test]
fn there_is_no_webhooks_collection() {
    let p = project("http://127.0.0.1:9");
    let (s, _) = p.call("GET", "/api/v2/integrations/webhooks", None);
    assert_eq!(s, 404);
}

#[test]
fn a_mistyped_workflow_is_refused_with_the_closest_flow_of_the_org() {
    let (url, _server) = answering_server();
    let p = project(&url);
    let text = std::fs::read_to_string(p.dir.path().join("seeds/integrations.yaml")).unwrap();
    p.seed(
        "integrations.yaml",
        &text.replace(
            "workflow: Notify CRM Workflow",
            "workflow: Notify CRM Wrokflow",
        ),
    );
    let r = run(&p, &["apply", "--auto-approve"]).expect(1);
    assert!(
        r.stdout.contains(
            "workflow `Notify CRM Wrokflow` is not in the org (did you mean `Notify CRM Workflow`?)"
        ),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}
