//! The org: [`OrgData`] (everything persisted, i.e. the data-file / dump format) and
//! [`Emu`] (OrgData plus run-time state: tokens, limiters, consistency clocks, the request
//! log, fault counters, accepted tasks, the data file's journal). Also the reading of a
//! data file and the seeding of a fresh org (organization, home division, built-in roles).
//! Each collection is a [`Table`], which notes the rows a request changes, so that
//! [`Emu::persist`] records only those (`journal.rs`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::EmulatorConfig;
use super::error::{ApiError, EmulatorError};
use super::faults::FaultEngine;
use super::journal::{self, Journal, Rows};
use super::table::Table;
use super::util::{now_iso, uuid_from, uuid_from_rng};

/// Current data-file format version.
pub(super) const FORMAT_VERSION: u32 = 1;

/// A queue membership.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberRec {
    pub user_id: String,
    pub ring_number: i64,
    pub joined: bool,
}

/// A role grant on a subject.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GrantRec {
    pub role_id: String,
    pub division_id: String,
    pub grant_made_at: String,
}

/// The whole org. Entities are stored as their wire JSON (read shape) keyed by id;
/// `division` is stored as `{id}` and expanded on read. This is also the data-file format.
/// A new collection is a `Table` field here and a line in [`OrgData::tables_mut`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrgData {
    /// The data file format version.
    pub format_version: u32,
    /// Counter behind the deterministic ids.
    pub next_id: u64,
    /// The org (`GET /api/v2/organizations/me`).
    pub organization: Value,
    /// Divisions by id.
    pub divisions: Table<Value>,
    /// Roles by id.
    pub roles: Table<Value>,
    /// Routing skills by id.
    pub skills: Table<Value>,
    /// Routing languages by id.
    pub languages: Table<Value>,
    /// Wrap-up codes by id.
    pub wrapup_codes: Table<Value>,
    /// Users by id (deleted ones kept, soft delete).
    pub users: Table<Value>,
    /// Queues by id.
    pub queues: Table<Value>,
    /// Schedules by id.
    pub schedules: Table<Value>,
    /// Schedule groups by id.
    pub schedule_groups: Table<Value>,
    /// Skill groups by id.
    pub skill_groups: Table<Value>,
    /// user id → skill id → proficiency.
    pub user_skills: Table<BTreeMap<String, f64>>,
    /// user id → language id → proficiency.
    pub user_languages: Table<BTreeMap<String, f64>>,
    /// queue id → members in insertion order.
    pub queue_members: Table<Vec<MemberRec>>,
    /// queue id → wrap-up code ids in insertion order.
    pub queue_wrapup_codes: Table<Vec<String>>,
    /// subject id → grants.
    pub grants: Table<Vec<GrantRec>>,
    /// Integrations (with their `config.current` and private activation fields).
    pub integrations: Table<Value>,
    /// Integration credentials (fields kept, never read back).
    pub integration_credentials: Table<Value>,
    /// Data actions.
    pub actions: Table<Value>,
    /// Process-automation triggers.
    pub triggers: Table<Value>,
    /// Architect flows (read-only stubs; pre-seeded with a workflow).
    pub flows: Table<Value>,
    /// Groups (`/api/v2/groups`).
    pub groups: Table<Value>,
    /// group id → member user ids in insertion order.
    pub group_members: Table<Vec<String>>,
    /// OAuth clients by lower-cased id (`routes/oauth.rs`; the one `/oauth/token`
    /// accepts is added on start, see `authz::seed`).
    pub oauth_clients: Table<Value>,
}

impl OrgData {
    /// A fresh org: organization, home division "Home", built-in roles.
    pub fn fresh(seed: u64) -> Self {
        let mut d = OrgData {
            format_version: FORMAT_VERSION,
            ..Default::default()
        };
        let org_id = d.new_id(seed);
        d.organization = json!({
            "id": org_id,
            "name": "Genseed Local",
            "defaultLanguage": "en-us",
            "defaultCountryCode": "US",
            "thirdPartyOrgName": "genseed-local",
            "domain": "genseed-local",
            "version": 1,
            "state": "active",
            "voicemailEnabled": true,
            "productPlatform": "PureCloud",
            "features": {},
            "selfUri": format!("/api/v2/organizations/{org_id}"),
        });
        let home = d.new_id(seed);
        d.divisions.insert(
            home.clone(),
            json!({"id": home, "name": "Home", "description": "Home Division", "homeDivision": true,
                   "selfUri": format!("/api/v2/authorization/divisions/{home}")}),
        );
        for (default_id, name, desc, perms) in [
            (
                "employee",
                "employee",
                "Employee Role",
                vec!["directory:user:view"],
            ),
            ("admin", "admin", "Master Admin", vec!["*:*:*"]),
        ] {
            let id = d.new_id(seed);
            d.roles.insert(
                id.clone(),
                json!({"id": id, "name": name, "description": desc, "defaultRoleId": default_id,
                       "permissions": perms, "permissionPolicies": [], "default": true, "base": false,
                       "selfUri": format!("/api/v2/authorization/roles/{id}")}),
            );
        }
        seed_flows(&mut d, seed);
        d
    }

