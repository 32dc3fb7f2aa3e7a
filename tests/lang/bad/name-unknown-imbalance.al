# E201: a misspelt imbalance method
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
weighting { imbalance pos_wieght }
