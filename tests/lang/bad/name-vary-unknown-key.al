# E202: vary only knows plan fields
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary polcy [random, uncertainty]
