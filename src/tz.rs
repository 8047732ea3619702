//! The IANA time zone names (zones and links) of the tz database genseed ships, embedded
//! once. Data, not logic: the client side validates manifests against it and the
//! emulator enforces it as the API does (it is part of the wire format: the names the
//! API accepts).

/// The list, one name a line; `#` lines are comments.
const TIME_ZONES: &str = include_str!("../assets/iana-time-zones.txt");

/// Every name, in file order.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    TIME_ZONES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// Whether `name` is an IANA time zone name, spelled exactly.
pub(crate) fn is_iana(name: &str) -> bool {
    names().any(|l| l == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_spelled_exactly() {
        assert!(super::is_iana("America/New_York"));
        assert!(!super::is_iana("america/new_york"));
        assert!(!super::is_iana("# comment"));
    }
}
