# E306: a range whose start is after its end
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { encoder hashed_bag(ngrams=3..1) }
