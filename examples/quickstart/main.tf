# A first stack: runs anywhere, no cloud account needed.
variable "names" {
  type    = set(string)
  default = ["alpha", "beta"]
}

resource "terraform_data" "greeting" {
  for_each = var.names
  input    = "hello, ${each.key}"
}

output "greetings" {
  value = { for k, r in terraform_data.greeting : k => r.input }
}
