//! HTTP-level tests of the embedded Genesys emulator: real sockets on 127.0.0.1, real time,
//! short windows.

use std::net::SocketAddr;
use std::time::Duration;

use genseed::emulator::{
    Consistency, EmulatorConfig, EmulatorHandle, FaultRule, RateLimit, parse_faults,
};
use reqwest::Method;
use serde_json::{Value, json};

/// A started emulator, a client and a token of the emulator's OAuth client.
pub struct T {
    pub h: EmulatorHandle,
    pub c: reqwest::Client,
    pub token: String,
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn any_addr() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub async fn boot(cfg: EmulatorConfig) -> T {
    let h = EmulatorHandle::start(cfg, any_addr()).await.unwrap();
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/oauth/token", h.base_url()))
        .basic_auth("genseed-local", Some("genseed-local-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let token = v["access_token"].as_str().unwrap().to_string();
    T { h, c, token }
}

impl T {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self
            .c
            .request(method, format!("{}{}", self.h.base_url(), path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Resp {
            status,
            headers,
            body,
        }
    }
    async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert_eq!(r.body["code"], code, "body: {}", r.body);
    assert_eq!(r.body["status"], status);
    assert_eq!(r.body["details"], json!([]));
    assert_eq!(r.body["errors"], json!([]));
    let cid = r.headers["inin-correlation-id"].to_str().unwrap();
    assert_eq!(r.body["contextId"], cid);
}

#[tokio::test]
async fn token_rules() {
    let cfg = EmulatorConfig {
        token_rate_limit: Some("2/min".parse().unwrap()),
        ..Default::default()
    };
    let t = boot(cfg).await;
    let url = format!("{}/OAuth/Token", t.h.base_url());
    let bad =
        t.c.post(&url)
            .basic_auth("genseed-local", Some("wrong"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    let ok =
        t.c.post(&url)
            .basic_auth("genseed-local", Some("genseed-local-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 86400);
    // Third valid token request within the minute (boot took one).
    let limited =
        t.c.post(&url)
            .basic_auth("genseed-local", Some("genseed-local-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
    assert_eq!(limited.status(), 400);
    let v: Value = limited.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .starts_with("rate limit exceeded;")
    );
}

#[tokio::test]
async fn bearer_required_and_404s_and_case_insensitive_paths() {
    let t = boot(EmulatorConfig::default()).await;
    let r =
        t.c.get(format!("{}/api/v2/organizations/me", t.h.base_url()))
            .send()
            .await
            .unwrap();
    let resp = Resp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.json().await.unwrap(),
    };
    assert_error(&resp, 401, "authentication.required");
    let org = t.get("/api/v2/organizations/me").await;
    assert_eq!(org.status, 200);
    assert_eq!(org.body["state"], "active");
    let org2 = t.get("/API/V2/Organizations/Me/").await;
    assert_eq!(org2.body["id"], org.body["id"]);
    assert_error(&t.get("/api/v2/divisions").await, 404, "not.found");
    assert_error(
        &t.get("/api/v2/integrations/webhooks").await,
        404,
        "not.found",
    );
    let home = t.get("/api/v2/authorization/divisions/home").await;
    assert_eq!(home.body["homeDivision"], true);
    assert_eq!(home.body["name"], "Home");
    let del = t
        .call(
            Method::DELETE,
            &format!(
                "/api/v2/authorization/divisions/{}",
                home.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_error(&del, 400, "bad.request");
    let cids: Vec<_> = [&org, &org2]
        .iter()
        .map(|r| r.headers["inin-correlation-id"].clone())
        .collect();
    assert_ne!(cids[0], cids[1]);
}

#[tokio::test]
async fn rate_limit_429_and_token_expiry() {
    let cfg = EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests: 3,
            per: Duration::from_secs(1),
        }),
        token_ttl: Duration::from_secs(1),
        ..Default::default()
    };
    let t = boot(cfg).await;
    for _ in 0..3 {
        assert_eq!(t.get("/api/v2/organizations/me").await.status, 200);
    }
    let r = t.get("/api/v2/organizations/me").await;
    assert_error(&r, 429, "too.many.requests.retry.after");
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(
        r.body["message"],
        "Rate limit exceeded the maximum. Retry the request in [1] seconds"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(
        &t.get("/api/v2/organizations/me").await,
        401,
        "credentials.expired",
    );
}

async fn create_user(t: &T, name: &str, email: &str) -> Value {
    let r = t
        .post("/api/v2/users", json!({"name": name, "email": email}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test]
async fn users_versions_soft_delete_and_restore() {
    let t = boot(EmulatorConfig::default()).await;
    let u = create_user(&t, "Ann", "ann@example.com").await;
    let id = u["id"].as_str().unwrap();
    assert_eq!(u["version"], 1);
    assert_eq!(u["username"], "ann@example.com");
    assert_eq!(u["division"]["name"], "Home");
    assert_eq!(u["primaryContactInfo"][0]["mediaType"], "EMAIL");
    assert_error(
        &t.post(
            "/api/v2/users",
            json!({"name": "Ann2", "email": "ANN@example.com"}),
        )
        .await,
        409,
        "general.conflict",
    );
    let path = format!("/api/v2/users/{id}");
    let stale = t.patch(&path, json!({"version": 7, "title": "x"})).await;
    assert_error(&stale, 409, "general.conflict");
    assert!(
        stale.body["message"]
            .as_str()
            .unwrap()
            .contains("does not match the current version")
    );
    assert_error(
        &t.patch(&path, json!({"title": "x"})).await,
        400,
        "bad.request",
    );
    let ok = t.patch(&path, json!({"version": 1, "title": "Boss"})).await;
    assert_eq!(ok.body["version"], 2);
    assert_eq!(ok.body["title"], "Boss");
    assert_eq!(ok.body["name"], "Ann");
    assert_eq!(t.call(Method::DELETE, &path, None).await.status, 204);
    assert_error(&t.get(&path).await, 404, "not.found");
    let deleted = t.get(&format!("{path}?state=deleted")).await;
    assert_eq!(deleted.body["state"], "deleted");
    assert_error(
        &t.post(
            "/api/v2/users",
            json!({"name": "Ann", "email": "ann@example.com"}),
        )
        .await,
        409,
        "general.conflict",
    );
    let v = deleted.body["version"].as_i64().unwrap();
    let mixed = t
        .patch(
            &path,
            json!({"version": v, "state": "active", "title": "y"}),
        )
        .await;
    assert_error(&mixed, 400, "bad.request");
    let restored = t
        .patch(&path, json!({"version": v, "state": "active"}))
        .await;
    assert_eq!(restored.status, 200);
    assert_eq!(restored.body["state"], "active");
    assert_eq!(t.get(&path).await.status, 200);
    // Listing default state=active; unknown property 400.
    let l = t.get("/api/v2/users?expand=skills").await;
    assert_eq!(l.body["total"], 1);
    assert_eq!(l.body["entities"][0]["skills"], json!([]));
    let bad = t
        .post(
            "/api/v2/users",
            json!({"name": "B", "email": "b@example.com", "roles": []}),
        )
        .await;
    assert_error(&bad, 400, "invalid.property");
    assert!(bad.body["message"].as_str().unwrap().contains("roles"));
}

/// An emulator whose user search sees changes `lag` after they are made.
async fn boot_with_search_lag(lag: Duration) -> T {
    boot(EmulatorConfig {
        consistency: Consistency {
            search_lag: lag,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
}

/// The search index lags behind a change of e-mail: for a while the user is still found
/// by its old e-mail and not yet by its new one (a search by e-mail reads the users the
/// e-mail index names, which keeps every e-mail a user has had).
#[tokio::test]
async fn a_search_by_email_sees_the_old_email_until_the_index_catches_up() {
    let t = boot_with_search_lag(Duration::from_millis(300)).await;
    let u = create_user(&t, "Eve", "eve@example.com").await;
    let id = u["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let by =
        |email: &str| json!({"query": [{"type": "EXACT", "fields": ["email"], "value": email}]});
    let found = |r: Resp| r.body["total"].as_i64().unwrap();
    let moved = t
        .patch(
            &format!("/api/v2/users/{id}"),
            json!({"email": "eve@example.org", "version": u["version"]}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let old = t.post("/api/v2/users/search", by("EVE@example.com")).await;
    assert_eq!(found(old), 1);
    assert_eq!(
        found(t.post("/api/v2/users/search", by("eve@example.org")).await),
        0
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        found(t.post("/api/v2/users/search", by("eve@example.com")).await),
        0
    );
    let new = t.post("/api/v2/users/search", by("eve@example.org")).await;
    assert_eq!(new.body["results"][0]["email"], "eve@example.org");
    assert_eq!(found(new), 1);
}

#[tokio::test]
async fn search_lag_and_criteria() {
    let t = boot_with_search_lag(Duration::from_millis(400)).await;
    create_user(&t, "Bob", "bob@example.com").await;
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "bob@example.com"}]});
    let r = t.post("/api/v2/users/search", q.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total"], 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = t.post("/api/v2/users/search", q.clone()).await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["types"], json!(["users"]));
    let id = r.body["results"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.call(Method::DELETE, &format!("/api/v2/users/{id}"), None)
            .await
            .status,
        204
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        t.post("/api/v2/users/search", q.clone()).await.body["total"],
        0
    );
    let qd = json!({"query": [
        {"type": "EXACT", "fields": ["email"], "value": "bob@example.com"},
        {"type": "EXACT", "fields": ["state"], "values": ["active", "deleted"]}]});
    assert_eq!(t.post("/api/v2/users/search", qd).await.body["total"], 1);
    let big = t
        .post("/api/v2/users/search", json!({"pageSize": 101}))
        .await;
    assert_error(&big, 400, "bad.request");
}

#[tokio::test]
async fn lost_response_fault_and_accepted_task() {
    let faults = parse_faults(
        "- match: {method: POST, path: /api/v2/routing/skills}\n  status: 503\n  times: 1\n  afterCommit: true\n\
         - match: {method: POST, path: /api/v2/routing/QUEUES}\n  accepted: true\n  polls: 1\n",
    )
    .unwrap();
    let t = boot(EmulatorConfig {
        faults,
        ..Default::default()
    })
    .await;
    let r = t
        .post("/api/v2/routing/skills", json!({"name": "Billing"}))
        .await;
    assert_error(&r, 503, "service.unavailable");
    let l = t.get("/api/v2/routing/skills?name=bill").await;
    assert_eq!(l.body["total"], 1, "the write was committed");
    assert_error(
        &t.post("/api/v2/routing/skills", json!({"name": "billing"}))
            .await,
        409,
        "general.conflict",
    );
    let a = t
        .post("/api/v2/routing/queues", json!({"name": "Support"}))
        .await;
    assert_eq!(a.status, 202);
    let loc = a.headers["location"].to_str().unwrap().to_string();
    assert_eq!(t.get(&loc).await.status, 202);
    let done = t.get(&loc).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["name"], "Support");
}

#[tokio::test]
async fn fault_rule_built_in_code() {
    let t = boot(EmulatorConfig {
        faults: vec![FaultRule {
            times: Some(1),
            ..FaultRule::status(Some("GET"), "/api/v2/routing/*", 500)
        }],
        ..Default::default()
    })
    .await;
    assert_error(
        &t.get("/api/v2/routing/skills").await,
        500,
        "internal.server.error",
    );
    assert_eq!(t.get("/api/v2/routing/skills").await.status, 200);
}

#[tokio::test]
async fn paging_edges_and_members() {
    let cfg = EmulatorConfig {
        rate_limit: None,
        consistency: Consistency {
            member_lag: Duration::from_millis(300),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = boot(cfg).await;
    for i in 0..26 {
        let r = t
            .post(
                "/api/v2/routing/languages",
                json!({"name": format!("Lang {i:02}")}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let p1 = t.get("/api/v2/routing/languages").await;
    assert_eq!(p1.body["pageSize"], 25);
    assert_eq!(p1.body["pageNumber"], 1);
    assert_eq!(p1.body["total"], 26);
    assert_eq!(p1.body["pageCount"], 2);
    assert_eq!(p1.body["entities"][0]["name"], "Lang 00");
    assert!(p1.body["nextUri"].is_string());
    let p2 = t.get("/api/v2/routing/languages?pageNumber=2").await;
    assert_eq!(p2.body["entities"].as_array().unwrap().len(), 1);
    assert!(p2.body.get("nextUri").is_none());
    let p9 = t.get("/api/v2/routing/languages?pageNumber=9").await;
    assert_eq!(p9.status, 200);
    assert_eq!(p9.body["entities"], json!([]));
    assert_error(
        &t.get("/api/v2/routing/languages?pageSize=501").await,
        400,
        "invalid.query.param.value",
    );

    let q = t
        .post("/api/v2/routing/queues", json!({"name": "Sales"}))
        .await;
    let qid = q.body["id"].as_str().unwrap().to_string();
    let u = create_user(&t, "Cy", "cy@example.com").await;
    let members = format!("/api/v2/routing/queues/{qid}/members");
    let add = t.post(&members, json!([{"id": u["id"]}])).await;
    assert!(add.status == 200 || add.status == 204);
    assert_eq!(add.body, Value::Null);
    assert_eq!(
        t.get(&members).await.body["entities"],
        json!([]),
        "member lag"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let m = t.get(&members).await;
    assert_eq!(m.body["entities"][0]["user"]["id"], u["id"]);
    assert_eq!(m.body["entities"][0]["memberBy"], "user");
    assert!(m.body.get("total").is_none() && m.body.get("pageCount").is_none());
    assert_error(
        &t.get(&format!("{members}?pageSize=101")).await,
        400,
        "invalid.query.param.value",
    );
    let many: Vec<Value> = (0..101).map(|_| json!({"id": u["id"]})).collect();
    assert_error(
        &t.post(&members, Value::Array(many)).await,
        400,
        "bad.request",
    );
    let ids: String = p1.body["entities"].as_array().unwrap()[..2]
        .iter()
        .map(|e| format!("id={}", e["id"].as_str().unwrap()))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        t.get(&format!("/api/v2/routing/languages?{ids}"))
            .await
            .body["total"],
        2
    );
}

#[tokio::test]
async fn queues_validation_and_full_replacement() {
    let t = boot(EmulatorConfig::default()).await;
    let bad = t
        .post(
            "/api/v2/routing/queues",
            json!({"name": "Q", "mediaSettings": {"callback": {"mode": ""}}}),
        )
        .await;
    assert_error(&bad, 400, "invalid.value");
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .contains("AgentFirst, CustomerFirst")
    );
    let q = t
        .post(
            "/api/v2/routing/queues",
            json!({"name": "Q", "skillEvaluationMethod": "BEST", "acwSettings": {"wrapupPrompt": "MANDATORY"}}),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["skillEvaluationMethod"], "BEST");
    assert_eq!(q.body["memberCount"], 0);
    let id = q.body["id"].as_str().unwrap();
    let put = t
        .call(
            Method::PUT,
            &format!("/api/v2/routing/queues/{id}"),
            Some(json!({"name": "Q"})),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        put.body["skillEvaluationMethod"], "ALL",
        "omitted settings are reset"
    );
    assert_eq!(put.body["acwSettings"]["wrapupPrompt"], "OPTIONAL");
    assert_error(
        &t.post("/api/v2/routing/queues", json!({"name": "q"})).await,
        409,
        "general.conflict",
    );
    assert_eq!(
        t.get("/api/v2/routing/queues?name=q").await.body["total"],
        1
    );
    assert_eq!(
        t.get("/api/v2/routing/queues?name=x").await.body["total"],
        0
    );
    let wc = t
        .post("/api/v2/routing/wrapupcodes", json!({"name": "Done"}))
        .await;
    assert_eq!(wc.body["division"]["id"], "*");
    let added = t
        .post(
            &format!("/api/v2/routing/queues/{id}/wrapupcodes"),
            json!([{"id": wc.body["id"]}]),
        )
        .await;
    assert_eq!(added.body[0]["name"], "Done");
    let l = t
        .get(&format!("/api/v2/routing/queues/{id}/wrapupcodes"))
        .await;
    assert_eq!(l.body["total"], 1);
}

#[tokio::test]
async fn persistence_round_trip_and_request_log() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.json");
    let cfg = EmulatorConfig {
        data_file: Some(file.clone()),
        ..Default::default()
    };
    let t = boot(cfg.clone()).await;
    let d = t
        .post(
            "/api/v2/authorization/divisions",
            json!({"name": "Sales", "description": "d"}),
        )
        .await;
    assert_eq!(d.status, 200);
    let dump = t.h.dump();
    let log: Value = reqwest::get(format!("{}/__emulator/requests", t.h.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(
        log.last().unwrap()["path"],
        "/api/v2/authorization/divisions"
    );
    assert_eq!(log.last().unwrap()["body"]["name"], "Sales");
    assert_eq!(t.h.requests().len(), log.len());
    reqwest::Client::new()
        .post(format!("{}/__emulator/reset", t.h.base_url()))
        .send()
        .await
        .unwrap();
    assert!(t.h.requests().is_empty());
    t.h.shutdown().await;
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk, dump);
    let t2 = boot(cfg).await;
    assert_eq!(t2.h.dump(), dump);
    let l = t2.get("/api/v2/authorization/divisions?name=sales").await;
    assert_eq!(l.body["entities"][0]["id"], d.body["id"]);
    // New ids continue from the persisted counter.
    let d2 = t2
        .post("/api/v2/authorization/divisions", json!({"name": "Ops"}))
        .await;
    assert_ne!(d2.body["id"], d.body["id"]);
}

#[tokio::test]
async fn get_after_create_window_and_skills_assignment() {
    let cfg = EmulatorConfig {
        consistency: Consistency {
            get_after_create_404: Duration::from_millis(300),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = boot(cfg).await;
    let s = t
        .post("/api/v2/routing/skills", json!({"name": "Sk"}))
        .await;
    let sid = s.body["id"].as_str().unwrap().to_string();
    assert_error(
        &t.get(&format!("/api/v2/routing/skills/{sid}")).await,
        404,
        "not.found",
    );
    let u = create_user(&t, "Di", "di@example.com").await;
    let uid = u["id"].as_str().unwrap();
    let bulk = format!("/api/v2/users/{uid}/routingskills/bulk");
    let r = t
        .call(
            Method::PATCH,
            &bulk,
            Some(json!([{"id": sid, "proficiency": 3}])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["entities"][0]["proficiency"], 3.0);
    let r = t
        .call(
            Method::PATCH,
            &bulk,
            Some(json!([{"id": sid, "proficiency": 6}])),
        )
        .await;
    assert_error(&r, 400, "invalid.value");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let s2 = t.get(&format!("/api/v2/routing/skills/{sid}")).await;
    assert_eq!(s2.body["state"], "active");
    assert_eq!(
        t.call(
            Method::DELETE,
            &format!("/api/v2/routing/skills/{sid}"),
            None
        )
        .await
        .status,
        204
    );
    let s3 = t.get(&format!("/api/v2/routing/skills/{sid}")).await;
    assert_eq!(s3.body["state"], "deleted");
    assert_eq!(s3.body["version"], "2");
}

#[test]
fn start_in_thread_serves_synchronous_callers() {
    let h = EmulatorHandle::start_in_thread(EmulatorConfig::default()).unwrap();
    assert!(h.base_url().starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{}/api/v2/organizations/me", h.base_url()))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 401);
    drop(h);
}

#[tokio::test]
async fn roles_grants_and_schedules() {
    let t = boot(EmulatorConfig {
        faults: parse_faults("- match: {path: /api/v2/architect/*}\n  latencyMs: 60\n").unwrap(),
        ..Default::default()
    })
    .await;
    let emp = t
        .get("/api/v2/authorization/roles?defaultRoleId=employee")
        .await;
    assert_eq!(emp.body["total"], 1);
    let role_id = emp.body["entities"][0]["id"].as_str().unwrap().to_string();
    let custom = t
        .post(
            "/api/v2/authorization/roles",
            json!({"name": "Agents", "permissions": ["routing:queue:view"]}),
        )
        .await;
    assert_eq!(custom.status, 200);
    assert_error(
        &t.post("/api/v2/authorization/roles", json!({"name": "agents"}))
            .await,
        409,
        "general.conflict",
    );
    let u = create_user(&t, "Eve", "eve@example.com").await;
    let uid = u["id"].as_str().unwrap();
    let home = t.get("/api/v2/authorization/divisions/home").await.body["id"].clone();
    let add = t
        .post(
            &format!("/api/v2/authorization/subjects/{uid}/bulkadd?subjectType=PC_USER"),
            json!({"grants": [{"roleId": role_id, "divisionId": home}, {"roleId": custom.body["id"], "divisionId": "*"}]}),
        )
        .await;
    assert_eq!(add.status, 204, "{}", add.body);
    let subj = t
        .get(&format!("/api/v2/authorization/subjects/{uid}"))
        .await;
    assert_eq!(subj.body["grants"].as_array().unwrap().len(), 2);
    let missing = t
        .post(
            &format!("/api/v2/authorization/subjects/{uid}/bulkadd"),
            json!({"grants": [{"roleId": "00000000-0000-4000-8000-000000000000", "divisionId": home}]}),
        )
        .await;
    assert_error(&missing, 404, "not.found");

    let started = std::time::Instant::now();
    let s = t
        .post(
            "/api/v2/architect/schedules",
            json!({"name": "Open", "start": "2024-01-01T08:00:00.000", "end": "2024-01-01T17:00:00.000", "rrule": "FREQ=DAILY"}),
        )
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "fault latency applies"
    );
    assert_eq!(s.body["version"], 1);
    let sid = s.body["id"].as_str().unwrap().to_string();
    let g = t
        .post(
            "/api/v2/architect/schedulegroups",
            json!({"name": "Hours", "timeZone": "Europe/Paris", "openSchedules": [{"id": sid}]}),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let del = t
        .call(
            Method::DELETE,
            &format!("/api/v2/architect/schedules/{sid}"),
            None,
        )
        .await;
    assert_error(&del, 409, "general.conflict");
    let stale = t
        .call(
            Method::PUT,
            &format!("/api/v2/architect/schedules/{sid}"),
            Some(json!({"name": "Open", "start": "2024-01-01T09:00:00.000", "end": "2024-01-01T17:00:00.000", "version": 5})),
        )
        .await;
    assert_error(&stale, 409, "general.conflict");
    let ok = t
        .call(
            Method::PUT,
            &format!("/api/v2/architect/schedules/{sid}"),
            Some(json!({"name": "Open", "start": "2024-01-01T09:00:00.000", "end": "2024-01-01T17:00:00.000", "version": 1})),
        )
        .await;
    assert_eq!(ok.body["version"], 2);
    assert!(ok.body.get("rrule").is_none(), "PUT replaces");
}

#[tokio::test]
async fn skill_groups_cursor_listing() {
    let t = boot(EmulatorConfig::default()).await;
    for n in ["Alpha", "Beta", "Gamma"] {
        let r = t
            .post(
                "/api/v2/routing/skillgroups",
                json!({"name": n, "skillConditions": [{"routingSkillConditions": [], "languageSkillConditions": [], "operation": "And"}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let p1 = t.get("/api/v2/routing/skillgroups?pageSize=2").await;
    assert_eq!(p1.body["entities"].as_array().unwrap().len(), 2);
    assert!(p1.body.get("total").is_none());
    let next = p1.body["nextUri"].as_str().unwrap().to_string();
    let p2 = t.get(&next).await;
    assert_eq!(p2.body["entities"][0]["name"], "Gamma");
    assert!(p2.body.get("nextUri").is_none());
    assert_eq!(
        t.get("/api/v2/routing/skillgroups?name=BE").await.body["entities"][0]["name"],
        "Beta"
    );
    let bad = t
        .post(
            "/api/v2/routing/skillgroups",
            json!({"name": "X", "skillConditions": [{"operation": "Xor"}]}),
        )
        .await;
    assert_error(&bad, 400, "invalid.value");
}

fn group_body(name: &str) -> Value {
    json!({"name": name, "type": "official", "visibility": "public", "rulesVisible": true})
}

#[tokio::test]
async fn groups_create_validation_versions_and_names() {
    let t = boot(EmulatorConfig::default()).await;
    let r = t
        .post(
            "/api/v2/groups",
            json!({"name": "Support", "type": "official"}),
        )
        .await;
    assert_error(&r, 400, "bad.request");
    let mut bad = group_body("Support");
    bad["type"] = json!("team");
    let r = t.post("/api/v2/groups", bad).await;
    assert_error(&r, 400, "invalid.value");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("official, social"),
        "{}",
        r.body
    );
    let mut bad = group_body("Support");
    bad["bogus"] = json!(1);
    assert_error(
        &t.post("/api/v2/groups", bad).await,
        400,
        "invalid.property",
    );
    let mut body = group_body("Support");
    body["description"] = json!("Tier 1");
    let g = t.post("/api/v2/groups", body).await;
    assert_eq!(g.status, 200, "{}", g.body);
    let g = g.body;
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["version"], 1);
    assert_eq!(g["state"], "active");
    assert_eq!(g["memberCount"], 0);
    assert_eq!(g["selfUri"], format!("/api/v2/groups/{id}"));
    // The description is only taken by a PUT (TF: an API bug).
    assert!(g.get("description").is_none(), "{g}");
    assert_error(
        &t.post("/api/v2/groups", group_body("SUPPORT")).await,
        409,
        "general.conflict",
    );

    let path = format!("/api/v2/groups/{id}");
    let put = |v: Value| t.call(Method::PUT, &path, Some(v));
    let mut upd = json!({"name": "Support", "description": "Tier 1", "visibility": "members"});
    assert_error(&put(upd.clone()).await, 400, "bad.request");
    upd["version"] = json!(7);
    assert_error(&put(upd.clone()).await, 409, "general.conflict");
    upd["version"] = json!(1);
    let r = put(upd.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["description"], "Tier 1");
    assert_eq!(r.body["visibility"], "members");
    // Omitted settings without an empty value are kept.
    assert_eq!(r.body["type"], "official");
    assert_eq!(r.body["rulesVisible"], true);
    upd["type"] = json!("social");
    assert_error(&put(upd).await, 400, "invalid.property");

    let l = t.get("/api/v2/groups?pageSize=1").await;
    assert_eq!(l.body["total"], 1);
    assert_eq!(l.body["entities"][0]["name"], "Support");
    assert_error(
        &t.get("/api/v2/groups?pageSize=501").await,
        400,
        "invalid.query.param.value",
    );
    let d = t.call(Method::DELETE, &path, None).await;
    assert!(d.status < 300, "{}", d.body);
    assert_error(&t.get(&path).await, 404, "not.found");
    assert_eq!(
        t.post("/api/v2/groups", group_body("Support")).await.status,
        200
    );
}

#[tokio::test]
async fn groups_members_follow_the_group_version() {
    let t = boot(EmulatorConfig::default()).await;
    let g = t.post("/api/v2/groups", group_body("Sales")).await.body;
    let id = g["id"].as_str().unwrap().to_string();
    let a = create_user(&t, "Ann", "ann@example.com").await["id"].clone();
    let b = create_user(&t, "Bob", "bob@example.com").await["id"].clone();
    let members = format!("/api/v2/groups/{id}/members");
    assert_error(
        &t.post(&members, json!({"memberIds": [a, b], "version": 5}))
            .await,
        409,
        "general.conflict",
    );
    assert_error(
        &t.post(
            &members,
            json!({"memberIds": ["00000000-0000-4000-8000-000000000000"], "version": 1}),
        )
        .await,
        400,
        "bad.request",
    );
    assert_error(
        &t.post(&members, json!({"memberIds": [], "version": 1}))
            .await,
        400,
        "bad.request",
    );
    let r = t
        .post(&members, json!({"memberIds": [a, b], "version": 1}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let g = t.get(&format!("/api/v2/groups/{id}")).await.body;
    assert_eq!(
        (g["version"].clone(), g["memberCount"].clone()),
        (json!(2), json!(2))
    );
    // Adding a member again changes nothing but the version.
    let r = t
        .post(&members, json!({"memberIds": [a], "version": 2}))
        .await;
    assert_eq!(r.status, 202);
    let l = t.get(&members).await.body;
    assert_eq!(l["total"], 2);
    assert_eq!(l["entities"][0]["email"], "ann@example.com");
    assert_eq!(l["entities"][1]["name"], "Bob");
    let r = t
        .call(
            Method::DELETE,
            &format!("{members}?ids={}", a.as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let l = t.get(&members).await.body;
    assert_eq!(l["total"], 1);
    assert_eq!(l["entities"][0]["id"], b);
    assert_error(
        &t.call(Method::DELETE, &members, None).await,
        400,
        "invalid.query.param.value",
    );
    assert_error(
        &t.get("/api/v2/groups/00000000-0000-4000-8000-000000000000/members")
            .await,
        404,
        "not.found",
    );
}

#[tokio::test]
async fn deleting_a_skill_or_language_takes_it_off_users() {
    let t = boot(EmulatorConfig::default()).await;
    let uid = create_user(&t, "Ann", "ann@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let skill = t
        .post("/api/v2/routing/skills", json!({"name": "Billing"}))
        .await
        .body["id"]
        .clone();
    let lang = t
        .post("/api/v2/routing/languages", json!({"name": "French"}))
        .await
        .body["id"]
        .clone();
    for (seg, id) in [("routingskills", &skill), ("routinglanguages", &lang)] {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v2/users/{uid}/{seg}/bulk"),
                Some(json!([{"id": id, "proficiency": 3}])),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for (coll, seg, id) in [
        ("skills", "routingskills", &skill),
        ("languages", "routinglanguages", &lang),
    ] {
        let path = format!("/api/v2/routing/{coll}/{}", id.as_str().unwrap());
        assert!(t.call(Method::DELETE, &path, None).await.status < 300);
        // Soft-deleted: still readable, with `state: deleted`.
        assert_eq!(t.get(&path).await.body["state"], "deleted");
        let l = t.get(&format!("/api/v2/users/{uid}/{seg}")).await.body;
        assert_eq!(l["entities"], json!([]), "{seg}: {l}");
    }
}

/// A valid create body per collection (`ids`: ids made earlier, by collection URI).
fn create_body(uri: &str, ids: &std::collections::HashMap<&str, Value>) -> Value {
    match uri.trim_start_matches("/api/v2/") {
        "routing/skillgroups" => json!({"name": "G", "skillConditions": [
            {"routingSkillConditions": [], "languageSkillConditions": [], "operation": "And"}]}),
        "architect/schedules" => json!({"name": "S", "start": "2024-01-01T08:00:00.000",
                                        "end": "2024-01-01T17:00:00.000", "rrule": "FREQ=DAILY"}),
        "architect/schedulegroups" => json!({"name": "SG", "timeZone": "Europe/Paris",
            "openSchedules": [{"id": ids["/api/v2/architect/schedules"]}]}),
        "processautomation/triggers" => json!({"name": "T", "topicName": "v2.users.x.presence",
            "enabled": true, "target": {"type": "Workflow", "id": ids["workflow"]}}),
        "integrations/actions" => json!({"name": "A", "category": "C",
            "integrationId": ids["rest-integration"],
            "config": {"request": {"requestUrlTemplate": "https://example.com",
                                   "requestType": "GET", "headers": {}},
                       "response": {"translationMap": {}}},
            "contract": {"input": {"inputSchema": {"type": "object"}},
                         "output": {"successSchema": {"type": "object"}}}}),
        "flows" => json!({"name": "F", "type": "WORKFLOW"}),
        "integrations" => json!({"integrationType": {"id": "webhook"}}),
        "integrations/credentials" => json!({"name": "C", "type": {"name": "basicAuth"},
                                             "credentialFields": {"userName": "u", "password": "p"}}),
        "groups" => group_body("Gr"),
        "oauth/clients" => json!({"name": "C", "authorizedGrantType": "CLIENT-CREDENTIALS"}),
        _ => json!({"name": "N"}),
    }
}

/// A new custom REST actions integration (what data actions belong to): its id.
async fn rest_integration(t: &T) -> Value {
    let rest = t
        .post(
            "/api/v2/integrations",
            json!({"integrationType": {"id": "custom-rest-actions"}}),
        )
        .await;
    rest.body["id"].clone()
}

fn assert_model(what: &str, model: &str, v: &Value) {
    if let Err(e) = genseed::emulator::check_wire_model(model, v) {
        panic!("{what} is no {model}: {e}\n{v}");
    }
}

#[tokio::test]
async fn every_collection_answers_in_its_sdk_read_models() {
    let t = boot(EmulatorConfig::default()).await;
    let mut ids = std::collections::HashMap::new();
    let flows = t.get("/api/v2/flows?type=WORKFLOW").await.body;
    ids.insert("workflow", flows["entities"][0]["id"].clone());
    ids.insert("rest-integration", rest_integration(&t).await);
    for (uri, read, list) in genseed::emulator::collections() {
        let created = t.post(uri, create_body(uri, &ids)).await;
        assert_eq!(created.status, 200, "{uri}: {}", created.body);
        let id = created.body["id"].as_str().unwrap().to_string();
        ids.insert(uri, json!(id));
        assert_model(&format!("POST {uri}"), read, &created.body);
        assert_model(
            &format!("GET {uri}/{id}"),
            read,
            &t.get(&format!("{uri}/{id}")).await.body,
        );
        let l = t.get(uri).await.body;
        assert!(!l["entities"].as_array().unwrap().is_empty(), "{uri}");
        assert_model(&format!("GET {uri}"), list, &l);
    }
}

#[tokio::test]
async fn hand_written_answers_follow_the_sdk_models() {
    let t = boot(EmulatorConfig::default()).await;
    let uid = create_user(&t, "Ann", "ann@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = t
        .post("/api/v2/routing/skills", json!({"name": "S"}))
        .await
        .body;
    let q = t
        .post("/api/v2/routing/queues", json!({"name": "Q"}))
        .await
        .body;
    let g = t.post("/api/v2/groups", group_body("G")).await.body;
    let (qid, gid) = (q["id"].as_str().unwrap(), g["id"].as_str().unwrap());
    let skills = format!("/api/v2/users/{uid}/routingskills");
    let bulk = json!([{"id": s["id"], "proficiency": 2}]);
    assert_eq!(
        t.call(Method::PATCH, &format!("{skills}/bulk"), Some(bulk))
            .await
            .status,
        200
    );
    let queue_members = format!("/api/v2/routing/queues/{qid}/members");
    assert!(t.post(&queue_members, json!([{"id": uid}])).await.status < 300);
    let group_members = format!("/api/v2/groups/{gid}/members");
    let add = json!({"memberIds": [uid], "version": 1});
    assert_eq!(t.post(&group_members, add).await.status, 202);
    let search =
        json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "ann@example.com"}]});
    let r = t.post("/api/v2/users/search", search).await.body;
    assert_model("POST /api/v2/users/search", "UsersSearchResponse", &r);
    for (path, model) in [
        (format!("/api/v2/users/{uid}"), "User"),
        ("/api/v2/users".to_string(), "UserEntityListing"),
        (skills, "UserSkillEntityListing"),
        (queue_members, "QueueMemberEntityListing"),
        (group_members, "UserEntityListing"),
        (
            format!("/api/v2/authorization/subjects/{uid}"),
            "AuthzSubject",
        ),
        ("/api/v2/organizations/me".to_string(), "Organization"),
    ] {
        assert_model(&format!("GET {path}"), model, &t.get(&path).await.body);
    }
}

#[tokio::test]
async fn a_flow_a_trigger_targets_cannot_be_deleted() {
    let t = boot(EmulatorConfig::default()).await;
    let f = t
        .post("/api/v2/flows", json!({"name": "W", "type": "WORKFLOW"}))
        .await
        .body;
    let flow = format!("/api/v2/flows/{}", f["id"].as_str().unwrap());
    let trigger = t
        .post(
            "/api/v2/processautomation/triggers",
            json!({"name": "T", "topicName": "v2.users.x.presence", "enabled": true,
                   "target": {"type": "Workflow", "id": f["id"]}}),
        )
        .await
        .body;
    assert_error(
        &t.call(Method::DELETE, &flow, None).await,
        409,
        "general.conflict",
    );
    let tpath = format!(
        "/api/v2/processautomation/triggers/{}",
        trigger["id"].as_str().unwrap()
    );
    assert!(t.call(Method::DELETE, &tpath, None).await.status < 300);
    assert!(t.call(Method::DELETE, &flow, None).await.status < 300);
    assert_error(&t.get(&flow).await, 404, "not.found");
}

#[tokio::test]
async fn a_division_with_objects_refuses_deletion_naming_them() {
    let t = boot(EmulatorConfig::default()).await;
    let d = t
        .post("/api/v2/authorization/divisions", json!({"name": "East"}))
        .await
        .body;
    let did = d["id"].as_str().unwrap().to_string();
    let q = t
        .post(
            "/api/v2/routing/queues",
            json!({"name": "Support", "division": {"id": did}}),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let path = format!("/api/v2/authorization/divisions/{did}");
    let r = t.call(Method::DELETE, &path, None).await;
    assert_error(&r, 400, "bad.request");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("QUEUE Support"),
        "{}",
        r.body
    );
    let qpath = format!("/api/v2/routing/queues/{}", q.body["id"].as_str().unwrap());
    assert!(t.call(Method::DELETE, &qpath, None).await.status < 300);
    assert!(t.call(Method::DELETE, &path, None).await.status < 300);
}

#[tokio::test]
async fn one_grant_is_added_and_removed_by_its_own_path() {
    let t = boot(EmulatorConfig::default()).await;
    let uid = create_user(&t, "Ann", "ann@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let roles = t
        .get("/api/v2/authorization/roles?name=employee")
        .await
        .body;
    let role = roles["entities"][0]["id"].as_str().unwrap().to_string();
    let home = t.get("/api/v2/authorization/divisions/home").await.body;
    let div = home["id"].as_str().unwrap().to_string();
    let one = format!("/api/v2/authorization/subjects/{uid}/divisions/{div}/roles/{role}");
    assert!(t.call(Method::POST, &one, None).await.status < 300);
    let subject = t
        .get(&format!("/api/v2/authorization/subjects/{uid}"))
        .await
        .body;
    assert_eq!(subject["grants"][0]["role"]["id"], role.as_str());
    assert!(t.call(Method::DELETE, &one, None).await.status < 300);
    assert_error(&t.call(Method::DELETE, &one, None).await, 404, "not.found");
    let subject = t
        .get(&format!("/api/v2/authorization/subjects/{uid}"))
        .await
        .body;
    assert_eq!(subject["grants"], json!([]));
}

#[tokio::test]
async fn a_roles_subject_grants_list_its_holders_with_their_divisions_in_pages() {
    let t = boot(EmulatorConfig::default()).await;
    let roles = t
        .get("/api/v2/authorization/roles?name=employee")
        .await
        .body;
    let role = roles["entities"][0]["id"].as_str().unwrap().to_string();
    let div = t.get("/api/v2/authorization/divisions/home").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut uids = Vec::new();
    for i in 0..3 {
        let u = create_user(&t, &format!("U{i}"), &format!("u{i}@example.com")).await;
        let uid = u["id"].as_str().unwrap().to_string();
        for d in [div.as_str(), "*"].iter().take(if i == 0 { 2 } else { 1 }) {
            let one = format!("/api/v2/authorization/subjects/{uid}/divisions/{d}/roles/{role}");
            assert!(t.call(Method::POST, &one, None).await.status < 300);
        }
        uids.push(uid);
    }
    uids.sort();
    let path = format!("/api/v2/authorization/roles/{role}/subjectgrants");
    let first = t.get(&format!("{path}?pageSize=2")).await.body;
    assert_model(
        "subjectgrants",
        "SubjectDivisionGrantsEntityListing",
        &first,
    );
    assert_eq!(
        (first["total"].as_u64(), first["pageCount"].as_u64()),
        (Some(3), Some(2))
    );
    let second = t.get(&format!("{path}?pageSize=2&pageNumber=2")).await.body;
    let listed: Vec<Value> = [&first, &second]
        .iter()
        .flat_map(|p| p["entities"].as_array().unwrap().clone())
        .collect();
    let ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, uids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(listed.iter().all(|e| e["type"] == "PC_USER"));
    let first_user = listed.iter().find(|e| e["name"] == "U0").unwrap();
    let divs: Vec<&str> = first_user["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(divs, [div.as_str(), "*"]);
    assert_error(
        &t.get(&format!("{path}?pageSize=501")).await,
        400,
        "invalid.query.param.value",
    );
    let none = t
        .get("/api/v2/authorization/roles/no-such-role/subjectgrants")
        .await;
    assert_error(&none, 404, "not.found");
}

// The tests below hold HTTP behaviour that the emulator's unit tests once checked on
// its internals: strict bodies, page edges, permission patterns and policies, faults.

fn message(r: &Resp) -> &str {
    r.body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn bodies_are_checked_against_the_wire_models() {
    let t = boot(EmulatorConfig::default()).await;
    let r = t
        .post("/api/v2/users", json!({"name": "A", "nope": 1}))
        .await;
    assert_error(&r, 400, "invalid.property");
    assert!(message(&r).contains("nope"));
    let r = t.post("/api/v2/users", json!({"name": 5})).await;
    assert_error(&r, 400, "bad.request");
    let queues = "/api/v2/routing/queues";
    let r = t
        .post(
            queues,
            json!({"name": "q", "mediaSettings": {"callback": {"mode": ""}}}),
        )
        .await;
    assert_error(&r, 400, "invalid.value");
    let allowed = "[Mode]. Allowable values are: AgentFirst, CustomerFirst";
    assert!(message(&r).contains(allowed), "{}", r.body);
    let r = t
        .post(
            queues,
            json!({"name": "q", "division": {"id": "d", "zz": 1}}),
        )
        .await;
    assert!(message(&r).contains("division.zz"), "{}", r.body);
    // Read-only fields are accepted and dropped.
    let r = t
        .post(queues, json!({"name": "q", "id": "x", "memberCount": 3}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["id"], "x");
    assert_eq!(r.body["memberCount"], 0);
}

#[tokio::test]
async fn page_edges() {
    let t = boot(EmulatorConfig::default()).await;
    for i in 0..26 {
        let r = t
            .post(
                "/api/v2/routing/skills",
                json!({"name": format!("s{i:02}")}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let l = t.get("/api/v2/routing/skills").await.body;
    assert_eq!(
        (l["pageSize"].clone(), l["pageCount"].clone()),
        (json!(25), json!(2))
    );
    assert_eq!(
        l["nextUri"],
        "/api/v2/routing/skills?pageSize=25&pageNumber=2"
    );
    assert!(l.get("previousUri").is_none());
    let l = t
        .get("/api/v2/routing/skills?pageNumber=2&sortOrder=asc")
        .await
        .body;
    assert_eq!(l["entities"].as_array().unwrap().len(), 1);
    assert!(l.get("nextUri").is_none());
    let first = "/api/v2/routing/skills?pageSize=25&pageNumber=1&sortOrder=asc";
    assert_eq!(l["previousUri"], first);
    let l = t.get("/api/v2/routing/skills?pageNumber=9").await.body;
    assert_eq!(l["entities"], json!([]));
    for bad in ["pageSize=501", "pageSize=0", "pageNumber=x"] {
        let r = t.get(&format!("/api/v2/routing/skills?{bad}")).await;
        assert_error(&r, 400, "invalid.query.param.value");
    }
    // The queue-members listing has no totals.
    let q = t
        .post("/api/v2/routing/queues", json!({"name": "q"}))
        .await
        .body;
    let mut members = Vec::new();
    for n in ["a", "b", "c"] {
        let u = create_user(&t, n, &format!("{n}@example.com")).await;
        members.push(json!({"id": u["id"]}));
    }
    let path = format!(
        "/api/v2/routing/queues/{}/members",
        q["id"].as_str().unwrap()
    );
    assert_eq!(t.post(&path, json!(members)).await.status, 204);
    let l = t.get(&format!("{path}?pageSize=2")).await.body;
    assert!(
        l.get("total").is_none() && l.get("pageCount").is_none(),
        "{l}"
    );
    assert!(l.get("nextUri").is_some());
}

#[tokio::test]
async fn permission_patterns_and_wildcard_policies() {
    let t = boot(EmulatorConfig::default()).await;
    // The built-in admin role (`*:*:*`) may read OAuth clients.
    assert_eq!(t.get("/api/v2/oauth/clients").await.status, 200);
    let q = t
        .post("/api/v2/routing/queues", json!({"name": "q"}))
        .await
        .body;
    let q = q["id"].as_str().unwrap().to_string();
    let policies = json!([
        {"domain": "routing", "entityName": "*", "actionSet": ["add"]},
        {"domain": "oauth", "entityName": "client", "actionSet": ["*"]},
    ]);
    let role = t
        .post(
            "/api/v2/authorization/roles",
            json!({"name": "Adder", "permissionPolicies": policies}),
        )
        .await;
    let grant = json!([{"roleId": role.body["id"], "divisionId": "*"}]);
    let client = json!({"name": "genseed-local", "authorizedGrantType": "CLIENT-CREDENTIALS",
                        "roleDivisions": grant});
    let r = t
        .call(
            Method::PUT,
            "/api/v2/oauth/clients/genseed-local",
            Some(client),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let missing = |r: &Resp, permission: &str| {
        assert_error(r, 403, "missing.permissions");
        assert!(
            message(r).ends_with(&format!("[{permission}]")),
            "{}",
            r.body
        );
    };
    // `routing:*:add` allows adding queues and skills, nothing else.
    assert_eq!(
        t.post("/api/v2/routing/queues", json!({"name": "r"}))
            .await
            .status,
        200
    );
    assert_eq!(
        t.post("/api/v2/routing/wrapupcodes", json!({"name": "w"}))
            .await
            .status,
        200
    );
    let queue = format!("/api/v2/routing/queues/{q}");
    let put = t
        .call(Method::PUT, &queue, Some(json!({"name": "q"})))
        .await;
    missing(&put, "routing:queue:edit");
    let user = json!({"name": "A", "email": "a@example.com"});
    missing(&t.post("/api/v2/users", user).await, "directory:user:add");
    // `routing/queues/*/wrapupcodes/**` covers the collection and its items.
    let codes = format!("/api/v2/routing/queues/{q}/wrapupcodes");
    missing(&t.post(&codes, json!([])).await, "routing:queue:edit");
    let one = t.call(Method::DELETE, &format!("{codes}/w"), None).await;
    missing(&one, "routing:queue:edit");
    // Reads are not checked; `routing/queues/*/members` is not `routing/queues/*`.
    assert_eq!(
        t.get(&format!("/api/v2/routing/queues/{q}")).await.status,
        200
    );
}

#[test]
fn fault_files_reject_unknown_keys() {
    let rules = parse_faults(
        "- match: {method: POST, path: /api/v2/users}\n  status: 503\n  times: 2\n  afterCommit: true\n- match: {path: \"/api/v2/routing/*\"}\n  latencyMs: 50\n- match: {method: POST, path: /api/v2/routing/queues}\n  accepted: true\n",
    )
    .unwrap();
    assert_eq!(rules.len(), 3);
    assert!(rules[0].after_commit);
    assert_eq!(rules[0].times, Some(2));
    assert_eq!(rules[1].latency_ms, Some(50));
    assert!(rules[2].accepted);
    assert!(parse_faults("- match: {path: /x}\n  status: 500\n  bogus: 1\n").is_err());
    assert!(parse_faults("- match: {path: /x, verb: GET}\n  status: 500\n").is_err());
    assert!(parse_faults("- match: {path: /x}\n").is_err());
}

#[tokio::test]
async fn faults_match_methods_paths_and_globs_and_count() {
    let faults = parse_faults(
        "- match: {method: post, path: /API/v2/users}\n  status: 503\n  times: 2\n\
         - match: {path: \"*/members\"}\n  status: 502\n\
         - match: {path: \"/api/v2/routing/*/x/*\"}\n  status: 501\n",
    )
    .unwrap();
    let t = boot(EmulatorConfig {
        faults,
        ..Default::default()
    })
    .await;
    let ann = json!({"name": "Ann", "email": "ann@example.com"});
    assert_eq!(t.post("/api/v2/users", ann.clone()).await.status, 503);
    assert_eq!(t.get("/api/v2/users").await.status, 200);
    assert_eq!(t.post("/api/v2/users", ann.clone()).await.status, 503);
    assert_eq!(t.post("/api/v2/users", ann).await.status, 200);
    // An exact path does not match below itself.
    assert_eq!(t.post("/api/v2/users/search", json!({})).await.status, 200);
    assert_eq!(t.get("/api/v2/routing/queues/q/members").await.status, 502);
    assert_eq!(t.get("/api/v2/routing/queues/x/q").await.status, 501);
    assert_eq!(t.get("/api/v2/routing/queues/y/q").await.status, 404);
}

#[tokio::test]
async fn fault_probability_follows_the_seed() {
    let rule = FaultRule {
        probability: Some(0.5),
        ..FaultRule::status(None, "*", 500)
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let t = boot(EmulatorConfig {
            faults: vec![rule.clone()],
            seed: 7,
            ..Default::default()
        })
        .await;
        let mut fired = Vec::new();
        for _ in 0..48 {
            fired.push(t.get("/api/v2/organizations/me").await.status == 500);
        }
        runs.push(fired);
    }
    assert_eq!(runs[0], runs[1]);
    let n = runs[0].iter().filter(|f| **f).count();
    assert!(n > 8 && n < 40, "{n} of 48");
}

/// E-mail uniqueness (case-insensitive, deleted users included) holds across e-mail
/// changes and a restart from the data file.
#[tokio::test]
async fn user_email_uniqueness_follows_changes_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmulatorConfig {
        data_file: Some(dir.path().join("org.json")),
        ..Default::default()
    };
    let t = boot(cfg.clone()).await;
    let user = |email: &str| json!({"name": "Ann", "email": email});
    let ann = t.post("/api/v2/users", user("ann@example.com")).await;
    assert_eq!(ann.status, 200);
    let path = format!("/api/v2/users/{}", ann.body["id"].as_str().unwrap());
    let moved = t
        .patch(&path, json!({"version": 1, "email": "Ann.New@example.com"}))
        .await;
    assert_eq!(moved.status, 200);
    // The old address is free again; the new one is taken, in any case.
    assert_eq!(
        t.post("/api/v2/users", user("ANN@example.com"))
            .await
            .status,
        200
    );
    let taken = t.post("/api/v2/users", user("ann.new@EXAMPLE.com")).await;
    assert_error(&taken, 409, "general.conflict");
    // A user may keep its own address in a PATCH.
    let same = t
        .patch(&path, json!({"version": 2, "email": "ann.new@example.com"}))
        .await;
    assert_eq!(same.status, 200);
    t.h.shutdown().await;
    let t2 = boot(cfg).await;
    for email in ["ann@example.com", "ANN.NEW@example.com"] {
        assert_error(
            &t2.post("/api/v2/users", user(email)).await,
            409,
            "general.conflict",
        );
    }
    assert_eq!(
        t2.post("/api/v2/users", user("bob@example.com"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn action_names_stay_unique_per_integration_on_rename() {
    let t = boot(EmulatorConfig::default()).await;
    let mut ids = std::collections::HashMap::new();
    ids.insert("rest-integration", rest_integration(&t).await);
    let uri = "/api/v2/integrations/actions";
    let mut body = create_body(uri, &ids);
    assert_eq!(t.post(uri, body.clone()).await.status, 200);
    body["name"] = json!("B");
    let b = t.post(uri, body).await.body;
    let path = format!("{uri}/{}", b["id"].as_str().unwrap());
    let rename = |name: &str| json!({"name": name, "version": b["version"]});
    let taken = t.call(Method::PATCH, &path, Some(rename("a"))).await;
    assert_error(&taken, 409, "general.conflict");
    let free = t.call(Method::PATCH, &path, Some(rename("B2"))).await;
    assert_eq!(free.status, 200, "{}", free.body);
    assert_eq!(t.get(&path).await.body["name"], "B2");
}
