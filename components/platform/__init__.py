"""Platform add-ons: what turns a bare cluster into a model-serving platform."""