    /// Every table with its name in the data file, for the journal.
    pub(super) fn tables_mut(&mut self) -> [(&'static str, &mut dyn Rows); 23] {
        [
            ("divisions", &mut self.divisions),
            ("roles", &mut self.roles),
            ("skills", &mut self.skills),
            ("languages", &mut self.languages),
            ("wrapupCodes", &mut self.wrapup_codes),
            ("users", &mut self.users),
            ("queues", &mut self.queues),
            ("schedules", &mut self.schedules),
            ("scheduleGroups", &mut self.schedule_groups),
            ("skillGroups", &mut self.skill_groups),
            ("userSkills", &mut self.user_skills),
            ("userLanguages", &mut self.user_languages),
            ("queueMembers", &mut self.queue_members),
            ("queueWrapupCodes", &mut self.queue_wrapup_codes),
            ("grants", &mut self.grants),
            ("integrations", &mut self.integrations),
            ("integrationCredentials", &mut self.integration_credentials),
            ("actions", &mut self.actions),
            ("triggers", &mut self.triggers),
            ("flows", &mut self.flows),
            ("groups", &mut self.groups),
            ("groupMembers", &mut self.group_members),
            ("oauthClients", &mut self.oauth_clients),
        ]
    }

    /// Next deterministic id.
    pub fn new_id(&mut self, seed: u64) -> String {
        self.next_id += 1;
        uuid_from(seed, self.next_id)
    }

    /// Id of the home division.
    pub fn home_division(&self) -> String {
        self.divisions
            .values()
            .find(|d| d["homeDivision"] == json!(true))
            .and_then(|d| d["id"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// `{id, name, selfUri}` of a division id (`*` = all divisions).
    pub fn division_ref(&self, id: &str) -> Value {
        if id == "*" {
            // Rendering of the "all divisions" star is unconfirmed.
            return json!({"id": "*", "name": "*", "selfUri": "/api/v2/authorization/divisions/*"});
        }
        let name = self
            .divisions
            .get(id)
            .map(|d| d["name"].clone())
            .unwrap_or(Value::Null);
        json!({"id": id, "name": name, "selfUri": format!("/api/v2/authorization/divisions/{id}")})
    }

    /// Resolve an optional division id (None → home); unknown → 400.
    pub fn resolve_division(&self, id: Option<&str>) -> Result<String, ApiError> {
        match id {
            None => Ok(self.home_division()),
            Some(id) if self.divisions.contains_key(id) => Ok(id.to_string()),
            Some(id) => Err(ApiError::bad_request(format!(
                "Division [{id}] does not exist"
            ))),
        }
    }

    /// Replace `division: {id}` in a stored entity by the expanded reference.
    pub fn expand_division(&self, mut v: Value) -> Value {
        if let Some(id) = v
            .get("division")
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str)
        {
            let r = self.division_ref(id);
            v["division"] = r;
        }
        v
    }
}

/// One entry of the request log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query string.
    pub query: String,
    /// The status answered.
    pub status: u16,
    /// JSON request body, or null (also for non-JSON bodies such as the token form).
    pub body: Value,
}

/// A 202-accepted task (fault `accepted`): completes after `polls_left` GETs.
#[derive(Debug, Clone)]
pub(super) struct Task {
    pub polls_left: u32,
    pub status: u16,
    pub result: Value,
}

/// Visibility of one user in the search index: `(visible_from, snapshot)`; `None` visible
/// from = always; `None` snapshot = absent.
pub(super) type IndexEntry = (Option<Instant>, Option<Value>);

/// Run-time state of one emulator. Guarded by a mutex in `server.rs`.
pub(super) struct Emu {
    pub cfg: EmulatorConfig,
    pub data: OrgData,
    /// access token → expiry.
    pub tokens: HashMap<String, Instant>,
    pub api_windows: HashMap<String, VecDeque<Instant>>,
    pub token_windows: HashMap<String, VecDeque<Instant>>,
    pub faults: FaultEngine,
    pub rng: fastrand::Rng,
    pub log: Vec<LoggedRequest>,
    /// entity id → creation instant (for `get_after_create_404`).
    pub created_at: HashMap<String, Instant>,
    /// user id → search-index history (for `search_lag`).
    pub search_index: HashMap<String, Vec<IndexEntry>>,
    /// (queue id, user id) → instant the membership becomes visible (`member_lag`).
    pub member_visible: HashMap<(String, String), Instant>,
    pub tasks: HashMap<String, Task>,
    /// entity id → creation instant (for `grant_lag`).
    pub grant_created: HashMap<String, Instant>,
    /// The data file's journal, when there is a data file.
    pub journal: Option<Journal>,
    /// Lower-cased e-mail → ids of the users that had it: the candidates the e-mail
    /// uniqueness check reads, so a create does not scan every user. Entries are only
    /// added (a user whose e-mail changed keeps its old entry); readers check each
    /// candidate's current e-mail (`routes::users::email_taken`).
    pub emails: HashMap<String, Vec<String>>,
}

impl Emu {
    /// Build the state, loading the data file if it exists.
    pub(super) fn new(cfg: EmulatorConfig) -> Result<Self, EmulatorError> {
        let data = match &cfg.data_file {
            Some(p) if p.exists() => journal::load(p)?,
            _ => OrgData::fresh(cfg.seed),
        };
        let mut emu = Emu {
            faults: FaultEngine::new(cfg.faults.clone(), cfg.seed),
            rng: fastrand::Rng::with_seed(cfg.seed ^ 0x005e_ed0f_706b_656e),
            cfg,
            data,
            tokens: HashMap::new(),
            api_windows: HashMap::new(),
            token_windows: HashMap::new(),
            log: Vec::new(),
            created_at: HashMap::new(),
            search_index: HashMap::new(),
            member_visible: HashMap::new(),
            tasks: HashMap::new(),
            grant_created: HashMap::new(),
            journal: None,
            emails: HashMap::new(),
        };
        let users: Vec<(String, String)> = (emu.data.users.iter())
            .filter_map(|(id, u)| Some((id.clone(), u["email"].as_str()?.to_string())))
            .collect();
        for (id, email) in users {
            emu.note_email(&email, &id);
        }
        emu.journal = emu.cfg.data_file.as_deref().map(Journal::new);
        super::authz::seed(&mut emu);
        Ok(emu)
    }

    /// Note that user `id` has `email`, for the e-mail uniqueness check.
    pub(super) fn note_email(&mut self, email: &str, id: &str) {
        let ids = self.emails.entry(email.to_lowercase()).or_default();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }

    /// Next entity id.
    pub(super) fn new_id(&mut self) -> String {
        self.data.new_id(self.cfg.seed)
    }

    /// A fresh random UUID-like id (correlation ids, task ids) from the seeded RNG.
    pub(super) fn random_id(&mut self) -> String {
        uuid_from_rng(&mut self.rng)
    }

    /// Record a creation for the GET-after-create window.
    pub(super) fn note_created(&mut self, id: &str, now: Instant) {
        if !self.cfg.consistency.get_after_create_404.is_zero() {
            self.created_at.insert(id.to_string(), now);
        }
        if !self.cfg.consistency.grant_lag.is_zero() {
            self.grant_created.insert(id.to_string(), now);
        }
    }

    /// Is `id` (a role or division) too fresh to be granted (`grant_lag`)?
    pub(super) fn hidden_from_grants(&self, id: &str, now: Instant) -> bool {
        self.grant_created
            .get(id)
            .is_some_and(|t| now.duration_since(*t) < self.cfg.consistency.grant_lag)
    }

    /// Is a GET-by-id of `id` still inside the GET-after-create 404 window?
    pub(super) fn hidden_after_create(&self, id: &str, now: Instant) -> bool {
        self.created_at
            .get(id)
            .is_some_and(|t| now.duration_since(*t) < self.cfg.consistency.get_after_create_404)
    }

    /// Record a user change for the search index. `before` = the user as searchable before
    /// the change (None for a create).
    pub(super) fn index_user(
        &mut self,
        id: &str,
        before: Option<Value>,
        after: Value,
        now: Instant,
    ) {
        let lag = self.cfg.consistency.search_lag;
        if lag.is_zero() {
            return;
        }
        let entries = self.search_index.entry(id.to_string()).or_default();
        if entries.is_empty() {
            entries.push((None, before));
        }
        // Drop entries superseded by a visible later one.
        while entries.len() > 1 && entries[1].0.is_none_or(|t| t <= now) {
            entries.remove(0);
        }
        entries.push((Some(now + lag), Some(after)));
    }

    /// What user search sees of user `id` now: None = not indexed (yet / any more).
    pub(super) fn indexed_user<'a>(
        &'a self,
        id: &str,
        live: &'a Value,
        now: Instant,
    ) -> Option<&'a Value> {
        match self.search_index.get(id) {
            None => Some(live),
            Some(entries) => entries
                .iter()
                .rev()
                .find(|(t, _)| t.is_none_or(|t| t <= now))
                .and_then(|(_, v)| v.as_ref()),
        }
    }

