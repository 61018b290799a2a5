"mpkit.checks beyond the notebook's examples: whole input ranges, numpy and torch alike, import."

import subprocess, sys
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from mpkit.checks import (
    check_choice,
    check_finite,
    check_ids,
    check_images,
    check_mask,
    check_nonempty,
    check_positive,
    check_ratio,
)

names = st.from_regex(r'[a-z][a-z_]{0,11}', fullmatch=True)
outside = st.one_of(
    st.floats(max_value=0, exclude_max=True),
    st.floats(min_value=1, exclude_min=True),
    st.just(float('nan')),
    st.just(float('inf')),
    st.just(-float('inf')),
)


@settings(max_examples=200, deadline=None)
@given(name=names, value=outside)
def test_ratio_outside_unit_interval_or_nan_is_refused_by_name(name, value):
    with pytest.raises(ValueError, match=rf'^{name} = .*; expected a ratio in \[0, 1\]$'):
        check_ratio(name, value)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.floats(0, 1), st.integers(0, 1), st.floats(0, 1).map(np.float32)))
def test_ratio_in_range_is_returned_unchanged(value):
    assert check_ratio('p', value) is value


@pytest.mark.parametrize(
    'inclusive,ok,bad',
    [('both', (0, 1), ()), ('left', (0,), (1,)), ('right', (1,), (0,)), ('neither', (), (0, 1))],
)
def test_ratio_ends(inclusive, ok, bad):
    for v in ok:
        assert check_ratio('p', v, inclusive=inclusive) == v
    for v in bad:
        with pytest.raises(ValueError):
            check_ratio('p', v, inclusive=inclusive)
    assert check_ratio('p', 0.5, inclusive=inclusive) == 0.5


@settings(max_examples=100, deadline=None)
@given(n=st.integers(-(10**6), 10**6), allow_zero=st.booleans())
def test_positive_integers(n, allow_zero):
    ok = n >= 0 if allow_zero else n > 0
    if ok:
        assert check_positive('n', n, integer=True, allow_zero=allow_zero) is n
    else:
        with pytest.raises(ValueError, match='^n = '):
            check_positive('n', n, integer=True, allow_zero=allow_zero)
    with pytest.raises(ValueError):
        check_positive('n', float(n) + 0.5, integer=True)


@pytest.mark.parametrize('value', [None, '3', [3], torch.tensor(3.0), np.array(2.0), complex(1, 0)])
def test_positive_refuses_what_is_not_a_real_number(value):
    with pytest.raises(ValueError, match='expected a positive number'):
        check_positive('x', value)


@settings(max_examples=50, deadline=None)
@given(n_nan=st.integers(0, 5), n_inf=st.integers(0, 5), size=st.integers(10, 40))
def test_finite_counts_bad_values_the_same_in_torch_numpy_and_lists(n_nan, n_inf, size):
    a = np.zeros(size)
    a[:n_nan] = np.nan
    a[n_nan : n_nan + n_inf] = np.inf
    for value in (a, torch.from_numpy(a), torch.from_numpy(a).float(), a.tolist()):
        if n_nan + n_inf == 0:
            assert check_finite('x', value) is value
            continue
        with pytest.raises(
            ValueError, match=f'x holds {n_nan} NaN and {n_inf} infinite values among {size}'
        ):
            check_finite('x', value)


def test_finite_passes_integer_and_bool_dtypes_without_looking():
    for value in (
        torch.arange(3),
        torch.ones(2, dtype=torch.bool),
        np.arange(3, dtype=np.uint8),
        [1, 2],
        True,
    ):
        assert check_finite('x', value) is value


@settings(max_examples=50, deadline=None)
@given(lo=st.integers(-5, 5), hi=st.integers(0, 10), vocab=st.integers(1, 8))
def test_ids_range_message_reports_the_extremes(lo, hi, vocab):
    ids = torch.tensor([[lo, max(lo, hi)]])
    in_range = lo >= 0 and max(lo, hi) < vocab
    for value in (ids, ids.numpy().astype(np.int32)):
        if in_range:
            assert check_ids('ids', value, vocab_size=vocab) is value
        else:
            with pytest.raises(
                ValueError,
                match=rf'ids holds ids from {lo} to {max(lo, hi)}; expected ids in \[0, {vocab}\)',
            ):
                check_ids('ids', value, vocab_size=vocab)


@pytest.mark.parametrize('dtype', [torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64])
def test_ids_accept_every_integer_dtype(dtype):
    ids = torch.tensor([0, 3], dtype=dtype)
    assert check_ids('ids', ids, vocab_size=4) is ids


@pytest.mark.parametrize(
    'shape,ok',
    [
        ((2, 3), True),
        ((None, 3), True),
        ((2, None), True),
        ((None, None), True),
        ((3, 2), False),
        ((2, 3, 1), False),
        ((6,), False),
    ],
)
def test_mask_shape_with_free_sizes(shape, ok):
    m = torch.zeros(2, 3, dtype=torch.bool)
    if ok:
        assert check_mask('m', m, shape=shape) is m
    else:
        with pytest.raises(ValueError, match=r'm has shape \(2, 3\)'):
            check_mask('m', m, shape=shape)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_images_of_every_float_dtype(dtype):
    x = torch.zeros(2, 3, 4, 4, dtype=dtype)
    assert check_images('x', x, channels=(1, 3)) is x


def test_choice_takes_numpy_strings_and_refuses_bools_for_ints():
    assert check_choice('split', np.str_('train'), ('train', 'test')) == 'train'
    assert check_choice('k', np.int64(2), (1, 2)) == 2
    with pytest.raises(ValueError, match='k = True'):
        check_choice('k', True, (1, 2))


@pytest.mark.parametrize('value', [torch.zeros(3, 0), np.zeros((0,)), '', {}, ()])
def test_nonempty_refuses_every_kind_of_empty(value):
    with pytest.raises(ValueError, match='^x '):
        check_nonempty('x', value)


def test_validators_return_their_value_so_they_read_inline():
    m, ids, img = torch.ones(1, 2, dtype=torch.bool), torch.tensor([[1]]), torch.zeros(1, 1, 2, 2)
    assert (
        check_mask('m', m) is m and check_ids('ids', ids) is ids and check_images('x', img) is img
    )
    assert check_nonempty('l', [0]) == [0] and check_ratio('r', 1) == 1


def test_importing_checks_does_not_import_torch():
    code = 'import sys, mpkit.checks, mpkit.config; print("torch" in sys.modules)'
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == 'False'
