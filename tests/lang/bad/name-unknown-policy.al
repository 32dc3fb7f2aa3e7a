# E201: a misspelt policy gets 'did you mean'
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy uncertanty  budget 1000 }
