//! The calls kinds make, named for what they mean: a create (never retried blindly),
//! a read, a version-guarded or idempotent write, an additive POST. A thin layer over
//! [`ApiClient::send`]; the retry rules themselves live in the client.

use std::time::Duration;

use serde_json::Value;

use crate::client::{ApiClient, ApiError, Idempotency, Method};

/// How long a read of an object known to exist may keep answering 404.
pub(crate) const READ_AFTER_WRITE: Duration = Duration::from_secs(30);

/// How long an accepted (202) create may take to finish.
const ACCEPTED_TIMEOUT: Duration = Duration::from_secs(120);

/// Meaningful calls over the client.
pub(crate) trait ApiExt {
    /// POST a new object and return it. A lost answer is `ApiError::Ambiguous`; the
    /// caller looks the object up before trying again. A `202 Accepted` with a
    /// `Location` is polled until the object is there.
    fn create(
        &self,
        path: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// PUT (a full, idempotent replacement).
    fn put(&self, path: &str, body: &Value)
    -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// PATCH (idempotent or version-guarded).
    fn patch(
        &self,
        path: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// GET an object that is known to exist (just created, found by search, or
    /// restored): the API's caches may answer 404 for a short while, so a 404 is
    /// retried for up to [`READ_AFTER_WRITE`] before it counts.
    fn get_existing(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// A POST that is safe to repeat (search, additive bulk calls).
    fn post_safe(
        &self,
        path: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
    /// [`ApiExt::post_safe`] with a query string.
    fn post_safe_query(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &Value,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;
}

impl ApiExt for ApiClient {
    async fn create(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        let resp = self
            .send(Method::POST, path, &[], Some(body), Idempotency::Create)
            .await?;
        if resp.status != 202 {
            return Ok(resp.body);
        }
        let what = format!("POST {path} (202 Accepted)");
        self.follow_accepted(resp, &what, Duration::from_millis(250), ACCEPTED_TIMEOUT)
            .await
            .map_err(|e| ApiError::Decode {
                method: "POST".into(),
                path: path.into(),
                message: e.to_string(),
            })
    }

    async fn put(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        Ok(self
            .send(Method::PUT, path, &[], Some(body), Idempotency::Safe)
            .await?
            .body)
    }

    async fn patch(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        Ok(self
            .send(Method::PATCH, path, &[], Some(body), Idempotency::Safe)
            .await?
            .body)
    }

    async fn get_existing(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ApiError> {
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            match self.get(path, query).await {
                Err(e) if e.is_not_found() && started.elapsed() < READ_AFTER_WRITE => {
                    tracing::debug!(path, "404 on a read after a write; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    async fn post_safe(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.post_safe_query(path, &[], body).await
    }

    async fn post_safe_query(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &Value,
    ) -> Result<Value, ApiError> {
        Ok(self
            .send(Method::POST, path, query, Some(body), Idempotency::Safe)
            .await?
            .body)
    }
}
