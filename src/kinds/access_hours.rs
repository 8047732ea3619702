//! Semantic checks of schedules and schedule groups: local date-times, RRULEs, IANA
//! time zones. Pure: no I/O.

use serde_json::Value;

use super::At;
use crate::diag::{Diagnostic, Diagnostics};

/// Is `tz` an IANA time zone name (exact spelling, as the API wants it)?
pub fn valid_time_zone(tz: &str) -> bool {
    crate::tz::is_iana(tz)
}

/// A schedule group's `timeZone` must be an IANA name.
pub(super) fn check_time_zone(spec: &Value, at: At<'_>, diags: &mut Diagnostics) {
    if let Some(tz) = spec.get("timeZone").and_then(Value::as_str)
        && !valid_time_zone(tz)
    {
        let near = crate::tz::names()
            .find(|l| l.eq_ignore_ascii_case(tz))
            .map(|l| format!("did you mean `{l}`? "))
            .unwrap_or_default();
        diags.push(
            Diagnostic::error(format!("`{tz}` is not an IANA time zone name"))
                .at(at("/timeZone"))
                .with_hint(format!(
                    "{near}use a tz database name such as America/New_York or Europe/Berlin"
                )),
        );
    }
}

/// A schedule's start/end local date-times and RRULE.
pub(super) fn check_schedule(spec: &Value, at: At<'_>, diags: &mut Diagnostics) {
    let mut times = Vec::new();
    for field in ["start", "end"] {
        let Some(s) = spec.get(field).and_then(Value::as_str) else {
            continue;
        };
        match parse_local(s) {
            Ok(t) => times.push(t),
            Err(why) => diags.push(
                Diagnostic::error(format!("{field} `{s}` is not a local date-time: {why}"))
                    .at(at(&format!("/{field}")))
                    .with_hint(
                        "write yyyy-MM-ddTHH:mm:ss.SSS without a zone, e.g. 2026-01-05T08:00:00.000",
                    ),
            ),
        }
    }
    if let [start, end] = times.as_slice()
        && end <= start
    {
        diags.push(
            Diagnostic::error("end is not after start")
                .at(at("/end"))
                .with_hint("start and end bound the first occurrence"),
        );
    }
    if let Some(rrule) = spec.get("rrule").and_then(Value::as_str) {
        let weekday = times
            .first()
            .filter(|_| spec.get("start").and_then(Value::as_str).is_some())
            .map(|t| t.weekday());
        for problem in check_rrule(rrule, weekday) {
            diags.push(
                Diagnostic::error(format!("invalid rrule: {problem}"))
                    .at(at("/rrule"))
                    .with_hint(
                        "an iCal RRULE without `RRULE:`, e.g. FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR or FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25",
                    ),
            );
        }
    }
}

/// A parsed `yyyy-MM-ddTHH:mm:ss.SSS`, ordered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

impl LocalTime {
    /// `MO`..`SU`.
    pub fn weekday(&self) -> &'static str {
        // Days since 1970-01-01 (a Thursday), Howard Hinnant's days_from_civil.
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        WEEKDAYS[(days + 3).rem_euclid(7) as usize]
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parse `yyyy-MM-ddTHH:mm:ss.SSS` (exactly; local time, no zone).
pub fn parse_local(s: &str) -> Result<LocalTime, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 23
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(
            if s.ends_with('Z') || s.get(19..).is_some_and(|t| t.contains(['+', '-'])) {
                "it has a time zone".into()
            } else {
                "expected the form yyyy-MM-ddTHH:mm:ss.SSS".into()
            },
        );
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().expect("digits");
    let t = LocalTime {
        year: i64::from(n(0..4)),
        month: n(5..7),
        day: n(8..10),
        hour: n(11..13),
        minute: n(14..16),
        second: n(17..19),
        milli: n(20..23),
    };
    if !(1..=12).contains(&t.month) {
        return Err(format!("month {} is not 1-12", t.month));
    }
    if t.day == 0 || t.day > days_in_month(t.year, t.month) {
        return Err(format!("day {} does not exist in that month", t.day));
    }
    if t.hour > 23 || t.minute > 59 || t.second > 59 {
        return Err("the time of day is out of range".into());
    }
    Ok(t)
}

