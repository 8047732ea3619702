//! Generator of synthetic orgs for the benchmarks: a project folder (`genseed.yaml` plus
//! `seeds/`) with N users spread over divisions, skills, languages, roles and queues, in
//! the shape a large contact center has. Deterministic: the same size always writes the
//! same files. Used by the benchmarks through `#[path = "support/orggen.rs"] mod orggen;`.
//!
//! Layout of the seeds folder:
//! - `org.yaml`: divisions, skills, languages, wrap-up codes, roles and queues (with members);
//! - `users-NNN.yaml`: the users, at most [`USERS_PER_FILE`] per file (60,000 users make 43
//!   files, 44 with `org.yaml`), each with skills, a language and role grants;
//! - or, with [`OrgShape::users_csv`], `users-NNN.csv` files in the CSV layout of
//!   `usersFromCsv` (name, e-mail, phone, division: the fields a CSV holds).

#![allow(dead_code)] // each benchmark uses a different part

use std::fmt::Write as _;
use std::path::Path;

/// Users per generated users file.
pub(crate) const USERS_PER_FILE: usize = 1_400;

/// The shape of a generated org.
#[derive(Clone, Debug)]
pub(crate) struct OrgShape {
    /// Number of users.
    pub(crate) users: usize,
    /// Users per queue (each user is a member of one queue).
    pub(crate) users_per_queue: usize,
    /// Write the users as CSV files instead of YAML.
    pub(crate) users_csv: bool,
}

impl OrgShape {
    /// A shape with `users` users and the default proportions.
    pub(crate) fn new(users: usize) -> Self {
        OrgShape {
            users,
            users_per_queue: 50,
            users_csv: false,
        }
    }

    /// Number of divisions.
    pub(crate) fn divisions(&self) -> usize {
        4
    }

    /// Number of skills.
    pub(crate) fn skills(&self) -> usize {
        40
    }

    /// Number of languages.
    pub(crate) fn languages(&self) -> usize {
        6
    }

    /// Number of wrap-up codes.
    pub(crate) fn wrapup_codes(&self) -> usize {
        20
    }

    /// Number of declared roles.
    pub(crate) fn roles(&self) -> usize {
        3
    }

    /// Number of queues.
    pub(crate) fn queues(&self) -> usize {
        self.users.div_ceil(self.users_per_queue).max(1)
    }

    /// The e-mail of user `i`.
    pub(crate) fn email(i: usize) -> String {
        format!("gen.user.{i:06}@example.com")
    }
}

/// Writes the project for `shape` into `project` (which must exist): `genseed.yaml` naming
/// an environment `bench` at `api_url`, and the seeds folder. Returns the total bytes of
/// manifest files written.
pub(crate) fn write_project(
    project: &Path,
    shape: &OrgShape,
    api_url: &str,
) -> std::io::Result<u64> {
    std::fs::write(
        project.join("genseed.yaml"),
        format!(
            "environments:\n  bench:\n    apiUrl: {api_url}\n    loginUrl: {api_url}\n    clientIdEnv: BENCH_ID\n    clientSecretEnv: BENCH_SECRET\n"
        ),
    )?;
    let seeds = project.join("seeds");
    std::fs::create_dir_all(&seeds)?;
    let mut bytes = 0u64;
    let org = org_yaml(shape);
    bytes += org.len() as u64;
    std::fs::write(seeds.join("org.yaml"), org)?;
    for (n, start) in (0..shape.users).step_by(USERS_PER_FILE).enumerate() {
        let end = (start + USERS_PER_FILE).min(shape.users);
        let (name, text) = if shape.users_csv {
            (format!("users-{n:03}.csv"), users_csv(start..end, shape))
        } else {
            (format!("users-{n:03}.yaml"), users_yaml(start..end, shape))
        };
        bytes += text.len() as u64;
        std::fs::write(seeds.join(name), text)?;
    }
    Ok(bytes)
}

fn division(i: usize, shape: &OrgShape) -> String {
    format!("Gen Division {}", i % shape.divisions())
}

fn org_yaml(shape: &OrgShape) -> String {
    let mut y = String::from("divisions:\n");
    for d in 0..shape.divisions() {
        let _ = writeln!(y, "  - name: Gen Division {d}\n    description: generated");
    }
    y.push_str("skills:\n");
    for s in 0..shape.skills() {
        let _ = writeln!(y, "  - name: Gen Skill {s}");
    }
    y.push_str("languages:\n");
    for l in 0..shape.languages() {
        let _ = writeln!(y, "  - name: Gen Language {l}");
    }
    y.push_str("wrapupCodes:\n");
    for w in 0..shape.wrapup_codes() {
        let _ = writeln!(
            y,
            "  - name: Gen Wrapup {w}\n    division: {}",
            division(w, shape)
        );
    }
    y.push_str("roles:\n");
    for r in 0..shape.roles() {
        let _ = writeln!(
            y,
            "  - name: Gen Role {r}\n    permissionPolicies:\n      - {{domain: routing, entityName: queue, actionSet: [view]}}"
        );
    }
    if shape.users_csv {
        y.push_str("usersFromCsv:\n");
        for (n, _) in (0..shape.users).step_by(USERS_PER_FILE).enumerate() {
            let _ = writeln!(y, "  - file: users-{n:03}.csv");
        }
    }
    y.push_str("queues:\n");
    for q in 0..shape.queues() {
        let _ = writeln!(
            y,
            "  - name: Gen Queue {q:05}\n    division: {}\n    description: generated queue {q}\n    wrapupCodes: [Gen Wrapup {}, Gen Wrapup {}]\n    members:",
            division(q, shape),
            q % shape.wrapup_codes(),
            (q + 1) % shape.wrapup_codes()
        );
        let start = q * shape.users_per_queue;
        for i in start..(start + shape.users_per_queue).min(shape.users) {
            let _ = writeln!(y, "      - {}", OrgShape::email(i));
        }
    }
    y
}

fn users_yaml(range: std::ops::Range<usize>, shape: &OrgShape) -> String {
    let mut y = String::from("users:\n");
    for i in range {
        let _ = write!(
            y,
            "  - email: {email}\n    name: Gen User {i}\n    division: {div}\n    title: Agent\n    department: Support\n    phones:\n      - number: \"+1202{phone:07}\"\n        type: work\n    skills:\n      Gen Skill {s1}: {p1}\n      Gen Skill {s2}: {p2}\n    languages:\n      Gen Language {l}: 4\n    roles:\n      - {{role: Gen Role {r}, division: {div}}}\n",
            email = OrgShape::email(i),
            div = division(i / shape.users_per_queue, shape),
            phone = i % 10_000_000,
            s1 = i % shape.skills(),
            p1 = i % 5 + 1,
            s2 = (i + 7) % shape.skills(),
            p2 = (i + 2) % 5 + 1,
            l = i % shape.languages(),
            r = i % shape.roles(),
        );
    }
    y
}

fn users_csv(range: std::ops::Range<usize>, shape: &OrgShape) -> String {
    let mut y = String::from("first_name,last_name,email,phone_number,division\n");
    for i in range {
        let _ = writeln!(
            y,
            "Gen,User {i},{},+1202{:07},{}",
            OrgShape::email(i),
            i % 10_000_000,
            division(i / shape.users_per_queue, shape)
        );
    }
    y
}
