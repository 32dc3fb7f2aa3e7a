# E103: a list needs commas
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary policy [random uncertainty]
