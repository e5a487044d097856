//! widget suite (stub).
use crate::results::Results;
use crate::runtime::Context;
pub(crate) async fn run(_ctx: &Context, _results: &mut Results) -> anyhow::Result<()> {
    Ok(())
}
