//! Emulator-only task resource behind the `accepted` fault: `GET /api/v2/emulator/tasks/{id}`
//! answers 202 `{state: Running}` for the first `polls` GETs, then 200 with the entity.

use serde_json::json;

use super::Reply;
use crate::emulator::error::ApiError;
use crate::emulator::store::Emu;

pub(crate) fn get(st: &mut Emu, id: &str) -> Result<Reply, ApiError> {
    let task = st
        .tasks
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("task [{id}] not found")))?;
    if task.polls_left > 0 {
        task.polls_left -= 1;
        return Ok(running(id));
    }
    Ok(Reply::with_status(task.status, task.result.clone()))
}

/// The 202 of a task still running: `{id, state: Running}` and its `Location`.
pub(crate) fn running(id: &str) -> Reply {
    let location = format!("/api/v2/emulator/tasks/{id}");
    let mut r = Reply::with_status(
        202,
        json!({"id": id, "state": "Running", "selfUri": location}),
    );
    r.headers.push(("Location", location));
    r
}
