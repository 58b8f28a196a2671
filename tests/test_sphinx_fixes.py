"""lib.sphinx_fixes: glued values read as plain prose."""

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from lib.sphinx_fixes import PlainGlue


def test_plain_glue_drops_the_bold_class_only():
    doc = new_document("x", get_default_settings(Parser))
    para = nodes.paragraph()
    glued = nodes.inline("every compound", "every compound", classes=["pasted-text", "keep"])
    other = nodes.inline("x", "x", classes=["other"])
    para += [glued, other]
    doc += para
    PlainGlue(doc).run()
    assert glued["classes"] == ["keep"] and other["classes"] == ["other"]
