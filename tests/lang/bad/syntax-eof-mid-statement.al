# E104: the last statement is cut off
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
repeat
