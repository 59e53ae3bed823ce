//! The plan/apply engine end to end: the real `cairn` binary on fixture
//! stacks under `tests/fixtures/engine/`, each copied into a fresh temporary
//! directory. The `cairn_test` resource type (enabled by
//! `CAIRN_TEST_TYPES=1`) fails, sleeps and counts on demand.

#[path = "engine/common.rs"]
mod common;
#[path = "engine/edge.rs"]
mod edge;
#[path = "engine/failures.rs"]
mod failures;
#[path = "engine/flags.rs"]
mod flags;
#[path = "engine/lifecycle.rs"]
mod lifecycle;
#[path = "engine/random.rs"]
mod random;
#[path = "engine/state.rs"]
mod state;
