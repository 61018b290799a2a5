"""Behaviour of the WorldTest module (mpkit.methods.worlds.world_model_bench): each dynamics rule of the
grid-world simulator, seeded layouts and exploration, the masked-frame fill, BFS planning with the true rules,
change detection with the true rules, and a tiny world model that learns."""
import numpy as np
import pytest
from mpkit.methods.worlds.world_model_bench import (
    AGENT, BOX, DRIFT_L, DRIFT_R, PAD, RULES, WALL, copy_last_frame, detect_change, fill_hidden,
    frame_scores, goal_tasks, goal_trajectories, hide_frames, make_layout, model_step, plan, reaches,
    render, rule_regions, run_policy, step, train_world_model, transitions, true_step)

ALL = frozenset(RULES)


def _empty(n=5):
    f = np.zeros((6, n, n), dtype=bool)
    f[AGENT, n - 1, 0] = True
    return f


def test_push_and_blocked_push():
    f = _empty(); f[BOX, 4, 1] = True
    g = step(f, 3, ALL)
    assert g[AGENT, 4, 1] and g[BOX, 4, 2]
    f[WALL, 4, 2] = True                      # nothing behind the box may block it
    assert step(f, 3, ALL)[AGENT, 4, 0]
    assert step(_empty(), 2, ALL)[AGENT, 4, 0]   # the edge blocks
    f2 = _empty(); f2[BOX, 4, 1] = True
    assert step(f2, 3, ALL - {'push'})[BOX, 4, 1]


def test_teleport_gravity_drift():
    f = _empty(); f[PAD, 3, 0] = f[PAD, 0, 3] = True
    assert step(f, 0, ALL)[AGENT, 0, 3]
    assert step(f, 0, ALL - {'teleport'})[AGENT, 3, 0]
    g = _empty(); g[BOX, 0, 2] = True; g[WALL, 2, 2] = True
    g1 = step(g, 4, ALL); assert g1[BOX, 1, 2]
    assert step(g1, 4, ALL)[BOX, 1, 2]           # resting on the wall
    d = _empty(); d[DRIFT_L, 1, 1] = True; d[WALL, 1, 3] = True
    d1 = step(d, 4, ALL); assert d1[DRIFT_L, 1, 0]
    d2 = step(d1, 4, ALL); assert d2[DRIFT_R, 1, 0]   # turned at the edge
    d4 = step(step(d2, 4, ALL), 4, ALL)
    assert d4[DRIFT_R, 1, 2]
    assert step(d4, 4, ALL)[DRIFT_L, 1, 2]             # turned at the wall, stayed in place


def test_layout_and_exploration_seeded():
    np.testing.assert_array_equal(make_layout(seed=7), make_layout(seed=7))
    f = make_layout(seed=7)
    assert f[AGENT].sum() == 1 and f[PAD].sum() == 2 and render(f).shape == (8, 8, 3)
    a = run_policy([f, make_layout(seed=8)], ALL, 90, 'coverage', episode=30, seed=1)
    b = run_policy([f, make_layout(seed=8)], ALL, 90, 'coverage', episode=30, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert (a[1] == -1).sum() == 2
    x, act, y = transitions(*a)
    assert len(x) == 88 and x.shape == y.shape
    with pytest.raises(ValueError, match='policy'):
        run_policy(f, ALL, 5, 'lazy')
    with pytest.raises(ValueError, match='rules'):
        step(f, 0, 'push')


def test_fill_hidden_with_the_rules_is_exact():
    starts = [make_layout(seed=s) for s in (3, 4)]
    fr, ac = goal_trajectories(starts, ALL, per_layout=3, length=6, seed=0)
    hid = hide_frames(fr.shape[:2], ratio=0.6, seed=0)
    exact = frame_scores(fill_hidden(true_step(ALL), fr, ac, hid), fr, hid)
    assert exact['wrong'].sum() == 0 and len(exact['wrong']) == hid.sum()
    copy = frame_scores(fill_hidden(copy_last_frame, fr, ac, hid), fr, hid)
    assert copy['wrong'].mean() > 0


def test_plan_with_the_rules_reaches_every_goal():
    s = make_layout(seed=11)
    for goal in goal_tasks(s, ALL, 4, seed=0):
        assert reaches(s, ALL, plan(true_step(ALL), s, goal), goal)
    with pytest.raises(ValueError, match='goal'):
        plan(true_step(ALL), s, (20, 0))


def test_change_detection_with_the_rules():
    ref = transitions(*run_policy([make_layout(seed=s) for s in range(3)], ALL, 120, 'coverage'))
    ref = tuple(t.numpy().astype(bool) if t.dtype.is_floating_point else t.numpy() for t in ref)
    for r in RULES:
        run = run_policy([make_layout(seed=20 + s) for s in range(4)], ALL - {r}, 200, 'coverage', seed=2)
        test = tuple(t.numpy().astype(bool) if t.dtype.is_floating_point else t.numpy()
                     for t in transitions(*run))
        assert detect_change(true_step(ALL), ref, test)[0] == r
    assert rule_regions(make_layout(seed=1), 4).shape == (4, 8, 8)


def test_a_tiny_model_learns():
    x, a, y = transitions(*run_policy([make_layout(seed=s) for s in range(4)], ALL, 160, 'random'))
    model, losses = train_world_model(x, a, y, steps=200, lr=1e-2, width=16)
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:5])
    pred = model_step(model)(x[:8].numpy().astype(bool), a[:8].numpy())
    assert pred.shape == (8, 6, 8, 8) and pred[:, WALL].sum() == x[:8, WALL].sum()
    with pytest.raises(ValueError, match='expected'):
        train_world_model(x, a[:3], y)
