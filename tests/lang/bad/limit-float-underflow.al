# E603: a float too small to tell from 0 (it would silently read as 0)
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { weight_decay 1e-400 }
