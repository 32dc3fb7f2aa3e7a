# E201: a misspelt oracle
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
oracle simulted
