# E307: an argument outside its declared choices
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy uncertainty(measure=entropie)  budget 1000 }
