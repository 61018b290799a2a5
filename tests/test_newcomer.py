"""A newcomer's first session, end to end, in a real browser: a fresh clone, `make lab` (as root where the tests
run as root, the default in containers), the course home opens, a notebook is run and saved, a bad control value
is shown inside the widget, and `git status` in the clone is clean afterwards.

The clone uses this checkout's virtual environment (`make lab VENV=...`): installing a second one would take
minutes and test pip rather than the course. Screenshots go to artifacts/newcomer/.
"""
import json, os, subprocess, time
from pathlib import Path
import pytest
from test_explorers_browser import (ARGS, CHROMIUM, RUN_TIMEOUT, _accept_dialogs, _free_port, _lab_settings,
                                    _need_browser, _run_all, _shutdown_kernels, _stop, _wait_done, _wait_up,
                                    _wait_widget)

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT/'artifacts'/'newcomer'
pytestmark = [pytest.mark.browser, pytest.mark.slow]

def _clone(tmp_path) -> Path:
    if not (ROOT/'.git').exists(): pytest.skip('not a git checkout: nothing to clone')
    clone = tmp_path/'clone'
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
    os.utime(clone/'pyproject.toml', (0, 0))   # older than the venv's stamp: `make lab` installs nothing
    return clone

def _make_lab(clone, tmp_path):
    "`make lab` in the clone, as a student types it (plus a free port, no token and this checkout's venv)."
    port, log = _free_port(), open(tmp_path/'lab.log', 'wb')
    _lab_settings(tmp_path/'lab-settings')
    env = {**os.environ, 'MPKIT_BUDGET': 'quick', 'MPLBACKEND': 'Agg',
           'JUPYTERLAB_SETTINGS_DIR': str(tmp_path/'lab-settings'), 'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path/'ws')}
    proc = subprocess.Popen(['make', '--no-print-directory', 'lab', f'VENV={ROOT/".venv"}', f'LAB_PORT={port}',
                             "LAB_ARGS=--ServerApp.token= --ServerApp.password="],
                            cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, _wait_up(proc, port, tmp_path/'lab.log')

def _new_cell_run(page, code: str):
    "Add a cell at the end of the notebook, type `code`, run it and leave the cursor on it (command mode)."
    page.locator('.jp-Notebook .jp-Cell').last.click()
    page.keyboard.press('Escape'); page.keyboard.press('b')          # insert a cell below, in command mode
    page.keyboard.press('Enter'); page.keyboard.type(code)
    page.keyboard.press('Control+Enter'); page.keyboard.press('Escape')

def test_first_session_from_a_fresh_clone(tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright
    clone = _clone(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    nb = clone/'nbs'/'07_explorers.ipynb'
    proc, url = _make_lab(clone, tmp_path)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={'width': 1400, 'height': 1000})
                page.goto(url + '/', wait_until='load')                      # what `make lab` prints, minus the path
                page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
                assert page.url.split('?')[0].endswith('/lab/tree/index.ipynb'), page.url
                page.locator('.jp-RenderedMarkdown h1', has_text='mpkit: the masked-prediction kit').first.wait_for(timeout=60_000)
                page.screenshot(path=str(SHOTS/'course_home.png'))
                page.goto(url + '/lab/tree/07_explorers.ipynb?reset', wait_until='load')   # ?reset: only this notebook open
                page.wait_for_selector('.jp-Notebook .jp-CodeCell', timeout=120_000)
                _accept_dialogs(page)
                _run_all(page)
                widget = _wait_widget(page, RUN_TIMEOUT)                      # the MaskExplorer `mx`
                _wait_done(page, RUN_TIMEOUT)
                info = widget.locator('.widget-html-content').first
                # a value its slider no longer offers (the slider follows the sample): the widget says why, in red
                _new_cell_run(page, 'mx.size.max = 64; mx.size.value = 61')
                page.wait_for_function('el => el.innerText.includes("Cannot draw this")', arg=info.element_handle(),
                                       timeout=60_000)
                assert 'size = 61' in info.inner_text(), info.inner_text()
                colour = info.locator('span').first.evaluate('el => getComputedStyle(el).color')
                assert colour == 'rgb(176, 0, 32)', colour                      # #b00020
                widget.scroll_into_view_if_needed(); widget.screenshot(path=str(SHOTS/'bad_value.png'))
                page.keyboard.press('d'); page.keyboard.press('d')             # delete the scratch cell again
                before = nb.stat().st_mtime_ns
                page.keyboard.press('Control+s')
                for _ in range(150):                                            # the save lands on disk
                    if nb.stat().st_mtime_ns != before: break
                    time.sleep(0.2)
                else: pytest.fail('Ctrl+S did not save the notebook')
            finally:
                browser.close()
    finally:
        _shutdown_kernels(url)
        _stop(proc)
    saved = json.loads(nb.read_text())
    assert all(not c.get('outputs') for c in saved['cells']), 'saved with outputs'
    status = subprocess.run(['git', 'status', '--porcelain'], cwd=clone, capture_output=True, text=True).stdout
    assert status == '', f'the session left changes in the clone:\n{status}'
