# E102: a misspelt statement word gets a suggestion
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { epcohs 5 }
