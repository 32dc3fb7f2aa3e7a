"""Settings that contradict each other, or make no sense together: every case in one table.

Each row is a spec snippet, the code ``alframe check`` must answer with (``None``: accepted on
purpose) and a fragment of its message (for an accepted row: why it is legitimate). ``»`` in a
snippet marks where the error must point (it is removed before checking); the rest of a minimal
spec (data, labels, a budget) is added where the snippet does not give it. A refused row must
produce exactly that one error, so a rule that stops firing, fires at another place, says
something else or drags other errors along fails its row. The rules are listed in
docs/spec-language.md, "Settings that contradict each other".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alframe.compile import compile_file
from alframe.errors import SpecErrors
from alframe.plugins import load

REGISTRY = load(autoload=False).registry
REGISTRY.unloaded = ()  # the built-ins alone, whatever is installed
DATA = 'data "items.jsonl" { id sku  text title }\n'
LABELS = 'labels from "tags"\n'
QUERY = "query { budget 1000 }\n"
MARK = "»"

# (snippet, code or None, fragment of the message, or the reason it is accepted)
TABLE: list[tuple[str, str | None, str]] = [
    # ---- trainer ----------------------------------------------------------------------------
    ("trainer { accelerator gpu  devices »-1 }", "E311", "devices must be at least 1, not -1"),
    ("trainer { accelerator gpu  devices »0 }", "E311", "devices must be at least 1, not 0"),
    ('trainer { accelerator gpu  devices »"0" }', "E311", "devices must be at least 1, not '0'"),
    ('trainer { accelerator gpu  devices »"" }', "E310", "devices takes a count, a list of indices or auto"),
    ('trainer { accelerator gpu  devices »"0,,1" }', "E310", "not '0,,1'"),
    ("trainer { accelerator gpu  devices »[] }", "E311", "devices needs at least one device index"),
    ("trainer { accelerator gpu  devices [0, »0] }", "E401", "device 0 is listed twice"),
    ("trainer { accelerator gpu  devices [»-1] }", "E311", "a device index must be at least 0"),
    ("trainer { devices »[0, 1] }", "E404", "accelerator cpu (the default) takes a count of processes"),
    ('trainer { accelerator cpu  devices »"0,1" }', "E404", "accelerator cpu takes a count of processes"),
    ("trainer { precision »16 }", "E404", "precision 16-mixed needs a GPU"),
    ('trainer { accelerator cpu  precision »"transformer-engine" }', "E404", "needs an NVIDIA GPU"),
    ("trainer { strategy »fsdp }", "E404", "strategy fsdp needs a GPU accelerator, but the accelerator is cpu"),
    ("trainer { accelerator auto  strategy »fsdp_cpu_offload }", "E404", "needs a GPU accelerator, but the accelerator is auto"),
    ("trainer { accelerator tpu  strategy »ddp }", "E404", "accelerator tpu runs only the xla strategies"),
    ("trainer { accelerator gpu  devices [0, 1]  precision 16  strategy ddp }", None, "a GPU takes indices and 16-mixed"),
    ('trainer { accelerator gpu  devices "0,1" }', None, "a quoted list of indices reads as the list"),
    ("trainer { devices 2  strategy ddp }", None, "DDP runs on CPU processes (gloo)"),
    ("trainer { strategy ddp  devices 1 }", None, "DDP over one process is slow, not wrong"),
    ("trainer { precision bf16 }", None, "bf16-mixed runs on a CPU"),
    ("trainer { devices auto }", None, "auto: every device Lightning finds"),
    # ---- query: sizes -----------------------------------------------------------------------
    ("query { seed »500 random  batch 100  budget 400 }", "E403", "the seed set (500) is larger than the budget (400)"),
    ("query { seed 100  batch »2000  budget 1000 }", "E404", "the batch (2000 items) is larger than the budget (1000 labels)"),
    ("query { unit cell  batch »2000  budget 1000 }", "E404", "the batch (2000 cells) is larger than the budget"),
    ("query { seed 10  budget 1000 }\nvary batch [100, »5000]", "E404", "the batch (5000 items)"),
    ('data "items.jsonl" { id sku  text title  limit 100 }\nquery { seed »500  batch 100  budget 10000 }',
     "E410", "the seed set (500 items) is larger than the pool: limit 100"),
    ('data "items.jsonl" { id sku  text title  limit »50 }', "E410", "the seed set (100 items) is larger than the pool: limit 50"),
    ('data "items.jsonl" { id sku  text title }\nquery { seed »500  budget 10000 }\nvary limit [100, 1000]',
     "E410", "limit 100 reads at most 100 items"),
    ("query { budget 50 }", None, "an unwritten batch (100) above a small budget: the seed set shrinks to the budget"),
    ("query { seed 100  batch 50  budget 100 }", None, "a seed set equal to the budget: a learning curve's first point"),
    ("query { seed 100  batch 100  budget 150 }", None, "the last round may be smaller than the batch"),
    ("query { seed 0  budget 1000 }", None, "a cold start: the first round's policy sees an untrained model"),
    ("query { budget 1000  rounds 1 }", None, "the seed round alone: a quick check"),
    ('data "items.jsonl" { id sku  text title  limit 50 }\nquery { seed 100  unit cell  budget 1000 }',
     None, "cells: the pool is items x labels, known only once the data is read"),
    # ---- query: targets and seed policy ------------------------------------------------------
    ("query { budget 1000  target micro_f1 »0 }", "E311", "target micro_f1 must be more than 0"),
    ("query { budget 1000  »target micro_f1 0.9 of ceiling }", "E405", "no ceiling is computed"),
    ("query { budget 1000  target »hamming 0.1 }", "E404", "the target metric 'hamming' is not evaluated"),
    ("query { budget 1000  target »hamming 0.1 }\nevaluate { metrics [micro_f1, hamming] }", "E404",
     "hamming is an error rate (lower is better)"),
    ("query { seed 0 »uncertainty  budget 1000 }", "E404", "the seed policy uncertainty chooses nothing: the seed set is 0"),
    ("query { budget 1000  target micro_f1 1 }", None, "reachable by a perfect model: never stops early, not wrong"),
    ("query { seed 200 uncertainty  budget 1000 }", None, "a seed policy may rank by the untrained model or the data alone"),
    ("query { budget 1000  rounds 5 }\nevaluate { every 10 }", None, "the last round is always evaluated"),
    ("ceiling yes\nquery { budget 1000  target micro_f1 0.9 of ceiling }", None, "the ceiling is computed"),
    # ---- data and labels ---------------------------------------------------------------------
    ('data "items.jsonl" { id sku  text title  numeric »title }', "E404", "field 'title' is both text and numeric"),
    ('data "items.jsonl" { id sku  text title  test file »"items.jsonl" }', "E404", "the test file is the data file"),
    ('data "items.jsonl" { id sku  text title, tags }\nlabels from »"tags"', "E404", "the label field 'tags' is also a text field"),
    ('data "items.jsonl" { id sku  numeric price, tags }\nlabels from »"tags"', "E404", "is also a numeric field"),
    ('labels from »"sku"', "E404", "the label field 'sku' is also the id field"),
    ('labels columns [»"title", "a*"]', "E404", "the label field 'title' is also a text field"),
    ('labels from "tags" { include ["a*"]  exclude [»"a*"] }', "E404", "'a*' is both included and excluded"),
    ('labels columns ["a*"] { separator »"|" }', "E404", "the labels come from 0/1 columns"),
    ('labels from "tags" { names ["a"]  include [»"x*"] }', "E404", "names lists the labels exactly, so include does not apply"),
    ('labels from "tags" { names ["a"]  exclude [»"x*"] }', "E404", "so exclude does not apply"),
    ('labels from "tags" { names ["a"]  max_labels »5 }', "E404", "so max_labels does not apply"),
    ('labels from "tags" { names ["a"]  min_positives »5 }', "E404", "so min_positives does not apply"),
    ('labels from "tags" { names ["a"] }\nvary »max_labels [5, 10]', "E404", "so max_labels does not apply"),
    ('data "items.jsonl" { id sku  text title  test file "test.jsonl" }\nvary »test_fraction [0.1, 0.2]', "E404",
     "test fraction is not used"),
    ('data "items.jsonl" { id sku  text title  test file "test.jsonl" }\nvary »test_seed [1, 2]', "E404", "the test seed is not used"),
    ('data "items.jsonl" { id sku  text sku, title }', None, "the id may also be read as text (a package's name)"),
    ('labels from "tags" { min_positives 0 }', None, "keeps every label"),
    ('data "items.jsonl" { id sku }', None, "no input field: the encoder says so when the data is loaded (D212)"),
    # ---- model and train ---------------------------------------------------------------------
    ("model { ensemble 1  diversity »poisson }", "E404", "diversity poisson makes committee members differ"),
    ("model { diversity »bootstrap }", "E404", "the committee has one member (ensemble 1)"),
    ("model { ensemble 3 }\nvary »diversity [init, poisson]\nvary ensemble [1]", "E404", "diversity init"),
    ("train { epochs 3  early_stop »5 }", "E404", "early_stop 5 waits 5 epochs without improvement, but a round trains 3 epochs"),
    ("train { epochs 3  early_stop »3 }", "E404", "it never stops one early"),
    ("train { epochs 3  »epochs 4 }", "E401", "'epochs' is given twice"),
    ("train { epochs 10  early_stop 3 }", None, "can stop a round early"),
    ("train { epochs 3  early_stop 5  min_steps 100 }", None, "min_steps can raise a round's epochs"),
    ("model { diversity poisson }\nvary ensemble [1, 5]", None, "the 5-member runs use it"),
    ("model { ensemble 1 }\nquery { policy disagreement  budget 1000 }", None,
     "a committee policy with one member falls back to entropy and warns at run time"),
    ("model { encoder hashed_bag(table=per_member)  ensemble 1 }", None, "a component's arguments are its own business"),
    # ---- weighting --------------------------------------------------------------------------
    ("weighting { importance no  clip »5 }", "E404", "clip limits importance weights, but importance is no"),
    ("weighting { importance no  normalize »yes }", "E404", "normalize rescales importance weights, but importance is no"),
    ("weighting { clip »5 }\nvary importance [no]", "E404", "clip limits importance weights"),
    ("weighting { thresholds tuned »0.4 }", "E404", "thresholds tuned takes no value"),
    ("weighting { thresholds expected »0.4 }", "E404", "thresholds expected takes no value"),
    ("weighting { thresholds progressive »0.4 }", "E404", "thresholds progressive takes no value"),
    ("vary »threshold [0.3, 0.5]", "E404", "the fixed threshold is not used: thresholds are progressive"),
    ("weighting { thresholds expected }\nvary »threshold [0.3, 0.5]", "E404", "the fixed threshold is not used: thresholds are expected"),
    ("weighting { clip 5 }\nvary importance [yes, no]", None, "the importance runs use the clip"),
    ("weighting { importance no  normalize no }", None, "normalize no asks for nothing"),
    ("weighting { clip 1 }", None, "clip 1 weighs every answer 1, like importance no: a clip sweep's end"),
    ("weighting { importance no  thresholds fixed 0.3  imbalance focal }", None, "independent of importance"),
    ("weighting { thresholds tuned }\nvary threshold [0.3, 0.5]", None, "tuned falls back to the fixed threshold"),
    ("vary thresholds [fixed, expected]\nvary threshold [0.3, 0.5]", None, "the fixed runs use it"),
    # ---- vary, repeat, seeds ----------------------------------------------------------------
    ("vary policy [random, uncertainty, »random]", "E406", "the value 'random' is listed twice"),
    ("vary ensemble »[]", "E406", "vary ensemble needs at least one value"),
    ("vary ensemble [1, »0, 3]", "E311", "ensemble must be at least 1, not 0"),
    ("vary policy [random]\n»vary policy [iwal]", "E401", "'vary policy' is given twice"),
    ("seed 3\nvary seed [1, 2]", None, "the statement is the base plan (the ceiling trains from it)"),
    ("vary seed [1, 2]\nrepeat 3", None, "each seed repeated with derived seeds"),
    ("ceiling yes", None, "with a budget: the ceiling besides the run"),
]


def located(snippet: str) -> tuple[str, tuple[int, int] | None]:
    """The full spec text and the (line, column) the marker stood at."""
    text = snippet if snippet.startswith("data ") else DATA + snippet
    if "labels " not in text:
        head, _, rest = text.partition("\n")
        text = head + "\n" + LABELS + rest
    if "query {" not in text:
        text = text.rstrip("\n") + "\n" + QUERY
    at = text.find(MARK)
    if at < 0:
        return text, None
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return text.replace(MARK, "", 1), (line, column)


@pytest.mark.parametrize(("snippet", "code", "fragment"), TABLE, ids=[f"{i:02d}-{r[1] or 'ok'}" for i, r in enumerate(TABLE)])
def test_contradiction(snippet: str, code: str | None, fragment: str, tmp_path: Path) -> None:
    text, where = located(snippet)
    spec = tmp_path / "spec.al"
    spec.write_text(text)
    if code is None:
        assert where is None, "an accepted row points nowhere"
        try:
            compile_file(spec, REGISTRY)
        except SpecErrors as exc:
            pytest.fail(f"accepted on purpose ({fragment}), but refused:\n{exc.render()}")
        return
    assert where is not None, "a refused row marks where the error points"
    with pytest.raises(SpecErrors) as info:
        compile_file(spec, REGISTRY)
    errors = info.value.errors
    assert len(errors) == 1, info.value.render()
    (err,) = errors
    assert err.pos is not None, err.render()
    assert (err.code, (err.pos.line, err.pos.column)) == (code, where), err.render()
    assert fragment in err.message, err.render()
    if code == "E404" or code == "E410":
        assert err.hint, f"a contradiction says what would be valid:\n{err.render()}"

