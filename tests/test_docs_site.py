"""The course website, built by `.ci/docs/build.py` and checked in headless Debian chromium.

Run by `make docs-test` (it builds `_docs/` first and sets MPKIT_DOCS_TEST=1, MPKIT_DOCS_SITE=_docs); the plain
pytest step skips this file, so the notebooks are not executed twice. Where chromium or playwright is missing
the browser tests skip with the reason, and MPKIT_REQUIRE_BROWSER=1 (CI) turns that skip into a failure.
Screenshots go to artifacts/docs/.
"""
import contextlib, html.parser, importlib.util, json, os, re, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('MPKIT_CHROMIUM') or shutil.which('chromium') or '/usr/bin/chromium'
SHOTS = ROOT/'artifacts'/'docs'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(os.environ.get('MPKIT_DOCS_TEST') != '1',
                                 reason='the course website is built and checked by `make docs-test`')]

_spec = importlib.util.spec_from_file_location('mpkit_docs_build', ROOT/'.ci'/'docs'/'build.py')
build = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(build)

def _need_browser():
    missing = []
    if not Path(CHROMIUM).exists(): missing.append(f'chromium ({CHROMIUM}; `make browser` installs it)')
    if importlib.util.find_spec('playwright') is None: missing.append('the playwright package (`pip install -e .[dev]`)')
    if missing:
        reason = 'browser test needs ' + ' and '.join(missing)
        if os.environ.get('MPKIT_REQUIRE_BROWSER') == '1': pytest.fail(reason + ' (MPKIT_REQUIRE_BROWSER=1: a skip is a failure)')
        pytest.skip(reason)

@contextlib.contextmanager
def serve(folder: Path):
    "python -m http.server on a free localhost port, stopped by its PID."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory', str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/'
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close(); break
            except OSError: time.sleep(0.1)
        else: raise RuntimeError(f'http.server did not answer on {url}')
        yield url
    finally:
        proc.terminate()
        try: proc.wait(timeout=10)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()

@contextlib.contextmanager
def browser_page(tmp_path):
    "A chromium page that may only reach localhost; `page.offsite` lists what it tried to fetch elsewhere."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            ctx = b.new_context(viewport={'width': 1280, 'height': 900})
            page = ctx.new_page()
            page.offsite = []
            def guard(route):
                host = re.match(r'^[a-z]+://([^/:]+)', route.request.url)
                if host and host.group(1) not in ('127.0.0.1', 'localhost'):
                    page.offsite.append(route.request.url); route.abort()
                else: route.continue_()
            ctx.route('**/*', guard)
            yield page
        finally:
            b.close()

def open_page(page, url: str, shot: str):
    page.goto(url, wait_until='load')
    with contextlib.suppress(Exception):   # pages without math have nothing to typeset
        page.wait_for_function('!window.MathJax || !MathJax.startup || MathJax.startup.promise', timeout=5000)
        page.evaluate('window.MathJax && MathJax.startup ? MathJax.startup.promise : null')
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS/shot), full_page=False)

def loaded_figures(page) -> int:
    "Images in notebook outputs that the browser actually decoded."
    return page.evaluate("""[...document.querySelectorAll('.cell_output img')]
        .filter(i => i.complete && i.naturalWidth > 0).length""")

def nav_links(page) -> list[str]:
    return page.eval_on_selector_all('.sidebar-tree a.reference', 'els => els.map(e => e.textContent.trim())')

# ---------------------------------------------------------------- the real site, from the course's notebooks

@pytest.fixture(scope='module')
def site():
    "The built course website: _docs/ from `make docs-test`, else a fresh build."
    given = os.environ.get('MPKIT_DOCS_SITE')
    if given and (ROOT/given/'index.html').exists(): return ROOT/given
    assert build.main([]) == 0, 'the course website did not build'
    return ROOT/'_docs'

def notebook_pages(site: Path) -> list[Path]:
    "Built notebook pages (not the home, the API reference or Sphinx's own pages), those with figures first."
    pages = [p for p in site.rglob('*.html') if p.relative_to(site).parts[0] not in ('api', '_static', '_sources')
             and p.name not in ('index.html', 'genindex.html', 'search.html', 'py-modindex.html')]
    return sorted(pages, key=lambda p: ('<img' not in p.read_text(), str(p)))

def test_site_in_browser(site, tmp_path):
    _need_browser()
    pages = notebook_pages(site)
    assert len(pages) >= 2, f'expected at least two notebook pages in {site}, found {pages}'
    with serve(site) as url, browser_page(tmp_path) as page:
        open_page(page, url, 'home.png')
        assert 'masked-prediction kit' in page.title()
        # the paper table: one row per registry entry, rendered as a real table
        from mpkit.papers import PAPERS
        table = page.locator('table', has=page.locator('th', has_text='modality'))
        assert table.count() == 1
        assert table.locator('tbody tr').count() == len(PAPERS)
        assert page.locator('table', has=page.locator('th', has_text='paper')).count() >= 1
        # the results table, or the line that says none are recorded yet: whatever results_table() gives
        from mpkit.results import results_table, load_results
        expected = results_table(load_results(ROOT/'results'/'results.json'))
        results = page.locator('section', has=page.locator('h2', has_text='What each method measured')).last
        pipes = [l for l in expected.splitlines() if l.startswith('|')]
        n_tables = sum(l.startswith('|---') for l in pipes)
        if n_tables:   # the claims table and/or the other measurements: every row rendered
            assert results.locator('table tbody tr').count() == len(pipes) - 2 * n_tables
        if 'No claim has a verdict yet' in expected or not n_tables:
            line = 'No claim has a verdict yet' if n_tables else expected.strip('_ \n').split(':')[0]
            assert line in results.inner_text()
        nav = nav_links(page)
        assert 'API reference' in nav and len(nav) >= len(pages), nav

        figures = 0
        for i, p in enumerate(pages[:2]):
            open_page(page, url + p.relative_to(site).as_posix(), f'notebook-{i}.png')
            assert page.locator('h1').count() == 1
            assert len(nav_links(page)) == len(nav), 'every page carries the same navigation'
            figures += loaded_figures(page)
            if page.locator('.cell_output img').count():
                page.locator('.cell_output img').first.scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS/f'notebook-{i}-figure.png'))
        assert figures >= 1, f'no figure decoded on {[p.name for p in pages[:2]]} (pages with figures come first)'

        # follow a link: from a notebook's exported code to its API entry, else through the navigation
        link = page.locator('a:has(code.xref)').first if page.locator('a:has(code.xref)').count() else \
               page.locator('.sidebar-tree a.reference', has_text='API reference').first
        link.click(); page.wait_for_load_state('load')
        open_page(page, page.url, 'followed-link.png')
        assert '/api/' in page.url and page.locator('dl.py').count() >= 1, page.url
        assert page.offsite == [], f'the site tried to reach the network: {page.offsite}'

