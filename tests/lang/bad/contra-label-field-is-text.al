# E404: the label field is also fed to the model as text
data "items.jsonl" { id sku  text title, tags }
labels from "tags"
query { budget 1000 }
