"""Neural network models: the FGA net of R23, the eight S23 benchmark networks, encoders."""
