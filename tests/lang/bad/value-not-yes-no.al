# E310: yes or no expected
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
weighting { importance maybe }