# ------------------------------------------------ the build pipeline, on small notebooks written for this test

def _nb(*cells) -> str:
    def cell(i, src):
        if src.startswith('md:'): return dict(cell_type='markdown', id=f'c{i}', metadata={}, source=src[3:])
        return dict(cell_type='code', id=f'c{i}', metadata={}, execution_count=None, outputs=[], source=src)
    return json.dumps(dict(cells=[cell(i, s) for i, s in enumerate(cells)], nbformat=4, nbformat_minor=5,
                           metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python'))))

def _mini_course(tmp_path, extra: dict[str, str] = {}) -> Path:
    src = tmp_path/'nbs'; (src/'text').mkdir(parents=True, exist_ok=True)
    (src/'index.ipynb').write_text(_nb('md:# A tiny course\n\n> Home page.', 'md:Math: $e^{i\\pi} + 1 = 0$ and\n\n$$\\sum_i x_i^2$$'))
    (src/'01_fig.ipynb').write_text(_nb(
        'md:# Figures\n\n> A figure, a hidden cell, an exported function.',
        '#| default_exp config',
        '#| hide\nHIDDEN_MARKER = 41',
        '#| export\ndef budget():\n    "Shadows mpkit.config.budget for this test: only its link matters."\n    return HIDDEN_MARKER + 1',
        'import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1, 2], [budget(), 0, 1])\nplt.show()',
        '#| eval: false\nraise RuntimeError("an eval: false cell must not run")',
        'md:Back to [the home page](index.ipynb).'))
    (src/'text'/'00_words.ipynb').write_text(_nb('md:# Words\n\n> A course notebook in a family folder.', 'print("hello words")'))
    for name, text in extra.items(): (src/name).write_text(text)
    return src

def _build(tmp_path, src: Path, *notebooks) -> tuple[int, Path]:
    out = tmp_path/'site'
    rc = build.main([*map(str, notebooks), '--src', str(src), '--out', str(out), '--stage', str(tmp_path/'stage'),
                     '--cache', str(tmp_path/'cache'), '--timeout', '120'])
    return rc, out

def test_pipeline_figure_math_directives(tmp_path):
    _need_browser()
    rc, out = _build(tmp_path, _mini_course(tmp_path))
    assert rc == 0
    fig_html = (out/'01_fig.html').read_text()
    assert 'HIDDEN_MARKER = 41' not in fig_html, '#| hide cells are not shown'
    assert 'an eval: false cell' in fig_html and 'RuntimeError' not in fig_html.split('an eval: false cell')[1][:2000]
    assert '#| export' not in fig_html
    assert (out/'api'/'mpkit.config.html').exists()
    with serve(out) as url, browser_page(tmp_path) as page:
        open_page(page, url, 'pipeline-home.png')
        assert page.locator('mjx-container').count() >= 2, 'MathJax typeset the math (served from _static, offline)'
        page.locator('.sidebar-tree a.reference', has_text='Figures').first.click(); page.wait_for_load_state('load')
        open_page(page, page.url, 'pipeline-figure.png')
        assert loaded_figures(page) == 1
        page.locator('a:has(code.xref)', has_text='budget').first.click(); page.wait_for_load_state('load')
        assert page.url.endswith('api/mpkit.config.html#mpkit.config.budget'), page.url
        assert page.locator('[id="mpkit.config.budget"]').count() == 1
        assert page.offsite == [], f'the site tried to reach the network: {page.offsite}'
    # a second build of unchanged notebooks comes from the cache
    start = time.time(); assert _build(tmp_path, _mini_course(tmp_path))[0] == 0
    assert time.time() - start < 30

def test_build_fails_on_notebook_error(tmp_path, capfd):
    src = _mini_course(tmp_path, {'02_broken.ipynb': _nb('md:# Broken\n\n> Fails.', 'raise ValueError("mid-edit")')})
    rc, _ = _build(tmp_path, src, '02_broken.ipynb')
    assert rc != 0 and 'mid-edit' in capfd.readouterr().err

def test_build_fails_on_broken_link(tmp_path, capfd):
    src = _mini_course(tmp_path, {'02_links.ipynb': _nb('md:# Links\n\n> Points nowhere.', 'md:See [missing](03_missing.ipynb).')})
    rc, _ = _build(tmp_path, src, '02_links.ipynb')
    assert rc != 0 and '03_missing' in capfd.readouterr().err

def test_select_notebooks_rejects_unknown(tmp_path):
    with pytest.raises(SystemExit, match='no notebook under nbs/'):
        build.select_notebooks(['nbs/does_not_exist_*.ipynb'])
