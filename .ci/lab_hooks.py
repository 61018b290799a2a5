"""JupyterLab's pre-save hook for `make lab`: a notebook is saved as `make clean-nbs` leaves it.

`make lab` starts JupyterLab with `--ContentsManager.pre_save_hook=lab_hooks.clean_on_save` and this
folder on PYTHONPATH. Saving then writes the notebook the way it is committed (no outputs, execution counts,
metadata noise or widget state), so a student's session leaves `git status` clean. The open notebook keeps
showing its outputs; only the file on disk is clean.
"""
import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location('strip_nbs', Path(__file__).with_name('strip_nbs.py'))
strip_nbs = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(strip_nbs)

def clean_on_save(model, path=None, contents_manager=None, **kwargs):
    "Clean the notebook `model` in place, as nbdev-clean and .ci/strip_nbs.py would (other files untouched)."
    if model.get('type') != 'notebook' or model.get('content', {}).get('nbformat') != 4: return
    from nbdev.clean import clean_nb
    from nbdev.config import get_config
    cfg = get_config(path=Path(__file__).resolve().parent.parent)
    clean_nb(model['content'], cfg.clear_all, cfg.get('allowed_metadata_keys') or [],
             cfg.get('allowed_cell_metadata_keys') or [], cfg.clean_ids, cfg.get('allowed_out_metadata_keys') or [])
    strip_nbs.strip(model['content'])
