# E103: a call's ')' is missing
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy iwal(floor=0.1  budget 1000 }
