"""Any mutation of a valid declaration loads, or fails with an error naming the file and a field:
never a traceback."""

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.declarations.catalog import CatalogError, load_file

VALID = {
    "service": "Acme",
    "documents": [{
        "type": "privacy-policy",
        "variants": [
            {"region": "US", "language": "en", "url": "https://acme.example.com/privacy",
             "select": ["main", {"start": "#us", "end": "#eea"}], "remove": [".icon"],
             "history": [{"until": "2021-07-15", "select": ["article"]}]},
            {"region": "EEA", "language": "de", "url": "https://acme.example.com/de", "fetch": "browser"},
        ],
    }],
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(string.printable, max_size=12), st.sampled_from(["##x", "a[", "ftp://x", "file:///etc/passwd",
                                                                              "http://10.0.0.1/", "javascript:alert(1)", "2021-13-45"]))
# Keys YAML reads as no text (1:, true:, null:) as well as text ones.
keys = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)), max_leaves=6)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


ALL_PATHS = [p for p in paths(VALID) if p]


def mutate(doc, path, action, value):
    import copy

    doc = copy.deepcopy(doc)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = value
    elif isinstance(parent, dict):
        parent[f"{key}_extra"] = value
    return doc


def check(tmp_path, text):
    path = tmp_path / "acme.yml"
    path.write_text(text)
    try:
        load_file(path)
    except CatalogError as exc:
        assert exc.errors
        for error in exc.errors:
            assert error.path == str(path) and error.line >= 1 and error.field and error.message
            assert str(error).startswith(f"{path}:{error.line}: {error.field}: ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ALL_PATHS), action=st.sampled_from(["delete", "replace", "add"]), value=values)
def test_a_mutated_field_loads_or_names_file_line_and_field(tmp_path, path, action, value):
    check(tmp_path, yaml.safe_dump(mutate(VALID, path, action, value), allow_unicode=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), junk=st.text(string.printable, min_size=1, max_size=4), cut=st.booleans())
def test_mutated_yaml_text_loads_or_names_file_line_and_field(tmp_path, position, junk, cut):
    text = yaml.safe_dump(VALID)
    position %= len(text)
    check(tmp_path, text[:position] + ("" if cut else junk) + text[position + (len(junk) if cut else 0):])
