# E404: only micro_f1 has an estimate from the answers
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  target macro_f1 0.5 estimated }
