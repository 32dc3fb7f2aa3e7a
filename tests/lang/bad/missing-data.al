# E312: no data statement
labels from "tags"
query { budget 1000 }
