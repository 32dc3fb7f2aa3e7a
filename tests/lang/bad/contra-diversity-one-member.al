# E404: committee diversity with a committee of one
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { ensemble 1  diversity poisson }
