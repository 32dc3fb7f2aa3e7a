# E301: a misspelt argument of a stop rule
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  stop stable(agrement=0.99) }
