//! Real-socket tests of the client against tiny axum servers on 127.0.0.1:0, in real time
//! with `Retry-After` of 0–1 s. Owns nothing but test fixtures; must not touch other
//! modules' internals beyond the public client API.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::*;

const SECRET: &str = "s3cr3t-do-not-print";

/// Shared fixture state: counters and a log of what the server saw.
#[derive(Default)]
struct Seen {
    token_calls: AtomicU32,
    api_calls: AtomicU32,
    queries: Mutex<Vec<HashMap<String, String>>>,
    /// How many token fetches to answer with the login rate limit before succeeding.
    token_rate_limited: AtomicU32,
    /// `expires_in` of issued tokens; 0 means a day.
    expires_in: AtomicU32,
}

type S = Arc<Seen>;

async fn token(State(s): State<S>, headers: HeaderMap, body: String) -> Response {
    let n = s.token_calls.fetch_add(1, Ordering::SeqCst) + 1;
    if s.token_rate_limited.load(Ordering::SeqCst) >= n {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_request", "description": "rate limit exceeded; try later"})),
        )
            .into_response();
    }
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("cid:{SECRET}"))
    );
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(expected.as_str()) || body != "grant_type=client_credentials" {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
            ),
        )
            .into_response();
    }
    let expires_in = match s.expires_in.load(Ordering::SeqCst) {
        0 => 86_399,
        e => e,
    };
    axum::Json(
        json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": expires_in}),
    )
    .into_response()
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned()
}

async fn serve(api: Router<S>) -> (String, S) {
    let seen = S::default();
    let app = api
        .route("/oauth/token", post(token))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn config(base: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(base, base, "cid", SECRET);
    cfg.request_deadline = Duration::from_secs(5);
    cfg.attempt_timeout = Duration::from_secs(2);
    cfg.rate_limit = None;
    cfg
}

fn err_json(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        [("ININ-Correlation-Id", "corr-1")],
        axum::Json(
            json!({"message": msg, "code": code, "status": status.as_u16(), "contextId": "corr-1"}),
        ),
    )
        .into_response()
}

#[tokio::test]
async fn token_is_fetched_once_and_reused() {
    let api = Router::new().route(
        "/api/v2/thing",
        get(|State(s): State<S>, h: HeaderMap| async move {
            s.api_calls.fetch_add(1, Ordering::SeqCst);
            assert_eq!(bearer(&h), "tok-1");
            axum::Json(json!({"ok": true}))
        }),
    );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let c = client.clone();
        tasks.push(tokio::spawn(
            async move { c.get("/api/v2/thing", &[]).await },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), json!({"ok": true}));
    }
    client.get("/api/v2/thing", &[]).await.unwrap();
    assert_eq!(seen.token_calls.load(Ordering::SeqCst), 1);
    let st = client.stats();
    assert_eq!((st.requests, st.token_fetches, st.retries), (7, 1, 0));
}

