# E504: a data file whose format the extension does not tell
data "items.txt" { id sku  text title }
labels from "tags"
query { budget 1000 }
