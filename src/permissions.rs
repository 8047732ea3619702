//! The permission preflight: before the first write, compare what the plan will do
//! with what the OAuth client's roles allow, so a run does not stop halfway with a 403.
//!
//! Genesys Cloud authorizes a client-credentials client by its grants: pairs of a role
//! and a division (`roleDivisions` on the OAuth client). A role holds permission
//! policies, each a domain, an entity and a set of actions (`routing` / `queue` /
//! `[add, edit]`); `*` in any part matches everything. A permission is written
//! `domain:entity:action` (`routing:queue:add`).
//!
//! Each kind declares which permissions its operations need ([`crate::kinds::Kind::
//! permissions`]: all of the listed ones; `a|b` when either suffices, as the API docs'
//! "Requires ANY permissions") and whether they are checked in the object's division
//! ([`crate::kinds::Kind::permission_scope`]). A grant covers a division-scoped
//! operation when its division is the object's division or `*` (all divisions). An
//! object in all divisions (a wrap-up code without a division), and an operation on a
//! kind that is not division-aware (roles, languages, integrations…), is covered by a
//! grant of the role in any division; the API docs do not say which division the
//! server checks for those (unconfirmed), so the lenient reading is taken rather than
//! refusing runs that would succeed. A division the plan itself creates has no grant
//! yet: only a grant on all divisions covers objects in it.
//!
//! This module is pure: [`needs`] reads the plan, [`missing`] compares needs with
//! grants, [`render`] words the refusal. Reading the grants over HTTP is
//! [`fetch`]'s job.

pub(crate) mod fetch;

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::kinds::{Ctx, Kind, kind, norm_key};
use crate::plan::{Action, Change, OrphanAction, Plan};

/// An operation apply performs on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Create the object (for sub-resources: add members or items).
    Create,
    /// Change the object in place.
    Update,
    /// Delete the object (prune, destroy, or the first half of a replace).
    Delete,
    /// Remove members or items from a managed set (exclusive sets).
    RemoveMembers,
}

/// Where the permissions of a kind's operations are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not division-aware: a grant of the permission in any division covers it.
    Org,
    /// In the object's division (for a sub-resource: its parent's); an object declared
    /// without a division is in the home division.
    Division,
    /// As [`Scope::Division`], but an object declared without a division is in all
    /// divisions (the API's default for wrap-up codes).
    DivisionOrAll,
}

/// One permission policy of a role: `*` in any part matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The domain (`routing`).
    pub domain: String,
    /// The entity (`queue`).
    pub entity: String,
    /// The actions (`add`, `edit`).
    pub actions: Vec<String>,
}

impl Policy {
    /// A policy from a role's `permissionPolicies[]` entry (`None` when malformed).
    pub fn from_json(v: &Value) -> Option<Policy> {
        Some(Policy {
            domain: v.get("domain")?.as_str()?.to_string(),
            entity: v.get("entityName")?.as_str()?.to_string(),
            actions: v
                .get("actionSet")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        })
    }

    /// Whether this policy allows `permission` (`domain:entity:action`).
    pub fn allows(&self, permission: &str) -> bool {
        let mut parts = permission.splitn(3, ':');
        let (Some(domain), Some(entity), Some(action)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let part = |have: &str, want: &str| have == "*" || have == want;
        part(&self.domain, domain)
            && part(&self.entity, entity)
            && self.actions.iter().any(|a| part(a, action))
    }
}

/// One grant of the OAuth client: a role in a division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role's name.
    pub role: String,
    /// The division's ID, or `*` (all divisions).
    pub division: String,
    /// How messages name the division.
    pub division_name: String,
    /// The role's permission policies.
    pub policies: Vec<Policy>,
}

/// The division an operation is checked in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Division {
    /// Its ID: `*` for all divisions, `None` for one this plan creates.
    pub id: Option<String>,
    /// How messages name it.
    pub name: String,
}

impl Division {
    /// All divisions (`*`).
    pub fn all() -> Division {
        Division {
            id: Some("*".into()),
            name: "*".into(),
        }
    }
}

/// One operation of the plan and the permissions it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The object, as plans name it (`queue/Support`).
    pub object: String,
    /// The permission (`a|b`: either suffices).
    pub permission: &'static str,
    /// Where it is checked; `None`: not division-aware.
    pub division: Option<Division>,
}

/// A permission the grants lack, and every object that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The permission (`a|b`: either would do).
    pub permission: &'static str,
    /// The division it is needed in; `None`: any division.
    pub division: Option<Division>,
    /// The objects that need it, in plan order.
    pub objects: Vec<String>,
}

