"""Exercises of notebook 18, beyond supervised learning (COURSE.md, section 5).

18.1 the discounted returns of one episode; 18.2 the k-means++ seeding probabilities; 18.3 the
discounted return of a cart-pole episode that balances to the end.
"""
import numpy as np

from nnlib.exercises import Exercise, expect_close, expect_function, register


# --- 18.1 discounted returns -------------------------------------------------------------------
def _discounted_returns(rewards, gamma):
    """G_t = r_{t+1} + gamma G_{t+1}, G_T = 0: one entry per reward (rewards[t] is r_{t+1})."""
    rewards = np.asarray(rewards, dtype=np.float64)
    returns = np.zeros_like(rewards)
    future = 0.0
    for t in reversed(range(len(rewards))):
        future = rewards[t] + gamma * future
        returns[t] = future
    return returns


# (rewards, gamma): constant rewards as in the cart-pole, sparse and signed rewards, gamma = 1
_EPISODES = [
    ([1.0, 1.0, 1.0, 1.0, 1.0], 0.9),
    ([0.0, 0.0, 0.0, 1.0], 0.5),
    ([-1.0, 0.0, 2.0, -1.0, 10.0, 0.0], 0.99),
    ([3.0], 0.8),
    ([1.0, 2.0, 3.0], 1.0),
]

register(Exercise(
    key="18.1", title="discounted_returns",
    judge=lambda fn: expect_function(
        fn, _discounted_returns, _EPISODES, "discounted_returns",
        hint="G_t = r_{t+1} + gamma * G_{t+1}: walk the episode backwards from its last reward, "
             "starting with G = 0; the first reward after t is not discounted."),
    wrong_answers={
        "forgets the discount (the plain sum of the rewards still to come)":
            lambda: (lambda rewards, gamma: np.cumsum(np.asarray(rewards, dtype=float)[::-1])[::-1]),
        "discounts the first reward after t too (gamma^(k+1) instead of gamma^k)":
            lambda: (lambda rewards, gamma: gamma * _discounted_returns(rewards, gamma)),
        "sums the rewards already collected (a running sum from the start of the episode)":
            lambda: (lambda rewards, gamma: np.cumsum(
                np.asarray(rewards, dtype=float) * gamma ** np.arange(len(rewards)))),
    },
))


# --- 18.2 k-means++ seeding probabilities ------------------------------------------------------
def _nearest_squared_distance(X, centres):
    """D(x_i)^2: the squared distance from each point (N, d) to its nearest centre (K, d) -> (N,)."""
    X, centres = np.asarray(X, dtype=np.float64), np.asarray(centres, dtype=np.float64)
    return ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1).min(axis=1)


def _kmeans_pp_probabilities(X, centres):
    """p_i = D(x_i)^2 / sum_j D(x_j)^2 (Arthur & Vassilvitskii, 2007)."""
    nearest = _nearest_squared_distance(X, centres)
    return nearest / nearest.sum()


def _seeding_cases():
    rng = np.random.default_rng(18)
    cases = []
    for n, d, k in ((12, 2, 1), (20, 3, 2), (30, 4, 3)):
        X = rng.normal(size=(n, d)) + 4.0 * (np.arange(n) % 3)[:, None]  # three clumps
        cases.append((X, X[rng.choice(n, size=k, replace=False)]))
    return cases


_SEEDING = _seeding_cases()

register(Exercise(
    key="18.2", title="kmeans_pp_probabilities",
    judge=lambda fn: expect_function(
        fn, _kmeans_pp_probabilities, _SEEDING, "kmeans_pp_probabilities",
        hint="for each point, the squared distance to the NEAREST centre chosen so far (shape (N,)); "
             "then divide by their sum so the probabilities add up to 1."),
    wrong_answers={
        "distances, not squared distances":
            lambda: (lambda X, centres: np.sqrt(_nearest_squared_distance(X, centres))
                     / np.sqrt(_nearest_squared_distance(X, centres)).sum()),
        "the distance to the first centre only, not to the nearest":
            lambda: (lambda X, centres: _kmeans_pp_probabilities(X, np.asarray(centres)[:1])),
        "squared distances not normalised to sum to 1":
            lambda: _nearest_squared_distance,
    },
))


# --- 18.3 the return of an episode that balances to the end ------------------------------------
def _full_episode_return(gamma, max_steps):
    # sum_{k=0}^{T-1} gamma^k, a geometric series
    return (1.0 - gamma ** max_steps) / (1.0 - gamma)


register(Exercise(
    key="18.3", title="best_return",
    judge=lambda answer, gamma, max_steps: expect_close(
        answer, _full_episode_return(gamma, max_steps), "best_return", rtol=1e-6,
        hint="G_0 = 1 + gamma + gamma^2 + ... with one term per step of the episode: a finite "
             "geometric series, not the infinite one."),
    wrong_answers={
        "the undiscounted return (the episode length)": lambda gamma, max_steps: float(max_steps),
        "the infinite-horizon sum 1 / (1 - gamma)": lambda gamma, max_steps: 1.0 / (1.0 - gamma),
        "one term too many": lambda gamma, max_steps: (1.0 - gamma ** (max_steps + 1)) / (1.0 - gamma),
    },
    context=lambda: {"gamma": 0.99, "max_steps": 200},
))
