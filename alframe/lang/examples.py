"""One broken spec per error code: the docs show each with the checker's real message.

``docs/spec-language.md`` is generated from this table by :mod:`alframe.lang.docs`, so every
message printed there is what ``alframe check`` prints today; a test regenerates it and fails
when the file is stale or a code in :data:`alframe.lang.codes.CODES` has no example. Codes that
need something other than spec text (bytes that are not UTF-8, a symbolic link, a huge file) are
built by :func:`alframe.lang.docs.render_example` from the ``special`` field.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = 'data "items.jsonl" { id sku  text title }  labels from "tags"\n'


@dataclass(frozen=True)
class Example:
    code: str
    text: str  # the spec (shown, then checked)
    special: str = ""  # how to build input that is not plain text (see docs.render_example)
    note: str = ""


EXAMPLES: list[Example] = [
    Example("E101", HEAD + "query { budget 1000 @ }\n"),
    Example("E102", HEAD + "query { budget 1000 }\ntrain { epcohs 5 }\n"),
    Example("E103", HEAD + "model { encoder hashed_bag  trunk mlp\nquery { budget 1000 }\n"),
    Example("E104", HEAD + "query { budget 1000 }\ntrain { epochs 5\n"),
    Example("E105", 'data "items.jsonl { id sku }\nlabels from "tags"\nquery { budget 1000 }\n'),
    Example("E106", 'run "café"\n' + HEAD + "query { budget 1000 }\n", special="latin-1",
            note="The file was saved as Latin-1, not UTF-8"),
    Example("E107", 'data "data\\items.jsonl" { id sku }  labels from "tags"\nquery { budget 1000 }\n'),
    Example("E201", HEAD + "query { policy uncertanty  budget 1000 }\n"),
    Example("E202", HEAD + "query { budget 1000 }\nvary polcy [random, uncertainty]\n"),
    Example("E203", HEAD + "query { unit items  budget 1000 }\n"),
    Example("E301", HEAD + "query { policy iwal(flor=0.1)  budget 1000 }\n"),
    Example("E302", HEAD + "query { budget 1000 }\nmodel { trunk mlp(256, 2, 0.1, 7) }\n"),
    Example("E303", HEAD + "query { budget 1000 }\noracle file\n"),
    Example("E304", HEAD + "query { budget 1000 }\nmodel { trunk mlp(hidden=256, 2) }\n"),
    Example("E305", HEAD + 'query { budget 1000 }\nmodel { encoder hashed_bag(dim="wide") }\n'),
    Example("E306", HEAD + "query { policy iwal(floor=2)  budget 1000 }\n"),
    Example("E307", HEAD + "query { policy uncertainty(measure=entropie)  budget 1000 }\n"),
    Example("E310", HEAD + "query { budget 1000 }\ntrain { epochs 2.5 }\n"),
    Example("E311", HEAD + "query { budget -5 }\n"),
    Example("E312", HEAD + "query { batch 10 }\n"),
    Example("E401", HEAD + "query { budget 1000 }\ntrain { epochs 3  epochs 4 }\n"),
    Example("E402", HEAD + "query { policy iwal(floor=0.1, floor=0.2)  budget 1000 }\n"),
    Example("E403", HEAD + "query { seed 500 random  batch 100  budget 400 }\n"),
    Example("E404", HEAD + "query { budget 1000 }\nweighting { importance no  clip 5 }\n"),
    Example("E405", HEAD + "query { budget 1000  target micro_f1 0.9 of ceiling }\n"),
    Example("E406", HEAD + "query { budget 1000 }\nvary policy [random, uncertainty, random]\n"),
    Example(
        "E410",
        HEAD + "query { seed 500  batch 100  budget 100000 }\n",
        special="plan_error",
        note="Found by `alframe check` when `limit N` reads fewer rows than the seed set (unit item); otherwise "
        "when the data is loaded (`plan_error`), here for a pool of 300 items after the test split",
    ),
    Example("E501", 'data "../../shared/items.jsonl" { id sku }  labels from "tags"\nquery { budget 1000 }\n'),
    Example("E502", HEAD + 'query { budget 1000 }\noracle file(path="/etc/passwd")\n'),
    Example(
        "E503",
        'data "data/items.jsonl" { id sku }  labels from "tags"\nquery { budget 1000 }\n',
        special="symlink",
        note="`specs/data/` is a symbolic link to `/srv/elsewhere`",
    ),
    Example("E504", 'data "items.txt" { id sku }  labels from "tags"\nquery { budget 1000 }\n'),
    Example("E505", "", special="missing", note="`alframe check spec.al` where there is no such file"),
    Example("E506", 'data "items.jsonl" { id sku  text title }\nlabels from "tags" { names file "labels.txt" }\n'
            "query { budget 1000 }\n", note="`labels.txt` is not beside the spec"),
    Example("E601", "", special="huge", note="A 50 MB file"),
    Example("E602", HEAD + "query { budget 1000 }\nvary policy " + "[" * 40 + "]" * 40 + "\n"),
    Example("E603", HEAD + "query { budget 1000 }\nseed " + "9" * 60 + "\n"),
    Example("E604", "", special="long-string", note='`run "aaa…"` with a 500,000-character string'),
    Example("E605", "", special="tokens", note='`seed 1 ` written 60,000 times'),
    Example("E606", "", special="many-errors", note='`train { epochs x }` on 2,000 lines'),
    Example("E701", HEAD + "query { policy os.system  budget 1000 }\n"),
    Example("E702", HEAD + "query { budget 1000 }\nmodel { encoder my_pkg.encoders:Encoder(dim=3) }\n"),
    Example("E703", HEAD + 'query { policy __import__("os")  budget 1000 }\n'),
]
