# E502: an absolute path outside the root
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
oracle file(path="/etc/passwd")
