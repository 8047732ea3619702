//! The calls kinds make, named for what they mean: a create (never retried blindly),
//! a read, a version-guarded or idempotent write, an additive POST. A thin layer over
//! [`ApiClient::send`]; the retry rules themselves live in the client.

use std::time::Duration;

use serde_json::Value;

use crate::client::{ApiClient, ApiError, Idempotency, Method, PollStatus, poll};

/// How long an accepted (202) create may take to finish.
const ACCEPTED_TIMEOUT: Duration = Duration::from_secs(120);

/// Meaningful calls over the client.
pub trait ApiExt {
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
        match (resp.status, resp.location) {
            (202, Some(location)) => follow(self, path, &location).await,
            _ => Ok(resp.body),
        }
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

/// Poll the `Location` of an accepted create until it answers with the object.
async fn follow(client: &ApiClient, path: &str, location: &str) -> Result<Value, ApiError> {
    let what = format!("POST {path} (accepted, polling {location})");
    let relative = location
        .strip_prefix(client.api_base())
        .unwrap_or(location)
        .to_string();
    poll(&what, Duration::from_millis(250), ACCEPTED_TIMEOUT, || {
        let relative = relative.clone();
        async move {
            let resp = client
                .send(Method::GET, &relative, &[], None, Idempotency::Safe)
                .await?;
            if resp.status == 202 {
                return Ok(PollStatus::Pending);
            }
            Ok(PollStatus::Done(resp.body))
        }
    })
    .await
    .map_err(|e| ApiError::Decode {
        method: "POST".into(),
        path: path.into(),
        message: e.to_string(),
    })
}
