# E203: a choice that is not one of the allowed words
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { optimizer adma }