#[tokio::test]
async fn token_is_refreshed_shortly_before_expiry() {
    let api = Router::new().route(
        "/api/v2/thing",
        get(|h: HeaderMap| async move { axum::Json(json!({"token": bearer(&h)})) }),
    );
    let (base, seen) = serve(api).await;
    // 1 s lifetime: 10 % margin, so it is refreshed after 0.9 s.
    seen.expires_in.store(1, Ordering::SeqCst);
    let client = ApiClient::new(config(&base)).unwrap();
    assert_eq!(
        client.get("/api/v2/thing", &[]).await.unwrap()["token"],
        "tok-1"
    );
    assert_eq!(
        client.get("/api/v2/thing", &[]).await.unwrap()["token"],
        "tok-1"
    );
    tokio::time::sleep(Duration::from_millis(950)).await;
    assert_eq!(
        client.get("/api/v2/thing", &[]).await.unwrap()["token"],
        "tok-2"
    );
    assert_eq!(client.stats().token_fetches, 2);
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once() {
    let api = Router::new()
        .route(
            "/api/v2/thing",
            get(|State(s): State<S>, h: HeaderMap| async move {
                s.api_calls.fetch_add(1, Ordering::SeqCst);
                if bearer(&h) == "tok-1" {
                    err_json(StatusCode::UNAUTHORIZED, "credentials.expired", "expired")
                } else {
                    axum::Json(json!({"token": "fresh"})).into_response()
                }
            }),
        )
        .route(
            "/api/v2/never",
            get(|State(s): State<S>| async move {
                s.api_calls.fetch_add(1, Ordering::SeqCst);
                err_json(StatusCode::UNAUTHORIZED, "bad.credentials", "no")
            }),
        );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    assert_eq!(
        client.get("/api/v2/thing", &[]).await.unwrap(),
        json!({"token": "fresh"})
    );
    assert_eq!(seen.token_calls.load(Ordering::SeqCst), 2);
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 2);

    let err = client.get("/api/v2/never", &[]).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    // One attempt, one refresh, one repeat: no loop.
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 4);
    assert_eq!(seen.token_calls.load(Ordering::SeqCst), 3);
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("tok-") && !shown.contains(SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after_even_for_creates() {
    let api = Router::new().route(
        "/api/v2/users",
        post(|State(s): State<S>| async move {
            let n = s.api_calls.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                let mut r = err_json(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too.many.requests.retry.after",
                    "Rate limit exceeded the maximum. Retry the request in [1] seconds",
                );
                r.headers_mut().insert("retry-after", "1".parse().unwrap());
                r
            } else {
                axum::Json(json!({"id": "u1"})).into_response()
            }
        }),
    );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    let start = Instant::now();
    let resp = client
        .send(
            Method::POST,
            "/api/v2/users",
            &[],
            Some(&json!({"name": "a"})),
            Idempotency::Create,
        )
        .await
        .unwrap();
    assert_eq!((resp.status, resp.body), (200, json!({"id": "u1"})));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 2);
    let st = client.stats();
    assert_eq!((st.throttled, st.retries, st.requests), (1, 1, 2));
    assert!(st.rate_limit_wait >= Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_retry_safe_requests_but_make_creates_ambiguous() {
    let api = Router::new()
        .route(
            "/api/v2/flaky",
            get(|State(s): State<S>| async move {
                if s.api_calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    err_json(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "service.unavailable",
                        "busy",
                    )
                } else {
                    axum::Json(json!({"ok": 1})).into_response()
                }
            }),
        )
        .route(
            "/api/v2/create",
            post(|State(s): State<S>| async move {
                s.api_calls.fetch_add(1, Ordering::SeqCst);
                err_json(StatusCode::BAD_GATEWAY, "bad.gateway", "upstream")
            }),
        )
        .route(
            "/api/v2/bad",
            get(|State(s): State<S>| async move {
                s.api_calls.fetch_add(1, Ordering::SeqCst);
                err_json(StatusCode::BAD_REQUEST, "invalid.value", "nope")
            }),
        );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    assert_eq!(
        client.get("/api/v2/flaky", &[]).await.unwrap(),
        json!({"ok": 1})
    );
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 3);

    let err = client
        .send(
            Method::POST,
            "/api/v2/create",
            &[],
            Some(&json!({})),
            Idempotency::Create,
        )
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert!(
        err.to_string()
            .starts_with("POST /api/v2/create: outcome unknown"),
        "{err}"
    );
    assert_eq!(
        seen.api_calls.load(Ordering::SeqCst),
        4,
        "a create is sent once"
    );
    assert_eq!(client.stats().ambiguous, 1);

    let err = client
        .get("/api/v2/bad", &[("name", "x".into())])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/bad: 400 invalid.value: nope (correlation id corr-1)"
    );
    assert_eq!(
        seen.api_calls.load(Ordering::SeqCst),
        5,
        "400 is not retried"
    );
}

#[tokio::test]
async fn deadline_names_method_and_path() {
    let api = Router::new().route(
        "/api/v2/down",
        get(|| async {
            err_json(
                StatusCode::SERVICE_UNAVAILABLE,
                "service.unavailable",
                "down",
            )
        }),
    );
    let (base, _seen) = serve(api).await;
    let mut cfg = config(&base);
    cfg.request_deadline = Duration::from_millis(800);
    let client = ApiClient::new(cfg).unwrap();
    let start = Instant::now();
    let err = client.get("/api/v2/down", &[]).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, ApiError::Deadline { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("GET /api/v2/down: gave up after"), "{msg}");
    assert!(msg.contains("503 service.unavailable"), "{msg}");
}

