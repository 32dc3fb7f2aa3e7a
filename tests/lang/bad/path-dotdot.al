# E501: a path that climbs out of the spec's folder
data "../../etc/items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
