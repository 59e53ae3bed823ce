//! One module per resource type.

use crate::GoogleResource;

/// Every resource type of this provider.
pub fn all() -> Vec<Box<dyn GoogleResource>> {
    Vec::new()
}
