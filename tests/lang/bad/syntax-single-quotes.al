# E101: strings take double quotes
run 'quick'
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
