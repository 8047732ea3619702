//! The HTTP side: [`EmulatorHandle`] (start/stop, request log, dump), the axum fallback
//! handler and the request pipeline (correlation id → faults' latency → token endpoint or
//! bearer auth → per-token rate limit → scripted fault → route dispatch → persistence →
//! request log). Route logic lives in `routes/`. The data file is compacted (written
//! whole, its journal emptied) when the emulator starts and when its handle is dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::config::EmulatorConfig;
use super::error::{ApiError, EmulatorError};
use super::routes::{self, Reply, Rq};
use super::store::{Emu, LoggedRequest, Task, admit};
use super::util::Query;

const MAX_BODY: usize = 32 * 1024 * 1024;

struct Shared {
    state: Mutex<Emu>,
    latency: Duration,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Emu> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

enum Runner {
    Task(tokio::task::JoinHandle<()>),
    Thread(std::sync::mpsc::Receiver<()>),
}

/// A running emulator. Dropping it stops the server.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    runner: Option<Runner>,
}

impl EmulatorHandle {
    /// Start on the current tokio runtime, bound to `addr` (port 0 = any free port).
    pub async fn start(cfg: EmulatorConfig, addr: SocketAddr) -> Result<Self, EmulatorError> {
        let shared = Arc::new(new_shared(cfg)?);
        let (listener, bound) = bind(addr)?;
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router(shared.clone()), rx));
        Ok(EmulatorHandle {
            shared,
            addr: bound,
            stop: Some(tx),
            runner: Some(Runner::Task(task)),
        })
    }

    /// Start on 127.0.0.1:0 with its own single-threaded runtime on a background thread
    /// (for synchronous callers and tests).
    pub fn start_in_thread(cfg: EmulatorConfig) -> Result<Self, EmulatorError> {
        let shared = Arc::new(new_shared(cfg)?);
        let (listener, bound) = bind("127.0.0.1:0".parse().expect("literal"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(EmulatorError::Runtime)?;
        let (tx, rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let app = router(shared.clone());
        std::thread::Builder::new()
            .name("genseed-emulator".into())
            .spawn(move || {
                rt.block_on(serve(listener, app, rx));
                let _ = done_tx.send(());
            })
            .map_err(EmulatorError::Runtime)?;
        Ok(EmulatorHandle {
            shared,
            addr: bound,
            stop: Some(tx),
            runner: Some(Runner::Thread(done_rx)),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: serves both `/oauth/token` and `/api/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far (excluding `/__emulator/*`), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// The whole org as JSON (the data-file format).
    pub fn dump(&self) -> Value {
        serde_json::to_value(&self.shared.lock().data).unwrap_or(Value::Null)
    }

    /// Stop serving and wait for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.runner.take() {
            Some(Runner::Task(t)) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
            }
            Some(Runner::Thread(rx)) => {
                let _ =
                    tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5)))
                        .await;
            }
            None => {}
        }
    }

    /// Serve until Ctrl-C, then shut down.
    pub async fn run_until_ctrl_c(self) -> Result<(), EmulatorError> {
        let r = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        r.map_err(|e| EmulatorError::Serve(e.to_string()))
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(Runner::Thread(rx)) = self.runner.take() {
            let _ = rx.recv_timeout(Duration::from_secs(2));
        }
        // A clean shutdown leaves the org in the data file alone, the journal empty.
        if let Err(e) = self.shared.lock().compact() {
            tracing::error!("emulator data file: {e}");
        }
    }
}

/// Start on `addr`, call `on_bound` with the bound address (the caller prints it), then
/// serve until Ctrl-C. Prints nothing itself. For `genseed emulate --listen ADDR`.
pub async fn serve_until_ctrl_c(
    cfg: EmulatorConfig,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr),
) -> Result<(), EmulatorError> {
    let h = EmulatorHandle::start(cfg, addr).await?;
    on_bound(h.addr());
    h.run_until_ctrl_c().await
}

fn new_shared(cfg: EmulatorConfig) -> Result<Shared, EmulatorError> {
    let latency = cfg.latency;
    let mut emu = Emu::new(cfg)?;
    // Write the org whole (with what the journal replayed), so the data file exists from
    // the start and the journal continues it.
    emu.compact().map_err(|message| EmulatorError::DataFile {
        path: emu
            .cfg
            .data_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        message,
    })?;
    Ok(Shared {
        state: Mutex::new(emu),
        latency,
    })
}

/// A non-blocking listener on `addr`, and the address it is bound to.
fn bind(addr: SocketAddr) -> Result<(std::net::TcpListener, SocketAddr), EmulatorError> {
    let err = |source| EmulatorError::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(err)?;
    listener.set_nonblocking(true).map_err(err)?;
    let bound = listener.local_addr().map_err(err)?;
    Ok((listener, bound))
}

/// Serve `app` on `listener` until `stop` fires (or its sender is dropped).
async fn serve(listener: std::net::TcpListener, app: Router, stop: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = stop.await;
    });
    let _ = server.await;
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(app): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_ascii_uppercase();
    let mut path = parts.uri.path().to_string();
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    let lower = path.to_ascii_lowercase();
    let query = parts.uri.query().unwrap_or("").to_string();
    let bytes = to_bytes(body, MAX_BODY).await;

    if lower == "/__emulator" || lower.starts_with("/__emulator/") {
        return reserved(&app, &method, &lower);
    }

    let (cid, decision) = {
        let mut st = app.lock();
        let cid = st.random_id();
        let d = st.faults.decide(&method, &path);
        (cid, d)
    };
    let delay = app.latency + decision.latency;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let bytes = match bytes {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(
                413,
                "request.entity.too.large",
                "The request body is too large.",
            );
            return respond(Reply::error(&e, &cid), &cid);
        }
    };
    let input = Input {
        method,
        path,
        lower,
        query,
        headers: parts.headers,
        body: bytes.to_vec(),
    };
    let reply = {
        let mut st = app.lock();
        process(&mut st, &input, decision.fired, &cid)
    };
    respond(reply, &cid)
}

struct Input {
    method: String,
    path: String,
    lower: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn process(st: &mut Emu, input: &Input, fired: Option<usize>, cid: &str) -> Reply {
    let json_body: Option<Value> = if input.body.is_empty() {
        None
    } else {
        serde_json::from_slice(&input.body).ok()
    };
    let reply = if input.lower == "/oauth/token" {
        token_endpoint(st, input, fired, cid)
    } else if input.lower == "/api/v2" || input.lower.starts_with("/api/v2/") {
        api(st, input, json_body.clone(), fired).unwrap_or_else(|e| Reply::error(&e, cid))
    } else {
        Reply::error(&routes::no_route(&input.method, &input.path), cid)
    };
    st.log.push(LoggedRequest {
        method: input.method.clone(),
        path: input.path.clone(),
        query: input.query.clone(),
        status: reply.status,
        body: json_body.map(redact_secrets).unwrap_or(Value::Null),
    });
    reply
}

/// Credential values (`credentialFields`) never reach the request log: like the real
/// service, the emulator keeps secrets write-only, and the log is read by tests and
/// tools that must not see them.
fn redact_secrets(mut body: Value) -> Value {
    if let Some(fields) = body
        .get_mut("credentialFields")
        .and_then(Value::as_object_mut)
    {
        for v in fields.values_mut() {
            *v = Value::String("(sensitive)".into());
        }
    }
    body
}

/// The credentials of an `Authorization: <scheme> <credentials>` header.
fn authorization(headers: &HeaderMap, scheme: &str) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (s, rest) = v.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim().to_string())
}

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    // Body keys `error`/`description` (some reports show `error_description`; unconfirmed).
    Reply::with_status(status, json!({"error": error, "description": description}))
}

fn token_endpoint(st: &mut Emu, input: &Input, fired: Option<usize>, cid: &str) -> Reply {
    if let Some(i) = fired {
        let rule = st.faults.rules[i].clone();
        if let Some(s) = rule.status {
            return Reply::error(&ApiError::for_status(s), cid);
        }
    }
    if input.method != "POST" {
        return oauth_error(405, "invalid_request", "method not allowed; use POST");
    }
    let form = Query::parse(&String::from_utf8_lossy(&input.body));
    let basic = authorization(&input.headers, "basic")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let creds = basic.or_else(|| {
        Some((
            form.get("client_id")?.to_string(),
            form.get("client_secret")?.to_string(),
        ))
    });
    let Some((id, secret)) = creds else {
        return oauth_error(
            401,
            "invalid_client",
            "client authentication failed: no credentials",
        );
    };
    if id != st.cfg.client_id || secret != st.cfg.client_secret {
        return oauth_error(401, "invalid_client", "client authentication failed");
    }
    match form.get("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                &format!("grant type {other} is not supported"),
            );
        }
        None => return oauth_error(400, "invalid_request", "missing grant_type"),
    }
    let now = Instant::now();
    if let Some(l) = st.cfg.token_rate_limit {
        let w = st.token_windows.entry(id.clone()).or_default();
        if let Err(secs) = admit(w, l.requests, l.per, now) {
            return oauth_error(
                400,
                "invalid_request",
                &format!("rate limit exceeded; retry in {secs} seconds"),
            );
        }
    }
    let token = format!(
        "{}{}",
        st.random_id().replace('-', ""),
        st.random_id().replace('-', "")
    );
    let ttl = st.cfg.token_ttl;
    st.tokens.insert(token.clone(), now + ttl);
    // Drop expired tokens now and then.
    st.tokens.retain(|_, exp| *exp > now);
    Reply::json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ttl.as_secs(),
    }))
}

fn api(
    st: &mut Emu,
    input: &Input,
    body: Option<Value>,
    fired: Option<usize>,
) -> Result<Reply, ApiError> {
    let now = Instant::now();
    let rq = authorized_request(st, input, body, now)?;
    // 4. scripted fault.
    let rule = fired.map(|i| st.faults.rules[i].clone());
    if let Some(r) = &rule
        && let Some(s) = r.status
        && !r.after_commit
    {
        return Err(ApiError::for_status(s));
    }
    // 5. the permissions of the client's roles, then the route.
    super::authz::check(st, &rq)?;
    let result = routes::dispatch(st, &rq);
    let ok = result.as_ref().is_ok_and(|r| r.status < 300);
    if ok
        && rq.is_mutation()
        && let Err(e) = st.persist()
    {
        tracing::error!("emulator data file: {e}");
        let message = format!("cannot persist: {e}");
        return Err(ApiError::new(500, "internal.server.error", message));
    }
    match (rule, result) {
        // afterCommit: the change happened, the response is "lost".
        (Some(r), _) if r.status.is_some() => Err(ApiError::for_status(r.status.unwrap_or(500))),
        (Some(r), Ok(reply)) if r.accepted && ok => {
            let id = st.random_id();
            st.tasks.insert(
                id.clone(),
                Task {
                    polls_left: r.polls.unwrap_or(2),
                    status: reply.status,
                    result: reply.body.unwrap_or(Value::Null),
                },
            );
            Ok(routes::tasks::running(&id))
        }
        (_, result) => result,
    }
}

/// Steps 1 to 3 of an API request: bearer token, per-token rate limit, JSON body; then
/// the parsed request.
fn authorized_request(
    st: &mut Emu,
    input: &Input,
    body: Option<Value>,
    now: Instant,
) -> Result<Rq, ApiError> {
    let token = authenticate(st, &input.headers, now)?;
    if let Some(l) = st.cfg.rate_limit {
        let w = st.api_windows.entry(token).or_default();
        admit(w, l.requests, l.per, now).map_err(ApiError::too_many)?;
    }
    if !input.body.is_empty() {
        let ct = input
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.to_ascii_lowercase().contains("json") {
            return Err(ApiError::new(
                415,
                "unsupported.media.type",
                format!("Unsupported media type [{ct}]; use application/json"),
            ));
        }
        if body.is_none() {
            return Err(ApiError::bad_request(
                "The request body could not be parsed as JSON.",
            ));
        }
    }
    let segs: Vec<String> = input.lower["/api/v2".len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .map(crate::emulator::util::decode)
        .collect();
    Ok(Rq {
        method: input.method.clone(),
        path: input.path.clone(),
        segs,
        q: Query::parse(&input.query),
        body,
        now,
    })
}

/// The bearer token of a request, if it is known and not expired. Codes: missing/unknown
/// → `authentication.required`, expired → `credentials.expired` (both unconfirmed vs
/// official docs, S9).
fn authenticate(st: &Emu, headers: &HeaderMap, now: Instant) -> Result<String, ApiError> {
    let Some(token) = authorization(headers, "bearer") else {
        // The same answer as an injected 401.
        return Err(ApiError::for_status(401));
    };
    match st.tokens.get(&token) {
        None => Err(ApiError::new(
            401,
            "authentication.required",
            "Invalid login credentials.",
        )),
        Some(exp) if *exp <= now => Err(ApiError::new(
            401,
            "credentials.expired",
            "The supplied credentials are expired and cannot be used.",
        )),
        Some(_) => Ok(token),
    }
}

fn reserved(app: &Shared, method: &str, lower: &str) -> Response {
    let mut st = app.lock();
    let reply = match (method, lower) {
        ("GET", "/__emulator/requests") => {
            Reply::json(serde_json::to_value(&st.log).unwrap_or(Value::Null))
        }
        ("POST", "/__emulator/reset") => {
            st.log.clear();
            Reply::no_content()
        }
        ("GET", "/__emulator/data") => {
            Reply::json(serde_json::to_value(&st.data).unwrap_or(Value::Null))
        }
        _ => Reply::with_status(
            404,
            json!({"message": "unknown emulator route", "code": "not.found", "status": 404}),
        ),
    };
    drop(st);
    respond(reply, "")
}

fn respond(reply: Reply, cid: &str) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match reply.body {
        Some(v) => (status, Json(v)).into_response(),
        None => status.into_response(),
    };
    let cid = Some(("ININ-Correlation-Id", cid.to_string())).filter(|_| !cid.is_empty());
    for (k, v) in cid.into_iter().chain(reply.headers) {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}
