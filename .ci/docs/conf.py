"""Sphinx configuration of the course website (run through `.ci/docs/build.py`, which stages the notebooks in `_proc/`)."""
import os, re

project = 'mpkit'
author = 'mpkit authors'
copyright = 'mpkit authors'
html_title = 'mpkit: the masked-prediction kit'

extensions = [
    'myst_nb',                 # notebooks and markdown pages, executed through jupyter-cache
    'sphinx.ext.autodoc',      # the API reference, from the exported functions' docstrings
    'sphinx.ext.mathjax',
    'sphinx-mathjax-offline',  # serves MathJax 3 from _static/mathjax: the site needs no network
]
root_doc = 'index'
exclude_patterns = ['**.ipynb_checkpoints']
html_theme = 'furo'
html_static_path = []
html_show_sourcelink = False
html_copy_source = False
templates_path = []

myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_heading_anchors = 3

# Execution: jupyter-cache keyed by the notebook's code, one notebook at a time, a failing cell fails the build.
nb_execution_mode = os.environ.get('MPKIT_DOCS_EXECUTE', 'cache')
nb_execution_cache_path = os.environ.get('MPKIT_DOCS_CACHE', '')
nb_execution_timeout = int(os.environ.get('MPKIT_DOCS_TIMEOUT', '900'))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = 'myst'   # Markdown(...) outputs such as papers_table() are tables, math included
nb_ipywidgets_js = {}          # no widget state on the site, and never a CDN script
nb_output_stderr = 'show'

autodoc_default_options = {'members': True, 'undoc-members': True, 'show-inheritance': True}
autodoc_member_order = 'bysource'
autodoc_typehints = 'signature'
add_module_names = False

# A reference to a public mpkit object must resolve (an exported name links to its API entry); references to
# other libraries and to private helpers (a `_Base` class shown under "Bases") may stay plain text.
nitpicky = True
nitpick_ignore_regex = [(r'py:.*', r'(?!mpkit\.).*'), (r'py:.*', r'mpkit\.(.*\.)?_(?!_)\w*(\..*)?')]

_CODE = re.compile(r'(`+)(.+?)\1')

def _rst_safe(text: str) -> str:
    "nbdev docstrings are markdown: `x` is code; escape what reST would read as markup (*, |, trailing _)."
    out, pos = [], 0
    for m in _CODE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        # reST wants a literal between spaces or punctuation: `[PAD]`=0 needs an escaped (invisible) space
        out.append(('' if not before or before in _OPEN else '\\ ') + '``' + m.group(2).replace('``', '`') + '``'
                   + ('' if not after or after in _CLOSE else '\\ '))
        pos = m.end()
    out.append(_escape(text[pos:]))
    return ''.join(out)

_OPEN, _CLOSE = set(' \t\'"([{<-/:'), set(' \t\'".,:;!?)]}>-/\\')

def _escape(s: str) -> str:
    s = s.replace('\\', '\\\\').replace('*', r'\*').replace('|', r'\|')
    return re.sub(r'(\w)_(?=\W|$)', r'\1\\_', s)

def _docstring(app, what, name, obj, options, lines):
    lines[:] = [_rst_safe(l) for l in lines]

def setup(app):
    app.connect('autodoc-process-docstring', _docstring)