/// Problems of an RRULE body (no `RRULE:` prefix). `start_weekday`: the weekday of the
/// schedule's start, which BYDAY must include when given.
pub fn check_rrule(rrule: &str, start_weekday: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if rrule.trim().is_empty() {
        return vec!["it is empty".into()];
    }
    if rrule.starts_with("RRULE:") {
        out.push("leave out the `RRULE:` prefix".into());
    }
    let body = rrule.strip_prefix("RRULE:").unwrap_or(rrule);
    let mut seen: Vec<&str> = Vec::new();
    for part in body.split(';') {
        let Some((key, value)) = part.split_once('=') else {
            out.push(format!("`{part}` is not KEY=VALUE"));
            continue;
        };
        if seen.contains(&key) {
            out.push(format!("{key} is given twice"));
        }
        seen.push(key);
        check_part(&mut out, key, value, start_weekday);
    }
    if !seen.contains(&"FREQ") {
        out.push("FREQ is required".into());
    }
    if seen.contains(&"COUNT") && seen.contains(&"UNTIL") {
        out.push("COUNT and UNTIL exclude each other".into());
    }
    out
}

/// Problems of one `KEY=VALUE` part of an RRULE.
fn check_part(out: &mut Vec<String>, key: &str, value: &str, start_weekday: Option<&str>) {
    let list = || value.split(',').collect::<Vec<_>>();
    match key {
        "FREQ" => {
            const FREQS: &[&str] = &[
                "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
            ];
            if !FREQS.contains(&value) {
                out.push(format!(
                    "FREQ `{value}` is not one of {} (upper case)",
                    FREQS.join(", ")
                ));
            }
        }
        "INTERVAL" | "COUNT" => {
            if value.is_empty()
                || !value.bytes().all(|c| c.is_ascii_digit())
                || value.starts_with('0')
            {
                out.push(format!(
                    "{key} `{value}` is not a positive whole number without leading zeros"
                ));
            }
        }
        "UNTIL" => {
            let digits = value.trim_end_matches('Z').replace('T', "");
            if !(digits.len() == 8 || digits.len() == 14)
                || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                out.push(format!(
                    "UNTIL `{value}` is not yyyyMMdd or yyyyMMddTHHmmss"
                ));
            }
        }
        "BYMONTH" => range_list(out, key, &list(), 1, 12, false),
        "BYMONTHDAY" => range_list(out, key, &list(), 1, 31, true),
        "BYYEARDAY" | "BYSETPOS" => range_list(out, key, &list(), 1, 366, true),
        "BYWEEKNO" => range_list(out, key, &list(), 1, 53, true),
        "BYHOUR" => range_list(out, key, &list(), 0, 23, false),
        "BYMINUTE" => range_list(out, key, &list(), 0, 59, false),
        "BYSECOND" => range_list(out, key, &list(), 0, 60, false),
        "WKST" => {
            if !WEEKDAYS.contains(&value) {
                out.push(format!(
                    "WKST `{value}` is not one of {}",
                    WEEKDAYS.join(", ")
                ));
            }
        }
        "BYDAY" => check_byday(out, value, start_weekday),
        other => out.push(format!(
            "`{other}` is not an RRULE part (keys are upper case)"
        )),
    }
}

/// Problems of a BYDAY list: each an optional ordinal and a weekday; the start's weekday
/// must be among them.
fn check_byday(out: &mut Vec<String>, value: &str, start_weekday: Option<&str>) {
    let mut days = Vec::new();
    for d in value.split(',') {
        let day = d.get(d.len().saturating_sub(2)..).unwrap_or("");
        let ord = &d[..d.len() - day.len()];
        let ord_digits = ord.trim_start_matches(['+', '-']);
        let ord_ok = ord.is_empty()
            || (!ord_digits.is_empty()
                && ord_digits.bytes().all(|c| c.is_ascii_digit())
                && (1..=53).contains(&ord_digits.parse::<u32>().unwrap_or(0)));
        if !WEEKDAYS.contains(&day) || !ord_ok {
            out.push(format!(
                "BYDAY `{d}` is not a weekday (MO, TU, WE, TH, FR, SA, SU)"
            ));
        } else {
            days.push(day);
        }
    }
    if let Some(wd) = start_weekday
        && !days.is_empty()
        && !days.contains(&wd)
    {
        out.push(format!(
            "start falls on {wd}, which BYDAY ({value}) does not include"
        ));
    }
}

