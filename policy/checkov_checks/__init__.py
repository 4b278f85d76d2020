"""Custom checkov checks for what checkov's built-in Kubernetes checks do not open: KServe InferenceServices.

Load with ``checkov --framework kubernetes --skip-download --external-checks-dir policy/checkov_checks``.
"""
