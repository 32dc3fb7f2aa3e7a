# E311: a price below 0 (a cost model counts work, it never pays it back)
data "items.jsonl" { id sku  text title }
labels from "tags"
query { unit cell  budget 1000 }
cost { item 1.0  cell -0.1 }
