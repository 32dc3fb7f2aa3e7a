# E306: an argument outside its declared range
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy iwal(floor=2)  budget 1000 }
