//! `GET /api/v2/organizations/me`.

use super::{Reply, Rq};
use crate::emulator::error::ApiError;
use crate::emulator::store::Emu;

pub(crate) fn handle(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    match rq.method.as_str() {
        "GET" => Ok(Reply::json(st.data.organization.clone())),
        _ => Err(rq.no_route()),
    }
}
