"""`make lab` as a student meets it: it starts (as root too), opens the course home, and saving a notebook
through JupyterLab writes it clean, so a session leaves the checkout as it was."""
import json, os, socket, subprocess, time, urllib.error, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs): return None

@pytest.fixture(scope='module')
def lab():
    if not (ROOT/'.venv'/'bin'/'jupyter').exists(): pytest.skip('no .venv with jupyter: run `make venv`')
    port = free_port()
    proc = subprocess.Popen(['make', '--no-print-directory', 'lab', f'LAB_PORT={port}', "LAB_ARGS=--ServerApp.token='' --ServerApp.disable_check_xsrf=True"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + '/api/status', timeout=2); break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None: pytest.fail(f'make lab exited: {proc.stdout.read()[-2000:]}')
                time.sleep(0.5)
        else: pytest.fail('JupyterLab did not answer within 60 s')
        yield url
    finally:
        os.killpg(proc.pid, 15)
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: os.killpg(proc.pid, 9)

def test_make_lab_opens_the_course_home(lab):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as info: opener.open(lab + '/', timeout=10)
    assert info.value.code == 302, info.value.code
    assert info.value.headers['Location'].split('?')[0].endswith('/lab/tree/index.ipynb'), info.value.headers['Location']

def test_saving_a_notebook_in_lab_writes_it_clean(lab):
    committed = (ROOT/'nbs'/'00_config.ipynb').read_text()
    nb = json.loads(committed)
    code = next(c for c in nb['cells'] if c['cell_type'] == 'code')   # as JupyterLab holds it after a run
    code.update(execution_count=3, outputs=[{'output_type': 'stream', 'name': 'stdout', 'text': 'ran\n'}])
    code['metadata']['scrolled'] = True
    nb['metadata']['widgets'] = {'application/vnd.jupyter.widget-state+json': {'state': {}, 'version_major': 2}}
    nb['metadata']['language_info'] = {'name': 'python', 'version': '3.11.7'}
    name = f'_lab_save_test_{os.getpid()}.ipynb'
    try:
        req = urllib.request.Request(f'{lab}/api/contents/{name}', method='PUT',
                                     data=json.dumps(dict(type='notebook', format='json', content=nb)).encode(),
                                     headers={'Content-Type': 'application/json'})
        assert urllib.request.urlopen(req, timeout=30).status in (200, 201)
        assert (ROOT/'nbs'/name).read_text() == committed, 'the saved notebook differs from the clean committed one'
    finally:
        (ROOT/'nbs'/name).unlink(missing_ok=True)
