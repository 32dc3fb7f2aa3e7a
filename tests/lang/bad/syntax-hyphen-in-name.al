# E102: names with '-' must be quoted
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
trainer { precision bf16-mixed }
