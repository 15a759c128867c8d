"""medspaCy's TargetMatcher and ConText, fed from validated rule files.

Wrapping them gives both a rules file that is checked before use, a config
that names the file, and ``to_disk``/``from_disk`` that carry the rules with
a saved pipeline (medspaCy 1.3.1's TargetMatcher fails when given a rules
path at construction, and neither component saves its rules).
"""

from __future__ import annotations

import bisect
import itertools
import warnings
from typing import Any

import numpy as np
from medspacy.context import ConText, ConTextGraph, ConTextModifier, ConTextRule
from medspacy.target_matcher import TargetMatcher, TargetRule
from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.target_gate import GatedTargetMatcher
from radfollow.rules.schema import ContextRules, TargetRules

# medspaCy keeps a token Matcher and a PhraseMatcher; one of them is empty by
# design, which makes spaCy warn (W036) on every document.
warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)


def _rule_kwargs(rule: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = rule.model_dump(exclude_none=True)
    anchor = kwargs.pop("gate_anchor", None)
    if anchor is not None:  # read by radfollow.nlp.target_gate.rule_anchor
        kwargs["metadata"] = {"gate_anchor": anchor}
    return kwargs


class RadTargetMatcher(RuleFileComponent):
    rules_model = TargetRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        rules = [TargetRule(**_rule_kwargs(r)) for r in self.rules.target_rules]
        self._matcher = TargetMatcher(self.nlp, name=f"{self.name}_inner", rules=None)
        self._matcher.add(rules)
        self._gated = GatedTargetMatcher(self.nlp, rules)

    def __call__(self, doc: Doc) -> Doc:
        if not self._gated.enabled:
            return self._matcher(doc)
        spans = self._gated.spans(doc)
        if spans:  # as before: a Doc without targets keeps its entity tags unset
            doc.ents = (*doc.ents, *_without_overlaps(doc, spans))
        return doc


def _without_overlaps(doc: Doc, spans: list[Span]) -> list[Span]:
    """``spans`` that overlap neither an entity of ``doc`` nor an earlier span.

    As medspaCy's TargetMatcher: an existing entity wins, and the loser is
    skipped with a warning. ``doc.ents`` is set once by the caller: setting it
    per span rebuilt every entity each time, quadratic in a long report.
    """
    taken = np.zeros(len(doc), dtype=bool)
    for ent in doc.ents:
        taken[ent.start : ent.end] = True
    kept = []
    for span in spans:
        if taken[span.start : span.end].any():
            warnings.warn(
                f"target {span.label_} overlaps an existing entity and is skipped",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        taken[span.start : span.end] = True
        kept.append(span)
    return kept


class RadContext(RuleFileComponent):
    rules_model = ContextRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        self._context = ConText(self.nlp, name=f"{self.name}_inner", rules=None, span_attrs=None)
        built = []
        for rule in self.rules.context_rules:
            kwargs = _rule_kwargs(rule)
            for key in ("allowed_types", "excluded_types", "terminated_by"):
                if key in kwargs:
                    kwargs[key] = set(kwargs[key])
            built.append(ConTextRule(**kwargs))
        self._context.add(built)
        # grouped_context reproduces stock ConText for targets from doc.ents, unpruned
        self._grouped = (
            not self._context.prune_on_target_overlap and self._context.input_span_type == "ents"
        )

    def __call__(self, doc: Doc) -> Doc:
        # ConText only modifies targets (doc.ents here): a report without
        # findings skips its modifier matching (most normal chest films).
        if not doc.ents:
            return doc
        if self._grouped:
            return grouped_context(self._context, doc)
        return self._context(doc)


def grouped_context(context: ConText, doc: Doc) -> Doc:
    """medspaCy 1.3.1's ``ConText.__call__`` on ``doc.ents``, with the same edges, in linear time.

    Stock ConText compares every pair of modifiers of the Doc and every
    modifier with every target: quadratic in the report's length (a 100 KB
    report took 18 s). A modifier's scope is its sentence (or its window), and
    ``limit_scope`` and ``modifies`` do nothing unless the scopes (or scope and
    target) overlap; scopes only shrink. So the modifiers are grouped into runs
    of touching scopes, and each group is compared within itself and with the
    targets it touches, in stock order; the edges, ``_.modifiers`` and
    ``doc._.context_graph`` come out as stock ConText sets them.
    """
    modifiers = matched_modifiers(context, doc)
    targets = list(doc.ents)
    ends = [target.end for target in targets]
    for group in _touching_scopes(modifiers):
        graph = ConTextGraph(modifiers=group, targets=_targets_in(targets, ends, group))
        graph.update_scopes()
        graph.apply_modifiers()
    edges = []  # stock order: by modifier, then target (max_targets applied by the groups)
    for modifier in modifiers:
        edges += [(target, modifier) for target in modifier._targets]
    for target, modifier in edges:
        target._.modifiers += (modifier,)
    if context.context_attributes_mapping:
        context.set_context_attributes(edges)
    doc._.context_graph = ConTextGraph(targets=targets, modifiers=modifiers, edges=edges)
    return doc


def matched_modifiers(context: ConText, doc: Doc) -> list[ConTextModifier]:
    """Every modifier ``context``'s rules match in ``doc``, stock order, scopes unlimited."""
    matcher = context._ConText__matcher  # private in medspaCy 1.3.1 (constraints.txt)
    return [
        ConTextModifier(
            matcher.rule_map[context.nlp.vocab[key].text],
            start,
            end,
            doc,
            max_scope=context.max_scope,
        )
        for key, start, end in matcher(doc)
    ]


def scoped_modifiers(context: ConText, doc: Doc) -> list[ConTextModifier]:
    """The modifiers of ``doc`` with their scopes limited by each other (terminations,
    pseudo-modifiers) as stock ConText limits them, without any targets: what
    :func:`grouped_context` leaves in ``doc._.context_graph.modifiers``."""
    modifiers = matched_modifiers(context, doc)
    for group in _touching_scopes(modifiers):
        ConTextGraph(modifiers=group, targets=[]).update_scopes()
    return modifiers


def _touching_scopes(modifiers: list[ConTextModifier]) -> list[list[ConTextModifier]]:
    """Modifiers in groups whose scopes touch or overlap (closed intervals), each in stock order."""
    order = sorted(range(len(modifiers)), key=lambda i: modifiers[i].scope_span[0])
    groups: list[list[int]] = []
    end = -1
    for i in order:
        start, stop = modifiers[i].scope_span
        if not groups or start > end:
            groups.append([])
            end = stop
        groups[-1].append(i)
        end = max(end, stop)
    return [[modifiers[i] for i in sorted(group)] for group in groups]


def _targets_in(targets: list[Span], ends: list[int], group: list[ConTextModifier]) -> list[Span]:
    """Targets touching the group's scopes; ``targets`` sorted (``doc.ents``), ``ends`` theirs."""
    low = min(m.scope_span[0] for m in group)
    high = max(m.scope_span[1] for m in group)
    found = []
    for target in itertools.islice(targets, bisect.bisect_left(ends, low), None):
        if target.start > high:
            break
        found.append(target)
    return found
