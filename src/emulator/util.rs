//! Small helpers with no state: deterministic UUIDs, ISO-8601 timestamps, string matching
//! and the query-string parser.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UUID-v4-formatted id derived from `(seed, counter)`; deterministic.
pub(super) fn uuid_from(seed: u64, counter: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    uuid_from_rng(&mut rng)
}

/// A UUID-v4-formatted id drawn from `rng`.
pub(super) fn uuid_from_rng(rng: &mut fastrand::Rng) -> String {
    let a = rng.u64(..);
    let b = rng.u64(..);
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Is `s` shaped like a UUID (8-4-4-4-12 hex)?
pub(super) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `SystemTime` → `2024-05-01T12:34:56.789Z`.
pub(super) fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Current wall-clock time as ISO-8601.
pub(super) fn now_iso() -> String {
    iso8601(SystemTime::now())
}

/// Parsed query string: ordered `(key, value)` pairs, percent-decoded.
#[derive(Debug, Clone, Default)]
pub(super) struct Query(pub Vec<(String, String)>);

impl Query {
    pub(super) fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query(pairs)
    }

    /// First value of `key` (case-sensitive like the real API's parameter names).
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a list parameter, accepting both `k=a,b` and `k=a&k=b`.
    pub(super) fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A boolean parameter (`true`/`false`); other values → 400.
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, super::error::ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(super::error::ApiError::bad_param(key, v)),
        }
    }

    /// Re-encode, skipping `skip` keys (used to build paging URIs).
    pub(super) fn encode_without(&self, skip: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect()
    }
}

/// Percent-decode (also `+` → space).
pub(super) fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encode a query component.
pub(super) fn encode(s: &str) -> String {
    let mut out = String::new();
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.~*,".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// `s` with a capital first letter: a collection's word in messages (`skill group` →
/// `Skill group`), an enum field's type name (`mode` → `Mode`).
pub(super) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Case-insensitive equality.
pub(super) fn ieq(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_uuids() {
        let a = uuid_from(1, 1);
        assert_eq!(a, uuid_from(1, 1));
        assert_ne!(a, uuid_from(1, 2));
        assert_ne!(a, uuid_from(2, 1));
        assert!(is_uuid(&a), "{a}");
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn formats_time() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn query_lists() {
        let q = Query::parse("id=a,b&id=c&name=x%20y+z&e=%zz");
        assert_eq!(q.list("id"), vec!["a", "b", "c"]);
        assert_eq!(q.get("name"), Some("x y z"));
        assert_eq!(q.get("e"), Some("%zz"));
    }
}