#[tokio::test]
async fn attempt_timeout_on_a_create_is_ambiguous() {
    let api = Router::new().route(
        "/api/v2/slow",
        post(|State(s): State<S>| async move {
            s.api_calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(3)).await;
            axum::Json(json!({}))
        }),
    );
    let (base, seen) = serve(api).await;
    let mut cfg = config(&base);
    cfg.attempt_timeout = Duration::from_millis(300);
    let client = ApiClient::new(cfg).unwrap();
    let err = client
        .send(
            Method::POST,
            "/api/v2/slow",
            &[],
            Some(&json!({})),
            Idempotency::Create,
        )
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn wrong_credentials_give_a_clear_auth_error_without_the_secret() {
    let api = Router::new().route("/api/v2/thing", get(|| async { "{}" }));
    let (base, seen) = serve(api).await;
    let mut cfg = config(&base);
    cfg.client_secret = Secret::new("wrong-s3cr3t-value");
    let shown_cfg = format!("{cfg:?}");
    assert!(!shown_cfg.contains("s3cr3t"), "{shown_cfg}");
    let client = ApiClient::new(cfg).unwrap();
    let err = client.get("/api/v2/thing", &[]).await.unwrap_err();
    assert!(matches!(err, ApiError::Auth { .. }), "{err}");
    let shown = format!("{err} | {err:?} | {client:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(
        shown.contains("401 invalid_client: Bad client credentials"),
        "{shown}"
    );
    assert_eq!(
        seen.token_calls.load(Ordering::SeqCst),
        1,
        "bad credentials are not retried"
    );
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn token_endpoint_rate_limit_is_retried() {
    let api = Router::new().route("/api/v2/thing", get(|| async { axum::Json(json!([])) }));
    let (base, seen) = serve(api).await;
    seen.token_rate_limited.store(1, Ordering::SeqCst);
    let client = ApiClient::new(config(&base)).unwrap();
    assert_eq!(client.get("/api/v2/thing", &[]).await.unwrap(), json!([]));
    assert_eq!(seen.token_calls.load(Ordering::SeqCst), 2);
    let st = client.stats();
    assert_eq!((st.token_throttled, st.token_fetches), (1, 1));
}

async fn page_listing(
    State(s): State<S>,
    Query(q): Query<HashMap<String, String>>,
    with_count: bool,
) -> axum::Json<Value> {
    s.api_calls.fetch_add(1, Ordering::SeqCst);
    s.queries.lock().unwrap().push(q.clone());
    let size: usize = q["pageSize"].parse().unwrap();
    let number: usize = q["pageNumber"].parse().unwrap();
    let all: Vec<Value> = (0..5).map(|i| json!({"id": i})).collect();
    let page: Vec<Value> = all
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .cloned()
        .collect();
    let mut body = json!({"entities": page, "pageSize": size, "pageNumber": number});
    if with_count {
        body["total"] = json!(5);
        body["pageCount"] = json!(5usize.div_ceil(size));
    }
    axum::Json(body)
}

#[tokio::test]
async fn page_listings_stop_at_page_count_or_an_empty_page() {
    let api = Router::new()
        .route(
            "/api/v2/routing/queues",
            get(|s: State<S>, q: Query<HashMap<String, String>>| page_listing(s, q, true)),
        )
        .route(
            "/api/v2/routing/queues/q1/members",
            get(|s: State<S>, q: Query<HashMap<String, String>>| page_listing(s, q, false)),
        );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    let items = client
        .list_pages("/api/v2/routing/queues", &[("name", "Sales*".into())], 2)
        .await
        .unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(
        seen.api_calls.load(Ordering::SeqCst),
        3,
        "pages 1..=pageCount"
    );
    assert_eq!(seen.queries.lock().unwrap()[0]["name"], "Sales*");

    // No total/pageCount (queue members): page until empty.
    let items = client
        .list_pages("/api/v2/routing/queues/q1/members", &[], 2)
        .await
        .unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(
        seen.api_calls.load(Ordering::SeqCst),
        3 + 4,
        "3 full pages and 1 empty"
    );
    let ids: Vec<_> = items.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn cursor_listing_follows_next_uri() {
    let api = Router::new().route(
        "/api/v2/routing/skillgroups",
        get(
            |State(s): State<S>, Query(q): Query<HashMap<String, String>>| async move {
                s.api_calls.fetch_add(1, Ordering::SeqCst);
                s.queries.lock().unwrap().push(q.clone());
                let (items, next) = match q.get("after").map(String::as_str) {
                    None => (vec![json!({"id": "a"}), json!({"id": "b"})], Some("c1")),
                    Some("c1") => (vec![json!({"id": "c"}), json!({"id": "d"})], Some("c2")),
                    Some("c2") => (vec![json!({"id": "e"})], None),
                    Some(other) => panic!("unexpected cursor {other}"),
                };
                let mut body = json!({"entities": items, "selfUri": "/api/v2/routing/skillgroups"});
                if let Some(n) = next {
                    body["nextUri"] =
                        json!(format!("/api/v2/routing/skillgroups?pageSize=2&after={n}"));
                }
                axum::Json(body)
            },
        ),
    );
    let (base, seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    let items = client
        .list_cursor("/api/v2/routing/skillgroups", &[], 2)
        .await
        .unwrap();
    let ids: Vec<_> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["a", "b", "c", "d", "e"]);
    assert_eq!(seen.api_calls.load(Ordering::SeqCst), 3);
    assert_eq!(seen.queries.lock().unwrap()[0]["pageSize"], "2");
}

#[tokio::test]
async fn accepted_with_location_is_polled_to_the_final_entity() {
    let api = Router::new()
        .route(
            "/api/v2/routing/queues",
            post(|| async {
                (
                    StatusCode::ACCEPTED,
                    [("location", "/api/v2/routing/queues/q9")],
                    axum::Json(json!({"state": "pending"})),
                )
            }),
        )
        .route(
            "/api/v2/routing/queues/q9",
            get(|State(s): State<S>| async move {
                match s.api_calls.fetch_add(1, Ordering::SeqCst) {
                    0 => StatusCode::NOT_FOUND.into_response(),
                    1 => axum::Json(json!({"state": "running"})).into_response(),
                    _ => axum::Json(json!({"id": "q9", "name": "Sales"})).into_response(),
                }
            }),
        );
    let (base, _seen) = serve(api).await;
    let client = ApiClient::new(config(&base)).unwrap();
    let resp = client
        .send(
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(&json!({"name": "Sales"})),
            Idempotency::Create,
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 202);
    assert_eq!(resp.location.as_deref(), Some("/api/v2/routing/queues/q9"));
    let entity = client
        .follow_accepted(
            resp,
            "queue Sales",
            Duration::from_millis(20),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    assert_eq!(entity, json!({"id": "q9", "name": "Sales"}));
}

#[tokio::test]
async fn client_limiter_paces_requests() {
    let api = Router::new().route("/api/v2/thing", get(|| async { axum::Json(json!({})) }));
    let (base, _seen) = serve(api).await;
    let mut cfg = config(&base);
    cfg.rate_limit = Some("20/s".parse().unwrap());
    let client = ApiClient::new(cfg).unwrap();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let c = client.clone();
        tasks.push(tokio::spawn(
            async move { c.get("/api/v2/thing", &[]).await },
        ));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(client.stats().rate_limit_wait > Duration::ZERO);
}

#[test]
fn bad_configuration_is_rejected() {
    let cfg = ClientConfig::new("api.example.com", "http://l", "cid", SECRET);
    assert!(matches!(ApiClient::new(cfg), Err(ApiError::Config(_))));
    let mut cfg = ClientConfig::new("http://a", "http://l", "cid", SECRET);
    cfg.concurrency = 0;
    assert!(ApiClient::new(cfg).is_err());
}

#[tokio::test]
async fn token_pool_adds_a_second_token_when_the_first_is_saturated() {
    let api = Router::new().route(
        "/api/v2/thing",
        get(|State(s): State<S>, h: HeaderMap| async move {
            s.api_calls.fetch_add(1, Ordering::SeqCst);
            s.queries
                .lock()
                .unwrap()
                .push(HashMap::from([("token".to_owned(), bearer(&h))]));
            axum::Json(json!({}))
        }),
    );
    let (base, seen) = serve(api).await;
    let mut cfg = config(&base);
    cfg.rate_limit = Some("10/s".parse().unwrap());
    cfg.tokens = 2;
    let client = ApiClient::new(cfg).unwrap();
    let mut tasks = Vec::new();
    for i in 0..30u64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            // Arrive over ~3 s so that slot 0 is busy when minting becomes allowed.
            tokio::time::sleep(Duration::from_millis(i * 100)).await;
            c.get("/api/v2/thing", &[]).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let used: std::collections::BTreeSet<String> = seen
        .queries
        .lock()
        .unwrap()
        .iter()
        .map(|q| q["token"].clone())
        .collect();
    assert_eq!(
        seen.token_calls.load(Ordering::SeqCst),
        2,
        "minted gradually, at most 2"
    );
    assert_eq!(used.into_iter().collect::<Vec<_>>(), vec!["tok-1", "tok-2"]);
}
