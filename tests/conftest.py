"""Test isolation: no network for the code under test, and HOME plus Jupyter/IPython/matplotlib config in a temp folder."""
import os, socket, tempfile
import pytest

_home = tempfile.mkdtemp(prefix='mpkit-test-home-')
for var, sub in [('HOME', ''), ('IPYTHONDIR', '.ipython'), ('MPLCONFIGDIR', '.mpl'), ('JUPYTER_CONFIG_DIR', '.jupyter'),
                 ('JUPYTER_DATA_DIR', '.jupyter-data'), ('JUPYTER_RUNTIME_DIR', '.jupyter-runtime')]:
    os.environ[var] = os.path.join(_home, sub) if sub else _home
os.environ.setdefault('MPLBACKEND', 'Agg')
os.environ.setdefault('MPKIT_BUDGET', 'quick')
# results recorded by tests never land in the checkout's results/
os.environ['MPKIT_RESULTS_PATH'] = os.path.join(_home, 'results')

_LOCAL = ('127.0.0.1', 'localhost', '::1', '0.0.0.0', '')
_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection

def _host(address):
    return address[0] if isinstance(address, tuple) else address

def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and _host(address) not in _LOCAL:
        raise RuntimeError(f'network access is disabled in tests (tried to connect to {address!r})')
    return _real_connect(self, address)

def _guarded_create_connection(address, *args, **kwargs):
    if _host(address) not in _LOCAL:
        raise RuntimeError(f'network access is disabled in tests (tried to connect to {address!r})')
    return _real_create_connection(address, *args, **kwargs)

socket.socket.connect = _guarded_connect
socket.create_connection = _guarded_create_connection

@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    "A fresh results folder for one test."
    monkeypatch.setenv('MPKIT_RESULTS_PATH', str(tmp_path))
    return tmp_path