    /// Is the membership visible in the members listing now?
    pub(super) fn member_is_visible(&self, queue: &str, user: &str, now: Instant) -> bool {
        self.member_visible
            .get(&(queue.to_string(), user.to_string()))
            .is_none_or(|t| *t <= now)
    }

    /// Stamp `dateModified`.
    pub(super) fn now_iso(&self) -> String {
        now_iso()
    }

    /// Record what the last request changed, if a data file is configured (one line
    /// appended to its journal).
    pub(super) fn persist(&mut self) -> Result<(), String> {
        match &mut self.journal {
            Some(j) => j.record(&mut self.data),
            None => {
                for (_, rows) in self.data.tables_mut().iter_mut() {
                    rows.forget();
                }
                Ok(())
            }
        }
    }

    /// Write the org whole to the data file and empty its journal, if there is a data
    /// file and the journal holds anything.
    pub(super) fn compact(&mut self) -> Result<(), String> {
        match &mut self.journal {
            Some(j) if j.pending() => j.compact(&mut self.data),
            _ => Ok(()),
        }
    }
}

/// Sliding-log limiter: admit the request or return the seconds until a slot frees.
pub(super) fn admit(
    window: &mut VecDeque<Instant>,
    limit: u32,
    per: Duration,
    now: Instant,
) -> Result<(), u64> {
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= per)
    {
        window.pop_front();
    }
    if window.len() >= limit as usize {
        let oldest = *window.front().expect("non-empty");
        let wait = per.saturating_sub(now.duration_since(oldest));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(secs.max(1));
    }
    window.push_back(now);
    Ok(())
}

