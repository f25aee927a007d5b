"""The registry of rules, one module per control. Each rule is pure and keeps no state."""

from __future__ import annotations

from scanner.rules import rb01, rb02, rb03, rb04, rb05, rb06, rb07, rb08, rb09, rb10, rb11, rb12
from scanner.rules.base import Rule, RuleContext

RULES: tuple[Rule, ...] = (
    rb01.RULE,
    rb02.RULE,
    rb03.RULE,
    rb04.RULE,
    rb05.RULE,
    rb06.RULE,
    rb07.RULE,
    rb08.RULE,
    rb09.RULE,
    rb10.RULE,
    rb11.RULE,
    rb12.RULE,
)

__all__ = ["RULES", "Rule", "RuleContext"]