fn range_list(out: &mut Vec<String>, key: &str, items: &[&str], lo: i64, hi: i64, neg: bool) {
    for item in items {
        let ok = item.parse::<i64>().ok().is_some_and(|n| {
            !item.starts_with('+') && ((lo..=hi).contains(&n) || (neg && (-hi..=-lo).contains(&n)))
        });
        if !ok {
            let range = if neg {
                format!("{lo}..{hi} or -{hi}..-{lo}")
            } else {
                format!("{lo}..{hi}")
            };
            out.push(format!("{key} `{item}` is outside {range}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_and_weekdays() {
        assert_eq!(
            parse_local("2026-01-05T08:00:00.000").unwrap().weekday(),
            "MO"
        );
        assert_eq!(
            parse_local("2026-12-25T00:00:00.000").unwrap().weekday(),
            "FR"
        );
        assert_eq!(
            parse_local("2024-02-29T00:00:00.000").unwrap().weekday(),
            "TH"
        );
        assert!(parse_local("2025-02-29T00:00:00.000").is_err());
        assert!(parse_local("2026-01-05T08:00:00").is_err());
        assert!(
            parse_local("2026-01-05T08:00:00.000Z")
                .unwrap_err()
                .contains("zone")
        );
        assert!(parse_local("2026-13-05T08:00:00.000").is_err());
        assert!(parse_local("2026-01-05T24:00:00.000").is_err());
    }

    #[test]
    fn rrules() {
        assert!(check_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", Some("MO")).is_empty());
        assert!(check_rrule("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", Some("FR")).is_empty());
        assert!(check_rrule("FREQ=DAILY;INTERVAL=1", None).is_empty());
        assert!(check_rrule("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12", None).is_empty());
        assert!(check_rrule("FREQ=MONTHLY;BYDAY=+1MO,-1FR", Some("MO")).is_empty());
        for (bad, why) in [
            ("FREQ=weekly", "FREQ `weekly`"),
            ("FREQ=FORTNIGHTLY", "FREQ `FORTNIGHTLY`"),
            ("FREQ=DAILY;INTERVAL=0", "INTERVAL `0`"),
            ("FREQ=DAILY;INTERVAL=01", "INTERVAL `01`"),
            ("FREQ=DAILY;INTERVAL=-2", "INTERVAL `-2`"),
            ("FREQ=YEARLY;BYMONTH=13", "BYMONTH `13`"),
            ("FREQ=YEARLY;BYMONTHDAY=32", "BYMONTHDAY `32`"),
            ("FREQ=YEARLY;BYMONTHDAY=0", "BYMONTHDAY `0`"),
            ("FREQ=WEEKLY;BYDAY=TU,WE", "start falls on MO"),
            ("FREQ=WEEKLY;BYDAY=XX", "BYDAY `XX`"),
            ("BYDAY=MO", "FREQ is required"),
            ("FREQ=DAILY;freq=DAILY", "`freq`"),
            ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "exclude"),
        ] {
            let problems = check_rrule(bad, Some("MO"));
            assert!(
                problems.iter().any(|p| p.contains(why)),
                "{bad}: {problems:?}"
            );
        }
    }

    #[test]
    fn time_zones() {
        assert!(valid_time_zone("America/New_York"));
        assert!(valid_time_zone("Asia/Singapore"));
        assert!(valid_time_zone("UTC"));
        assert!(!valid_time_zone("America/Springfield"));
        assert!(!valid_time_zone("america/new_york"));
        assert!(!valid_time_zone("# IANA"));
    }
}
