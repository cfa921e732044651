"""Neural models (torch). Checkpoints trained by Segue's own code live in recommender/checkpoints/."""
