"""The mlplatform policy pack: pure rules (rules.py) and the CrossGuard entry point (__main__.py)."""
