# E201: a misspelt metric in a list
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
evaluate { metrics [micro_f1, macrof1] }
