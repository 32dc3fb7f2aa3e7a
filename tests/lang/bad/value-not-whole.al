# E310: a whole number expected
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { epochs 2.5 }
