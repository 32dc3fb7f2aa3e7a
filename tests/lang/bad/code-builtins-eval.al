# E701: a call of a dotted name
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
oracle builtins.eval("print(1)")