/// Whether `grant` allows `need`.
fn covers(grant: &Grant, need: &Need) -> bool {
    let in_scope = match &need.division {
        None => true,
        Some(d) => match d.id.as_deref() {
            Some("*") => true,
            Some(id) => grant.division == "*" || grant.division == id,
            None => grant.division == "*",
        },
    };
    in_scope
        && need
            .permission
            .split('|')
            .any(|p| grant.policies.iter().any(|pol| pol.allows(p)))
}

/// The needs no grant covers, grouped by permission and division (first-seen order).
pub fn missing(needs: &[Need], grants: &[Grant]) -> Vec<Missing> {
    let mut out: Vec<Missing> = Vec::new();
    for need in needs
        .iter()
        .filter(|n| !grants.iter().any(|g| covers(g, n)))
    {
        match out
            .iter_mut()
            .find(|m| m.permission == need.permission && m.division == need.division)
        {
            Some(m) => {
                if !m.objects.contains(&need.object) {
                    m.objects.push(need.object.clone());
                }
            }
            None => out.push(Missing {
                permission: need.permission,
                division: need.division.clone(),
                objects: vec![need.object.clone()],
            }),
        }
    }
    out
}

/// How many objects a line of the refusal names before "and N more".
const SHOWN: usize = 5;

/// The refusal: every missing permission with the objects that need it, and a hint
/// naming the client's roles (the ones to extend).
pub fn render(client: &str, missing: &[Missing], grants: &[Grant]) -> String {
    let mut out = format!(
        "the OAuth client `{client}` lacks {} permission{} the plan needs; nothing was changed:\n",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" }
    );
    for m in missing {
        let objects = &m.objects;
        let mut names = objects[..objects.len().min(SHOWN)].join(", ");
        if objects.len() > SHOWN {
            names.push_str(&format!(" and {} more", objects.len() - SHOWN));
        }
        out.push_str(&format!(
            "  {}{}: {names}\n",
            m.permission.replace('|', " or "),
            where_(m)
        ));
    }
    let held: Vec<String> = grants
        .iter()
        .map(|g| format!("`{}` in {}", g.role, division_words(&g.division_name)))
        .collect();
    let held = if held.is_empty() {
        "it holds none".to_string()
    } else {
        held.join(", ")
    };
    out.push_str(&format!(
        "hint: extend a role the client holds ({held}) with them, or grant the client a role that has them; then run again"
    ));
    let mut ungranted: Vec<&str> = Vec::new();
    for d in missing.iter().filter_map(|m| m.division.as_ref()) {
        let granted = grants.iter().any(|g| {
            g.division == "*"
                || d.id
                    .as_deref()
                    .is_some_and(|id| id == "*" || id == g.division)
        });
        if !granted && !ungranted.contains(&d.name.as_str()) {
            ungranted.push(&d.name);
        }
    }
    for name in ungranted {
        out.push_str(&format!(
            "\nhint: the client holds no role in division `{name}`: grant it one there (or in all divisions)"
        ));
    }
    out
}

fn division_words(name: &str) -> String {
    if name == "*" {
        "all divisions".into()
    } else {
        format!("division `{name}`")
    }
}

fn where_(m: &Missing) -> String {
    match &m.division {
        None => String::new(),
        Some(d) if d.id.as_deref() == Some("*") => " (in any division)".into(),
        Some(d) if d.id.is_none() => format!(
            " (in division `{}`, which this plan creates: only a grant in all divisions covers it)",
            d.name
        ),
        Some(d) => format!(" (in division `{}`)", d.name),
    }
}

/// The missing permissions as JSON (`missingPermissions` of the error document).
pub fn to_json(missing: &[Missing]) -> Value {
    Value::Array(
        missing
            .iter()
            .map(|m| {
                json!({
                    "anyOf": m.permission.split('|').collect::<Vec<_>>(),
                    "division": m.division.as_ref().map(|d| &d.name),
                    "objects": m.objects,
                })
            })
            .collect(),
    )
}

