# E102: names with ":" must be quoted
data "items.jsonl" { id sku  text title }
labels from "tags" { names [role::program] }
query { budget 1000 }
