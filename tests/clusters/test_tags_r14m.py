"""Red team #14m W4: AWS tags held control characters (a tab, a line feed, U+001C-U+001F) because the rule tested
``str.isspace()``; the pattern components/clouds.py cites for the AWS tagging APIs,
``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`` (e.g. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Tag.html),
has letters, separators and numbers only, no Cc. The plan passed repro/Pulumi.aws-tagval.yaml (``owner:
"platform\\tteam"``) with 0 failures while the tagging APIs refuse the value.

GCP and Azure were checked for the same hole against their cited rules: GCP tags become labels through
components.clusters.gke.gcp_labels, which turns every character outside ``[a-z0-9_-]`` into ``_`` (a tab too), so the
labels are valid whatever the tag (test_cloud_names.py's property test); Azure's cited limitation
(tag-resources.md "Limitations") names only ``< > % & \\ ? /`` for names and no character rule for values, so no
further refusal has a source there."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from components.clusters.spec import tag_problem
from components.errors import SpecError
from infra.config import load

FILE = "stacks/Pulumi.t.yaml"
AWS_TAGS = "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html"
WHAT = "aws tags hold letters, digits, spaces and _.:/=+-@ only"
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}


def aws(tags: dict[str, str]) -> dict[str, str]:
    cluster = {"apiAccess": REACH}
    cfg = {"cloud": "aws", "region": "us-east-1", "cluster": cluster, "tags": tags}
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


@pytest.mark.parametrize(
    ("tags", "line"),
    [
        ({"owner": "platform\tteam"}, f'tags.owner: "platform\\tteam" is not allowed; {WHAT}, not \\t'),
        ({"owner": "a\nb"}, f'tags.owner: "a\\nb" is not allowed; {WHAT}, not \\n'),
        ({"own\x1cer": "x"}, f'tags: "own\\u001cer" is not allowed; {WHAT}, not \\u001c'),
        ({"owner": "x\x1f\x85"}, f'tags.owner: "x\\u001f\\u0085" is not allowed; {WHAT}, not \\u001f \\u0085'),
        ({"owner": "zero\u200bwidth"}, f'tags.owner: "zero\\u200bwidth" is not allowed; {WHAT}, not \\u200b'),
    ],
)
def test_a_character_outside_the_aws_pattern_is_refused_in_one_line(tags: dict[str, str], line: str) -> None:
    with pytest.raises(SpecError) as e:
        load(aws(tags), frozenset(), FILE)
    assert str(e.value) == f"{FILE}: mlplatform:{line} ({AWS_TAGS})"


def test_separators_letters_and_numbers_of_any_script_pass() -> None:
    # \p{Z}: U+00A0 (Zs), U+2028 (Zl), U+2029 (Zp), U+3000 (Zs); \p{N}: ½ (No), Ⅻ (Nl); \p{L}: é, 名
    load(aws({"team": "caf\u00e9 \u00a0\u2028\u2029\u3000\u00bd\u216b\u540d"}), frozenset(), FILE)


def test_every_character_is_judged_as_the_cited_pattern_judges_it() -> None:
    # every assigned code point of the first three planes (Python's Unicode database), against the pattern itself
    # through the regex module's \p classes (a pinned dependency: uv.lock)
    # (fullmatch: a regex ``$`` also matches before a final line feed, which would let "x\n" through; a line feed is
    # Cc, outside every class of the pattern, and refused here)
    regex = pytest.importorskip("regex")
    pattern = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
    wrong = []
    for code in range(0x30000):
        c = chr(code)
        if unicodedata.category(c) in ("Cn", "Cs"):
            continue
        if (tag_problem("aws", "k", c) is None) != bool(pattern.fullmatch(c)):
            wrong.append(f"U+{code:04X}")
    assert wrong == [], (sys.version, wrong[:20])
