//! A queue's members and wrap-up codes, as two sub-kinds of `queue`.
//!
//! Additive by default: genseed adds the users (wrap-up codes) the manifest lists and
//! never removes one it did not declare; an exclusive set (`membersPolicy: exclusive`)
//! has the others removed with `POST .../members?delete=true` (at most 100 per call)
//! and `DELETE .../wrapupcodes/{id}`. Observed per existing queue with
//! `GET /api/v2/routing/queues/{id}/members` (no totals: paged until empty) and
//! `.../wrapupcodes`; added with `POST .../members?delete=false` and
//! `POST .../wrapupcodes`, at most 100 per call. Members are added asynchronously by
//! the service, so genseed reads them back until all are visible (bounded).

use crate::permissions::{Op, Scope};
use std::time::Duration;

use crate::api::ApiExt;
use serde_json::{Map, Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SubSpec, Target,
    derive_sub, norm_key, str_field, typed_value,
};

/// Entries per call (the documented maximum for both).
const CHUNK: usize = 100;
/// How long added members may take to become visible.
const CONFIRM_WITHIN: Duration = Duration::from_secs(60);

/// The declared natural keys of the linked objects, in manifest order.
fn items(spec: &Value) -> Vec<String> {
    typed_value::<SubSpec<Vec<String>>>(spec).map_or_else(Vec::new, |s| s.items)
}

/// The members or the wrap-up codes of queues.
pub(super) struct QueueLinks {
    name: &'static str,
    /// How plans name it.
    label: &'static str,
    /// Manifest field of the queue entry.
    field: &'static str,
    /// Kind of the linked objects.
    target_kind: &'static str,
    /// Path segment under the queue.
    segment: &'static str,
    /// Query of the add call.
    add_query: &'static [(&'static str, &'static str)],
    /// Page size of the listing.
    page_size: u32,
    /// Read back after adding until every link is visible.
    confirm: bool,
    /// How links are removed.
    removal: Removal,
    /// The permission adding or removing links needs (`a|b`: either).
    permission: &'static [&'static str],
}

/// How a queue's links are removed.
#[derive(Clone, Copy)]
enum Removal {
    /// `POST .../{segment}?delete=true` with the ids, in chunks.
    PostDelete,
    /// `DELETE .../{segment}/{id}`, one by one.
    DeleteEach,
}

/// `queue-members/<queue>`
pub(super) static QUEUE_MEMBERS: QueueLinks = QueueLinks {
    name: "queue-members",
    label: "members of queue",
    field: "members",
    target_kind: "user",
    segment: "members",
    add_query: &[("delete", "false")],
    page_size: 100,
    confirm: true,
    removal: Removal::PostDelete,
    // The SDK operation docs list both for reading members; the CX as Code provider
    // names `routing:queueMember:manage`: either is taken (unconfirmed which the
    // server requires for adding).
    permission: &["routing:queue:edit|routing:queueMember:manage"],
};

/// `queue-wrapupcodes/<queue>`
pub(super) static QUEUE_WRAPUP_CODES: QueueLinks = QueueLinks {
    name: "queue-wrapupcodes",
    label: "wrap-up codes of queue",
    field: "wrapupCodes",
    target_kind: "wrapupcode",
    segment: "wrapupcodes",
    add_query: &[],
    page_size: 100,
    confirm: false,
    removal: Removal::DeleteEach,
    // Editing the queue (provider docs; unconfirmed in the SDK operation docs).
    permission: &["routing:queue:edit"],
};

/// Take the user with `user_id` out of every queue of the org that has it as a member
/// (`POST .../members?delete=true`), before the user is deleted. Lists the queues and
/// each queue's members: one call per queue, meant for the rare user delete.
pub(super) async fn remove_user_from_every_queue(
    ctx: &Ctx,
    user_id: &str,
) -> Result<(), KindError> {
    let queues = ctx
        .client
        .list_pages("/api/v2/routing/queues", &[], super::PAGE_SIZE)
        .await?;
    for queue_id in queues.iter().filter_map(|q| str_field(q, "id")) {
        let members = QUEUE_MEMBERS.list(ctx, queue_id).await?;
        if members.iter().any(|m| str_field(m, "id") == Some(user_id)) {
            ctx.client
                .post_safe_query(
                    &QUEUE_MEMBERS.list_path(queue_id),
                    &[("delete", "true".to_string())],
                    &json!([{"id": user_id}]),
                )
                .await?;
        }
    }
    Ok(())
}

impl QueueLinks {
    fn list_path(&self, queue_id: &str) -> String {
        format!("/api/v2/routing/queues/{queue_id}/{}", self.segment)
    }

    /// The links of a queue, each as the `id` and `name` the views and removals read.
    async fn list(&self, ctx: &Ctx, queue_id: &str) -> Result<Vec<Value>, KindError> {
        let all = ctx
            .client
            .list_pages(&self.list_path(queue_id), &[], self.page_size)
            .await?;
        Ok(all
            .into_iter()
            .map(|item| super::keep_fields(item, &["id", "name"]))
            .collect())
    }

