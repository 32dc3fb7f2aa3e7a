# E306: agreement 0 (chance agreement) is outside (0, 1]
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  stop stable(agreement=0) }
