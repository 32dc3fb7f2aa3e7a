# E602: brackets nested too deep
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary policy [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
