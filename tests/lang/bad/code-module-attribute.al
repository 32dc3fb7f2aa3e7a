# E702: a module:attribute reference
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { encoder my_pkg.encoders:Encoder(dim=3) }