/// What every change and orphan of the plan needs. Pure: divisions are resolved from
/// the declared specs, what observation found, and the home division.
pub fn needs(plan: &Plan, ctx: &Ctx) -> Vec<Need> {
    let by_addr: HashMap<String, &Change> = plan
        .changes
        .iter()
        .map(|c| (c.addr().id_key(), c))
        .collect();
    let mut out = Vec::new();
    for c in &plan.changes {
        let Some(k) = kind(c.addr().kind) else {
            continue;
        };
        let ops: &[Op] = match c.action {
            Action::Create => &[Op::Create],
            Action::Update => &[Op::Update],
            Action::Replace => &[Op::Delete, Op::Create],
            Action::Adopt | Action::Noop => &[],
        };
        let removes = c.diffs.iter().any(|d| d.after.is_null());
        let ops = ops.iter().chain(removes.then_some(&Op::RemoveMembers));
        for op in ops {
            push(&mut out, k, *op, c.addr().to_string(), || {
                division_of(k, &c.addr().key, &by_addr, ctx)
            });
        }
    }
    for o in plan
        .orphans
        .iter()
        .filter(|o| o.action == OrphanAction::Delete)
    {
        if let Some(k) = kind(o.addr.kind) {
            push(&mut out, k, Op::Delete, o.addr.to_string(), || {
                division_of(k, &o.addr.key, &by_addr, ctx)
            });
        }
    }
    out
}

fn push(
    out: &mut Vec<Need>,
    k: &dyn Kind,
    op: Op,
    object: String,
    division: impl FnOnce() -> Option<Division>,
) {
    let permissions = k.permissions(op);
    if permissions.is_empty() {
        return;
    }
    let division = match k.permission_scope() {
        Scope::Org => None,
        Scope::Division | Scope::DivisionOrAll => division(),
    };
    for permission in permissions {
        out.push(Need {
            object: object.clone(),
            permission,
            division: division.clone(),
        });
    }
}

/// The division an operation on `kind/key` is checked in: for a sub-resource its
/// parent's; the declared division, else the observed one, else the kind's default.
fn division_of(
    k: &dyn Kind,
    key: &str,
    by_addr: &HashMap<String, &Change>,
    ctx: &Ctx,
) -> Option<Division> {
    let owner = k.parent().unwrap_or(k.name());
    let id_key = format!("{owner}/{}", norm_key(key));
    let change = by_addr.get(&id_key);
    let declared = change
        .and_then(|c| c.declared.spec.get("division"))
        .and_then(Value::as_str);
    let name_of = |id: &str| {
        ctx.resolver
            .division_name(id)
            .unwrap_or_else(|| id.to_string())
    };
    if let Some(d) = declared {
        if d == "*" {
            return Some(Division::all());
        }
        return Some(Division {
            id: ctx.resolver.division_id(d),
            name: d.to_string(),
        });
    }
    let observed = change
        .and_then(|c| c.observed.as_ref())
        .and_then(|o| o.pointer("/division/id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            ctx.observed_field(owner, key, "division")
                .and_then(|d| d.get("id").and_then(Value::as_str).map(str::to_string))
        });
    let default_scope = kind(owner).map_or(Scope::Division, |o| o.permission_scope());
    match (observed, default_scope) {
        (Some(id), _) if id == "*" => Some(Division::all()),
        (Some(id), _) => Some(Division {
            name: name_of(&id),
            id: Some(id),
        }),
        (None, Scope::DivisionOrAll) => Some(Division::all()),
        (None, _) => ctx.home_division.as_ref().map(|id| Division {
            name: name_of(id),
            id: Some(id.clone()),
        }),
    }
}

