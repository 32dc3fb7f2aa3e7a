# E405: a target relative to a ceiling that is not computed
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  target micro_f1 0.9 of ceiling }
