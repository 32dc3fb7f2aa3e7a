# E406: a vary value listed twice
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary policy [random, uncertainty, random]
