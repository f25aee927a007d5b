"""The registry of rules, one module per control. Each rule is pure and keeps no state."""

from __future__ import annotations

from scanner.rules import rb01, rb03, rb05, rb11
from scanner.rules.base import Rule, RuleContext

RULES: tuple[Rule, ...] = (rb01.RULE, rb03.RULE, rb05.RULE, rb11.RULE)

__all__ = ["RULES", "Rule", "RuleContext"]
