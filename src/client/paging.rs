//! Listings: page-number listings (`pageNumber`/`pageSize`/`pageCount`, or no total at all
//! as for queue members) and cursor listings that follow `nextUri`.
//!
//! Owns: walking pages and resolving server-given `nextUri`/`Location` values against
//! `api_base`. Must not touch: retries or auth (each page is an ordinary `get`), and what
//! the entities mean.

use serde_json::Value;

use super::error::ApiError;
use super::{ApiClient, Idempotency, Method};

/// Safety stop: no listing is followed beyond this many pages.
pub(super) const MAX_PAGES: u32 = 100_000;

fn entities(body: &Value, path: &str) -> Result<Vec<Value>, ApiError> {
    match body.get("entities") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Null) | None if body.is_object() => Ok(Vec::new()),
        _ => Err(ApiError::Decode {
            method: "GET".into(),
            path: path.to_owned(),
            message: "listing has no `entities` array".into(),
        }),
    }
}

impl ApiClient {
    /// All entities of a page-number listing: `pageNumber = 1, 2, ...` with `pageSize`.
    /// Stops at an empty `entities` page, or once `pageNumber >= pageCount` when the
    /// server gives `pageCount` (queue members give none: they page until empty).
    pub async fn list_pages(
        &self,
        path: &str,
        query: &[(&str, String)],
        page_size: u32,
    ) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut q: Vec<(&str, String)> = query
                .iter()
                .filter(|(k, _)| *k != "pageNumber" && *k != "pageSize")
                .cloned()
                .collect();
            q.push(("pageSize", page_size.to_string()));
            q.push(("pageNumber", page.to_string()));
            let body = self.get(path, &q).await?;
            let items = entities(&body, path)?;
            if items.is_empty() {
                break;
            }
            all.extend(items);
            let page_count = body.get("pageCount").and_then(Value::as_u64);
            if page_count.is_some_and(|n| u64::from(page) >= n) {
                break;
            }
        }
        Ok(all)
    }

    /// All entities of a cursor listing: the first page from `path?query&pageSize=`, then
    /// each `nextUri` (relative, carrying the `after` cursor) until it is absent. Also
    /// stops at an empty page or when the server repeats a `nextUri`.
    pub async fn list_cursor(
        &self,
        path: &str,
        query: &[(&str, String)],
        page_size: u32,
    ) -> Result<Vec<Value>, ApiError> {
        let mut q: Vec<(&str, String)> = query
            .iter()
            .filter(|(k, _)| *k != "pageSize")
            .cloned()
            .collect();
        q.push(("pageSize", page_size.to_string()));
        let mut body = self.get(path, &q).await?;
        let mut all = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let items = entities(&body, path)?;
            if items.is_empty() {
                break;
            }
            all.extend(items);
            let Some(next) = body
                .get("nextUri")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            else {
                break;
            };
            let next = self.relative(next, path)?;
            if !seen.insert(next.clone()) {
                tracing::debug!(path, "cursor listing repeated its nextUri; stopping");
                break;
            }
            body = self
                .send(Method::GET, &next, &[], None, Idempotency::Safe)
                .await?
                .body;
        }
        Ok(all)
    }

    /// Turn a server-given URI (`/api/v2/...?...` or an absolute URL on `api_base`) into a
    /// path for this client. Absolute URLs on other hosts are refused: the bearer token
    /// must never leave `api_base`.
    pub fn relative(&self, uri: &str, context: &str) -> Result<String, ApiError> {
        if uri.starts_with('/') {
            return Ok(uri.to_owned());
        }
        if let Some(rest) = uri.strip_prefix(self.api_base())
            && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        {
            return Ok(if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            });
        }
        Err(ApiError::Decode {
            method: "GET".into(),
            path: context
                .split_once('?')
                .map_or(context, |(p, _)| p)
                .to_owned(),
            message: format!("server sent a link outside the API base: {uri:?}"),
        })
    }
}
