# E402: an argument given twice
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy iwal(floor=0.1, floor=0.2)  budget 1000 }
