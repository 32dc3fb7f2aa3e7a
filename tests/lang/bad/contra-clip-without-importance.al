# E404: clipping weights that are not used
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
weighting { importance no  clip 5 }
