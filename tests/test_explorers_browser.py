"""The explorers in a real JupyterLab, driven by headless Debian chromium.

Runs `nbs/07_explorers.ipynb` (Run All Cells, quick budget), waits for the first explorer, moves its ratio
slider with the keyboard and checks that the figure and the achieved-ratio line change. Screenshots go to
artifacts/explorers/. Where chromium or playwright is missing the test skips with the reason; with
MPKIT_REQUIRE_BROWSER=1 (CI) that skip is a failure.
"""
import importlib.util, json, os, re, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT/'nbs'/'07_explorers.ipynb'
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
SHOTS = ROOT/'artifacts'/'explorers'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']
RUN_TIMEOUT = 300   # seconds without progress before a run counts as hung; the notebook needs about 20 s alone

pytestmark = [pytest.mark.browser, pytest.mark.slow]

def _need_browser():
    missing = []
    if not Path(CHROMIUM).exists(): missing.append(f'chromium ({CHROMIUM}; `make browser` installs it)')
    if importlib.util.find_spec('playwright') is None: missing.append('the playwright package (`pip install -e .[dev]`)')
    if shutil.which('jupyter', path=str(Path(sys.executable).parent)) is None: missing.append('jupyterlab in this environment')
    if missing:
        reason = 'browser test needs ' + ' and '.join(missing)
        if os.environ.get('MPKIT_REQUIRE_BROWSER') == '1': pytest.fail(reason + ' (MPKIT_REQUIRE_BROWSER=1: a skip is a failure)')
        pytest.skip(reason)

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _lab_settings(folder: Path):
    "No autosave (the committed notebook must stay without outputs) and every cell kept in the page."
    for plugin, value in [('docmanager-extension/plugin', {'autosave': False}),
                          ('notebook-extension/tracker', {'windowingMode': 'none'})]:
        f = folder/'@jupyterlab'/f'{plugin}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(value))

