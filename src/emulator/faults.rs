//! Scripted faults: the [`FaultRule`] type, its YAML loader ([`load_faults`]) and the
//! matcher that decides, per request, the added latency and the injected outcome.
//! Owns no org data; the pipeline in `server.rs` applies the decisions.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// Which requests a rule applies to. Both parts optional; absent = any.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultMatch {
    /// HTTP method, case-insensitive.
    #[serde(default)]
    pub method: Option<String>,
    /// Exact path (case-insensitive) or a glob where `*` matches any run of characters.
    #[serde(default)]
    pub path: Option<String>,
}

/// One scripted fault. See the module docs of `emulator` for the YAML format.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultRule {
    #[serde(rename = "match", default)]
    /// Which requests the rule applies to.
    pub matcher: FaultMatch,
    /// Answer this HTTP status (with the standard error body).
    #[serde(default)]
    pub status: Option<u16>,
    /// Fire with this probability (seeded RNG).
    #[serde(default)]
    pub probability: Option<f64>,
    /// Fire only for the first N matching requests.
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply the request first, then answer the fault status (a lost response).
    #[serde(default)]
    pub after_commit: bool,
    /// Extra latency for every matching request (independent of firing).
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Answer 202 + `Location` of a task that completes after `polls` GETs.
    #[serde(default)]
    pub accepted: bool,
    /// Polls before an accepted task completes (default 2).
    #[serde(default)]
    pub polls: Option<u32>,
}

impl FaultRule {
    /// A rule answering `status` for requests matching `method` (None = any) and `path`.
    pub fn status(method: Option<&str>, path: &str, status: u16) -> Self {
        FaultRule {
            matcher: FaultMatch {
                method: method.map(str::to_string),
                path: Some(path.to_string()),
            },
            status: Some(status),
            ..Default::default()
        }
    }

    /// Does this rule select the request (method, path)?
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.matcher.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        match &self.matcher.path {
            None => true,
            Some(p) => glob_match(&p.to_ascii_lowercase(), &path.to_ascii_lowercase()),
        }
    }

    /// Does this rule carry an outcome (status or accepted), not just latency?
    pub fn has_outcome(&self) -> bool {
        self.status.is_some() || self.accepted
    }

    /// Extra latency.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.unwrap_or(0))
    }

    fn validate(&self, i: usize) -> Result<(), String> {
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("fault #{i}: probability must be within 0..1"));
        }
        if self.probability.is_some() && self.times.is_some() {
            return Err(format!("fault #{i}: use either probability or times"));
        }
        if let Some(s) = self.status
            && !(100..=599).contains(&s)
        {
            return Err(format!("fault #{i}: status {s} is not an HTTP status"));
        }
        if self.accepted && self.status.is_some() {
            return Err(format!(
                "fault #{i}: accepted and status exclude each other"
            ));
        }
        if !self.has_outcome() && self.latency_ms.is_none() {
            return Err(format!("fault #{i}: needs status, accepted or latencyMs"));
        }
        Ok(())
    }
}

/// Load fault rules from a YAML file: a sequence of [`FaultRule`] maps. Unknown keys are
/// errors.
pub fn load_faults(path: &Path) -> Result<Vec<FaultRule>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_faults(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parse fault rules from YAML text.
pub fn parse_faults(text: &str) -> Result<Vec<FaultRule>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let rules: Vec<FaultRule> = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    for (i, r) in rules.iter().enumerate() {
        r.validate(i + 1)?;
    }
    Ok(rules)
}

/// Glob match where `*` matches any (possibly empty) run of characters.
pub(super) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What the faults decided for one request.
#[derive(Debug, Clone, Default)]
pub(super) struct FaultDecision {
    pub latency: Duration,
    /// Index of the rule that fired, if any.
    pub fired: Option<usize>,
}

/// Per-run fault state: hit counters and the seeded RNG.
#[derive(Debug)]
pub(super) struct FaultEngine {
    pub rules: Vec<FaultRule>,
    hits: Vec<u32>,
    rng: fastrand::Rng,
}

impl FaultEngine {
    pub(super) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        let hits = vec![0; rules.len()];
        FaultEngine {
            rules,
            hits,
            rng: fastrand::Rng::with_seed(seed ^ 0xfa17_fa17_fa17_fa17),
        }
    }

    /// Decide latency and the firing rule for a request.
    pub(super) fn decide(&mut self, method: &str, path: &str) -> FaultDecision {
        let mut d = FaultDecision::default();
        for (i, r) in self.rules.iter().enumerate() {
            if !r.matches(method, path) {
                continue;
            }
            d.latency += r.latency();
            if !r.has_outcome() || d.fired.is_some() {
                continue;
            }
            self.hits[i] += 1;
            let fire = match (r.times, r.probability) {
                (Some(n), _) => self.hits[i] <= n,
                (None, Some(p)) => self.rng.f64() < p,
                (None, None) => true,
            };
            if fire {
                d.fired = Some(i);
            }
        }
        d
    }
}
