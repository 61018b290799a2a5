"""Strip what nbdev-clean keeps: saved widget state (metadata.widgets) and widget-view outputs.

Usage: python .ci/strip_nbs.py [FOLDER ...]   (rewrites only notebooks that change)
"""
import json, sys
from pathlib import Path

WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'

def strip(nb: dict) -> bool:
    changed = nb.get('metadata', {}).pop('widgets', None) is not None
    for cell in nb.get('cells', []):
        for out in cell.get('outputs', []):
            if WIDGET_MIME in out.get('data', {}):
                del out['data'][WIDGET_MIME]
                changed = True
    return changed

if __name__ == '__main__':
    for folder in sys.argv[1:] or ['nbs']:
        for f in sorted(Path(folder).rglob('*.ipynb')):
            if '.ipynb_checkpoints' in f.parts: continue
            nb = json.loads(f.read_text())
            if strip(nb):
                f.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
                print(f'stripped widget state from {f}')
