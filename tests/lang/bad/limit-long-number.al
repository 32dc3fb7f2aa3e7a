# E603: a number literal that is too long
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
seed 999999999999999999999999999999999999999999999999999999999999
