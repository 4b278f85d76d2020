"""Serving: ModelService and the specs of one model."""
