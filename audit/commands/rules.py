"""`audit rules` (every rule as a table) and `audit rule ID` (one rule explained, with a spec's numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audit import config as cfg
from audit.commands import Write
from audit.errors import AuditError, close_matches
from audit.records import RuleInfo


def _all_rules(rule_dirs: Sequence[str] | None) -> list:
    """Rules shipped with audit plus those of --rule-dir (else the rule-dirs of the working directory's config)."""
    from audit.judge.rules import load_rules

    if rule_dirs is None:
        config = cfg.find_config(Path.cwd())
        rule_dirs = [str(d) for d in config.rule_dirs] if config else []
    return load_rules(tuple(Path(d) for d in rule_dirs))


def rule_infos(rule_dirs: Sequence[str] | None = None) -> list[RuleInfo]:
    """Every rule, the suppression and run-level rules included, sorted by id."""
    from audit import paths, suppress

    infos = [r.info() for r in _all_rules(rule_dirs)] + list(suppress.RULES) + list(paths.RULES)
    return sorted(infos, key=lambda r: r.id)


def rules_table(infos: Sequence[RuleInfo]) -> str:
    """`audit rules`: a Markdown table, one row per rule."""
    from audit.output.markdown import md_escape

    lines = ["| id | name | level | check | description |", "|---|---|---|---|---|"]
    lines += [f"| {r.id} | {r.name} | {r.level} | {r.check} | {md_escape(r.description)} |" for r in infos]
    return "\n".join(lines) + "\n"


def run(args, write: Write) -> int:
    """`audit rules`: every rule as a table."""
    write(rules_table(rule_infos(args.rule_dir)), args.output)
    return 0


def explain_rule(rule_id: str, rule_dirs: Sequence[str] | None = None, spec: str | None = None) -> str:
    """`audit rule ID`: what the rule checks, its level, tolerance, metrics and formulas, an example.

    With a spec, each formula name that is a first-principles estimate is shown with its
    symbolic formula and the spec's numbers for every scenario. An unknown id (or name) is an
    AuditError listing the closest ones.
    """

    from audit import paths, suppress

    rules = _all_rules(rule_dirs)
    wanted = rule_id.strip().upper()
    rule = next((r for r in rules if wanted in (r.id, r.spec.name.upper())), None)
    if rule is None:
        info = next((r for r in (*suppress.RULES, *paths.RULES) if wanted in (r.id, r.name.upper())), None)
        if info is None:
            names = [r.id for r in rules] + [r.id for r in (*suppress.RULES, *paths.RULES)]
            close = close_matches(wanted, names)
            hint = f" (did you mean {', '.join(close)}?)" if close else " (`audit rules` lists them)"
            raise AuditError(f"unknown rule '{rule_id}'{hint}")
        return _explain(info, [f"- level: {info.level}", f"- check: {info.check}"])
    s = rule.spec
    facts = [f"- level: {s.level}", f"- check: {s.check}", f"- tolerance: {s.tolerance:.0%}"]
    if s.warn_margin is not None:
        facts.append(f"- warning margin: {s.warn_margin:.0%}")
    facts.append(f"- metric: {', '.join(f'`{m}`' for m in s.metric)}")
    if s.relation:
        facts.append(f"- relation: {s.relation}")
    for field in ("expected", "floor", "ceiling", "min_prompt_floor", "list_total"):
        value = getattr(s, field)
        if value:
            texts = value if isinstance(value, list) else [value]
            facts.append(f"- {field.replace('_', ' ')}: {' or '.join(f'`{t}`' for t in texts)}")
    if s.include_quoted:
        facts.append("- also judges figures the report quotes to dispute")
    facts.append(f"- message: {s.message}")
    facts.append(f"- defined in: {_near(rule.source)}")
    text = _explain(rule.info(), facts)
    if spec:
        text += _formulas(rule, spec)
    else:
        text += ("\nThe names in the formulas are metrics the model computes (`audit calc --spec SPEC` lists them); "
                 "give `--spec SPEC` to see their formulas with the numbers of a spec.\n")
    return text


def _explain(info: RuleInfo, facts: list[str]) -> str:
    lines = [f"# {info.id} {info.name}", "", info.description, "", *facts]
    if info.example:
        lines += ["", "Example:", "", f"    {info.example}"]
    return "\n".join(lines) + "\n"


def _formulas(rule, spec: str) -> str:
    """Table of every estimate the rule's formulas name, per scenario of `spec`."""
    from audit.output.markdown import fmt
    from audit.physics.model import evaluate
    from audit.spec.load import load_spec

    loaded = load_spec(spec)
    names = sorted({n for formulas in rule.formulas.values() for f in formulas for n in f.names} | set(rule.spec.metric))
    lines = ["", f"With the numbers of {spec}:", "", "| scenario | name | formula | with numbers | value |",
             "|---|---|---|---|---|"]
    for scenario, sc in loaded.default_scenarios().items():
        estimates = evaluate(sc)
        for name in names:
            est = estimates.get(name)
            if est is not None:
                lines.append(f"| {scenario} | `{name}` | `{est.formula}` | `{est.substitution}` | "
                             f"{fmt(est.value, est.unit)} |")
    return "\n".join(lines) + "\n"


def _near(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def run_rule(args, write: Write) -> int:
    """`audit rule ID`: one rule explained."""
    write(explain_rule(args.rule, args.rule_dir, args.spec), args.output)
    return 0
