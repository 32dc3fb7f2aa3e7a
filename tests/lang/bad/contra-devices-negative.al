# E311: Lightning's -1 ("every device") is written auto here
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
trainer { accelerator gpu  devices -1 }