    /// The natural key an observed link is shown by (as in the observed view).
    fn key_of_link(&self, item: &Value, resolver: &Resolver) -> Option<String> {
        str_field(item, "id")
            .and_then(|id| resolver.name(self.target_kind, id))
            .or_else(|| str_field(item, "name").map(str::to_string))
    }

    fn missing(&self, spec: &Value, have: &Value) -> Vec<String> {
        items(spec)
            .into_iter()
            .filter(|k| have.get(norm_key(k)).is_none())
            .collect()
    }
}

impl Kind for QueueLinks {
    fn permissions(&self, _op: Op) -> &'static [&'static str] {
        self.permission
    }

    /// Checked in the queue's division.
    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        self.name
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn manifest_key(&self) -> Option<&'static str> {
        None
    }

    fn parent(&self) -> Option<&'static str> {
        Some("queue")
    }

    fn derive(&self, parent: &mut Declared) -> Option<Declared> {
        derive_sub(self.name, parent, self.field)
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        super::list_refs("queue", self.target_kind, spec)
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            let mut out = ObservedMap::new();
            for d in declared {
                if let Some(queue_id) = ctx.resolver.id("queue", &d.addr.key) {
                    out.insert(
                        d.addr.norm(),
                        Value::Array(self.list(ctx, &queue_id).await?),
                    );
                }
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let mut m = Map::new();
        for k in items(spec) {
            {
                m.insert(k, json!(true));
            }
        }
        Value::Object(m)
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut keys: Vec<String> = observed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                str_field(item, "id")
                    .and_then(|id| resolver.name(self.target_kind, id))
                    .or_else(|| str_field(item, "name").map(str::to_string))
            })
            .collect();
        keys.sort_by_key(|k| norm_key(k));
        Some(json!({ self.field: keys }))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let mut m = Map::new();
        for item in observed.as_array().into_iter().flatten() {
            if let Some(k) = self.key_of_link(item, resolver) {
                m.insert(norm_key(&k), json!(true));
            }
        }
        Value::Object(m)
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec = &target.declared.spec;
            let queue = target.declared.addr.key.as_str();
            let queue_id = ctx.resolver.require("queue", queue)?;
            let have = target.observed_view.cloned().unwrap_or_else(|| json!({}));
            let missing = self.missing(spec, &have);
            let mut ids = Vec::new();
            for k in &missing {
                ids.push(json!({"id": ctx.resolver.require(self.target_kind, k)?}));
            }
            let query: Vec<(&str, String)> = self
                .add_query
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect();
            for chunk in ids.chunks(CHUNK) {
                ctx.client
                    .post_safe_query(
                        &self.list_path(&queue_id),
                        &query,
                        &Value::Array(chunk.to_vec()),
                    )
                    .await?;
            }
            if self.confirm && !missing.is_empty() {
                let started = tokio::time::Instant::now();
                loop {
                    let now = Value::Array(self.list(ctx, &queue_id).await?);
                    let left = self.missing(spec, &self.observed_view(&now, &ctx.resolver));
                    if left.is_empty() {
                        break;
                    }
                    if started.elapsed() >= CONFIRM_WITHIN {
                        return Err(KindError::Other(format!(
                            "queue `{queue}`: {} added {} not visible after {}s: {}",
                            self.field,
                            if left.len() == 1 { "is" } else { "are" },
                            CONFIRM_WITHIN.as_secs(),
                            left.join(", ")
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            Ok(queue_id)
        })
    }

    fn removes_members(&self) -> bool {
        true
    }

    fn remove_members<'a>(
        &'a self,
        ctx: &'a Ctx,
        parent_key: &'a str,
        keys: &'a [String],
    ) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            let queue_id = ctx.resolver.require("queue", parent_key)?;
            let wanted: Vec<String> = keys.iter().map(|k| norm_key(k)).collect();
            // Re-read just before removing: only links still there are removed.
            let ids: Vec<String> = self
                .list(ctx, &queue_id)
                .await?
                .iter()
                .filter(|item| {
                    self.key_of_link(item, &ctx.resolver)
                        .is_some_and(|k| wanted.contains(&norm_key(&k)))
                })
                .filter_map(|item| str_field(item, "id").map(str::to_string))
                .collect();
            let path = self.list_path(&queue_id);
            match self.removal {
                Removal::PostDelete => {
                    for chunk in ids.chunks(CHUNK) {
                        let body: Vec<Value> = chunk.iter().map(|id| json!({"id": id})).collect();
                        ctx.client
                            .post_safe_query(
                                &path,
                                &[("delete", "true".to_string())],
                                &Value::Array(body),
                            )
                            .await?;
                    }
                }
                Removal::DeleteEach => {
                    for id in &ids {
                        super::delete_path(ctx, &format!("{path}/{id}")).await?;
                    }
                }
            }
            Ok(())
        })
    }
}
