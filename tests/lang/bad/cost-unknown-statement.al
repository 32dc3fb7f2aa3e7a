# E102: a statement the cost block does not have (a misspelt price)
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
cost { cell 0.1  items 1.0 }