/// The client's grants as `(role id, division id)` pairs, from an OAuth client's
/// `roleDivisions`.
pub fn role_divisions(client: &Value) -> Vec<(String, String)> {
    client
        .get("roleDivisions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|rd| {
            Some((
                rd.get("roleId")?.as_str()?.to_string(),
                rd.get("divisionId")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A role's policies, from its `permissionPolicies`.
pub fn policies_of(role: &Value) -> Vec<Policy> {
    role.get("permissionPolicies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Policy::from_json)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: &str, entity: &str, actions: &[&str]) -> Policy {
        Policy {
            domain: domain.into(),
            entity: entity.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn grant(division: &str, policies: Vec<Policy>) -> Grant {
        Grant {
            role: "Seeder".into(),
            division: division.into(),
            division_name: division.into(),
            policies,
        }
    }

    fn need(permission: &'static str, object: &str, division: Option<Division>) -> Need {
        Need {
            object: object.into(),
            permission,
            division,
        }
    }

    fn div(id: &str) -> Option<Division> {
        Some(Division {
            id: Some(id.into()),
            name: id.to_uppercase(),
        })
    }

    #[test]
    fn wildcards_match_any_part() {
        assert!(policy("*", "*", &["*"]).allows("routing:queue:add"));
        assert!(policy("routing", "*", &["add"]).allows("routing:queue:add"));
        assert!(policy("routing", "queue", &["*"]).allows("routing:queue:edit"));
        assert!(policy("routing", "queue", &["view", "add"]).allows("routing:queue:add"));
        assert!(!policy("routing", "queue", &["view"]).allows("routing:queue:add"));
        assert!(!policy("routing", "skill", &["*"]).allows("routing:queue:add"));
        assert!(!policy("directory", "*", &["*"]).allows("routing:queue:add"));
        assert!(!policy("*", "*", &["*"]).allows("not-a-permission"));
    }

    #[test]
    fn policies_are_read_from_a_role() {
        let role = serde_json::json!({"permissionPolicies": [
            {"domain": "routing", "entityName": "queue", "actionSet": ["add", "edit"]},
            {"domain": "broken"}
        ]});
        assert_eq!(
            policies_of(&role),
            vec![policy("routing", "queue", &["add", "edit"])]
        );
        let client = serde_json::json!({"roleDivisions": [{"roleId": "r1", "divisionId": "*"}]});
        assert_eq!(role_divisions(&client), vec![("r1".into(), "*".into())]);
    }

    #[test]
    fn a_grant_covers_its_division_or_all_of_them() {
        let add = || vec![policy("routing", "queue", &["add"])];
        let in_home = [grant("home", add())];
        let everywhere = [grant("*", add())];
        let sales = need("routing:queue:add", "queue/Deals", div("sales"));
        let home = need("routing:queue:add", "queue/Support", div("home"));
        assert_eq!(missing(std::slice::from_ref(&home), &in_home), vec![]);
        let m = missing(&[home.clone(), sales.clone()], &in_home);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].objects, vec!["queue/Deals"]);
        assert_eq!(m[0].division, div("sales"));
        assert_eq!(missing(&[home, sales], &everywhere), vec![]);
    }

    #[test]
    fn a_division_the_plan_creates_needs_a_grant_on_all_divisions() {
        let add = || vec![policy("routing", "queue", &["add"])];
        let new = Some(Division {
            id: None,
            name: "New".into(),
        });
        let n = [need("routing:queue:add", "queue/Q", new)];
        assert_eq!(missing(&n, &[grant("home", add())]).len(), 1);
        assert_eq!(missing(&n, &[grant("*", add())]), vec![]);
        let text = render("ci", &missing(&n, &[grant("home", add())]), &[]);
        assert!(text.contains("which this plan creates"), "{text}");
        assert!(
            text.contains("hint: the client holds no role in division `New`"),
            "{text}"
        );
    }

    #[test]
    fn org_wide_needs_and_objects_in_all_divisions_take_any_grant() {
        let g = [grant("home", vec![policy("*", "*", &["*"])])];
        let n = [
            need("authorization:role:add", "role/R", None),
            need(
                "routing:wrapupCode:add",
                "wrapupcode/W",
                Some(Division::all()),
            ),
        ];
        assert_eq!(missing(&n, &g), vec![]);
    }

    #[test]
    fn either_of_two_permissions_suffices() {
        let p = "routing:queue:edit|routing:queueMember:manage";
        let n = [need(p, "queue-members/Q", None)];
        let member = [grant(
            "*",
            vec![policy("routing", "queueMember", &["manage"])],
        )];
        assert_eq!(missing(&n, &member), vec![]);
        let none = [grant("*", vec![policy("routing", "queue", &["view"])])];
        let m = missing(&n, &none);
        let text = render("ci", &m, &none);
        assert!(
            text.contains("routing:queue:edit or routing:queueMember:manage: queue-members/Q"),
            "{text}"
        );
        assert_eq!(
            to_json(&m)[0]["anyOf"],
            serde_json::json!(["routing:queue:edit", "routing:queueMember:manage"])
        );
    }

    #[test]
    fn missing_groups_objects_and_render_shortens_long_lists() {
        let needs: Vec<Need> = (0..7)
            .map(|i| need("directory:user:add", &format!("user/u{i}"), div("home")))
            .collect();
        let m = missing(&needs, &[]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].objects.len(), 7);
        let text = render("ci", &m, &[]);
        assert!(text.contains("user/u4 and 2 more"), "{text}");
        assert!(text.contains("(it holds none)"), "{text}");
        assert_eq!(to_json(&m)[0]["objects"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn every_kind_that_creates_objects_declares_what_it_needs() {
        for k in crate::kinds::KINDS {
            assert!(
                !k.permissions(Op::Create).is_empty(),
                "{} declares no permission for creating",
                k.name()
            );
            if k.removes_members() {
                assert!(
                    !k.permissions(Op::RemoveMembers).is_empty(),
                    "{} removes members without a permission",
                    k.name()
                );
            }
            for op in [Op::Create, Op::Update, Op::Delete, Op::RemoveMembers] {
                for p in k.permissions(op) {
                    for alt in p.split('|') {
                        assert_eq!(alt.split(':').count(), 3, "{}: `{alt}`", k.name());
                    }
                }
            }
        }
    }
}
