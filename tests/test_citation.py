"""CITATION.cff: valid Citation File Format 1.2.0, and in step with pyproject.toml, _config.yml and the
bibliography.

``tests/cff_schema_1.2.0.json`` is the format's official JSON schema
(https://citation-file-format.github.io/1.2.0/schema.json, CC-BY-4.0, The Citation File Format
authors), copied unchanged from the ``cffconvert`` 2.0.0 wheel on PyPI (``cffconvert/schemas/1.2.0``);
cffconvert itself pins ``jsonschema<4``, older than ours, so it is not installed.
"""

from __future__ import annotations

import json
import re
import tomllib

import jsonschema
import pytest
import yaml

from lib.paths import REPO

SCHEMA = REPO / "tests" / "cff_schema_1.2.0.json"


@pytest.fixture(scope="module")
def cff() -> dict:
    # The schema wants dates and versions as strings; YAML's safe loader already keeps 0.1.0 a string.
    return yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))


def validate(document: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


def test_citation_file_follows_the_schema(cff):
    assert cff["cff-version"] == "1.2.0"
    validate(cff)


def test_the_schema_check_can_fail(cff):
    broken = {k: v for k, v in cff.items() if k != "authors"}
    with pytest.raises(jsonschema.ValidationError, match="authors"):
        validate(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate({**cff, "references": [{**cff["references"][0], "type": "paper"}]})


def test_citation_matches_pyproject_and_book(cff):
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert cff["version"] == project["version"]
    assert cff["license"] == project["license"] == "MIT"
    assert cff["title"] == config["title"]
    assert [a["name"] for a in cff["authors"]] == [config["author"]]


def test_references_are_the_four_source_works_as_in_the_bibliography(cff):
    bib = (REPO / "book" / "references.bib").read_text(encoding="utf-8")
    entries = {}
    for key in ("rieger2023", "schuetzke2023", "schuetzke2022", "vorozhtsov2024"):
        body = re.search(r"@\w+\{" + key + r",(.*?)\n\}", bib, re.S).group(1)
        title = re.search(r"title\s*=\s*\{(.*?)\},", body).group(1)
        doi = re.search(r"doi\s*=\s*\{(.*?)\},", body)
        entries[title] = doi.group(1) if doi else None
    assert {r["title"]: r.get("doi") for r in cff["references"]} == entries
