"""stable-baselines3's algorithms: their schemas (:mod:`.schemas`) and how to build, save and load them."""
