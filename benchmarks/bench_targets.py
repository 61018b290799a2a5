"""Speed of mpkit.targets against its references, measured in the same run.

- kmeans: mpkit's chunked torch Lloyd vs scikit-learn KMeans(n_init=1, algorithm='lloyd'), both started
  from the same k-means++ centroids, same iteration budget; goal: time ratio <= 0.7 at inertia within 1%.
- sinkhorn: log-domain (always finite) vs the plain exp-space SwAV version below (overflows once
  score/eps > ~89); goal: time ratio <= 4.

Usage: python benchmarks/bench_targets.py [--tiny]   (--tiny runs in seconds; absolute times are noisy
on a shared machine, the ratios are what matters)."""
from __future__ import annotations
import argparse, statistics, time
import numpy as np
import torch
from mpkit.targets import kmeans, kmeans_plusplus, sinkhorn


def paired_times(ours, ref, *, repeats, warmup=1):
    "Median seconds of each, measured alternately so that both see the same load on a shared machine."
    for _ in range(warmup): ours(); ref()
    t_ours, t_ref = [], []
    for _ in range(repeats):
        for fn, acc in ((ours, t_ours), (ref, t_ref)):
            t0 = time.perf_counter(); fn(); acc.append(time.perf_counter() - t0)
    return statistics.median(t_ours), statistics.median(t_ref)


def sinkhorn_plain(scores, *, eps=0.05, iters=3):
    "SwAV's distributed_sinkhorn on one process, in exp space: fast, but inf/NaN once scores/eps > ~89."
    Q = torch.exp(scores / eps).T
    Q /= Q.sum()
    K, B = Q.shape
    for _ in range(iters):
        Q /= Q.sum(dim=1, keepdim=True); Q /= K
        Q /= Q.sum(dim=0, keepdim=True); Q /= B
    return (Q * B).T


def clustered_data(n, d, centers, seed=0):
    "MFCC-like features: a mixture of anisotropic Gaussian blobs of unequal sizes."
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 4, (centers, d))
    scales = rng.uniform(0.5, 2.0, (centers, d))
    which = rng.choice(centers, n, p=rng.dirichlet(np.ones(centers) * 2))
    return (means[which] + rng.normal(size=(n, d)) * scales[which]).astype(np.float32)


def bench_kmeans(n, d, k, iters, repeats):
    from sklearn.cluster import KMeans
    x = torch.from_numpy(clustered_data(n, d, centers=k))
    init = kmeans_plusplus(x, k, generator=torch.Generator().manual_seed(0))
    ours = lambda: kmeans(x, k, init=init, iters=iters, tol=0.0)
    # tol=0 on both sides: exactly `iters` Lloyd steps each (unless converged earlier)
    ref = lambda: KMeans(k, init=init.numpy(), n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd").fit(x.numpy())
    t_ours, t_ref = paired_times(ours, ref, repeats=repeats)
    r_ours, r_ref = ours(), ref()
    rel = abs(r_ours.inertia - r_ref.inertia_) / r_ref.inertia_
    return dict(name=f"kmeans {n}x{d} K={k} {iters} it", ours_s=t_ours, ref_s=t_ref, ratio=t_ours / t_ref, goal=0.7,
                met=t_ours / t_ref <= 0.7 and rel <= 0.01,
                note=f"inertia ours {r_ours.inertia:.6g} sklearn {r_ref.inertia_:.6g} (rel diff {rel:.1e}); "
                     f"steps ours {r_ours.n_iter} sklearn {r_ref.n_iter_}")


def bench_sinkhorn(b, k, repeats):
    s = torch.randn(b, k, generator=torch.Generator().manual_seed(0)) * 0.1
    t_ours, t_ref = paired_times(lambda: sinkhorn(s, iters=3), lambda: sinkhorn_plain(s, iters=3), repeats=repeats, warmup=3)
    diff = (sinkhorn(s) - sinkhorn_plain(s)).abs().max().item()
    big = s * 1e5
    return dict(name=f"sinkhorn {b}x{k} 3 it", ours_s=t_ours, ref_s=t_ref, ratio=t_ours / t_ref, goal=4.0,
                met=t_ours / t_ref <= 4.0,
                note=f"max |ours - plain| {diff:.1e}; finite at |scores|~1e4: ours {bool(torch.isfinite(sinkhorn(big)).all())}, "
                     f"plain {bool(torch.isfinite(sinkhorn_plain(big)).all())}")


def main(tiny: bool = False, threads: int | None = None) -> list[dict]:
    "Run the benchmarks; threads limits torch and scikit-learn (BLAS/OpenMP) alike, None leaves the defaults."
    from threadpoolctl import threadpool_limits
    if threads: torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        if tiny: rows = [bench_kmeans(2000, 39, 20, 10, 1), bench_sinkhorn(256, 64, 3)]
        else: rows = [bench_kmeans(100_000, 39, 100, 50, 5), bench_sinkhorn(4096, 256, 31)]
    print(f"torch threads: {torch.get_num_threads()}, thread limit: {threads or 'default'}")
    print(f"{'name':34s} {'ours':>10s} {'reference':>10s} {'ratio':>6s} {'goal':>6s}  met?")
    for r in rows:
        print(f"{r['name']:34s} {r['ours_s'] * 1e3:8.2f}ms {r['ref_s'] * 1e3:8.2f}ms {r['ratio']:6.2f} {'<=' + str(r['goal']):>6s}  "
              f"{'yes' if r['met'] else 'NO'}")
        print(f"    {r['note']}")
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="small sizes, runs in seconds (CI smoke test)")
    ap.add_argument("--threads", type=int, default=None, help="limit torch and scikit-learn to this many threads")
    args = ap.parse_args()
    main(args.tiny, args.threads)
