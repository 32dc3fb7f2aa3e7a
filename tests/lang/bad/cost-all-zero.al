# E404: a cost model where nothing costs anything
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
cost { item 0  cell 0 }
