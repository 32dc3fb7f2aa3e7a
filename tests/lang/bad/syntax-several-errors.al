# E102: every syntax error of the file, not only the first
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
seed x
repeat y
train { epochs 5 lr }