def _start_lab(tmp_path):
    port = _free_port()
    env = {**os.environ, 'MPKIT_BUDGET': 'quick', 'MPLBACKEND': 'Agg',
           'JUPYTERLAB_SETTINGS_DIR': str(tmp_path/'lab-settings'), 'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path/'lab-workspaces')}
    _lab_settings(tmp_path/'lab-settings')
    log = open(tmp_path/'lab.log', 'wb')
    proc = subprocess.Popen([str(Path(sys.executable).parent/'jupyter'), 'lab', '--no-browser', '--ip', '127.0.0.1', '--port', str(port),
                             "--ServerApp.token=", "--ServerApp.password=", '--allow-root', f'--ServerApp.root_dir={ROOT/"nbs"}'],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, _wait_up(proc, port, tmp_path/'lab.log')

def _wait_up(proc, port: int, log: Path) -> str:
    "The server's URL once it answers; stops it and fails with the end of its log if it never does."
    url = f'http://127.0.0.1:{port}'
    for _ in range(300):
        try:
            urllib.request.urlopen(url + '/api/status', timeout=1).close(); return url
        except OSError:
            if proc.poll() is not None: break
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(f'JupyterLab did not answer on {url}/api/status:\n' + log.read_text()[-3000:])

def _shutdown_kernels(url):
    "Kernels run in their own process groups: ask the server to stop them."
    try:
        with urllib.request.urlopen(url + '/api/kernels', timeout=5) as r: kernels = json.load(r)
        for k in kernels:
            urllib.request.urlopen(urllib.request.Request(f"{url}/api/kernels/{k['id']}", method='DELETE'), timeout=30).close()
    except OSError: pass

def _stop(proc):
    "Stop the server: the whole process group we started."
    try: os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError: return
    try: proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL); proc.wait()

PROMPTS = "Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(e => e.textContent.trim())"

def _accept_dialogs(page):
    "Accept whatever JupyterLab asks first (e.g. which kernel to start): its default choice is the venv's python3."
    seen = []
    while page.locator('.jp-Dialog').count():
        seen.append(page.locator('.jp-Dialog').first.inner_text()[:200])
        page.locator('.jp-Dialog .jp-mod-accept').first.click()
        time.sleep(0.5)
    return seen

def _run_all(page):
    "Run > Run All Cells, repeated until a prompt shows [*] or [n]: a click before the kernel is connected can be lost."
    for _ in range(20):
        _accept_dialogs(page)
        page.locator('.lm-MenuBar-itemLabel', has_text=re.compile(r'^Run$')).click()
        page.locator('.lm-Menu-itemLabel', has_text=re.compile(r'^Run All Cells$')).click()
        for _ in range(20):
            if any(re.fullmatch(r'\[(\*|\d+)\]:', p) for p in page.evaluate(PROMPTS)): return
            time.sleep(0.5)
    raise AssertionError('Run All Cells never started the kernel')

def _wait_done(page, timeout):
    "Every code cell shows [n]; fails on the first error output."
    end = time.time() + timeout
    while time.time() < end:
        err = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
        if err.count(): raise AssertionError('a cell raised:\n' + err.first.inner_text()[-2000:])
        prompts = page.evaluate(PROMPTS)
        if prompts and all(re.fullmatch(r'\[\d+\]:', p) for p in prompts): return
        time.sleep(1)
    raise AssertionError(f'the notebook did not finish in {timeout} s; prompts: {page.evaluate(PROMPTS)}')

class Hung(Exception):
    "Run All made no progress in time and no cell raised: a kernel that hung, not a failing notebook."

def _wait_widget(page, timeout):
    """Wait for the first explorer. A cell that raises fails at once; a click that was lost is repeated; a run
    that shows no progress for `timeout` s raises `Hung` with what the page showed."""
    end, last = time.time() + timeout, None
    widget = page.locator('.widget-vbox').first
    while time.time() < end:
        _accept_dialogs(page)                       # a kernel dialog shown after Run All would block it silently
        err = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
        if err.count(): raise AssertionError('a cell raised:\n' + err.first.inner_text()[-2000:])
        if widget.count() and widget.is_visible(): return widget
        prompts = page.evaluate(PROMPTS)
        if prompts != last: last, end = prompts, max(end, time.time() + 120)   # progress: a cell finished
        if prompts and not any(p == '[*]:' for p in prompts) and not any(re.fullmatch(r'\[\d+\]:', p) for p in prompts):
            _run_all(page)                          # nothing queued and nothing ran: the click was lost
        time.sleep(1)
    raise Hung(f'no explorer after {timeout} s; prompts: {page.evaluate(PROMPTS)}')

def _attempt(tmp_path, attempt):
    "One fresh JupyterLab, one browser: Run All, then drive the first explorer's ratio slider."
    from playwright.sync_api import sync_playwright
    folder = tmp_path/f'attempt{attempt}'; folder.mkdir()
    proc, url = _start_lab(folder)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={'width': 1400, 'height': 1000})
                page.goto(f'{url}/lab/tree/07_explorers.ipynb', wait_until='load')
                page.wait_for_selector('.jp-Notebook .jp-CodeCell', timeout=120_000)
                _accept_dialogs(page)
                _run_all(page)
                try:
                    widget = _wait_widget(page, RUN_TIMEOUT)
                except Hung:
                    page.screenshot(path=str(SHOTS/f'hung_attempt{attempt}.png'))
                    raise
                _wait_done(page, RUN_TIMEOUT)
                widget.scroll_into_view_if_needed()
                _accept_dialogs(page)
                img, info = widget.locator('img.widget-image').first, widget.locator('.widget-html-content').first
                before_src, before_info = img.get_attribute('src'), info.inner_text()
                assert before_src and 'achieved' in before_info
                widget.screenshot(path=str(SHOTS/'mask_explorer_before.png'))
                handle = widget.locator('.widget-slider .noUi-handle').first      # the ratio slider: the first one
                handle.focus()
                for _ in range(4): page.keyboard.press('ArrowRight')
                page.wait_for_function('([el, src]) => el.getAttribute("src") !== src',
                                       arg=[img.element_handle(), before_src], timeout=60_000)
                page.wait_for_function('([el, t]) => el.innerText !== t', arg=[info.element_handle(), before_info], timeout=60_000)
                after_info = info.inner_text()
                ratio = lambda s: float(re.search(r'achieved ([\d.]+)', s).group(1))
                assert ratio(after_info) > ratio(before_info), (before_info, after_info)
                widget.screenshot(path=str(SHOTS/'mask_explorer_after.png'))
                page.locator('img.widget-image').nth(-1).scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS/'reconstruction_explorer.png'))
            finally:
                browser.close()
    except Hung as e:
        raise Hung(f'{e}\nkernels: {_kernels(url)}\nserver log (end):\n{(folder/"lab.log").read_text()[-3000:]}') from None
    finally:
        _shutdown_kernels(url)
        _stop(proc)

def _kernels(url):
    try:
        with urllib.request.urlopen(url + '/api/kernels', timeout=5) as r: return [(k['execution_state'], k['connections']) for k in json.load(r)]
    except OSError as e: return f'unreadable ({e})'

def test_mask_explorer_slider_in_jupyterlab(tmp_path):
    """Run All on the explorers notebook, then move the MaskExplorer's ratio slider. A cell that raises fails at
    once. A run with no progress for RUN_TIMEOUT s and no error (a kernel that hung: seen once in CI, where this
    notebook needs 20 s) is reported with its screenshot, kernel state and server log, and tried once more in a
    fresh JupyterLab."""
    _need_browser()
    original = NB.read_bytes()
    SHOTS.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    try:
        try:
            _attempt(tmp_path, 1)
        except Hung as e:
            # pytest shows nothing of a test that passes on its second attempt: the diagnosis goes next to the screenshot
            (SHOTS/'hung_attempt1.txt').write_text(str(e))
            print(f'attempt 1 hung (diagnosis in {SHOTS}/hung_attempt1.txt), trying once more:\n{e}', file=sys.stderr)
            _attempt(tmp_path, 2)
    finally:
        if NB.read_bytes() != original: NB.write_bytes(original)   # never leave outputs in the committed notebook
    print(f'explorer browser test: {time.time() - t0:.1f} s')
