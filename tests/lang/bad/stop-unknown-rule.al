# E201: a misspelt stop rule, with the nearest name
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  stop stabel(window=3) }
