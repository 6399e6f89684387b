"""JUnit XML for CI test-report views (GitLab, Jenkins, Azure): one test suite per rule, one
failing test case per finding, named by its place. Characters XML 1.0 cannot hold (control
characters from the user's source) are written as `\\xNN`."""

from __future__ import annotations

import re
from itertools import groupby
from xml.sax.saxutils import escape

from .common import ReportOptions, reported, unlinked

# XML 1.0 allows tab, LF, CR and everything from U+0020 but surrogates and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _attr(text) -> str:
    """A double-quoted attribute value; line breaks and tabs as character references, which
    attribute normalisation would otherwise turn into spaces."""
    entities = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
    return '"' + escape(_xml_safe(str(text)), entities) + '"'



def render_junit(result, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    paths = options.paths_for(result)
    findings = sorted(reported(result, options), key=lambda f: (f.code, f.sort_key()))
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="perfscan" tests="{len(findings)}" failures="{len(findings)}">']
    for code, group in groupby(findings, key=lambda f: f.code):
        group = list(group)
        suite = f"{code} {group[0].rule_name}"
        out.append(f'  <testsuite name={_attr(suite)} tests="{len(group)}" failures="{len(group)}">')
        for finding in group:
            s = finding.span
            path = paths(s.path)
            message = unlinked(finding.message)
            out.append(f'    <testcase name={_attr(f"{path}:{s.line}:{s.col}")} classname={_attr(suite)} '
                       f'file={_attr(path)} line="{s.line}">')
            body = f"{path}:{s.line}:{s.col}: {finding.level}: {code} {message}"
            if finding.snippet:
                body += "\n" + finding.snippet.split("\n")[0]
            out.append(f'      <failure message={_attr(message)} type={_attr(finding.level)}>'
                       f'{escape(_xml_safe(body))}</failure>')
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
