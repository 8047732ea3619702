//! The target-URL preflight: before the first write of an apply (and in `plan` unless
//! `--offline`), every data action's target URL is probed, so seeding does not wire
//! Genesys to a host that cannot be reached.
//!
//! The URL is the `requestUrlTemplate` up to its first Velocity placeholder (`${…}` or
//! `$!{…}`): scheme, host, port and the literal path. A probe is a `HEAD`, then a `GET`
//! when the server answers 405 or 501. Any HTTP answer counts as reachable; a
//! connection failure, a timeout or a TLS failure (certificates are verified) does not.
//! Knows nothing of kinds or the org.

use std::time::Duration;

use serde_json::Value;

/// A URL that failed its probe.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unreachable {
    /// The object that names it (e.g. `data-action/Notify CRM`).
    pub owner: String,
    /// The URL probed.
    pub url: String,
    /// Why it failed.
    pub reason: String,
}

/// The probe-able part of a URL template: up to the first Velocity placeholder.
pub(crate) fn probe_url(template: &str) -> &str {
    let cut = ["${", "$!{"]
        .iter()
        .filter_map(|m| template.find(m))
        .min()
        .unwrap_or(template.len());
    &template[..cut]
}

/// The URL template of a data action's `config` (`request.requestUrlTemplate`).
pub(crate) fn url_template(config: &Value) -> Option<&str> {
    config
        .pointer("/request/requestUrlTemplate")
        .and_then(Value::as_str)
}

/// Probe every `(owner, url template)`; return the failures, all of them.
pub(crate) async fn check(targets: &[(String, String)], timeout: Duration) -> Vec<Unreachable> {
    let client = match reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "genseed/",
            env!("CARGO_PKG_VERSION"),
            " (url preflight)"
        ))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return targets
                .iter()
                .map(|(owner, url)| Unreachable {
                    owner: owner.clone(),
                    url: url.clone(),
                    reason: format!("cannot build an HTTP client: {e}"),
                })
                .collect();
        }
    };
    let probes = targets.iter().cloned().map(|(owner, template)| {
        let client = client.clone();
        async move {
            let url = probe_url(&template).to_string();
            probe(&client, &url)
                .await
                .err()
                .map(|reason| Unreachable { owner, url, reason })
        }
    });
    let mut out: Vec<Unreachable> = futures_join(probes).await.into_iter().flatten().collect();
    out.sort_by(|a, b| (&a.owner, &a.url).cmp(&(&b.owner, &b.url)));
    out
}

async fn futures_join<F>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, f) in futs.enumerate() {
        set.spawn(async move { (i, f.await) });
    }
    let mut out: Vec<(usize, F::Output)> = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

/// Probe one URL: `Ok(status)` when an HTTP server answered.
pub(crate) async fn probe(client: &reqwest::Client, url: &str) -> Result<u16, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err("not an http(s) URL with a host".into());
    }
    let status = match client.head(parsed.clone()).send().await {
        Ok(r) => r.status().as_u16(),
        Err(e) => return Err(describe(&e)),
    };
    if status == 405 || status == 501 {
        return client
            .get(parsed)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| describe(&e));
    }
    Ok(status)
}

/// A transport error in words, with the innermost cause (certificate problems show there).
fn describe(e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let all = causes.join(": ").to_lowercase();
    let tls = if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        " (TLS: the server's certificate is not trusted)"
    } else {
        ""
    };
    match causes.last() {
        Some(c) => format!("{what}{tls}: {c}"),
        None => format!("{what}{tls}: {e}"),
    }
}

/// The failures as one message listing them all.
pub(crate) fn render(failures: &[Unreachable]) -> String {
    let mut out = format!(
        "{} target URL{} cannot be reached:\n",
        failures.len(),
        if failures.len() == 1 { "" } else { "s" }
    );
    for f in failures {
        out.push_str(&format!("  {}: {}: {}\n", f.owner, f.url, f.reason));
    }
    out.push_str(
        "hint: start the target systems (or fix the URL / the environment's `vars:`), or pass --skip-url-check to seed placeholders on purpose",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_url_stops_at_velocity() {
        assert_eq!(
            probe_url("https://crm.example.com/events/${input.id}?x=1"),
            "https://crm.example.com/events/"
        );
        assert_eq!(probe_url("https://h/a/$!{input.x}"), "https://h/a/");
        assert_eq!(probe_url("https://h/a"), "https://h/a");
    }
}
