"""Bayesian logistic regression with a Laplace posterior: a critic that is calibrated from the first few ratings.

With 5–40 labels a neural critic overfits and its ensemble spread is a poor measure of doubt; a linear model on
features close to what a listener hears, with a Gaussian prior on its weights, knows how unsure it is. The
posterior over weights is approximated by a Gaussian at its mode (Newton's method on the penalised
log-likelihood; the curvature there gives the posterior covariance). Predictions integrate over it (the probit
approximation), and Thompson sampling draws whole weight vectors from it.
Shapes: ``x`` ``(n, d)`` standardised features, ``y`` ``(n,)`` in [0, 1], weights ``(d,)``; a bias is added.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class BayesLogistic:
    """``prior_var`` per feature (scalar or ``(d,)``), ``bias_mean``/``bias_var`` for the intercept.

    Computed in the space of the ``n`` examples (as a Gaussian-process classifier with the linear kernel
    ``x Λ x'``, Rasmussen & Williams, algorithm 3.1), so a step costs ``O(n² d + n³)``, not ``O(d³)``.
    """

    def __init__(
        self, prior_var: float | np.ndarray, *, bias_mean: float = 0.0, bias_var: float = 4.0, flip: float = 0.0
    ) -> None:
        self.prior_var, self.bias_mean, self.bias_var, self.flip = prior_var, bias_mean, bias_var, flip

    def _likelihood_terms(self, f: np.ndarray, y: np.ndarray, w_ex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of the log-likelihood in ``f`` and its Fisher information, with answers flipped at rate
        ``flip`` (P(like) = flip + (1 - 2 flip) σ(f)): one surprising answer among many is read as a slip."""
        s = _sigmoid(f)
        p = self.flip + (1 - 2 * self.flip) * s
        dp = (1 - 2 * self.flip) * s * (1 - s)
        var = np.maximum(p * (1 - p), 1e-12)
        return w_ex * (y - p) * dp / var, w_ex * dp**2 / var

    def _lam(self, d: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(self.prior_var, dtype=np.float64), (d,)), [self.bias_var]])

    def fit(self, x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, *, iters: int = 30) -> BayesLogistic:
        """Posterior mode and its curvature from labels ``y`` (soft labels allowed) with per-example ``weight``."""
        n, d = x.shape
        self.xb = np.concatenate([x, np.ones((n, 1))], axis=1).astype(np.float64)
        self.lam = self._lam(d)
        self.m0 = np.zeros(d + 1)
        self.m0[-1] = self.bias_mean
        w_ex = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        lam_x = self.xb * self.lam  # (n, d+1): Λ x for every example
        k = lam_x @ self.xb.T
        f0 = self.xb @ self.m0
        f = f0.copy()
        for _ in range(iters):  # Fisher scoring (Newton's method when flip = 0)
            grad, fisher = self._likelihood_terms(f, y, w_ex)
            sw = np.sqrt(fisher)
            chol = np.linalg.cholesky(np.eye(n) + sw[:, None] * k * sw[None, :])
            b = fisher * (f - f0) + grad
            a = b - sw * _cho_solve(chol, sw * (k @ b))
            f_new = k @ a + f0
            done = np.abs(f_new - f).max() < 1e-6
            f = f_new
            if done:
                break
        self.sw = np.sqrt(self._likelihood_terms(f, y, w_ex)[1])
        self.chol = np.linalg.cholesky(np.eye(n) + self.sw[:, None] * k * self.sw[None, :])
        self.mean = self.m0 + lam_x.T @ a  # posterior mode of the weights (bias last)
        return self

    def _logit_moments(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xb = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        k_star = self.xb @ (xb * self.lam).T  # (n, m)
        v = np.linalg.solve(self.chol, self.sw[:, None] * k_star)
        var = ((xb**2) * self.lam).sum(1) - (v**2).sum(0)
        return xb @ self.mean, np.maximum(var, 1e-12)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(like) ``(n,)`` averaged over the posterior (probit approximation), and the logit's std ``(n,)``."""
        mu, var = self._logit_moments(x)
        return _sigmoid(mu / np.sqrt(1.0 + np.pi * var / 8.0)), np.sqrt(var)

    def sample(self, rng: np.random.Generator, size: int = 1) -> np.ndarray:
        """Weight vectors (bias last) drawn from the Laplace posterior, ``(size, d + 1)``.

        A prior draw corrected by the data (Matheron's rule): exact for the Gaussian approximation, in O(n d).
        """
        theta0 = np.sqrt(self.lam)[None, :] * rng.standard_normal((size, len(self.lam)))
        z = rng.standard_normal((size, len(self.sw)))
        rhs = self.sw[None, :] * (theta0 @ self.xb.T) + z  # (size, n)
        c = self.sw[None, :] * _cho_solve(self.chol, rhs.T).T
        return self.mean[None, :] + theta0 - (c @ self.xb) * self.lam[None, :]

    @staticmethod
    def score(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Logits of ``x`` ``(n, d)`` under sampled weights ``theta`` ``(k, d + 1)`` → ``(k, n)``."""
        return theta[:, :-1] @ x.T + theta[:, -1:]


def _cho_solve(chol: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``(L Lᵀ) x = b`` for a lower Cholesky factor ``L``."""
    from scipy.linalg import solve_triangular

    return solve_triangular(chol.T, solve_triangular(chol, b, lower=True), lower=False)
