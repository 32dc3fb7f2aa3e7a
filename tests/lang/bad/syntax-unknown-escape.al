# E107: a backslash that starts no escape (a Windows path)
data "data\items.jsonl" { id sku }
labels from "tags"
query { budget 1000 }
