# E102: a token that does not belong
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { epochs 5 ) }