/// Parse the bytes of the data file at `path`.
pub(super) fn parse_data(path: &Path, bytes: &[u8]) -> Result<OrgData, EmulatorError> {
    let err = |message: String| EmulatorError::DataFile {
        path: path.display().to_string(),
        message,
    };
    let data: OrgData = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    if data.format_version != FORMAT_VERSION {
        return Err(err(format!(
            "unsupported formatVersion {} (expected {FORMAT_VERSION})",
            data.format_version
        )));
    }
    Ok(data)
}

/// The Architect workflow every fresh emulator org has (genseed does not author flows;
/// triggers need one to target).
pub(crate) const SEEDED_WORKFLOW: &str = "Notify CRM Workflow";

/// Add the seeded workflow to a fresh org.
fn seed_flows(d: &mut OrgData, seed: u64) {
    d.next_id += 1;
    let id = uuid_from(seed, d.next_id);
    d.flows.insert(
        id.clone(),
        json!({"id": id, "name": SEEDED_WORKFLOW, "type": "WORKFLOW",
               "description": "Pre-seeded by the genseed emulator", "active": true,
               "system": false, "deleted": false, "selfUri": format!("/api/v2/flows/{id}")}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let mut w = VecDeque::new();
        let t0 = Instant::now();
        let per = Duration::from_secs(10);
        assert!(admit(&mut w, 2, per, t0).is_ok());
        assert!(admit(&mut w, 2, per, t0 + Duration::from_secs(3)).is_ok());
        assert_eq!(
            admit(&mut w, 2, per, t0 + Duration::from_millis(4500)),
            Err(6)
        );
        assert!(admit(&mut w, 2, per, t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn fresh_org_round_trips() {
        let mut d = OrgData::fresh(3);
        assert_eq!(d.divisions.len(), 1);
        assert_eq!(d.roles.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("org.json");
        Journal::new(&p).compact(&mut d).unwrap();
        let back = journal::load(&p).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&d).unwrap()
        );
        assert_eq!(OrgData::fresh(3).home_division(), d.home_division());
    }
}
