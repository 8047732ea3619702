//! Listing shapes (§2.2): page-number listings with totals, the queue-members listing
//! without totals, cursor listings, and the `pageSize`/`pageNumber` parameter rules.
//! [`Listing::reply`] answers a list of entities in one of these shapes.

use std::borrow::Borrow;

use serde_json::{Value, json};

use super::error::ApiError;
use super::routes::{Reply, Rq};
use super::util::Query;

/// Default page size of every page-number listing.
pub const DEFAULT_PAGE_SIZE: usize = 25;
/// Maximum page size of page-number listings (commonly assumed 500; unconfirmed).
pub const MAX_PAGE_SIZE: usize = 500;

/// The listing shape (§2.2).
#[derive(Debug, Clone, Copy)]
pub(super) enum Listing {
    /// Page-number listing up to `max` per page; `sort_order` honours `sortOrder`;
    /// `totals` gives `total`, `pageCount` and `lastUri` (the queue-members listing has
    /// none); `total_entities` adds `totalNumberOfEntities`.
    Page {
        max: usize,
        sort_order: bool,
        totals: bool,
        total_entities: bool,
    },
    /// Cursor listing up to `max` per page; `keep` are the filters repeated in its URIs.
    Cursor {
        max: usize,
        keep: &'static [&'static str],
    },
}

impl Listing {
    /// A page listing with totals, not honouring `sortOrder`.
    pub(super) const PAGE: Listing = Listing::Page {
        max: MAX_PAGE_SIZE,
        sort_order: false,
        totals: true,
        total_entities: false,
    };
    /// A page listing with totals, honouring `sortOrder`.
    pub(super) const SORTED_PAGE: Listing = Listing::Page {
        max: MAX_PAGE_SIZE,
        sort_order: true,
        totals: true,
        total_entities: false,
    };

    /// Answer `items` (filtered and sorted) as one page of this shape for request `rq`;
    /// only the items of the page are rendered (`render`), so a listing costs its page.
    pub(super) fn reply<T>(
        self,
        rq: &Rq,
        mut items: Vec<T>,
        render: impl FnMut(T) -> Value,
    ) -> Result<Reply, ApiError> {
        match self {
            Listing::Page {
                max,
                sort_order,
                totals,
                total_entities,
            } => {
                let p = page(&rq.q, max)?;
                if sort_order {
                    apply_sort_order(&rq.q, &mut items)?;
                }
                let total = items.len();
                let mut l = paged(&rq.path, &rq.q, items, p, totals, render);
                if total_entities {
                    l["totalNumberOfEntities"] = json!(total);
                }
                Ok(Reply::json(l))
            }
            Listing::Cursor { max, keep } => {
                let keep: Vec<(&str, String)> = keep
                    .iter()
                    .filter_map(|k| rq.q.get(k).map(|v| (*k, v.to_string())))
                    .collect();
                let l = cursor_listing(&rq.path, &rq.q, items, max, &keep, render)?;
                Ok(Reply::json(l))
            }
        }
    }
}

/// Requested page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    pub size: usize,
    pub number: usize,
}

/// Parse `pageSize`/`pageNumber`; above `max` or below 1 → 400 `invalid.query.param.value`.
pub(super) fn page(q: &Query, max: usize) -> Result<Page, ApiError> {
    let num = |key: &str, default: usize| -> Result<usize, ApiError> {
        match q.get(key) {
            None | Some("") => Ok(default),
            Some(v) => (v.parse::<usize>().ok().filter(|n| *n >= 1))
                .ok_or_else(|| ApiError::bad_param(key, v)),
        }
    };
    let size = num("pageSize", DEFAULT_PAGE_SIZE)?;
    if size > max {
        // Behaviour above the maximum is unconfirmed; the emulator refuses.
        return Err(ApiError::invalid_query(format!(
            "Value [{size}] is not valid for query parameter [pageSize]; the maximum is {max}"
        )));
    }
    Ok(Page {
        size,
        number: num("pageNumber", 1)?,
    })
}

fn uri(path: &str, q: &Query, size: usize, number: usize) -> String {
    let mut parts = vec![format!("pageSize={size}"), format!("pageNumber={number}")];
    parts.extend(q.encode_without(&["pageSize", "pageNumber"]));
    format!("{path}?{}", parts.join("&"))
}

