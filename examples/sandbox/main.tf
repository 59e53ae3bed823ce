# Google Cloud resources, run against cairn's local emulator of Google's
# APIs: `cairn -chdir=examples/sandbox apply -sandbox -auto-approve`.
# The same stack runs against Google without -sandbox.

variable "project" {
  type    = string
  default = "sandbox-project"
}

variable "region" {
  type    = string
  default = "europe-west1"
}

provider "google" {
  project = var.project
  region  = var.region
}

resource "google_project_service" "secretmanager" {
  service = "secretmanager.googleapis.com"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_project_service" "artifactregistry" {
  service = "artifactregistry.googleapis.com"
}

resource "google_service_account" "app" {
  account_id   = "app-runtime"
  display_name = "Application runtime"

  depends_on = [google_project_service.iam]
}

resource "google_project_iam_member" "app_secrets" {
  project = var.project
  role    = "roles/secretmanager.secretAccessor"
  member  = google_service_account.app.member
}

resource "random_id" "suffix" {
  byte_length = 4
}

resource "google_storage_bucket" "artifacts" {
  name                        = "${var.project}-artifacts-${random_id.suffix.hex}"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = 30
    }
  }

  labels = {
    team = "platform"
  }
}

resource "google_artifact_registry_repository" "images" {
  repository_id = "app-images"
  format        = "DOCKER"
  description   = "Application container images"

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "30d"
    }
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  labels = {
    team = "platform"
  }

  depends_on = [google_project_service.artifactregistry]
}

resource "random_password" "db" {
  length  = 24
  special = false
}

resource "google_secret_manager_secret" "db_password" {
  secret_id = "db-password"

  replication {
    auto {}
  }

  depends_on = [google_project_service.secretmanager]
}

resource "google_secret_manager_secret_version" "db_password" {
  secret      = google_secret_manager_secret.db_password.id
  secret_data = random_password.db.result
}

output "bucket_url" {
  value = google_storage_bucket.artifacts.url
}

output "image_registry" {
  value = google_artifact_registry_repository.images.registry_uri
}

output "runtime_account" {
  value = google_service_account.app.email
}

output "secret" {
  value = google_secret_manager_secret.db_password.name
}
