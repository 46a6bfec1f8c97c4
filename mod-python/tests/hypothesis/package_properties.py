"""Properties of the package's parsers that import mod_python.apache, so run inside httpd
(in_httpd.handler): query strings (util.parse_qsl, apache.parse_qsl), header values and a
multipart part's headers (util), PSP templates (psp.parsestring), and which names a published
page defines (publisher)."""

import keyword
import os
import tempfile
import urllib.parse

from hypothesis import given, strategies as st

from mod_python import apache, psp, publisher, util

text = st.text(max_size=60)
pairs = st.lists(st.tuples(st.text(min_size=1, max_size=10), st.text(max_size=10)), max_size=8)
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name))


@given(pairs)
def test_urlencoded_pairs_read_back_as_written(written):
    qs = urllib.parse.urlencode(written)
    assert util.parse_qsl(qs, 1) == written
    assert util.parse_qsl(qs.encode("ascii"), 1) == [
        (k.encode("utf-8"), v.encode("utf-8")) for k, v in written]
    assert util.parse_qs(qs, 1) == urllib.parse.parse_qs(qs, True)


@given(st.one_of(text, st.binary(max_size=60)), st.booleans(), st.booleans())
def test_any_query_string_parses_or_raises_value_error_when_strict(qs, blanks, strict):
    for parse in (util.parse_qsl, util.parse_qs, apache.parse_qsl, apache.parse_qs):
        if parse in (apache.parse_qsl, apache.parse_qs) and isinstance(qs, bytes):
            continue
        try:
            parse(qs, blanks, strict)
        except ValueError:
            assert strict


@given(st.one_of(text, st.binary(max_size=60)))
def test_any_header_value_splits_into_a_value_and_parameters(line):
    value, params = util.parse_header(line)
    assert isinstance(value, str) and value == value.lower()
    assert all(isinstance(k, str) and k == k.lower() for k in params)


@given(st.binary(max_size=200))
def test_a_part_s_headers_parse_or_are_malformed(block):
    try:
        headers = util._parse_part_headers(block)
    except util._Malformed:
        return
    assert all(name and ":" not in name for name, _ in headers)


psp_tokens = st.sampled_from(["<%", "%>", "<%=", "<%--", "--%>", "<%!", "\n", "\r\n", "    ",
                              "if 1:", "x = 1", "# end", '"""', "\\", "<%@ include %>"])


@given(st.lists(st.one_of(psp_tokens, st.text(max_size=6)), max_size=20).map("".join))
def test_any_psp_template_parses_or_is_a_syntax_error(template):
    try:
        code = psp.parsestring(template)
    except SyntaxError:
        return
    assert isinstance(code, str)
    try:
        compile(code, "<template>", "exec")
    except (SyntaxError, ValueError):
        pass  # the page's own Python, which the template holds as written


@given(st.lists(st.tuples(st.sampled_from(["def", "class", "assign", "for", "import",
                                          "from", "try"]), identifiers), max_size=8),
       st.text(max_size=40))
def test_a_page_s_own_names_are_its_definitions_not_its_imports(statements, junk):
    lines, defined, imported = [], set(), set()
    for kind, name in statements:
        if kind == "def":
            lines.append("def %s():\n    import os as %s_inner" % (name, name))
        elif kind == "class":
            lines.append("class %s:\n    x = 1" % name)
        elif kind == "assign":
            lines.append("%s, _t = 1, 2" % name)
        elif kind == "for":
            lines.append("for %s in ():\n    pass" % name)
        elif kind == "try":
            lines.append("try:\n    %s = 1\nexcept Exception as %s_e:\n    pass" % (name, name))
        elif kind == "import":
            lines.append("import os as %s" % name)
            imported.add(name)
            continue
        else:
            lines.append("from os import sep as %s" % name)
            imported.add(name)
            continue
        defined.add(name)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        found = publisher._scan_bindings(f.name)
    finally:
        os.unlink(f.name)
    assert defined <= found
    assert not (imported - defined) & found
    assert not any(n.endswith("_inner") for n in found)
    # Whatever the file holds, reading it never fails.
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(junk)
    try:
        assert isinstance(publisher._scan_bindings(f.name), frozenset)
    finally:
        os.unlink(f.name)