/// A page-number listing with all URIs (`nextUri` absent on the last page;
/// `previousUri` absent on the first) and, with `totals`, `total`, `pageCount` and
/// `lastUri`. Only the items of the page are rendered.
pub(super) fn paged<T>(
    path: &str,
    q: &Query,
    items: Vec<T>,
    p: Page,
    totals: bool,
    render: impl FnMut(T) -> Value,
) -> Value {
    let total = items.len();
    let page_count = total.div_ceil(p.size);
    let entities: Vec<Value> = items
        .into_iter()
        .skip((p.number - 1) * p.size)
        .take(p.size)
        .map(render)
        .collect();
    let mut m = json!({"entities": entities, "pageSize": p.size, "pageNumber": p.number});
    if totals {
        m["total"] = json!(total);
        m["pageCount"] = json!(page_count);
    }
    m["firstUri"] = json!(uri(path, q, p.size, 1));
    m["selfUri"] = json!(uri(path, q, p.size, p.number));
    if p.number < page_count {
        m["nextUri"] = json!(uri(path, q, p.size, p.number + 1));
    }
    if p.number > 1 {
        m["previousUri"] = json!(uri(path, q, p.size, p.number - 1));
    }
    if totals {
        m["lastUri"] = json!(uri(path, q, p.size, page_count.max(1)));
    }
    m
}

/// Sort entities (or references to them) by `name` (case-insensitive), then id; stable.
pub(super) fn sort_by_name<T: Borrow<Value>>(items: &mut [T]) {
    items.sort_by_cached_key(|v| {
        let v = v.borrow();
        let id = v["id"].as_str().unwrap_or_default().to_string();
        (v["name"].as_str().unwrap_or_default().to_lowercase(), id)
    });
}

/// Apply `sortOrder` (ascending default; `desc`/`descending` reverses).
pub(super) fn apply_sort_order<T>(q: &Query, items: &mut [T]) -> Result<(), ApiError> {
    match q.get("sortOrder").map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") | Some("ascending") => Ok(()),
        Some("desc") | Some("descending") => {
            items.reverse();
            Ok(())
        }
        Some(v) => Err(ApiError::bad_param("sortOrder", v)),
    }
}

/// One page of a cursor listing (§2.2: skill groups, triggers, `divisions/query`):
/// `entities`, `selfUri`, and `nextUri`/`previousUri` carrying opaque `after`/`before`
/// cursors; no totals. `pageSize` defaults to 25 and may not exceed `max`. `keep` are
/// the request's filters, repeated in the URIs.
fn cursor_listing<T>(
    path: &str,
    q: &Query,
    items: Vec<T>,
    max: usize,
    keep: &[(&str, String)],
    render: impl FnMut(T) -> Value,
) -> Result<Value, ApiError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let size = match q.get("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::bad_param("pageSize", v))?,
    };
    let parse = |c: &str| {
        b64.decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.strip_prefix("offset:")
                    .and_then(|n| n.parse::<usize>().ok())
            })
            .ok_or_else(|| ApiError::invalid_query(format!("Value [{c}] is not a valid cursor")))
    };
    let start = match (q.get("after"), q.get("before")) {
        (Some(a), _) => parse(a)?,
        (None, Some(b)) => parse(b)?.saturating_sub(size),
        (None, None) => 0,
    };
    let total = items.len();
    let entities: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(size)
        .map(render)
        .collect();
    let mut base = vec![format!("pageSize={size}")];
    base.extend(
        keep.iter()
            .map(|(k, v)| format!("{k}={}", super::util::encode(v))),
    );
    let base = base.join("&");
    let cursor = |offset: usize| b64.encode(format!("offset:{offset}"));
    let mut out = json!({"entities": entities, "selfUri": format!("{path}?{base}")});
    if start + size < total {
        out["nextUri"] = json!(format!("{path}?{base}&after={}", cursor(start + size)));
    }
    if start > 0 {
        out["previousUri"] = json!(format!("{path}?{base}&before={}", cursor(start)));
    }
    Ok(out)
}
