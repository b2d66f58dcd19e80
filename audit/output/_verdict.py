"""Generated from audit/output/templates/verdict.md.j2 by `python -m audit.precompiled`: do not edit.

jinja2's compiled form of the template (`Environment.compile_templates`), used only with the jinja2
version, the template text and the environment options it was compiled with."""

# fmt: off
# ruff: noqa
# mypy: ignore-errors
JINJA2 = '3.1.6'
SOURCE = 'bcc6451ff822488e2b0aa96db3e7148af1583c59d946da6c1391b785dca8d4fa'
OPTIONS = "[('autoescape', False), ('keep_trailing_newline', True), ('lstrip_blocks', True), ('trim_blocks', True)] StrictUndefined"

from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'verdict.md.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_r = resolve('r')
    l_0_verdict = resolve('verdict')
    l_0_headline = resolve('headline')
    l_0_preamble = resolve('preamble')
    l_0_rows = resolve('rows')
    l_0_charts = resolve('charts')
    l_0_confirmed = resolve('confirmed')
    l_0_evidence = resolve('evidence')
    l_0_tables = resolve('tables')
    l_0_suppressed = resolve('suppressed')
    l_0_unverified = resolve('unverified')
    l_0_conventions = resolve('conventions')
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_2 = environment.filters['md']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'md' found.")
    pass
    yield '# Audit of '
    yield str(t_2(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'path')))
    yield '\n\n**Result: '
    yield str((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict))
    yield '** — '
    yield str((undefined(name='headline') if l_0_headline is missing else l_0_headline))
    yield '. Spec: '
    yield str(t_2(environment.getattr((undefined(name='r') if l_0_r is missing else l_0_r), 'spec')))
    yield '.\n\n'
    yield str((undefined(name='preamble') if l_0_preamble is missing else l_0_preamble))
    yield '\n\n'
    if (undefined(name='rows') if l_0_rows is missing else l_0_rows):
        pass
        yield '| | line | figure | claimed | first principles | off by | rule | correction |\n|---|---|---|---|---|---|---|---|\n'
        for l_1_row in (undefined(name='rows') if l_0_rows is missing else l_0_rows):
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.getattr(l_1_row, 'mark'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'line'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'label'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'claimed'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'truth'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'off'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'rules'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'fix'))
            yield ' |\n'
        l_1_row = missing
    else:
        pass
        yield 'No figure of this report could be judged against the spec.\n'
    for l_1_chart in (undefined(name='charts') if l_0_charts is missing else l_0_charts):
        _loop_vars = {}
        pass
        yield '\n![Roofline of scenario '
        yield str(t_2(environment.getattr(l_1_chart, 'scenario')))
        yield ']('
        yield str(environment.getattr(l_1_chart, 'path'))
        yield ')\n'
    l_1_chart = missing
    if (undefined(name='confirmed') if l_0_confirmed is missing else l_0_confirmed):
        pass
        yield '\n<details><summary>'
        yield str(t_1((undefined(name='confirmed') if l_0_confirmed is missing else l_0_confirmed)))
        yield ' figure'
        yield str(('' if (t_1((undefined(name='confirmed') if l_0_confirmed is missing else l_0_confirmed)) == 1) else 's'))
        yield ' confirmed</summary>\n\n| line | figure | claimed | first principles | rule |\n|---|---|---|---|---|\n'
        for l_1_row in (undefined(name='confirmed') if l_0_confirmed is missing else l_0_confirmed):
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.getattr(l_1_row, 'line'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'label'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'claimed'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'truth'))
            yield ' | '
            yield str(environment.getattr(l_1_row, 'rules'))
            yield ' |\n'
        l_1_row = missing
        yield '\n</details>\n'
    if (undefined(name='evidence') if l_0_evidence is missing else l_0_evidence):
        pass
        yield '\n<details><summary>Why: the formula and the numbers behind each finding</summary>\n'
        for l_1_e in (undefined(name='evidence') if l_0_evidence is missing else l_0_evidence):
            _loop_vars = {}
            pass
            yield '\n#### Line '
            yield str(environment.getattr(l_1_e, 'line'))
            yield ': '
            yield str(environment.getattr(l_1_e, 'title'))
            yield '\n\n'
            if environment.getattr(l_1_e, 'quote'):
                pass
                yield '> '
                yield str(environment.getattr(l_1_e, 'quote'))
                yield '\n\n'
            for l_2_f in environment.getattr(l_1_e, 'findings'):
                _loop_vars = {}
                pass
                yield '- **'
                yield str(environment.getattr(l_2_f, 'rule'))
                yield ' '
                yield str(environment.getattr(l_2_f, 'name'))
                yield '** ('
                yield str(environment.getattr(l_2_f, 'severity'))
                yield '): '
                yield str(t_2(environment.getattr(l_2_f, 'message')))
                yield '\n'
                if environment.getattr(l_2_f, 'formula'):
                    pass
                    yield '  - formula: `'
                    yield str(environment.getattr(l_2_f, 'formula'))
                    yield '`'
                    if environment.getattr(l_2_f, 'substitution'):
                        pass
                        yield '; with numbers: `'
                        yield str(environment.getattr(l_2_f, 'substitution'))
                        yield '`'
                    yield '\n'
                if (environment.getattr(l_2_f, 'scenario') or environment.getattr(l_2_f, 'interpretation')):
                    pass
                    yield '  - scenario: '
                    yield str(t_2((environment.getattr(l_2_f, 'scenario') or 'any')))
                    yield '; reading: '
                    yield str(t_2((environment.getattr(l_2_f, 'interpretation') or '-')))
                    yield '\n'
                if environment.getattr(l_2_f, 'unsure'):
                    pass
                    yield '  - a warning at most: '
                    yield str(t_2(environment.getattr(l_2_f, 'unsure')))
                    yield '\n'
            l_2_f = missing
        l_1_e = missing
        yield '\n</details>\n'
    for (l_1_name, l_1_rows) in context.call(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'items')):
        _loop_vars = {}
        pass
        yield '\n<details><summary>Recomputed figures, scenario '
        yield str(t_2(l_1_name))
        yield '</summary>\n\n| metric | first principles | interpretations | formula | with numbers |\n|---|---|---|---|---|\n'
        for l_2_row in l_1_rows:
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.getattr(l_2_row, 'metric'))
            yield str((' (floor)' if (environment.getattr(l_2_row, 'kind') == 'floor') else (' (ceiling)' if (environment.getattr(l_2_row, 'kind') == 'ceiling') else '')))
            yield ' | '
            yield str(environment.getattr(l_2_row, 'value'))
            yield ' | '
            yield str(environment.getattr(l_2_row, 'range'))
            yield ' | `'
            yield str(environment.getattr(l_2_row, 'formula'))
            yield '` | `'
            yield str(environment.getattr(l_2_row, 'substitution'))
            yield '` |\n'
        l_2_row = missing
        yield '\n</details>\n'
    l_1_name = l_1_rows = missing
    if (undefined(name='suppressed') if l_0_suppressed is missing else l_0_suppressed):
        pass
        yield '\n<details><summary>Suppressed in the report ('
        yield str(t_1((undefined(name='suppressed') if l_0_suppressed is missing else l_0_suppressed)))
        yield ')</summary>\n\n| line | rule | justification |\n|---|---|---|\n'
        for l_1_f in (undefined(name='suppressed') if l_0_suppressed is missing else l_0_suppressed):
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.getattr(l_1_f, 'line'))
            yield ' | '
            yield str(environment.getattr(l_1_f, 'rule'))
            yield ' | '
            yield str(t_2(environment.getattr(l_1_f, 'suppressed')))
            yield ' |\n'
        l_1_f = missing
        yield '\n</details>\n'
    if (undefined(name='unverified') if l_0_unverified is missing else l_0_unverified):
        pass
        yield '\n<details><summary>Figures not verified ('
        yield str(t_1((undefined(name='unverified') if l_0_unverified is missing else l_0_unverified)))
        yield ')</summary>\n\nRecognised but not checkable with what the spec gives, quoted to be disputed, about another model or accelerator, or bound to no metric.\n\n| line | figure | label | metric |\n|---|---|---|---|\n'
        for l_1_c in (undefined(name='unverified') if l_0_unverified is missing else l_0_unverified):
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.getattr(l_1_c, 'line'))
            yield ' | '
            yield str(t_2(environment.getattr(l_1_c, 'figure')))
            yield ' | '
            yield str(t_2((environment.getattr(l_1_c, 'label') or environment.getattr(l_1_c, 'before'))))
            yield ' | '
            yield str(t_2((environment.getattr(l_1_c, 'metric') or '-')))
            yield str((' (quoted)' if environment.getattr(l_1_c, 'quoted') else ''))
            yield str((str_join((' (about ', t_2(environment.getattr(l_1_c, 'about')), ')', )) if environment.getattr(l_1_c, 'about') else ''))
            yield ' |\n'
        l_1_c = missing
        yield '\n</details>\n'
    yield '\n<details><summary>Conventions</summary>\n\n'
    for l_1_c in (undefined(name='conventions') if l_0_conventions is missing else l_0_conventions):
        _loop_vars = {}
        pass
        yield '- '
        yield str(l_1_c)
        yield '\n'
    l_1_c = missing
    yield '\n</details>\n'

blocks = {}
debug_info = '1=36&3=38&5=44&7=46&10=49&11=53&16=73&18=77&20=82&22=85&26=89&27=93&32=105&35=108&37=112&39=116&40=119&43=121&44=125&45=133&46=136&49=144&50=147&52=151&53=154&60=159&62=163&66=165&67=169&72=183&74=186&78=188&79=192&84=200&86=203&92=205&93=209&101=222&102=226'
