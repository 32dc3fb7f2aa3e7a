# E312: data without an id field
data "items.jsonl" { text title }
labels from "tags"
query { budget 1000 }
