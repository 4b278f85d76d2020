"""Each cloud's policy module: its share of the generic rules (policy/rules/percloud.py), registered in
components/clouds.py (:attr:`components.clouds.Cloud.policy`).

The rules load these modules when ``policy.rules`` builds its rule list; importing one first (``from
policy.clouds.gcp import label_key``) loads the rules here, before the module's own body, so that its imports of the
generic rule modules are complete when the rules ask for its ``POLICY``.
"""

import policy.rules  # noqa: F401  (see above)
