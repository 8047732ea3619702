//! `genseed init [DIR]`: start a project. Writes `genseed.yaml` (a `local` emulator
//! environment and a commented remote one), an example seeds folder that validates and
//! applies on the embedded emulator as is, the JSON Schemas the files' editor headers
//! point at, and a `.gitignore` for `.genseed/`. The templates live in `templates/init/`.
//! Refuses to overwrite anything: when one of the files exists, nothing is written.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};

/// Files written, relative to the project folder, and their contents.
fn files() -> Vec<(&'static str, String)> {
    let pretty = |v: serde_json::Value| {
        serde_json::to_string_pretty(&v).expect("a JSON value serializes") + "\n"
    };
    vec![
        (
            "genseed.yaml",
            include_str!("../../templates/init/genseed.yaml").to_string(),
        ),
        (
            "seeds/example.yaml",
            include_str!("../../templates/init/seeds/example.yaml").to_string(),
        ),
        (
            "schemas/manifest.schema.json",
            pretty(crate::spec::manifest_schema()),
        ),
        (
            "schemas/genseed.schema.json",
            pretty(super::schema::project_schema()),
        ),
        (
            ".gitignore",
            include_str!("../../templates/init/gitignore").to_string(),
        ),
    ]
}

/// Run it.
pub(super) fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let files = files();
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(anyhow!(
            "{} already exist{}; nothing was written:\n  {}\nhint: run init in an empty folder, e.g. `genseed init my-org`",
            if existing.len() == 1 {
                "this file"
            } else {
                "these files"
            },
            if existing.len() == 1 { "s" } else { "" },
            existing.join("\n  ")
        ));
    }
    for (name, text) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let shown = dir.display().to_string();
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {shown} && ")
    };
    crate::report::out(&format!(
        "Created a genseed project in {shown}: genseed.yaml, seeds/example.yaml, schemas/, .gitignore.\nNext: {cd}genseed plan, then genseed apply --auto-approve (on the embedded emulator).\n"
    ));
    Ok(ExitCode::SUCCESS)
}
