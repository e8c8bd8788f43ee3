"""Rule packs of any size for the benchmark: the default pack plus generated `forbid` rules.

Each generated rule forbids ten made-up agent phrases of 3-5 common characters: like most phrases
of a real pack, they occur in almost no conversation (in none of the benchmark corpus). With 2-4
characters, as at first, the 471 generated rules fired 2.4 times as often as the whole default pack,
which no real pack does. The same size always gives the same pack.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RULES = ROOT / "rules"
_CHARS = (
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
)


def default_rule_count() -> int:
    """Number of rules in the default pack."""
    from qa_audit.rules import load_ruleset

    return len(load_ruleset(DEFAULT_RULES).rules)


def make_pack(dest: Path, n_rules: int, seed: int = 7) -> Path:
    """Write the default pack plus generated rules up to `n_rules` rules into `dest`; return it."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(DEFAULT_RULES, dest)
    extra = n_rules - default_rule_count()
    if extra <= 0:
        return dest
    rng = random.Random(seed)
    lines = ["rules:"]
    for i in range(extra):
        phrases = sorted({"".join(rng.choice(_CHARS) for _ in range(rng.randint(3, 5))) for _ in range(10)})
        lines += [
            f"  - id: bench.rule_{i:04d}",
            f"    title: 基准规则{i}",
            "    category: 基准",
            "    source: benchmark",
            "    description: A generated rule for the benchmark.",
            "    severity: minor",
            "    points: 1",
            "    message: 基准规则命中",
            "    kind: forbid",
            "    match:",
            f"      any: [{', '.join(phrases)}]",
            "    examples:",
            "      fire:",
            f'        - {{turns: ["客户：你好", "客服：{phrases[0]}"]}}',
            "      pass:",
            '        - {turns: ["客户：你好", "客服：您好，请问有什么可以帮您？"]}',
        ]
    (dest / "zz_bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest
