# The second shipped real data set: FOLDOC, the Free On-line Dictionary of Computing. Each item
# is a dictionary entry (term and definition) and its labels are the subject tags the editors
# gave it (<language>, <networking>, <programming>, ...). A simulated annotator answers from the
# known tags. Two minutes or so on a laptop CPU:
#
#   alframe run specs/foldoc.al
#
# The file is built offline by scripts/build_foldoc.py from Debian's dict-foldoc package (see
# specs/data/README.md for its provenance and licence, the GNU FDL).

run "foldoc" seed 11

data "data/foldoc.jsonl.gz" {
  id term
  text term, definition
  test fraction 0.2 seed 11
}

labels from "tags" { min_positives 50 }   # the 45 subject tags with at least 50 entries

model {
  encoder hashed_bag(dim=64, buckets=2^18, ngrams=1..2, char_ngrams=2..5, wide=2^16, wide_c=10)
  trunk mlp(hidden=256)
  heads joint
}

train { epochs 3  batch 64 }

query {
  seed 200 random
  batch 200
  unit item                        # a person reads an entry and answers all its tags at once
  policy uncertainty(measure=margin)
  budget 36000                     # answered cells: 800 entries x 45 tags
}

# reading an entry takes far longer than deciding one tag once it is read: the reports count
# work as 1 per entry read + 0.1 per tag answered, beside the answered cells
cost { item 1.0  cell 0.1 }

oracle simulated

evaluate { metrics [micro_f1, macro_f1, macro_ap] }
