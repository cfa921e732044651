"""The default (Bayesian) learner must not load torch: a web process serving drum sessions stays small (issue 17)."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import recommender.drums.learner as learner
    from recommender.drums.patterns import N_INSTRUMENTS

    learner.configure_torch(1)
    rng = np.random.default_rng(0)
    cfg = learner.LearnerConfig(pool_size=100, rbf_features=50)
    rated = np.zeros((0, N_INSTRUMENTS, 16), np.float32)
    first = learner.propose(rated, np.zeros(0, np.float32), rated, rng=rng, config=cfg)
    rated = first.pattern[None]
    second = learner.propose(rated, np.ones(1, np.float32), rated, rng=rng, config=cfg)
    assert second.pattern.shape == (N_INSTRUMENTS, 16), second.pattern.shape
    rated = np.stack([first.pattern, second.pattern])
    third = learner.propose(rated, np.array([1.0, 0.0], np.float32), rated, rng=rng, config=cfg)
    assert 0.0 <= third.p_like <= 1.0
    print("torch" in sys.modules)
    """
)


def test_bayesian_session_does_not_import_torch():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_ensemble_learner_still_loads_torch_when_asked():
    script = SCRIPT.replace("LearnerConfig(pool_size=100", 'LearnerConfig(model="ensemble", pool_size=100')
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "True", out.stdout + out.stderr
