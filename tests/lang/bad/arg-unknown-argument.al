# E301: an argument the component does not declare
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy iwal(flor=0.1)  budget 1000 }
