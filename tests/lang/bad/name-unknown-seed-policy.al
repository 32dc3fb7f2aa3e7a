# E201: the seed set's policy is a registered policy too
data "items.jsonl" { id sku  text title }
labels from "tags"
query { seed 50 randum  budget 1000 }
