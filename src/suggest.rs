//! "Did you mean …?": the closest known name to a mistyped one.
//!
//! Used wherever genseed meets a name it does not know (an `--only` selector, an
//! environment, a reference or a field in a manifest). The metric is the
//! Damerau–Levenshtein distance (strsim), which counts a transposition (`titel` →
//! `title`) as one edit, compared case-insensitively. A candidate is suggested only
//! when it is close enough that the typo is the likely explanation: at most one edit
//! per three characters of the longer name (at least one edit), so `Biling` finds
//! `Billing` but `abc` does not find `xyz`. Pure: no I/O, knows no kinds.

/// The candidate closest to `input`, if one is close enough to be a likely typo.
/// Ties go to the first candidate given; an exact (case-insensitive) match is never
/// "suggested" (the caller would not be asking).
pub(crate) fn did_you_mean<S: AsRef<str>>(
    input: &str,
    candidates: impl IntoIterator<Item = S>,
) -> Option<String> {
    let wanted = input.trim().to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        let c = c.as_ref();
        let lower = c.to_lowercase();
        if lower == wanted {
            return None;
        }
        let distance = strsim::damerau_levenshtein(&wanted, &lower);
        let longer = wanted.chars().count().max(lower.chars().count());
        if distance > (longer / 3).max(1) {
            continue;
        }
        if best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, c.to_string()));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `X`?` for a hint line, or `None` when nothing is close.
pub(crate) fn hint<S: AsRef<str>>(
    input: &str,
    candidates: impl IntoIterator<Item = S>,
) -> Option<String> {
    did_you_mean(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &[
        "Billing",
        "Escalated",
        "Bootstrap Division",
        "Home",
        "Support",
    ];

    #[test]
    fn the_typos_users_make_find_their_names() {
        assert_eq!(did_you_mean("Biling", NAMES).as_deref(), Some("Billing"));
        assert_eq!(
            did_you_mean("Escalatd", NAMES).as_deref(),
            Some("Escalated")
        );
        assert_eq!(
            did_you_mean("Bootstrap Divison", NAMES).as_deref(),
            Some("Bootstrap Division")
        );
        // Transpositions count as one edit.
        assert_eq!(
            did_you_mean("titel", ["name", "title", "description"]).as_deref(),
            Some("title")
        );
        assert_eq!(
            did_you_mean("triggr", ["core", "integrations", "trigger", "triggers"]).as_deref(),
            Some("trigger")
        );
    }

    #[test]
    fn case_is_ignored_and_the_candidates_spelling_is_kept() {
        assert_eq!(did_you_mean("biling", NAMES).as_deref(), Some("Billing"));
        assert_eq!(did_you_mean("SUPORT", NAMES).as_deref(), Some("Support"));
    }

    #[test]
    fn distant_names_get_no_suggestion() {
        assert_eq!(did_you_mean("xyz", NAMES), None);
        assert_eq!(did_you_mean("Payroll", NAMES), None);
        assert_eq!(did_you_mean("", NAMES), None);
        // Two edits in a four-letter word is a different word, not a typo.
        assert_eq!(did_you_mean("Hxmx", NAMES), None);
    }

    #[test]
    fn an_exact_match_is_not_a_suggestion() {
        assert_eq!(did_you_mean("home", NAMES), None);
    }

    #[test]
    fn the_closest_wins_and_ties_keep_the_first() {
        assert_eq!(
            did_you_mean("queue", ["queues", "queue-members", "queue"]).as_deref(),
            None
        );
        assert_eq!(
            did_you_mean("queus", ["queue-members", "queues", "queue"]).as_deref(),
            Some("queues")
        );
        assert_eq!(
            hint("Biling", NAMES).as_deref(),
            Some("did you mean `Billing`?")
        );
    }
}
