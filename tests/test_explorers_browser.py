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
RUN_TIMEOUT = 600   # seconds for Run All on a busy 2-core machine; the quick budget needs well under a minute alone

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
    url = f'http://127.0.0.1:{port}'
    for _ in range(300):
        try:
            urllib.request.urlopen(url + '/api/status', timeout=1).close(); return proc, url
        except OSError:
            if proc.poll() is not None: break
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(f'JupyterLab did not answer on {url}/api/status:\n' + (tmp_path/'lab.log').read_text()[-3000:])

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

def test_mask_explorer_slider_in_jupyterlab(tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright
    original = NB.read_bytes()
    proc, url = _start_lab(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={'width': 1400, 'height': 1000})
                page.goto(f'{url}/lab/tree/07_explorers.ipynb', wait_until='load')
                page.wait_for_selector('.jp-Notebook .jp-CodeCell', timeout=120_000)
                _accept_dialogs(page)
                _run_all(page)
                widget = page.locator('.widget-vbox').first
                widget.wait_for(state='visible', timeout=RUN_TIMEOUT * 1000)
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
    finally:
        _shutdown_kernels(url)
        _stop(proc)
        if NB.read_bytes() != original: NB.write_bytes(original)   # never leave outputs in the committed notebook
    print(f'explorer browser test: {time.time() - t0:.1f} s')
