# E701: a dotted name is never imported
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy os.system  budget 1000 }
