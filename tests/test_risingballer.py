"""mpkit.methods.sports.risingballer: the baselines and the neighbour measure against brute-force references,
and the model's token set has no order (permuting the 22 players permutes the output)."""
import numpy as np
import pytest
import torch
from mpkit.data import simulate_league, load_lineups, POSITIONS
from mpkit.methods.sports import risingballer as rb

@pytest.fixture(scope='module')
def league():
    return simulate_league(teams=4, players_per_team=14, seasons=2, seed=3)

def test_recent_average_matches_brute_force(league):
    avg, used = rb.recent_average(league, k=3)
    ids, stats = league['lineups'].reshape(-1, 22), league['stats'].reshape(-1, 22, 3)
    for m in range(0, len(ids), 5):
        for j in range(22):
            past = [stats[i][ids[i] == ids[m, j]][0] for i in range(m) if ids[m, j] in ids[i]][-3:]
            assert used[m, j] == len(past)
            if past: np.testing.assert_allclose(avg[m, j], np.mean(past, 0))
            else: assert np.isnan(avg[m, j]).all()

def test_frequency_baseline_matches_counts(league):
    s = rb.match_sentences(league)
    guess = rb.FrequencyBaseline(s).predict(s)
    for t in range(4):
        for r in range(len(POSITIONS)):
            sel = (s.team == t) & (s.role == r)
            if not sel.any(): continue
            best = np.bincount(s.ids[sel].numpy()).max()
            assert (np.bincount(s.ids[sel].numpy())[guess[sel]] == best).all()

def test_neighbour_agreement_matches_sklearn():
    from sklearn.neighbors import NearestNeighbors
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    nn_idx = NearestNeighbors(n_neighbors=5, metric='cosine').fit(x).kneighbors(x, 6, return_distance=False)[:, 1:]
    agree, chance = rb.neighbour_agreement(torch.tensor(x), torch.tensor(y), k=5)
    assert agree == pytest.approx((y[nn_idx] == y[:, None]).mean(), abs=1e-6)
    n = np.bincount(y)
    assert chance == pytest.approx((n * (n - 1)).sum() / (60 * 59))

def test_model_is_a_set_model(league):
    s = rb.match_sentences(league, [0, 1])
    torch.manual_seed(0)
    model = rb.RisingBaller(n_players=len(league['team']), depth=2).eval()
    mask = torch.zeros(2, 22, dtype=torch.bool); mask[:, [3, 15]] = True
    b = rb.mpp_batch(s, mask, model.mask_id)
    perm = torch.randperm(22)
    with torch.no_grad():
        out = model(**b).pred
        out_p = model(**{k: v[:, perm] for k, v in b.items()}).pred
    torch.testing.assert_close(out_p, out[:, perm], atol=1e-4, rtol=1e-4)

def test_real_lineups_make_sentences():
    rows = load_lineups()
    for m in ('statsbomb_3788741_lineup', 'pff_rosters_3812', 'pff_rosters_10517'):
        s = rb.lineup_sentence(rows, m)
        assert len(s) == 22 and [r['role'] for r in s[:11]].count('GK') == 1
