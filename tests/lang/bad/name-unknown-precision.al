# E203: precision as Lightning names it
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
trainer { precision "17-mixed" }
