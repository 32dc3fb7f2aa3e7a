# E311: a test fraction outside [0, 1)
data "items.jsonl" { id sku  test fraction 1.5 }
labels from "tags"
query { budget 1000 }
