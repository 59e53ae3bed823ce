//! cairn's Google Cloud provider.
//!
//! Owns: talking to Google's REST APIs (credentials, retries, long-running
//! operations) and one module per resource type implementing the small
//! `Resource` trait.
//!
//! Does not own: HCL, expressions, graphs, plans or state. The engine hands
//! this crate JSON attribute objects and gets JSON back.
//!
//! Status: the crate is wired into the workspace; the client and resource
//! types arrive with the provider issue. Until then the engine only knows the
//! built-in `terraform_data` type.

/// The provider's name as it appears in resource type prefixes (`google_...`).
pub const PROVIDER_NAME: &str = "google";

/// Whether a resource type belongs to this provider.
pub fn owns_type(resource_type: &str) -> bool {
    resource_type.starts_with("google_")
}

#[cfg(test)]
mod tests {
    #[test]
    fn owns_google_types() {
        assert!(super::owns_type("google_storage_bucket"));
        assert!(!super::owns_type("terraform_data"));
    }
}
