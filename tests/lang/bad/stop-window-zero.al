# E306: a stability window below its declared bound
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  stop stable(window=0, agreement=0.99) }
